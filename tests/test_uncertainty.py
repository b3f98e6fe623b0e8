"""Parameter uncertainty (issue 6, item 4): uncertain numbers, nested draws, variance split.

- a point mass ``{"uncertain": {"dist": "fixed", "value": x}}`` gives bit-identical
  replications to the plain number x, in both engines, wherever a number may be uncertain;
- the variance decomposition recovers the closed form of a Bernoulli mixture:
  Var(Y) = E[p(1 - p)] + Var[p];
- parameter draws are a pure function of seed, draw and the parameter's name (CRN across
  plans, any thread count or chunking), and the intervals account for the shared draws;
- bad uncertain numbers are rejected with the field named.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from builders import op, plan_dict
from click.testing import CliRunner

import riskengine as re
from riskengine.analysis.score import score, simulate
from riskengine.analysis.variance import decompose
from riskengine.cli import main
from riskengine.errors import InputError
from riskengine.io.readers import read_plan, read_premises
from riskengine.io.schema import schema
from riskengine.model.premises import check_premises_against, parse_premises
from riskengine.simulation.accumulate import Accumulators
from riskengine.simulation.compile import compile_model
from riskengine.simulation.parameters import parameterized
from riskengine.simulation.runner import run_kernel
from riskengine.simulation.statistics import design_effect, proportion
from riskengine.simulation.summary import HOLDS

FACTORY = Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"
ACC = ("op_hits", "op_lateness", "op_executed", "op_causes", "cause_misses", "cause_lost")


def point(x: float) -> dict:
    return {"uncertain": {"dist": "fixed", "value": x}}


def factory_data() -> dict:
    premises = read_premises(FACTORY / "premises.toml")
    data = premises.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["reliability"] = {"quality": 0.98}
    data["drivers"] = {"s": {"probability": 0.2, "materials": ["RM-COCONUT-K01", "RM-CHOC-C15"],
                             "delay_hours": {"dist": "gamma", "mean": 9.0, "cv": 0.5}}}
    return data


def with_point_masses(data: dict) -> dict:
    """Every kind of place an uncertain number may take, given as a point mass."""
    d = json.loads(json.dumps(data))
    d["defaults"]["scrap_rate"] = point(d["defaults"]["scrap_rate"])
    d["defaults"]["performance"]["mean"] = point(d["defaults"]["performance"]["mean"])
    d["defaults"]["performance"]["cv"] = point(d["defaults"]["performance"]["cv"])
    d["defaults"]["breakdowns"]["mtbf_hours"]["mean"] = point(80.0)
    d["resources"]["P1"]["breakdowns"]["mttr_hours"]["cv"] = point(0.7)
    d["resources"]["K1"]["absenteeism"]["probability"] = point(0.03)
    d["materials"]["RM-COCONUT-K01"]["late"]["probability"] = point(0.15)
    d["materials"]["RM-CHOC-C15"]["rejected"]["probability"] = point(0.03)
    d["operator"]["deviation"]["probability"] = point(0.08)
    d["reliability"]["quality"] = point(0.98)
    d["drivers"]["s"]["probability"] = point(0.2)
    d["drivers"]["s"]["delay_hours"]["mean"] = point(9.0)
    return d


def test_the_bare_number_form_of_a_duration_can_be_uncertain():
    p = parse_premises({"format": "riskengine.premises/1", "defaults": {"breakdowns": {
        "mtbf_hours": {"uncertain": {"dist": "uniform", "low": 30, "high": 50}}, "mttr_hours": 1}}})
    tbf = p.defaults.breakdowns.mtbf_hours
    assert tbf.dist == "exponential" and tbf.mean() == 40.0
    assert tbf.mean_.key == "defaults.breakdowns.mtbf_hours.mean"


@pytest.mark.parametrize("engine", ["kernel", "reference"])
def test_a_point_mass_gives_bit_identical_replications_to_the_plain_number(engine):
    plan = read_plan(FACTORY / "plan-v1.json")
    data = factory_data()
    plain = parse_premises(data)
    pinned = parse_premises(with_point_masses(data))
    n = 300 if engine == "kernel" else 12
    c1, a = simulate(plan, plain, replications=n, seed=5, engine=engine)
    c2, b = simulate(plan, pinned, replications=n, seed=5, engine=engine)
    assert not c1.uncertain and c2.uncertain and len(c2.par_keys) == 12
    assert np.array_equal(a.rows, b.rows, equal_nan=True)
    for name in ACC:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert 0 < np.nanmean(a.rows[:, HOLDS + 1]) < 1  # the premises do bite (BTS below 1)


def bernoulli_plan():
    return re.parse_plan(plan_dict([op("o1", "A", 10, 0, 1)], horizon_hours=8))


def bernoulli_premises(per_draw: int, low: float = 0.5, high: float = 0.9) -> re.Premises:
    return parse_premises({"format": "riskengine.premises/1",
                           "uncertainty": {"replications_per_draw": per_draw},
                           "reliability": {"quality": {"uncertain": {"dist": "uniform", "low": low,
                                                                     "high": high}}}})


def test_the_decomposition_recovers_a_bernoulli_mixture():
    """One operation that is a HIT with probability r, r ~ U(0.5, 0.9) unknown.

    Var(Y) = E[r(1 - r)] + Var[r] = 0.196667 + 0.013333 = 0.21. The tolerance is five
    standard errors of the ANOVA estimators (normal theory, Searle et al. 1992, 3.6:
    Var(MSW) = 2 MSW^2/(N - K), Var(sigma_b^2) = 2/n0^2 (MSB^2/(K - 1) + MSW^2/(N - K)))."""
    m, n = 10, 20_000
    result = score(bernoulli_plan(), bernoulli_premises(m), replications=n, seed=11)
    d = result.uncertainty["plan_holds"]
    a, b = 0.5, 0.9
    var_p = (b - a) ** 2 / 12
    within = (a + b) / 2 - ((a + b) ** 2 / 4 + var_p)  # E[r] - E[r^2]
    k = n // m
    msw = d["shop_floor_variance"]
    msb = msw + m * d["parameter_variance"]
    se_w = math.sqrt(2 * msw**2 / (n - k))
    se_b = math.sqrt(2 / m**2 * (msb**2 / (k - 1) + msw**2 / (n - k)))
    assert d["draws"] == k
    assert abs(msw - within) < 5 * se_w
    assert abs(d["parameter_variance"] - var_p) < 5 * se_b
    assert d["total_variance"] == pytest.approx(msw + d["parameter_variance"])
    share = d["parameter_share"]
    assert share["low"] <= var_p / (var_p + within) <= share["high"]
    # the mean is the mixture's mean, and its interval is the clustered one (wider than iid)
    holds = result.plan_holds
    deff = 1 + (m - 1) * var_p / (var_p + within)
    assert abs(holds["mean"] - 0.7) < 5 * math.sqrt(0.21 * deff / n)
    iid = proportion(np.array([1.0] * round(holds["mean"] * n) + [0.0] * (n - round(holds["mean"] * n))))
    assert holds["high"] - holds["low"] > 1.1 * (iid["high"] - iid["low"])
    assert "holds: " in str(result) and "of the variance from the parameters" in str(result)


def test_without_uncertainty_all_the_variance_is_the_shop_floors():
    fixed = parse_premises({"format": "riskengine.premises/1", "uncertainty": {"replications_per_draw": 10},
                            "reliability": {"quality": point(0.7)}})
    n, m = 4000, 10
    d = score(bernoulli_plan(), fixed, replications=n, seed=2).uncertainty["plan_holds"]
    assert d["parameter_share"]["low"] == 0.0
    # sampling noise only: the one-way ANOVA intraclass correlation at rho = 0 has variance
    # 2 / (m (m - 1) (k - 1)) (Donner & Koval 1980); the estimate is clipped at 0
    se = math.sqrt(2 / (m * (m - 1) * (n // m - 1)))
    assert d["parameter_share"]["mean"] < 5 * se


def test_decomposition_and_design_effect_by_hand():
    # groups (1, 2) and (3, 5): means 1.5 and 4, grand mean 2.75; MSB = 6.25, MSW = 1.25, n0 = 2
    d = decompose(np.array([1.0, 2.0, 3.0, 5.0]), 2)
    assert d["shop_floor_variance"] == pytest.approx(1.25)
    assert d["parameter_variance"] == pytest.approx(2.5)
    assert d["parameter_share"]["mean"] == pytest.approx(2 / 3)
    # an incomplete last group and an undefined figure are handled: (1, 2), (3, NaN), (4)
    d = decompose(np.array([1.0, 2.0, 3.0, np.nan, 4.0]), 2)
    assert d["draws"] == 3 and d["replications"] == 4
    assert decompose(np.array([1.0, 2.0, 3.0]), 1) is None
    # [1, 1 | 0, 0]: V_cluster = 2/1 * (1 + 1)/16 = 1/4, V_iid = (1/3)/4: deff 3
    assert design_effect(np.array([1.0, 1.0, 0.0, 0.0]), 2) == (pytest.approx(3.0), 2)
    assert design_effect(np.array([1.0, 0.0, 1.0, 0.0]), 2)[0] == 1.0  # never below 1


def test_parameter_draws_are_common_to_plans_and_follow_the_draw_index():
    premises = parse_premises(json.loads(json.dumps(factory_data()) .replace(
        '"probability": 0.15', '"probability": {"uncertain": {"dist": "beta", "alpha": 4, "beta": 20}}')))
    c1 = compile_model(read_plan(FACTORY / "plan-v1.json"), premises)
    c2 = compile_model(read_plan(FACTORY / "plan-v2.json"), premises)
    m = premises.uncertainty.replications_per_draw
    values = []
    for rep in range(4 * m):
        v1 = parameterized(c1, 9, rep).mat_late_p.max()
        v2 = parameterized(c2, 9, rep).mat_late_p.max()
        assert v1 == v2  # the coconut's late probability, whatever the plan
        values.append(v1)
    assert all(values[k] == values[k - k % m] for k in range(len(values)))  # shared within a draw
    assert len(set(values)) == 4  # and new with each draw
    assert parameterized(c1, 10, 0).mat_late_p.max() != values[0]  # a pure function of the seed too


def test_chunking_does_not_change_results_with_uncertain_parameters():
    plan = read_plan(FACTORY / "plan-v1.json")
    c = compile_model(plan, read_premises(FACTORY / "premises-uncertain.toml"))
    assert c.uncertain
    results = []
    for chunks in (1, 3, 7, 64):  # chunks that start inside a draw
        acc = Accumulators(c, 64)
        run_kernel(c, 7, 0, 64, acc, chunks=chunks)
        results.append(acc)
    for other in results[1:]:
        assert np.array_equal(results[0].rows, other.rows, equal_nan=True)
        for name in ACC:
            assert np.array_equal(getattr(results[0], name), getattr(other, name)), name


def test_the_example_with_uncertainty_scores_and_reports_the_split(tmp_path):
    out, report = tmp_path / "score.json", tmp_path / "score.html"
    res = CliRunner().invoke(main, ["score", str(FACTORY / "plan-v1.json"), "--premises",
                                    str(FACTORY / "premises-uncertain.toml"), "--replications", "500",
                                    "--json", str(out), "--report", str(report)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, schema("score"))
    jsonschema.validate(doc["premises"], schema("premises"))
    assert "Parameter uncertainty (5 uncertain parameters, 100 draws x 5 replications)" in report.read_text()
    u = doc["uncertainty"]
    assert u["replications_per_draw"] == 5 and u["draws"] == 100
    assert "resources.P1.breakdowns.mtbf_hours.mean" in u["parameters"]
    assert 0 <= u["bts"]["parameter_share"]["mean"] <= 1
    assert "Parameter uncertainty: 5 uncertain parameters" in res.output


def test_scores_without_uncertainty_have_no_section():
    plan = bernoulli_plan()
    plain = parse_premises({"format": "riskengine.premises/1", "reliability": {"quality": 0.7}})
    assert score(plan, plain, replications=50).uncertainty is None


BAD = [
    ("negative range", {"materials": {"M1": {"late": {"probability": {"uncertain": {
        "dist": "uniform", "low": 0.3, "high": 0.1}}, "delay_hours": 2}}}},
     "materials.M1.late.probability.uncertain.uniform", "high must be >= low"),
    ("support outside [0, 1]", {"defaults": {"scrap_rate": {"uncertain": {
        "dist": "uniform", "low": -0.1, "high": 0.2}}}},
     "defaults.scrap_rate", "must lie in [0, 1]"),
    ("negative mean time between failures", {"defaults": {"breakdowns": {"mttr_hours": 1, "mtbf_hours": {
        "uncertain": {"dist": "normal", "mean": 40, "sd": 10}}}}},
     "defaults.breakdowns.mtbf_hours", "must lie in (0, inf)"),
    ("unknown distribution name", {"resources": {"L1": {"absenteeism": {"probability": {
        "uncertain": {"dist": "betta", "alpha": 1, "beta": 2}}}}}},
     "resources.L1.absenteeism.probability.uncertain", "'betta'"),
    ("distribution instead of an uncertain number", {"operator": {"deviation": {"probability": {
        "dist": "uniform", "low": 0, "high": 1}}}},
     "operator.deviation.probability", 'written {"uncertain"'),
    ("nested uncertainty", {"defaults": {"performance": {"dist": "lognormal", "cv": 0.1, "mean": {
        "uncertain": {"dist": "exponential", "mean": {"uncertain": {"dist": "fixed", "value": 1}}}}}}},
     "defaults.performance.lognormal.mean", "must have plain numbers"),
    ("zero draws", {"uncertainty": {"replications_per_draw": 0}},
     "uncertainty.replications_per_draw", "greater than or equal to 1"),
]


@pytest.mark.parametrize("name, edit, where, phrase", BAD, ids=[b[0] for b in BAD])
def test_bad_uncertain_numbers_are_named(name, edit, where, phrase):
    with pytest.raises(InputError) as exc:
        parse_premises({"format": "riskengine.premises/1", **edit})
    problems = [str(p) for p in exc.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(where + ":"), problems
    assert phrase in problems[0], problems


def test_one_name_for_two_different_distributions_is_an_error():
    u = {"uncertain": {"dist": "uniform", "low": 0.1, "high": 0.2}, "name": "supplier"}
    v = {"uncertain": {"dist": "uniform", "low": 0.1, "high": 0.3}, "name": "supplier"}
    premises = parse_premises({"format": "riskengine.premises/1", "materials": {
        "M1": {"late": {"probability": u, "delay_hours": 2}},
        "M2": {"late": {"probability": v, "delay_hours": 2}}}})
    plan = re.parse_plan(plan_dict([op("o1", "A", 10, 0, 1, materials=["M1", "M2"])]))
    with pytest.raises(InputError) as exc:
        check_premises_against(premises, plan)
    assert str(exc.value.problems[0]).startswith("materials.M2.late.probability: the name 'supplier'")


def test_a_shared_name_gives_one_draw():
    u = {"uncertain": {"dist": "uniform", "low": 0.1, "high": 0.9}, "name": "supplier"}
    premises = parse_premises({"format": "riskengine.premises/1", "materials": {
        "M1": {"late": {"probability": u, "delay_hours": 2}},
        "M2": {"late": {"probability": u, "delay_hours": 2}}}})
    c = compile_model(re.parse_plan(plan_dict([op("o1", "A", 10, 0, 1, materials=["M1", "M2"])])), premises)
    assert list(c.par_keys) == ["supplier"]
    for rep in (0, 5, 10):
        late = parameterized(c, 3, rep).mat_late_p
        assert late[0] == late[1] and 0.1 < late[0] < 0.9


def test_halving_an_uncertain_source_halves_each_of_its_draws():
    """Sensitivity keeps the unknown's identity: the halved variant's draw k is the base's
    draw k halved (CRN-paired); an MTBF known within a range is doubled the same way."""
    from riskengine.analysis.sensitivity import variants

    plan = re.parse_plan(plan_dict([op("o1", "A", 10, 0, 1, materials=["M1"])]))
    premises = parse_premises({"format": "riskengine.premises/1", "materials": {"M1": {"late": {
        "probability": {"uncertain": {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.6}},
        "delay_hours": 2}}}, "defaults": {"breakdowns": {"mttr_hours": 1, "mtbf_hours": {
            "uncertain": {"dist": "uniform", "low": 20, "high": 60}}}}})
    found = {(name, change): q for _, name, change, q in variants(premises, plan)}
    base = compile_model(plan, premises)
    late = compile_model(plan, found["material M1 late", "halved"])
    tbf = compile_model(plan, found["breakdowns", "halved"])
    for rep in (0, 5, 10, 15):
        b = parameterized(base, 4, rep)
        assert parameterized(late, 4, rep).mat_late_p[0] == pytest.approx(b.mat_late_p[0] / 2, rel=1e-12)
        row = base.res_tbf_row[0]
        assert parameterized(tbf, 4, rep).dist[row, 1] == pytest.approx(2 * b.dist[row, 1], rel=1e-12)


def test_paired_differences_account_for_shared_draws():
    """x - y is constant within each draw of 5: the paired interval is sqrt(5) times wider
    than the independent-replications one would be (design effect 5, K - 1 degrees of freedom)."""
    from scipy import stats

    from riskengine.analysis.compare import paired_difference

    rng = np.random.default_rng(1)
    k, m = 200, 5
    y = rng.normal(size=k * m)
    x = y + np.repeat(rng.normal(size=k), m)
    plain = paired_difference(x, y, True)
    nested = paired_difference(x, y, True, m)
    ratio = (nested["high"] - nested["low"]) / (plain["high"] - plain["low"])
    t_ratio = stats.t.ppf(0.975, k - 1) / stats.t.ppf(0.975, k * m - 1)
    expected = math.sqrt(design_effect(x - y, m)[0]) * t_ratio
    assert ratio == pytest.approx(expected, rel=1e-12)
    # x - y is constant within draws: the cluster-robust over the iid variance of the mean is then
    # exactly (k m - 1) / (k - 1) (near m; statistics.design_effect with n = k m)
    assert design_effect(x - y, m)[0] == pytest.approx((k * m - 1) / (k - 1), rel=1e-12)


def test_a_plugin_runs_with_uncertain_parameters():
    """A plugin's compiled hook sees the nominal arrays (the string keys are left alone by its
    checks) and its change to a certain parameter survives the draws."""
    from riskengine import plugins

    class Slower:
        name = "slower_k"

        @staticmethod
        def compiled(c, plan, premises, options):
            c.res_absence_p[:] = 0.5

    plugins.register(Slower())
    try:
        premises = parse_premises({"format": "riskengine.premises/1", "plugins": {"slower_k": {}},
                                   "reliability": {"quality": {"uncertain": {"dist": "uniform",
                                                                             "low": 0.5, "high": 0.9}}},
                                   "defaults": {"absenteeism": {"probability": 0.1}}})
        c = plugins.compile_with_plugins(bernoulli_plan(), premises)
        assert parameterized(c, 1, 0).res_absence_p[0] == 0.5
        assert score(bernoulli_plan(), premises, replications=50).uncertainty["parameters"] == [
            "reliability.quality"]
    finally:
        plugins.unregister("slower_k")
