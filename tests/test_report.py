"""Reports (issue 7): figures, headline, HTML report, progress on long runs, batches.

Figures are drawn with the non-interactive Agg backend on small known results
(tiny plans scored with fixed seeds, a hand-made measurement whose per-day
figures are worked out below, and hand-made dicts) and checked for what they
draw: number of bars, their heights and positions, labels, line data, limits.
"""

from __future__ import annotations

import json
import re as regex
from io import StringIO
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from builders import measure, op, plan_dict, run  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import riskengine as re  # noqa: E402
from riskengine.analysis.compare import compare  # noqa: E402
from riskengine.analysis.score import score  # noqa: E402
from riskengine.analysis.sensitivity import sensitivity  # noqa: E402
from riskengine.cli import main  # noqa: E402
from riskengine.model.premises import parse_premises  # noqa: E402
from riskengine.report import figures as fig  # noqa: E402
from riskengine.report import html as report_html  # noqa: E402
from riskengine.report import progress as prog  # noqa: E402
from riskengine.report import sections  # noqa: E402
from riskengine.report.gantt import HIT_COLOR, MISS_COLOR  # noqa: E402
from riskengine.report.headline import headline  # noqa: E402
from riskengine.report.results import daily, interval, pct  # noqa: E402

PREMISES = {"format": "riskengine.premises/1", "reliability": {"material": 0.95},
            "defaults": {"breakdowns": {"mtbf_hours": 12, "mttr_hours": {"dist": "fixed", "value": 1}}}}


def tiny_plan(id: str = "tiny", shift: float = 0.0) -> re.Plan:
    """Five 4-hour operations on two lines over three days, each ending exactly at a bucket end
    (``shift`` hours earlier with ``shift`` > 0: more slack)."""
    ops = [op("a0", "A", 100, 4 - shift, 8 - shift, "L1"), op("a1", "B", 100, 28 - shift, 32 - shift, "L1"),
           op("a2", "A", 100, 52 - shift, 56 - shift, "L1"), op("b0", "B", 50, 4 - shift, 8 - shift, "L2"),
           op("b1", "A", 50, 28 - shift, 32 - shift, "L2")]
    return re.parse_plan(plan_dict(ops, id=id, horizon_hours=72))


@pytest.fixture(scope="module")
def scored():
    """A tiny plan scored with its sensitivity rows (400 replications, seed 7)."""
    plan, premises = tiny_plan(), parse_premises(PREMISES)
    result = score(plan, premises, replications=400, seed=7)
    result.sensitivity = sensitivity(plan, premises, replications=400, seed=7).to_dict()
    return plan, result


@pytest.fixture(scope="module")
def measured():
    """Day 0: x0 plans 100 and gets 100 (bucket 0); x1 plans 300 and gets 150 (bucket 1, a MISS,
    material). Day 1 plans nothing. Summed counts: volume 250/400 = 62.5%, mix and sequence 100%,
    so the day's BTS is 62.5% (the average of the two buckets' BTS, 75%, would be wrong)."""
    plan = plan_dict([op("x0", "A", 100, 0, 8), op("x1", "A", 300, 8, 16)], horizon_hours=48)
    records = [run("x0", 100, 0, 7), run("x1", 150, 8, 15, cause="material")]
    return re.parse_plan(plan), measure([plan], records)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def axes():
    return plt.subplots()[1]


# -- figures -------------------------------------------------------------------------------------

def test_degradation_draws_the_curve_its_band_and_the_chain(scored):
    _, result = scored
    ax = fig.degradation(result, ax=axes())
    days = result.holds_through_day
    simulated, chain = ax.lines
    assert list(simulated.get_xdata()) == [1, 2, 3]
    assert list(simulated.get_ydata()) == [d["mean"] for d in days]
    r = days[0]["mean"]
    assert np.allclose(chain.get_ydata(), [r, r ** 2, r ** 3], rtol=0, atol=1e-15)
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(min(d["low"] for d in days))
    assert band[:, 1].max() == pytest.approx(max(d["high"] for d in days))
    assert ax.get_xlim() == (0.5, 3.5) and ax.get_ylim() == (0.0, 1.0)
    # the dict gives the same drawing as the object
    again = fig.degradation(result.to_dict(), ax=axes())
    assert list(again.lines[0].get_ydata()) == list(simulated.get_ydata())


