"""Reports a planner reads: matplotlib figures and a self-contained HTML report.

- :mod:`riskengine.report.figures` (and :mod:`~riskengine.report.gantt`): one
  function per figure, each taking a result (object or dict) and ``ax=None``.
- :mod:`riskengine.report.html`: ``write_report(result, "out.html", ...)``.
- :mod:`riskengine.report.headline`: the plain-words headline of a result.
- :mod:`riskengine.report.progress`: the progress line of long runs.

Only this package imports matplotlib, and only when a figure or report is
asked for: importing the package (e.g. for the progress line) stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["headline", "render_report", "write_report"]


def __getattr__(name: str) -> Any:
    if name == "headline":
        from riskengine.report.headline import headline

        return headline
    if name in ("render_report", "write_report"):
        from riskengine.report import html

        return getattr(html, name)
    raise AttributeError(f"module 'riskengine.report' has no attribute {name!r}")
