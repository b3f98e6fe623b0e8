"""A one-line progress display on the terminal for long runs (stderr, plain ``\\r``).

``score`` calls its ``progress`` callback after each batch with the
replications done and the current largest headline half-width; compare and
sensitivity call theirs with replications done over all their runs.
:class:`ProgressLine` turns those calls into one line redrawn in place::

    score  [#########...............]  400/1000 replications  +/-1.9 pt  2.1 s, ~3 s left

It is written with a carriage return on stderr, so it never mixes with a
JSON result on stdout, and :func:`progress_line` returns None (no display)
when asked to be quiet or when stderr is not a terminal (a pipe, a CI log).
A plain line rather than ``rich`` or ``tqdm``: one line is all it needs, and
the CLI stays free of another dependency and of their terminal handling.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR = 24


class ProgressLine:
    """A progress line redrawn in place on ``stream`` (stderr by default).

    Parameters
    ----------
    label
        What runs (``"score"``, ``"compare"``, ...), first on the line.
    total
        Replications expected in all (None when unknown: adaptive precision).
    precision
        Target half-width of the adaptive mode, shown next to the current one.
    stream
        Where to write (default: ``sys.stderr`` at each write).
    """

    def __init__(self, label: str, total: int | None = None, precision: float | None = None,
                 stream: TextIO | None = None):
        self.label = label
        self.total = total
        self.precision = precision
        self._stream = stream
        self._start = time.monotonic()
        self._width = 0
        self.last = ""

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def text(self, done: int, half_width: float | None = None, elapsed: float | None = None) -> str:
        """The line for ``done`` replications (and the headline half-width when known)."""
        elapsed = time.monotonic() - self._start if elapsed is None else elapsed
        parts = [f"{self.label:<11}"]
        if self.total:
            filled = min(BAR, round(BAR * done / self.total))
            parts.append(f"[{'#' * filled}{'.' * (BAR - filled)}]  {done}/{self.total} replications")
        else:
            parts.append(f"{done} replications")
        if half_width is not None:
            target = f" (target {100 * self.precision:.1f})" if self.precision else ""
            parts.append(f"+/-{100 * half_width:.1f} pt{target}")
        timing = f"{elapsed:.1f} s"
        if self.total and 0 < done < self.total:
            left = elapsed * (self.total - done) / done
            timing += f", ~{left:.0f} s left" if left >= 1 else ", <1 s left"
        parts.append(timing)
        return "  ".join(parts)

    def update(self, done: int, half_width: float | None = None) -> None:
        """Redraw the line (the signature of ``score``'s ``progress`` callback)."""
        self.last = self.text(done, half_width)
        pad = " " * max(0, self._width - len(self.last))
        self._width = len(self.last)
        self.stream.write(f"\r{self.last}{pad}")
        self.stream.flush()

    def close(self) -> None:
        """Erase the line, so the summary that follows starts on a clean line."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stderr_is_terminal() -> bool:
    """Whether stderr is an interactive terminal (progress is shown only then)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def progress_line(label: str, *, quiet: bool, total: int | None = None,
                  precision: float | None = None) -> ProgressLine | None:
    """A :class:`ProgressLine`, or None when quiet or when stderr is not a terminal."""
    if quiet or not stderr_is_terminal():
        return None
    return ProgressLine(label, total=total, precision=precision)


def compile_notice(quiet: bool) -> Callable[[str], None] | None:
    """Where the one-time notice that the kernel is being compiled goes
    (:func:`riskengine.simulation.runner.announce_compile`): a line on stderr, terminal or
    not (it explains a first run's wait in a log too), never with ``--quiet``."""
    if quiet:
        return None
    return lambda text: print(text, file=sys.stderr, flush=True)


def batches(replications: int, parts: int = 10) -> int:
    """Replications per batch so that a fixed-count run reports about ``parts`` times."""
    return max(1, -(-replications // parts))
