"""Input errors that name the field at fault.

Every problem found in user input is reported as a :class:`Problem` with a
location in the input document (``operations[12].quantity``) and a plain
message. A validation pass collects all problems before raising one
:class:`InputError`, so the user fixes everything in one round.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

#: Most problems an error message or document lists (a broken 50 MB file can have tens of
#: thousands; the first ones are what to fix, the total says how far there is to go).
MAX_LISTED = 100


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class InputError(ValueError):
    """Invalid user input; carries every problem found, each with its location.

    The CLI turns it into exit code 2 and the service into HTTP 422.
    """

    def __init__(self, problems: Sequence[Problem] | Problem, source: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"invalid input in {self.source}" if self.source else "invalid input"
        lines = [f"{head} ({len(self.problems)} problem{'s' * (len(self.problems) != 1)}):"]
        lines += [f"  {p}" for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"  ... and {len(self.problems) - MAX_LISTED} more (fix these first)")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The error document (the first MAX_LISTED problems, and their total when cut)."""
        out: dict[str, object] = {
            "error": "invalid input",
            "source": self.source,
            "problems": [{"location": p.location, "message": p.message} for p in self.problems[:MAX_LISTED]],
        }
        if len(self.problems) > MAX_LISTED:
            out["problems_total"] = len(self.problems)
        return out


def format_location(loc: Iterable[str | int], prefix: str = "") -> str:
    """Render a pydantic-style location tuple as ``operations[12].quantity``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


def _shown(value: object, limit: int = 80) -> str:
    """``repr`` of an offending value, cut short so a huge input cannot flood the message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


_SCALAR_BRANCHES = {"constrained-float", "float", "int", "constrained-int", "str", "bool"}


def from_pydantic(exc, source: str | None = None, prefix: str = "") -> InputError:
    """Convert a ``pydantic.ValidationError`` into an :class:`InputError`."""
    found = []
    for err in exc.errors(include_url=False):
        loc, scalar_branch, skip = [], False, False
        for part in err["loc"]:
            if skip:  # the tag that follows a tagged-union marker
                skip = False
            elif isinstance(part, str) and part.startswith("tagged-union["):
                skip = True
            elif isinstance(part, str) and part.startswith("<") and part.endswith(">"):
                # the tag of a number-or-uncertain-or-distribution field; a distribution's own
                # tag (its name) follows
                skip = part == "<distribution>" and err["type"] != "union_tag_invalid" and \
                    len(err["loc"]) > 0 and part != err["loc"][-1]
            elif isinstance(part, str) and part in _SCALAR_BRANCHES:
                scalar_branch = True
            elif not (isinstance(part, str) and part.startswith("function-")):
                loc.append(part)
        found.append((format_location(loc, prefix), scalar_branch, err))
    problems = []
    for where, scalar_branch, err in found:
        if scalar_branch and any(_within(w, where) and not s for w, s, _ in found):
            continue  # "or a number" branch of a union whose other branch explains the problem
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if err["type"] not in ("missing", "extra_forbidden") and "input" in err:
            value = err["input"]
            if not isinstance(value, dict | list):
                message = f"{message}, got {_shown(value)}"
        problems.append(Problem(where, message))
    return InputError(problems, source)


#: Whether documents are validated strictly (no "100" for 100): JSON from the service, whose
#: clients get the types of the published schemas; files keep the lax reading CSV cells need.
_STRICT: ContextVar[bool] = ContextVar("riskengine_strict_documents", default=False)


@contextmanager
def strict_documents(strict: bool = True) -> Iterator[None]:
    """Validate the documents parsed in this block (this thread) strictly, or not."""
    token = _STRICT.set(strict)
    try:
        yield
    finally:
        _STRICT.reset(token)


def validate_document(model, data: object, what: str, source: str | None = None):
    """``model.model_validate(data)`` for a whole input document, every problem located
    (strictly inside :func:`strict_documents`).

    ``what`` completes the message for a document that is not an object
    ("a plan must be a JSON object").
    """
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise InputError(Problem("", what), source)
    try:
        return model.model_validate(data, strict=_STRICT.get())
    except ValidationError as exc:
        raise from_pydantic(exc, source) from None


def _within(location: str, prefix: str) -> bool:
    """Whether ``location`` is ``prefix`` or a field or item inside it."""
    return location == prefix or location.startswith((prefix + ".", prefix + "["))
