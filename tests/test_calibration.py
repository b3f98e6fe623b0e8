"""Calibration (issue 10): fits against scipy and closed forms, censoring, recovery of known
premises with interval coverage over seeds, the event log of the reference, bad input."""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from builders import op, plan_dict, run
from scipy import stats

from riskengine.calibration.estimate import calibrate
from riskengine.calibration.events import parse_events
from riskengine.calibration.fitting import (
    FAMILIES,
    Sample,
    _loglik,
    exponential_mean,
    fit_best,
    fit_family,
    frozen,
)
from riskengine.calibration.result import true_values
from riskengine.calibration.synthetic import plans_from, realize, weekly_plans
from riskengine.errors import InputError
from riskengine.io.readers import read_actuals, read_history, read_premises
from riskengine.io.toml_writer import to_toml
from riskengine.model.actuals import PlanHistory, parse_actuals
from riskengine.model.plan import parse_plan
from riskengine.simulation.compile import compile_model
from riskengine.simulation.reference import simulate, simulate_logged

ROOT = Path(__file__).resolve().parents[1]
WEEKS = ROOT / "scenarios" / "calibration-weeks"
TEMPLATE = ROOT / "scenarios" / "example-factory" / "plan-v1.json"


@pytest.fixture(scope="module")
def truth():
    return read_premises(WEEKS / "premises-true.toml")


@pytest.fixture(scope="module")
def week_plans():
    return plans_from(weekly_plans(json.loads(TEMPLATE.read_text()), 8))


def history_of(plans, premises, seed):
    actuals, events = realize(plans, premises, seed)
    for row in actuals:
        for key in [k for k, v in row.items() if v == ""]:
            del row[key]
    history = PlanHistory(plans)
    return (history, parse_actuals({"format": "riskengine.actuals/1", "records": actuals}, history),
            parse_events({"format": "riskengine.events/1", "events": events}, plans))


# -- the reference's event log ----------------------------------------------------------------

def test_logged_reference_gives_identical_results(truth, week_plans):
    c = compile_model(week_plans[0], truth)
    for rep in range(4):
        plain = simulate(c, 11, rep)
        logged, ref = simulate_logged(c, 11, rep)
        for name in ("start", "end", "good", "delay_cause", "moved_cause", "order"):
            assert np.array_equal(getattr(plain, name), getattr(logged, name)), name
        # every repair is in the results: repairs of a resource sum to its breakdown delay
        assert len(ref.log.breakdowns) > 0
        assert np.all(ref.log.resource_run_hours > 0)
        busy = np.array([ref.log.run_hours[c.op_resource == r].sum() for r in range(c.n_resources)])
        np.testing.assert_allclose(ref.log.resource_run_hours, busy, rtol=1e-12)


# -- fitting -----------------------------------------------------------------------------------

@pytest.mark.parametrize("family", FAMILIES)
def test_closed_form_loglik_equals_scipy(family):
    rng = np.random.default_rng(5)
    sample = Sample(rng.gamma(2.0, 1.5, 25), rng.gamma(2.0, 1.5, 7))
    theta = np.array([0.3] if family == "exponential" else [0.2, 0.4])
    d = frozen(family, theta)
    expected = d.logpdf(sample.observed).sum() + d.logsf(sample.censored).sum()
    assert _loglik(family, theta, sample) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("family,rv", [("weibull", stats.weibull_min), ("gamma", stats.gamma),
                                       ("lognormal", stats.lognorm)])
def test_censored_fit_is_at_least_as_good_as_scipy(family, rv):
    """The optimum is scipy's own censored fit (CensoredData, Nelder-Mead) or better."""
    rng = np.random.default_rng(9)
    x = rng.weibull(1.5, 60) * 10
    c = rng.uniform(0, 20, 60)
    sample = Sample(x[x <= c], c[x > c])
    params = rv.fit(sample.censored_data(), floc=0)
    theirs = rv(*params).logpdf(sample.observed).sum() + rv(*params).logsf(sample.censored).sum()
    ours = fit_family(family, sample)
    assert ours.loglik >= theirs - 1e-6
    assert ours.loglik - theirs < 1e-2  # the same optimum, not another one


