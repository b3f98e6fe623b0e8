"""Input errors that name the field at fault.

Every problem found in user input is reported as a :class:`Problem` with a
location in the input document (``operations[12].quantity``) and a plain
message. A validation pass collects all problems before raising one
:class:`InputError`, so the user fixes everything in one round.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "error": "invalid input",
            "source": self.source,
            "problems": [{"location": p.location, "message": p.message} for p in self.problems],
        }


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


def from_pydantic(exc, source: str | None = None, prefix: str = "") -> InputError:
    """Convert a ``pydantic.ValidationError`` into an :class:`InputError`."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if err["type"] not in ("missing", "extra_forbidden") and "input" in err:
            value = err["input"]
            if not isinstance(value, dict | list):
                message = f"{message}, got {value!r}"
        problems.append(Problem(format_location(loc, prefix), message))
    return InputError(problems, source)