def test_distribution_is_a_box_from_p10_to_p90_per_figure(scored):
    _, result = scored
    ax = fig.distribution(result.to_dict(), ax=axes())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["BTS", "BTP", "volume", "mix", "sequence"]
    assert len(ax.patches) == 5
    for box, name in zip(ax.patches, ["bts", "btp", "volume", "mix", "sequence"], strict=True):
        e = result.adherence[name]
        assert box.get_x() == pytest.approx(e["p10"])
        assert box.get_width() == pytest.approx(e["p90"] - e["p10"])
    p50_bts = ax.lines[0]
    assert list(p50_bts.get_xdata()) == [result.adherence["bts"]["p50"]] * 2
    assert ax.get_xlim() == (0.0, 1.03)


def test_factors_of_a_score_three_bars_per_group_with_intervals(scored):
    _, result = scored
    ax = fig.factors(result, ax=axes())
    groups = 1 + len(result.bands)  # total and three bands
    assert len(ax.patches) == 3 * groups
    heights = [p.get_height() for p in ax.patches]
    assert heights[:groups] == [result.adherence["volume"]["mean"],
                                *(b["volume"]["mean"] for b in result.bands)]
    assert heights[2 * groups:] == [result.adherence["sequence"]["mean"],
                                    *(b["sequence"]["mean"] for b in result.bands)]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["total", "<24h\n(V x M x Sq)", "<48h\n(V x M)", "rest\n(V)"]
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == f"BTS {pct(result.adherence['bts']['mean'])}"
    assert texts[1] == f"score {pct(result.bands[0]['score']['mean'])}"


def test_factors_of_a_measurement_leave_empty_bands_without_bars(measured):
    _, m = measured
    ax = fig.factors(m, ax=axes())
    assert len(ax.patches) == 6  # total and <24h; <48h and rest have nothing planned
    assert [p.get_height() for p in ax.patches] == [0.625, 0.625, 1, 1, 1, 1]
    assert [t.get_text() for t in ax.texts].count("nothing\nplanned") == 2
    assert ax.get_xlim() == (-0.5, 3.5)


def test_daily_trend_sums_counts_per_day_never_averages_percentages(measured):
    _, m = measured
    rows = daily(m)
    assert [(r["day"], r["buckets"], r["planned"], r["volume_units"]) for r in rows] == [(0, 3, 400, 250),
                                                                                        (1, 3, 0, 0)]
    assert rows[0]["bts"] == 0.625 and rows[1]["bts"] is None
    assert np.mean([b["bts"] for b in m.buckets if b["bts"] is not None]) == 0.75  # what averaging gives
    ax = fig.daily_trend(m, ax=axes())
    assert [p.get_height() for p in ax.patches] == [0.625]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Mon 16", "Tue 17"]
    volume = ax.lines[0]
    assert volume.get_ydata()[0] == 0.625 and np.isnan(volume.get_ydata()[1])
    assert "nothing\nplanned" in [t.get_text() for t in ax.texts]


def test_pareto_orders_causes_and_accumulates_shares():
    m = {"format": "riskengine.measurement/1",
         "causes": [{"cause": "material", "misses": 3, "lost_units": 100.0, "share": 0.75},
                    {"cause": "breakdown", "misses": 1, "lost_units": 300.0, "share": 0.25}]}
    ax = fig.pareto(m, ax=axes())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["material", "breakdown"]
    assert [p.get_height() for p in ax.patches] == [0.75, 0.25]
    assert list(ax.lines[0].get_ydata()) == [0.75, 1.0]
    assert [t.get_text() for t in ax.texts] == ["3", "1"]
    ax = fig.pareto(m, ax=axes(), by="lost_units")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["breakdown", "material"]
    assert [p.get_height() for p in ax.patches] == [0.75, 0.25]
    assert [t.get_text() for t in ax.texts] == ["300", "100"]
    with pytest.raises(ValueError, match="by must be"):
        fig.pareto(m, by="units")


def test_pareto_of_a_score_uses_expected_misses_per_replication(scored):
    _, result = scored
    ax = fig.pareto(result, ax=axes())
    per_rep = [c["misses_per_replication"] for c in result.causes]
    assert [t.get_text() for t in ax.get_xticklabels()] == [c["cause"] for c in result.causes]
    assert [p.get_height() for p in ax.patches] == pytest.approx([v / sum(per_rep) for v in per_rep])