def test_exponential_mean_closed_form():
    s = Sample([1.0, 2.0, 3.0], [4.0])  # T = 10 h, r = 3
    est = exponential_mean(s)
    assert est["estimate"] == pytest.approx(10 / 3)
    assert est["low"] == pytest.approx(20 / stats.chi2.ppf(0.975, 8))
    assert est["high"] == pytest.approx(20 / stats.chi2.ppf(0.025, 6))
    none = exponential_mean(Sample([], [30.0, 10.0]))  # no failure in 40 h: a lower bound only
    assert none["estimate"] is None and none["high"] is None
    assert none["low"] == pytest.approx(40 / math.log(20))
    assert math.exp(-40 / none["low"]) == pytest.approx(0.05)  # P(no failure | MTBF = bound) = 5%


def test_family_choice_and_union_interval():
    rng = np.random.default_rng(3)
    fits = fit_best(Sample(rng.lognormal(0.0, 0.8, 400)))
    assert fits[0].family == "lognormal"
    s2 = 0.64
    assert fits[0].cv["low"] < math.sqrt(math.expm1(s2)) < fits[0].cv["high"]


# -- recovery of known premises -------------------------------------------------------------------

SEEDS = 30


def test_calibration_recovers_true_premises_with_nominal_coverage(truth, week_plans):
    """Over 30 simulated histories of 8 weeks, each parameter's 95% interval covers the truth
    as often as a 95% interval should: a two-sided binomial test per parameter (Bonferroni
    over the parameters, family alpha 0.01) and over all intervals together (alpha 0.01).
    True probabilities of 0 (P2 has no absenteeism) are reported but left out of the tests:
    an interval from 0 covers them whatever happens."""
    resources = [r.id for r in week_plans[0].resources]
    target = true_values(truth, resources)
    covered = dict.fromkeys(target, 0)
    for seed in range(SEEDS):
        history, actuals, events = history_of(week_plans, truth, 1000 + seed)
        result = calibrate(history, actuals, events, deviation_rule="easiest_first")
        for key, value in target.items():
            e = result.estimate(*key)
            assert e is not None, key
            high = math.inf if e["high"] is None else e["high"]
            covered[key] += e["low"] <= value <= high
    tested = {k: v for k, v in covered.items() if target[k] > 0}
    alpha = 0.01 / len(tested)
    for key, k in tested.items():
        assert stats.binomtest(k, SEEDS, 0.95).pvalue > alpha, (key, k)
    total = sum(tested.values())
    assert stats.binomtest(total, SEEDS * len(tested), 0.95).pvalue > 0.01, total


def test_bundled_scenario_recovery(truth):
    history = read_history(sorted((WEEKS / "plans").glob("*.json")))
    actuals = read_actuals(WEEKS / "actuals.csv", history)
    from riskengine.calibration.events import read_events

    events = read_events(WEEKS / "events.csv", history.versions)
    result = calibrate(history, actuals, events, deviation_rule="easiest_first")
    target = true_values(truth, [r.id for r in history.versions[0].resources])
    missed = [k for k, v in target.items()
              if not result.estimate(*k)["low"] <= v <= (result.estimate(*k)["high"] or math.inf)]
    assert len(missed) <= 3  # 25 intervals at 95%: P(more than 3 misses) = 0.04
    # the calibrated premises are valid premises and survive a TOML round trip
    again = read_premises_text(result.premises_toml())
    assert again == result.premises


def read_premises_text(text: str):
    import tomllib

    from riskengine.model.premises import parse_premises

    return parse_premises(tomllib.loads(text))


