"""One self-contained HTML report per result: headline, figures, tables, how to reproduce.

``write_report(result, "out/score.html", plan=plan)`` writes a single file
that opens anywhere without a network: figures are inline SVG (text drawn
as paths, so no font is needed), the style sheet is inline, there is no
script, and a Content-Security-Policy forbids loading anything. Every
string that comes from the user's files (ids, names, causes, command) is
escaped. The file is written atomically, and the same result gives the
same bytes (fixed SVG ids, no timestamp), so reports can be diffed.

The content of each kind of report is in :mod:`riskengine.report.sections`.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from riskengine.io.writers import write_text_atomic
from riskengine.report.results import as_dict, kind

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  margin:0;color:#1d2330;background:#f6f7f9;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.5rem;margin:0 0 4px} h2{font-size:1.15rem;margin:32px 0 8px;border-bottom:1px solid #d5d9e0}
.sub{color:#5a6270;margin:0 0 16px}
.headline{font-size:1.2rem;background:#fff;border-left:6px solid #8172b3;padding:14px 18px;margin:12px 0 20px;
  box-shadow:0 1px 2px rgba(0,0,0,.08)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
figure{background:#fff;margin:0;padding:10px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
figure.wide{grid-column:1/-1}
figure svg{width:100%;height:auto;display:block}
figcaption{font-size:.85rem;color:#5a6270;margin-top:6px}
table{border-collapse:collapse;background:#fff;margin:6px 0 14px;font-size:.9rem;
  box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{padding:4px 10px;border-bottom:1px solid #e6e8ec;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}
pre{background:#fff;padding:10px;overflow-x:auto;font-size:.8rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
code{font-size:.85rem} .note{color:#5a6270;font-size:.9rem} summary{cursor:pointer;margin:8px 0}
.warn{background:#fff4e5;border-left:4px solid #d9822b;padding:8px 12px}
"""
#: Nothing may be fetched: no network, no external style sheet or script.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)')


def esc(value: Any) -> str:
    """A user string (or any value) escaped for HTML text and attributes."""
    return html.escape(str(value), quote=True)


def svg(draw: Callable[[Axes], Any], name: str, size: tuple[float, float] = (8.0, 4.2)) -> str:
    """Draw a figure with ``draw(ax)`` and return it as inline SVG markup.

    Element ids are prefixed with ``name`` (a plain identifier) so several
    figures can share one page, and the hash salt is fixed so the markup is
    the same at every run.
    """
    fig = Figure(figsize=size)
    draw(fig.add_subplot())
    buf = io.StringIO()
    with rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = _PROLOG.sub("", buf.getvalue(), count=1)
    text = _ID.sub(lambda m: f'id="{name}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{name}-", text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{esc(name)}" ', 1)


def figure(markup: str, caption: str, wide: bool = False) -> str:
    """A figure block: the SVG and its caption (plain text, escaped)."""
    return (f'<figure{" class=wide" if wide else ""}>{markup}'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str | None = None,
          numeric: Sequence[int] = ()) -> str:
    """An HTML table; every cell is escaped; columns in ``numeric`` are right-aligned."""
    def cell(tag: str, k: int, value: Any) -> str:
        cls = ' class="n"' if k in numeric else ""
        return f"<{tag}{cls}>{esc('-' if value is None else value)}</{tag}>"

    head = "".join(cell("th", k, h) for k, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", k, v) for k, v in enumerate(r)) + "</tr>" for r in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, subtitle: str, headline: str, body: list[str]) -> str:
    """The whole document around ready-made body blocks."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="riskengine">',
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>",
        f"<body><main><h1>{esc(title)}</h1><p class=sub>{esc(subtitle)}</p>",
        f'<p class="headline" id="headline">{esc(headline)}</p>',
        *body,
        "</main></body></html>",
        "",
    ])


def render_report(result: Any, *, plan: Any = None, premises: dict | None = None,
                  command: str | None = None) -> str:
    """The report of a score, comparison, measurement, review sheet, trend or forecast as one HTML document.

    Parameters
    ----------
    result
        A :class:`ScoreResult`, :class:`CompareResult`, :class:`Measurement`,
        :class:`ReviewResult` or :class:`TrendResult`, or its dict.
    plan
        The scored plan (score: enables the Gantt chart) or the plan versions
        measured (measurement: a :class:`PlanHistory` or a list of plans).
    premises
        The premises document, for a comparison (a score carries its own).
    command
        The command line that produced the result, shown so it can be rerun.
    """
    from riskengine.live.report import forecast_page
    from riskengine.report import governance_pages, sections

    d = as_dict(result)
    build = {"score": sections.score_page, "compare": sections.compare_page,
             "measurement": sections.measure_page, "review": governance_pages.review_page,
             "trend": governance_pages.trend_page, "forecast": forecast_page}[kind(d)]
    return build(d, plan=plan, premises=premises, command=command)


def write_report(result: Any, path: str | os.PathLike, **options: Any) -> None:
    """Render the report (see :func:`render_report`) and write it atomically to ``path``."""
    write_text_atomic(path, render_report(result, **options))
