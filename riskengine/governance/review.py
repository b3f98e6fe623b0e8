"""The review sheet of a plan: what a supervisor needs to validate it in ten minutes.

``review(plan, premises)`` checks the plan (:func:`riskengine.feasibility.check`),
scores it (:func:`riskengine.analysis.score.score`) and keeps what a review
needs (docs/design.md section 9):

1. the check's findings (errors first);
2. the operations least likely to be a HIT, each with the causes of its
   misses (P(miss with that cause) over replications) and their owners, its
   criticality and the check findings that name it;
3. the rigor advice against the bands: for volume, mix and sequence, how far
   ahead it holds with the chosen confidence and whether that reaches as far
   as the bands demand it;
4. the resources where failures start (criticality), each with its riskiest
   operation;
5. a flags template (operation, risk, note): the riskiest operations, then
   the operations named by check errors, with what the sheet knows about
   them in ``note`` and ``risk`` left for the supervisor.

The sheet is a function of the plan, the premises and the seed (the score is
reproducible), so it can be regenerated at sign-off and compared.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from riskengine.analysis.score import score as run_score
from riskengine.feasibility import check as run_check
from riskengine.governance.owners import Owners, owner_table
from riskengine.governance.review_documents import ReviewResult
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises
from riskengine.report.results import pct
from riskengine.report.terminal import iso_clock

#: Operations listed on the sheet (and in the flags template) by default.
TOP = 10
FLAG_COLUMNS = ("operation", "risk", "note")


def review(plan: Plan, premises: Premises, *, replications: int = 1000, seed: int = 0,
           engine: str = "kernel", top: int = TOP, confidence: float = 0.8,
           owners: Owners | None = None) -> ReviewResult:
    """The review sheet of ``plan`` under ``premises`` (module docstring).

    Parameters
    ----------
    plan, premises
        The plan version to review and the variability model.
    replications, seed, engine, confidence
        As for :func:`riskengine.analysis.score.score`.
    top
        How many of the operations least likely to be a HIT to list.
    owners
        The cause ownership table (default: :data:`riskengine.governance.owners.DEFAULT_OWNERS`).

    Returns
    -------
    ReviewResult
        ``riskengine.review/1``.

    Examples
    --------
    >>> import riskengine as rk
    >>> from riskengine.governance.review import review
    >>> plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    >>> sheet = review(plan, rk.read_premises("scenarios/example-factory/premises.toml"),
    ...                replications=200, seed=1, top=3)
    >>> [o["id"] for o in sheet.operations] == [r["operation"] for r in sheet.flags_template[:3]]
    True
    >>> sheet.check["summary"]["verdict"], len(sheet.operations)
    ('feasible', 3)
    """
    owners = owners or owner_table()
    checked = run_check(plan)
    scored = run_score(plan, premises, replications=replications, seed=seed, engine=engine,
                       confidence=confidence).to_dict()
    named = _findings_by_operation(checked)
    risky = _risky_operations(plan, scored, named, top, owners)
    return ReviewResult.build(
        plan={"id": plan.id, "status": plan.status,
              "validation": plan.validation.model_dump(mode="json") if plan.validation else None,
              "published_at": plan.published_at.isoformat(),
              "horizon_start": plan.horizon.start.isoformat(), "horizon_end": plan.horizon.end.isoformat(),
              "operations": len(plan.operations)},
        check=checked.to_dict(),
        forecast={"replications": scored["replications"], "seed": scored["seed"],
                  "plan_holds": scored["plan_holds"], "bts": scored["adherence"]["bts"],
                  "btp": scored["adherence"]["btp"], "bands": scored["bands"]},
        operations=risky,
        rigor=_rigor(scored.get("rigor_advice"), plan),
        resources=_resources(plan, scored),
        flags_template=flags_template(risky, checked, plan),
        warnings=checked.plan_warnings + scored["warnings"],
    )


def _findings_by_operation(checked) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for f in checked.findings:
        for o in f.operations:
            kinds = named.setdefault(o, [])
            if f.kind not in kinds:
                kinds.append(f.kind)
    return named


def _risky_operations(plan: Plan, scored: dict, named: dict[str, list[str]], top: int,
                      owners: Owners) -> list[dict]:
    """The ``top`` operations least likely to be a HIT (ties by id), with their causes."""
    crit = {o["id"]: o["criticality"] for o in (scored.get("criticality") or {}).get("operations", [])}
    rows = []
    for o in sorted(scored["operations"], key=lambda o: (o["hit"]["mean"], o["id"]))[:top]:
        op = plan.operations[plan.operation_index[o["id"]]]
        causes = sorted(o["causes"].items(), key=lambda kv: (-kv[1], kv[0]))
        c = crit.get(o["id"])
        rows.append({
            "id": o["id"], "resource": o["resource"], "product": op.product,
            "planned_start": op.start.isoformat(), "planned_end": op.end.isoformat(), "hit": o["hit"],
            "causes": [{"cause": k, "probability": v, "owner": owners[k][0]} for k, v in causes],
            "criticality": c if c and c["mean"] > 0 else None,
            "findings": named.get(o["id"], []),
        })
    return rows


def _rigor(advice: dict | None, plan: Plan) -> dict | None:
    """Each factor's horizon at the advice's confidence against what the bands demand."""
    if not advice:
        return None
    from datetime import timedelta

    factors = []
    for f in advice["factors"]:
        demanded = f["demanded_until_hours"]
        holds = f["horizon_hours"]
        enough = holds >= advice["horizon_hours"] if demanded is None else holds >= demanded
        factors.append({"factor": f["factor"], "holds_hours": holds,
                        "holds_until": (plan.horizon.start + timedelta(hours=holds)).isoformat(),
                        "demanded_hours": demanded, "enough": enough})
    return {"confidence": advice["confidence"], "factors": factors, "advice": list(advice["advice"])}


def _resources(plan: Plan, scored: dict) -> list[dict]:
    """Resources by criticality (plan order among equals), each with its riskiest operation."""
    riskiest: dict[str, dict] = {}
    for o in sorted(scored["operations"], key=lambda o: (o["hit"]["mean"], o["id"])):
        riskiest.setdefault(o["resource"], o)
    counts = {r.id: len(plan.sequences[r.id]) for r in plan.resources}
    order = {r.id: k for k, r in enumerate(plan.resources)}
    rows = [{"id": r["id"], "criticality": r["criticality"], "operations": counts[r["id"]],
             "riskiest": riskiest[r["id"]]["id"] if r["id"] in riskiest else None}
            for r in (scored.get("criticality") or {}).get("resources", [])]
    return sorted(rows, key=lambda r: (-r["criticality"]["mean"], order[r["id"]]))


def flags_template(risky: list[dict], checked, plan: Plan) -> list[dict]:
    """Template rows: the riskiest operations, then those named by check errors (each once)."""
    rows: dict[str, dict] = {}
    for o in risky:
        main = o["causes"][0]["cause"] if o["causes"] else None
        words = [f"P(HIT) {pct(o['hit']['mean'])}", *([f"mostly {main}"] if main else []),
                 *([f"check: {', '.join(o['findings'])}"] if o["findings"] else [])]
        rows[o["id"]] = {"operation": o["id"], "risk": "", "note": "; ".join(words)}
    for f in checked.errors:
        for name in f.operations:
            if name not in rows:
                op = plan.operations[plan.operation_index[name]]
                rows[name] = {"operation": name, "risk": "",
                              "note": f"check: {f.kind} (planned end {iso_clock(op.end.isoformat())})"}
    return list(rows.values())


def flags_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The flags template as CSV text (columns operation, risk, note)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FLAG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