# -- censoring and fallbacks ------------------------------------------------------------------------

def small_history(week_plans, truth, weeks=1, seed=7):
    return history_of(week_plans[:weeks], truth, seed)


def test_resource_without_failure_gets_a_lower_bound(truth, week_plans):
    history, actuals, events = small_history(week_plans, truth)
    for w in events.windows["P2"]:
        w.breakdowns.clear()
    result = calibrate(history, actuals, events, deviation_rule="easiest_first")
    est = result.estimate("resources.P2.breakdowns.mtbf_hours", "mean")
    run_hours = sum(w.run_hours for w in events.windows["P2"])
    assert est["estimate"] is None and est["high"] is None
    assert est["low"] == pytest.approx(run_hours / math.log(20))
    assert result.premises.resources["P2"].breakdowns.mtbf_hours.mean() == pytest.approx(est["low"])
    assert any("P2.breakdowns.mtbf_hours: no failure" in w for w in result.warnings)


def test_too_little_data_falls_back_with_warnings(truth, week_plans):
    history, actuals, events = small_history(week_plans, truth)
    result = calibrate(history, actuals, events, deviation_rule="easiest_first")
    fell = {f["parameter"] for f in result.fallbacks}
    # one week: fewer than 10 repairs per resource -> pooled repairs, stated
    assert {f"resources.{r}.breakdowns.mttr_hours" for r in ("P2", "K1", "K2")} <= fell
    assert all(any(f["parameter"] in w for w in result.warnings) for f in result.fallbacks)
    # actuals without setup/run hours: performance and setup overrun left out, with warnings
    for r in actuals.records:
        r.setup_hours = r.run_hours = None
    bare = calibrate(history, actuals, events, deviation_rule="easiest_first")
    assert bare.premises.defaults.performance is None and bare.premises.defaults.setup_overrun is None
    assert any("no setup_hours/run_hours" in w for w in bare.warnings)
    assert {"defaults.performance", "defaults.setup_overrun"} <= {f["parameter"] for f in bare.fallbacks}


# -- bad input ----------------------------------------------------------------------------------------

def valid_events(week_plans):
    p = week_plans[0]
    t0 = p.horizon.start.isoformat()
    return {"format": "riskengine.events/1", "events": [
        {"event": "window", "resource": "P1", "start": t0, "end": p.horizon.end.isoformat(),
         "run_hours": 80, "shifts": 15},
        {"event": "breakdown", "resource": "P1", "start": "2026-11-16T09:00:00+01:00",
         "end": "2026-11-16T10:00:00+01:00", "run_hours": 3},
        {"event": "material", "material": "RM-FLOUR-L23", "start": t0,
         "end": "2026-11-16T08:00:00+01:00"}]}


@pytest.mark.parametrize("edit,location,words", [
    (lambda e: e[1].update(resource="X9"), "events[1].resource", "unknown resource"),
    (lambda e: e[1].update(end="2026-11-16T08:00:00+01:00"), "events[1].end", "negative duration"),
    (lambda e: e[0].update(end=e[0]["start"]), "events[0].end", "empty window"),
    (lambda e: e[1].update(start="2026-12-01T09:00:00+01:00", end="2026-12-01T10:00:00+01:00"),
     "events[1].start", "no observation window"),
    (lambda e: e[1].update(run_hours=90), "events[1].run_hours", "more than the window"),
    (lambda e: e[2].update(material="RM-NONE"), "events[2].material", "unknown material"),
    (lambda e: e[0].pop("run_hours"), "events[0].run_hours", "required"),
    (lambda e: e[1].update(run_hours=-1), "events[1].run_hours", "greater than or equal"),
    (lambda e: e[1].update(event="fire"), "events[1].event", "window"),
])
def test_bad_events_name_the_field(week_plans, edit, location, words):
    doc = valid_events(week_plans)
    edit(doc["events"])
    with pytest.raises(InputError) as err:
        parse_events(doc, week_plans[:1])
    text = str(err.value)
    assert location in text and words in text, text


