"""Which disruption sources and which resources cost the most adherence (a tornado).

Every variant of the premises, one source removed or halved, is scored with
the base seed, so replication k of each variant sees the same draws as
replication k of the base for everything else (common random numbers): the
gain of removing a source is a paired difference, estimated far more
precisely than two independent scores would allow.

Sources: breakdowns, absenteeism, performance, scrap, setup overrun (each
over all resources), each material's late and rejected lots, each shared
driver (``driver ID``: the common shock removed, or its probability halved),
the operator's deviation and each reliability factor; and per resource, all
of that resource's own disruptions together. Halving a source halves its
probability (lots, absences, deviation, scrap, reliability failure
1 - r, drivers), doubles its time between failures, or halves the distance of its
factor from 1 (performance, setup overrun: mean 1 - (1 - m)/2, cv / 2).
An uncertain number is changed by mapping every value it can take the same
way (:func:`_mapped`: a probability's values halved, a time between
failures' doubled, ...), keeping its identity so that each draw is the
base's draw mapped; where that has no closed form (an uncertain number
given by a beta, exponential, lognormal, gamma, weibull or normal) the
halved variant is skipped, as are factors without a principled halving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

from riskengine.analysis.cluster import connect
from riskengine.analysis.compare import paired_difference
from riskengine.analysis.score import simulate
from riskengine.model import distributions as d
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises, ResourcePremises
from riskengine.simulation.summary import BTS, HOLDS

if TYPE_CHECKING:
    from riskengine.analysis.documents import Sensitivity

RESOURCE_FIELDS = ("breakdowns", "absenteeism", "performance", "scrap_rate", "setup_overrun")


def _mapped(x, f):
    """``f(x)`` for a number; for an uncertain number, its distribution with every value mapped
    by the increasing affine map ``f`` (None when that has no closed form: beta, exponential,
    lognormal, ...). The result keeps the unknown's identity, so each draw is the base's draw
    mapped (inverse transform and PERT's affine form commute with f): a CRN-paired change."""
    if not isinstance(x, d.Uncertain):
        return f(x)
    u = x.uncertain
    if isinstance(u, d.Fixed):
        new = d.Fixed(dist="fixed", value=f(u.value))
    elif isinstance(u, d.Uniform):
        new = d.Uniform(dist="uniform", low=f(u.low), high=f(u.high))
    elif isinstance(u, d.Triangular):  # also PERT: the same type, bounds and mode mapped
        new = type(u)(dist=u.dist, low=f(u.low), mode=f(u.mode), high=f(u.high))
    elif isinstance(u, d.Empirical):
        new = d.Empirical(dist="empirical", values=[f(v) for v in u.values])
    else:
        return None
    mapped = d.Uncertain(uncertain=new, name=x.name)
    mapped._path = x._path
    return mapped


def _half(x, towards: float = 0.0):
    """A probability halved (``x / 2``), or a reliability's failure halved (``towards`` 1)."""
    if towards == 0.0:
        return _mapped(x, lambda v: v / 2)
    return _mapped(x, lambda v: towards - (towards - v) / 2)


def _halve_factor(dist):
    """A factor distribution (performance, overrun) moved halfway to 1 with half its spread."""
    if any(isinstance(getattr(dist, f), d.Uncertain) for f in type(dist).model_fields):
        if not isinstance(dist, d.Lognormal | d.Gamma):
            return None
        mean, cv = _mapped(dist.mean_, lambda v: 1 - (1 - v) / 2), _mapped(dist.cv, lambda v: v / 2)
        return None if mean is None or cv is None else type(dist)(dist=dist.dist, mean=mean, cv=cv)
    if isinstance(dist, d.Lognormal | d.Gamma):
        return type(dist)(dist=dist.dist, mean=1 - (1 - dist.mean()) / 2, cv=dist.cv / 2)
    if isinstance(dist, d.Normal):
        return d.Normal(dist="normal", mean=1 - (1 - dist.mean()) / 2, sd=dist.sd / 2)
    if isinstance(dist, d.Fixed):
        return d.Fixed(dist="fixed", value=1 - (1 - dist.value) / 2)
    return None  # no principled halving: the variant is skipped


def _halve_field(name: str, value):
    if value is None:
        return None
    if name == "breakdowns":
        tbf = value.mtbf_hours
        if isinstance(tbf, d.Exponential):
            mean = _mapped(tbf.mean_, lambda v: 2 * v)
            return None if mean is None else value.model_copy(update={"mtbf_hours": d.Exponential(
                dist="exponential", mean=mean)})
        if isinstance(tbf, d.Weibull):
            scale = _mapped(tbf.scale, lambda v: 2 * v)
            return None if scale is None else value.model_copy(update={"mtbf_hours": d.Weibull(
                dist="weibull", shape=tbf.shape, scale=scale)})
        return None
    if name == "absenteeism":
        half = _half(value.probability)
        return None if half is None else value.model_copy(update={"probability": half})
    if name == "scrap_rate":
        return _half(value)
    return _halve_factor(value)


def _materialized(p: Premises, resources: list[str]) -> Premises:
    """The same premises with the defaults written into every resource's own section, so a
    field set to None on one resource really removes that disruption there."""
    return p.model_copy(update={"defaults": ResourcePremises(),
                                "resources": {r: p.for_resource(r) for r in resources}})


def _changed(p: Premises, resources: list[str], names: tuple[str, ...], how: str) -> Premises | None:
    """Materialized premises with fields ``names`` of ``resources`` removed or halved
    (None when a field has no principled halving)."""
    res = dict(p.resources)
    for rid in resources:
        own = res[rid]
        update = {}
        for name in names:
            value = getattr(own, name)
            if value is None:
                continue
            new = None if how == "removed" else _halve_field(name, value)
            if how == "halved" and new is None:
                return None
            update[name] = new
        res[rid] = own.model_copy(update=update)
    return p.model_copy(update={"resources": res})


def variants(p: Premises, plan: Plan) -> list[tuple[str, str, str, Premises]]:
    """(kind, name, change, premises) for every source and every resource, removed and halved."""
    resources = [r.id for r in plan.resources]
    base = _materialized(p, resources)
    out = []
    for how in ("removed", "halved"):
        for name in RESOURCE_FIELDS:
            if any(getattr(base.resources[r], name) is not None for r in resources):
                q = _changed(base, resources, (name,), how)
                if q is not None:
                    out.append(("source", name, how, q))
        for mid, risk in p.materials.items():
            for lot in ("late", "rejected"):
                current = getattr(risk, lot)
                if current is None:
                    continue
                half = _half(current.probability)
                if how == "halved" and half is None:
                    continue
                new = None if how == "removed" else current.model_copy(update={"probability": half})
                lots = dict(base.materials) | {mid: risk.model_copy(update={lot: new})}
                variant = base.model_copy(update={"materials": lots})
                out.append(("source", f"material {mid} {lot}", how, variant))
        for did, driver in p.drivers.items():
            half = _half(driver.probability)
            if how == "halved" and half is None:
                continue
            drivers = {k: v for k, v in p.drivers.items() if k != did}
            if how == "halved":
                drivers[did] = driver.model_copy(update={"probability": half})
            out.append(("source", f"driver {did}", how, base.model_copy(update={"drivers": drivers})))
        dev = p.operator.deviation
        half = None if dev is None else _half(dev.probability)
        if dev is not None and (how == "removed" or half is not None):
            new = None if how == "removed" else dev.model_copy(update={"probability": half})
            operator = p.operator.model_copy(update={"deviation": new})
            out.append(("source", "operator deviation", how, base.model_copy(update={"operator": operator})))
        for cause, r in p.reliability.items():
            factors = {k: v for k, v in p.reliability.items() if k != cause}
            if how == "halved":
                factors[cause] = _half(r, towards=1.0)
                if factors[cause] is None:
                    continue
            out.append(("source", f"reliability {cause}", how,
                        base.model_copy(update={"reliability": factors})))
        for rid in resources:
            if any(getattr(base.resources[rid], f) is not None for f in RESOURCE_FIELDS):
                q = _changed(base, [rid], RESOURCE_FIELDS, how)
                if q is not None:
                    out.append(("resource", rid, how, q))
    return out


@dataclass
class SensitivityResult:
    """Gains in plan holds and BTS when each source (or resource) is removed or halved."""

    seed: int
    replications: int
    base: dict
    rows: list[dict]

    def to_dict(self) -> Sensitivity:
        return cast("Sensitivity", asdict(self))  # the fields and rows of the Sensitivity document

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def __str__(self) -> str:
        from riskengine.report.terminal import table

        return "\n".join(["  Sensitivity (CRN-paired gain if removed / halved)"]
                         + table(["kind", "source", "change", "plan holds", "BTS"],
                                 [[r["kind"], r["name"], r["change"], _points(r["plan_holds"]),
                                   _points(r["bts"])] for r in self.rows], align="lllrr"))


def _points(diff: dict) -> str:
    return "-" if diff["mean"] is None else f"{100 * diff['mean']:+.1f}pt"


def sensitivity(plan: Plan, premises: Premises, *, replications: int = 1000, seed: int = 0,
                engine: str = "kernel", progress: Callable[[int, int], None] | None = None,
                dask: Any = None) -> SensitivityResult:
    """Score the base premises and every variant with the same seed; rank by BTS gain.

    Parameters
    ----------
    plan, premises
        The validated plan and its variability model.
    replications, seed, engine
        As in :func:`riskengine.analysis.score.score`, for the base and every variant.
    progress
        Called after the base and after each variant with (replications done
        over all runs, replications in all).
    dask
        Spread every run over a Dask cluster, as in :func:`riskengine.analysis.score.score`.

    Returns
    -------
    SensitivityResult
        One row per variant (each disruption source or resource removed or
        halved): the paired difference (variant - base) of plan holds and BTS
        with its 95% interval (:func:`riskengine.analysis.compare.paired_difference`).

    Examples
    --------
    >>> import riskengine as rk
    >>> plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    >>> premises = rk.read_premises("scenarios/example-factory/premises.toml")
    >>> result = rk.sensitivity(plan, premises, replications=100, seed=1)
    >>> first = result.rows[0]
    >>> first["change"], sorted(first["bts"])[:3]
    ('removed', ['half_width_independent', 'half_width_paired', 'high'])
    """
    with connect(dask) as cluster:
        return _sensitivity(plan, premises, replications, seed, engine, progress, cluster)


def _sensitivity(plan: Plan, premises: Premises, replications: int, seed: int, engine: str,
                 progress: Callable[[int, int], None] | None, cluster: Any) -> SensitivityResult:
    runs = variants(premises, plan)
    total = replications * (1 + len(runs))
    compiled, base_acc = simulate(plan, premises, replications=replications, seed=seed, engine=engine,
                                  keep_head=True, dask=cluster)
    m = compiled.replications_per_draw if compiled.uncertain else 1  # nested: wider intervals
    if progress is not None:
        progress(replications, total)
    base = base_acc.headline()
    rows: list[dict[str, Any]] = []
    for k, (kind, name, change, variant) in enumerate(runs):
        _, acc = simulate(plan, variant, replications=replications, seed=seed, engine=engine, keep_head=True,
                          dask=cluster)
        if progress is not None:
            progress((k + 2) * replications, total)
        other = acc.headline()
        rows.append({"kind": kind, "name": name, "change": change,
                     "plan_holds": paired_difference(other[:, HOLDS], base[:, HOLDS], True, m),
                     "bts": paired_difference(other[:, BTS], base[:, BTS], True, m)})
    rows.sort(key=lambda r: (r["change"] != "removed", r["kind"], -(r["bts"]["mean"] or 0.0),
                             -(r["plan_holds"]["mean"] or 0.0), r["name"]))
    return SensitivityResult(seed=seed, replications=replications,
                             base={"plan_holds": float(base[:, HOLDS].mean()),
                                   "bts": float(base[:, BTS][base[:, BTS] == base[:, BTS]].mean())},
                             rows=rows)