def test_tornado_shows_removed_and_halved_gains_in_points(scored):
    _, result = scored
    ax = fig.tornado(result, ax=axes())
    rows = result.sensitivity["rows"]
    removed = {(r["kind"], r["name"]): 100 * r["bts"]["mean"] for r in rows if r["change"] == "removed"}
    order = sorted(removed, key=lambda k: -removed[k])
    n = len(order)
    assert len(ax.patches) == 2 * n
    assert [p.get_width() for p in ax.patches[:n]] == pytest.approx([removed[k] for k in order])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "breakdowns" and "all disruptions of L1" in labels
    assert "percentage points" in ax.get_xlabel()
    with pytest.raises(ValueError, match="sensitivity"):
        fig.tornado({"format": "riskengine.score/1", "sensitivity": None})


def test_gantt_of_a_score_colours_each_operation_by_its_hit_probability(scored):
    plan, result = scored
    ax = fig.gantt(plan, result, ax=axes())
    assert len(ax.patches) == 5
    assert [p.get_x() for p in ax.patches] == [4, 28, 52, 4, 28]
    assert [p.get_width() for p in ax.patches] == [4] * 5
    hit = {o["id"]: o["hit"]["mean"] for o in result.operations}
    cmap = colormaps["RdYlGn"]
    for patch, o in zip(ax.patches, plan.operations, strict=True):
        assert patch.get_facecolor() == pytest.approx(cmap(hit[o.id]))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["L1", "L2"]
    assert ax.get_xlim() == (0.0, 72.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Mon 16", "Tue 17", "Wed 18", "Thu 19"]


def test_gantt_of_a_big_plan_draws_the_worst_resources_that_fit(scored):
    """With max_bars (the report: 2,000 bars on 40 rows at most) only the resources with the lowest
    mean P(hit) are drawn, as many as fit, in plan order, and the title says so."""
    plan, result = scored
    hit = {o["id"]: o["hit"]["mean"] for o in result.operations}
    mean = {r: np.mean([hit[o.id] for o in plan.operations if o.resource == r]) for r in ("L1", "L2")}
    worst = min(mean, key=mean.get)
    ax = fig.gantt(plan, result, ax=axes(), max_bars=3)  # L1 has 3 operations, L2 2: one line fits
    assert [t.get_text() for t in ax.get_yticklabels()] == [worst]
    assert len(ax.patches) == (3 if worst == "L1" else 2)
    assert ax.get_title().endswith("1 of 2 resources: those with the lowest mean P(hit)")
    assert len(fig.gantt(plan, result, ax=axes(), max_rows=1).patches) == len(ax.patches)
    assert len(fig.gantt(plan, result, ax=axes(), max_bars=5, max_rows=2).patches) == 5  # all fit


def test_gantt_of_a_measurement_shows_hit_and_miss_with_the_cause(measured):
    plan, m = measured
    ax = fig.gantt(plan, m, ax=axes())
    assert [p.get_facecolor() for p in ax.patches] == [to_rgba(HIT_COLOR), to_rgba(MISS_COLOR)]
    assert [(p.get_x(), p.get_width()) for p in ax.patches] == [(0, 8), (8, 8)]
    assert [t.get_text() for t in ax.texts] == ["material"]
    with pytest.raises(ValueError, match="not among the plans"):
        fig.gantt(tiny_plan(), m, ax=axes())


def test_comparison_and_differences_of_two_plans():
    premises = parse_premises(PREMISES)
    result = compare([tiny_plan("slack", shift=1.0), tiny_plan("tight")], premises, replications=200, seed=1)
    ax = fig.comparison(result, ax=axes())
    plans = result.plans
    assert [p.get_height() for p in ax.patches] == [p["plan_holds"]["mean"] for p in plans] + [
        p["adherence"]["bts"]["mean"] for p in plans]
    rank = {pid: k + 1 for k, pid in enumerate(result.ranking)}
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{p['id']}\nrank {rank[p['id']]}" for p in plans]
    assert ax.get_ylim() == (0.0, 1.1)
    ax = fig.differences(result.to_dict(), ax=axes())
    assert len(ax.containers) == 2  # one pair, two metrics
    holds = next(d for d in result.differences if d["metric"] == "plan_holds")
    marker = ax.containers[0].lines[0]
    assert marker.get_xdata()[0] == pytest.approx(100 * holds["mean"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["slack - tight"]


def test_figures_refuse_the_wrong_kind_of_result_and_make_their_own_axes(measured, scored):
    _, m = measured
    with pytest.raises(TypeError, match="score"):
        fig.degradation(m)
    with pytest.raises(TypeError, match="expected a riskengine result"):
        fig.factors([1, 2])
    ax = fig.degradation(scored[1])  # ax=None: a new pyplot figure
    assert ax.figure is plt.gcf()


# -- headline ------------------------------------------------------------------------------------

def hand_score(**extra) -> dict:
    e = {"mean": 0.71, "low": 0.70, "high": 0.72}
    return {"format": "riskengine.score/1", "plan": "p",
            "plan_holds": {"mean": 0.38, "low": 0.36, "high": 0.40},
            "holds_through_day": [{"day": 1, "mean": 0.9}, {"day": 2, "mean": 0.6}], "adherence": {"bts": e},
            "main_impact": "sequence", "causes": [{"cause": "breakdown", "share": 0.48}], **extra}


def test_score_headline_in_plain_words_names_the_top_sensitivity_row_or_the_top_cause():
    assert headline(hand_score()) == (
        "This plan holds with 38% [36-40%] probability (through day 1: 90%); expected BTS 71% [70-72%]; "
        "sequence is the factor that costs most; the top risk is breakdown (48% of the simulated misses).")
    gain = {"mean": 0.087, "low": 0.08, "high": 0.09}
    rows = [{"kind": "source", "name": "breakdowns", "change": "removed", "bts": {"mean": 0.05},
             "plan_holds": {"mean": 0.01}},
            {"kind": "resource", "name": "L2", "change": "removed", "bts": gain, "plan_holds": {"mean": 0.0}},
            {"kind": "resource", "name": "L2", "change": "halved", "bts": {"mean": 0.2}, "plan_holds": gain}]
    assert headline(hand_score(sensitivity={"rows": rows})).endswith(
        "the top risk is all disruptions of L2 (removing them would gain 8.7 points of BTS).")


def test_measure_and_compare_headlines(measured, scored):
    _, m = measured
    # 62.5% is shown as 63%: rounded half up, as people round (riskengine.adherence.figures.pct)
    assert headline(m) == ("Realized BTS 63% (volume 63% x mix 100% x sequence 100%), BTP 63%; volume is the "
                           "factor that cost most; 1 of 2 operations missed, most often for material "
                           "(1 miss, 150 units lost).")
    plans = [{"id": "a", "plan_holds": {"mean": 0.5, "low": 0.45, "high": 0.55},
              "adherence": {"bts": {"mean": 0.6, "low": 0.58, "high": 0.62}}},
             {"id": "b", "plan_holds": {"mean": 0.4, "low": 0.35, "high": 0.45},
              "adherence": {"bts": {"mean": 0.7, "low": 0.68, "high": 0.72}}}]
    diff = {"a": "b", "b": "a", "metric": "plan_holds", "mean": -0.1, "low": -0.12, "high": -0.08}
    text = headline({"format": "riskengine.compare/1", "plans": plans, "ranking": ["a", "b"],
                     "differences": [diff]})
    assert text == ("a is the most likely of 2 plans to hold: 50% [45-55%] probability, expected BTS "
                    "60% [58-62%]; ahead of b by +10.0 points [+8.0, +12.0]. b has the highest expected "
                    "BTS (70% [68-72%]).")
    assert interval({"mean": 0.002, "low": 0.001, "high": 0.007}) == "0.2% [0.1-0.7%]"


# -- HTML report ---------------------------------------------------------------------------------

def svgs(page: str) -> list[str]:
    return regex.findall(r"<svg\b.*?</svg>", page, regex.S)


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not regex.search(r"""(src|href)=["']?(https?:|//)""", page)
    ids = regex.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "element ids must be unique across figures"
    for s in svgs(page):
        assert s.count("<path") > 10


def test_score_report_has_headline_figures_tables_and_premises(scored):
    plan, result = scored
    page = report_html.render_report(result, plan=plan, command="riskengine score tiny.json --seed 7")
    assert_self_contained(page)
    assert len(svgs(page)) == 7  # degradation, factors, distribution, 2 Paretos, tornado, Gantt
    assert f'id="headline">{headline(result)}</p>' in page.replace("&#x27;", "'")
    for caption in ("Horizon bands", "Riskiest operations", "Causes of misses", "Sensitivity",
                    "Finish time per resource", "Premises and seed"):
        assert caption in page
    assert "riskengine score tiny.json --seed 7" in page and "&quot;material&quot;: 0.95" in page
    # criticality table (top critical operations) and the rigor sentences in the headline section
    top = [o for o in result.criticality["operations"] if o["criticality"]["mean"] > 0]
    assert top and "Critical operations" in page
    assert page.index("Critical operations") < page.index(f"<td>{top[0]['id']}</td>",
                                                           page.index("Critical operations"))
    headline_section = page[page.index("Headline estimates"):page.index("<h2>Figures")]
    for sentence in result.rigor_advice["advice"]:
        assert sentence in headline_section.replace("&#x27;", "'")
    assert page == report_html.render_report(result.to_dict(), plan=plan,
                                             command="riskengine score tiny.json --seed 7")


def test_user_strings_are_escaped(measured):
    nasty = '<b>"x&y\'</b>'
    plan = plan_dict([op(nasty, "<i>A</i>", 100, 0, 8, resource="L<1>")], id=nasty, horizon_hours=16)
    m = measure([plan], [run(nasty, 50, 0, 7, cause="material")])
    page = report_html.render_report(m, plan=[re.parse_plan(plan)], command="riskengine <script>alert(1)")
    assert nasty not in page and "<i>A</i>" not in page and "<script" not in page
    assert "&lt;b&gt;&quot;x&amp;y&#x27;&lt;/b&gt;" in page and "L&lt;1&gt;" in page


def test_measure_and_compare_reports(measured):
    plan, m = measured
    page = report_html.render_report(m, plan=plan)
    assert_self_contained(page)
    assert len(svgs(page)) == 5  # daily trend, factors, 2 Paretos, Gantt
    for caption in ("Total", "Horizon bands", "Resources and areas", "Data quality", "Buckets",
                    "Adherence rules"):
        assert caption in page
    result = compare([tiny_plan("a"), tiny_plan("b", shift=1.0)], parse_premises(PREMISES), replications=100)
    page = report_html.render_report(result, premises=PREMISES)
    assert_self_contained(page)
    assert len(svgs(page)) == 2 and "Paired differences" in page and "&quot;mtbf_hours&quot;: 12" in page


def test_report_is_written_atomically(measured, tmp_path, monkeypatch):
    plan, m = measured
    path = tmp_path / "report.html"
    report_html.write_report(m, path, plan=plan)
    first = path.read_text(encoding="utf-8")
    assert first == report_html.render_report(m, plan=plan)

    def broken(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(sections, "measure_page", broken)
    with pytest.raises(RuntimeError):
        report_html.write_report(m, path, plan=plan)
    assert path.read_text(encoding="utf-8") == first
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left behind


# -- progress and batches ------------------------------------------------------------------------

def test_progress_line_text_redraw_and_erase():
    out = StringIO()
    line = prog.ProgressLine("score", total=1000, stream=out)
    assert line.text(400, 0.0123, elapsed=2.0) == (
        "score        [##########..............]  400/1000 replications  +/-1.2 pt  2.0 s, ~3 s left")
    assert line.text(1000, None, elapsed=5.0).endswith("1000/1000 replications  5.0 s")
    adaptive = prog.ProgressLine("score", precision=0.01, stream=out)
    assert adaptive.text(400, 0.02, elapsed=0.5) == (
        "score        400 replications  +/-2.0 pt (target 1.0)  0.5 s")
    line.update(100, 0.05)
    line.update(1000, 0.01)
    line.close()
    text = out.getvalue()
    assert text.count("\r") == 4 and text.endswith("\r") and "1000/1000" in text
    assert prog.batches(1000) == 100 and prog.batches(7) == 1 and prog.batches(1001) == 101


def test_progress_only_on_a_terminal_and_never_when_quiet(monkeypatch):
    monkeypatch.setattr(prog, "stderr_is_terminal", lambda: False)
    assert prog.progress_line("score", quiet=False, total=10) is None
    monkeypatch.setattr(prog, "stderr_is_terminal", lambda: True)
    assert prog.progress_line("score", quiet=True, total=10) is None
    assert isinstance(prog.progress_line("score", quiet=False, total=10), prog.ProgressLine)


def test_batches_give_bit_identical_results_and_move_progress():
    plan, premises = tiny_plan(), parse_premises(PREMISES)
    whole = score(plan, premises, replications=400, seed=3)
    calls: list[tuple[int, float]] = []
    parts = score(plan, premises, replications=400, seed=3, batch=37,
                  progress=lambda n, w: calls.append((n, w)))
    assert parts.to_dict() == whole.to_dict()
    assert [n for n, _ in calls] == [37 * k for k in range(1, 11)] + [400]
    assert all(w > 0 for _, w in calls)
    adaptive = score(plan, premises, precision=0.04, seed=3)
    assert score(plan, premises, precision=0.04, seed=3, batch=150).to_dict() == adaptive.to_dict()
    with pytest.raises(re.InputError, match="batch"):
        score(plan, premises, replications=10, batch=0)
    ticks: list[tuple[int, int]] = []
    pair = [tiny_plan("a"), tiny_plan("b", shift=1.0)]
    assert compare(pair, premises, replications=120, batch=50, progress=lambda n, t: ticks.append((n, t))
                   ).to_dict() == compare(pair, premises, replications=120).to_dict()
    assert ticks[-1] == (240, 240) and [n for n, _ in ticks] == sorted(n for n, _ in ticks)
    ticks.clear()
    sensitivity(plan, premises, replications=50, progress=lambda n, t: ticks.append((n, t)))
    assert ticks[-1][0] == ticks[-1][1] == 50 * len(ticks)


# -- command line --------------------------------------------------------------------------------

@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    plan = plan_dict([op("x0", "A", 100, 0, 8), op("x1", "A", 300, 8, 16)], id="p<1>", horizon_hours=48)
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / "plan2.json").write_text(json.dumps(plan | {"id": "p2"}))
    (tmp_path / "premises.json").write_text(json.dumps(PREMISES))
    (tmp_path / "actuals.json").write_text(json.dumps({"format": "riskengine.actuals/1", "records": [
        run("x0", 100, 0, 7), run("x1", 150, 8, 15, cause="material")]}))
    return {k: str(tmp_path / f"{k}.json") for k in ("plan", "plan2", "premises", "actuals")}


def test_cli_reports_for_score_compare_and_measure(files, tmp_path):
    runner = CliRunner()
    out = tmp_path / "score.html"
    res = runner.invoke(main, ["score", files["plan"], "--premises", files["premises"],
                               "--replications", "200", "--seed", "5", "--sensitivity", "--report", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert "This plan holds with" in page and len(svgs(page)) == 7
    assert "--replications 200 --seed 5 --engine kernel --sensitivity" in page  # how to rerun it
    assert f"report written to {out}" in res.output
    res = runner.invoke(main, ["compare", files["plan"], files["plan2"], "--premises", files["premises"],
                               "--replications", "100", "--report", str(tmp_path / "compare.html"),
                               "--quiet"])
    assert res.exit_code == 0 and res.output == ""
    assert "Comparison of 2 plans" in (tmp_path / "compare.html").read_text(encoding="utf-8")
    res = runner.invoke(main, ["measure", "--plan", files["plan"], "--actuals", files["actuals"],
                               "--json", "-", "--report", str(tmp_path / "measure.html")])
    assert res.exit_code == 0 and json.loads(res.stdout)["total"]["bts"] == 0.625  # stdout stays JSON
    assert "Realized BTS 63%" in (tmp_path / "measure.html").read_text(encoding="utf-8")  # 62.5%, half up


def test_cli_refuses_a_report_path_that_is_not_a_file(files, tmp_path):
    for bad in ("-", str(tmp_path)):
        res = CliRunner().invoke(main, ["score", files["plan"], "--premises", files["premises"],
                                        "--report", bad])
        assert res.exit_code == 2 and "--report: must be a file path" in res.output


def test_cli_progress_on_a_terminal_goes_to_stderr_only(files, monkeypatch):
    monkeypatch.setattr(prog, "stderr_is_terminal", lambda: True)
    res = CliRunner().invoke(main, ["score", files["plan"], "--premises", files["premises"],
                                    "--replications", "300", "--json", "-"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["replications"] == 300
    assert "\r" in res.stderr and "300/300 replications" in res.stderr and "+/-" in res.stderr
    assert "30/300 replications" in res.stderr  # ten batches: progress moves
    quiet = CliRunner().invoke(main, ["score", files["plan"], "--premises", files["premises"],
                                      "--replications", "300", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
