"""``riskengine convert IN OUT``: premises between JSON and TOML.

The premises are read and validated first (``riskengine.premises/1``: a file
that does not validate is not converted), then the document is written as it
was given, in the other syntax: TOML for people (comments are not carried
over), JSON for APS tools and the HTTP service (which also takes TOML text as
``premises_toml``). Fields set to null in JSON are left out of TOML, which has
no null; that is the same premises, since null means "not given". Floats
round-trip exactly (TOML is written with ``repr``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from riskengine.cli_helpers import handled

SYNTAXES = ("json", "toml")


def premises_text(document: dict, syntax: str) -> str:
    """A premises document as JSON or TOML text."""
    from riskengine.io.toml_writer import to_toml

    if syntax == "toml":
        return to_toml(document, "Premises (riskengine.premises/1), converted by `riskengine convert`.")
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def read_document(path: str) -> dict:
    """The premises document of a JSON or TOML file (``-``: JSON on stdin), validated."""
    from riskengine.io.readers import read_json, read_toml
    from riskengine.model.premises import parse_premises

    toml = path != "-" and Path(path).suffix.lower() == ".toml"
    data: object = read_toml(path) if toml else read_json(path)
    parse_premises(data, "stdin" if path == "-" else path)
    assert isinstance(data, dict)  # parse_premises refuses anything else
    return data


@click.command()
@click.argument("source", metavar="IN")
@click.argument("target", metavar="OUT")
@click.option("--to", "syntax", type=click.Choice(SYNTAXES),
              help="Syntax of OUT (default: by its suffix; required for '-').")
@handled
def convert(source, target, syntax) -> None:
    """Convert premises between JSON and TOML (IN: .json, .toml or '-' for JSON on stdin; OUT: a file
    or '-' for stdout). The premises are validated first."""
    from riskengine.errors import InputError, Problem
    from riskengine.io.writers import write_text_atomic

    if syntax is None:
        suffix = Path(target).suffix.lower().lstrip(".")
        if target == "-" or suffix not in SYNTAXES:
            raise InputError(Problem("--to", "give json or toml (OUT has no .json or .toml suffix)"))
        syntax = suffix
    text = premises_text(read_document(source), syntax)
    if target == "-":
        click.echo(text, nl=False)
    else:
        write_text_atomic(target, text)