def test_overlapping_windows_need_names(week_plans):
    doc = valid_events(week_plans)
    doc["events"].append(copy.deepcopy(doc["events"][0]))
    with pytest.raises(InputError, match="overlap"):
        parse_events(doc, week_plans[:1])


def test_events_csv_header_with_an_unknown_column_is_refused(week_plans, tmp_path):
    from riskengine.calibration.events import read_events

    path = tmp_path / "events.csv"
    path.write_text("event,resourse,start,end\n", encoding="utf-8")  # misspelt, and no rows
    with pytest.raises(InputError, match="header.resourse: unknown column"):
        read_events(path, week_plans[:1])


def test_toml_writer_round_trip():
    import tomllib

    doc = {"format": "riskengine.premises/1", "defaults": {"scrap_rate": 0.1 + 0.2,
           "breakdowns": {"mtbf_hours": {"dist": "exponential", "mean": 40.0}}},
           "materials": {"RM.odd key": {"late": {"probability": 0.5, "delay_hours": 3.0}}},
           "bands": [{"until_hours": 24, "measures": ["volume"]}, {"measures": ["volume"]}]}
    assert tomllib.loads(to_toml(doc, "a header")) == doc


# -- hand-made observations ---------------------------------------------------------------------

def _history(orders: list[list[str]]):
    """Plan L1: A (family F1), B (F2), C (F1), D (F2), one hour each; one plan per realized
    order, one week apart, operations prefixed by the week."""
    plans, records = [], []
    for w, order in enumerate(orders):
        t0 = 168.0 * w
        fam = {"A": "F1", "B": "F2", "C": "F1", "D": "F2"}
        ops = [op(f"{w}{n}", "P", 10, k, k + 1, family=fam[n]) for k, n in enumerate("ABCD")]
        doc = plan_dict(ops, id=f"v{w}", horizon_hours=24)
        doc["horizon"]["start"] = (datetime.fromisoformat(doc["horizon"]["start"])
                                   + timedelta(hours=t0)).isoformat()
        doc["published_at"] = doc["horizon"]["start"]
        plans.append(parse_plan(doc))
        records += [run(f"{w}{n}", 10, t0 + k, t0 + k + 1) for k, n in enumerate(order)]
    history = PlanHistory(plans)
    return history, parse_actuals({"format": "riskengine.actuals/1", "records": records}, history)


@pytest.mark.parametrize("order,expected", [
    ("ACBD", (1, 1, 0)),  # after A (F1) the operator takes C (F1) before B: a deviation
    ("ABCD", (0, 2, 0)),  # the plan kept at two opportunities: C after A, then D after B
    ("BACD", (0, 1, 1)),  # B first: no rule explains it (no family yet); then A kept, not D
])
def test_operator_deviation_replay_by_hand(order, expected):
    from riskengine.calibration.observations import observe

    history, actuals = _history([list(order)])
    assert observe(history, actuals, None, window=3, rule="same_family").deviation == expected


def test_open_repair_is_censored_at_the_window_end(week_plans):
    from riskengine.calibration.observations import observe

    doc = valid_events(week_plans)
    doc["events"][1].pop("end")  # still under repair when the window closed
    events = parse_events(doc, week_plans[:1])
    history = PlanHistory(week_plans[:1])
    actuals = parse_actuals({"format": "riskengine.actuals/1", "records": []}, history)
    obs = observe(history, actuals, events)
    assert obs.ttr["P1"].observed.size == 0
    # failure Monday 09:00, window ends next Monday 06:00: 165 h censored
    assert obs.ttr["P1"].censored.tolist() == [pytest.approx(165.0)]
    assert obs.tbf["P1"].observed.tolist() == [3.0] and obs.tbf["P1"].censored.tolist() == [77.0]
