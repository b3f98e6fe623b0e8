"""What a planner must act on: the alerts of a forecast, and what changed since the previous one.

An *alert* is an operation still ahead (not done at the as-of time, its verdict not
settled) whose P(HIT) is below
the alert probability (``--alert``, default 0.8), with its main miss cause and when it
is now expected; orders join once plans have them (issue 18: the score's ``orders[]``
with ``on_time``, :func:`order_alerts`). A *change* is an operation whose P(HIT) moved
by at least :data:`MIN_CHANGE` since a previous forecast, with the event that moved it
most: what the forecast knows now and the previous one did not, taken in this order:

1. its verdict is now known (realized HIT or MISS, and its cause);
2. its resource is down now and was not then;
3. a lot it needs has a known arrival now that it did not have then (or another one);
4. its resource's crew is absent now and was not then;
5. otherwise its main miss cause now (what the simulation of the rest says moved it).
"""

from __future__ import annotations

from riskengine.errors import InputError, Problem
from riskengine.model.plan import Plan

#: Least change of P(HIT) (as a share) listed in ``changes``.
MIN_CHANGE = 0.05


def order_alerts(result: dict, alert: float, open_orders: set[str]) -> list[dict]:
    """The orders still open (``open_orders``: an operation of theirs not done at the as-of time)
    whose P(on time) is below ``alert``."""
    out = []
    for o in result.get("orders") or []:
        p = o.get("on_time")
        if o["id"] in open_orders and p is not None and p["mean"] < alert:
            out.append({"kind": "order", "id": o["id"], "resource": None, "probability": p,
                        "cause": o.get("main_cause"), "planned_end": o["due"],
                        "expected_end": (o.get("completion") or {}).get("p50")})
    return out


def alerts_of(operations: list[dict], result: dict, alert: float, ahead: set[str],
              open_orders: set[str]) -> list[dict]:
    """The operations still ahead (``ahead``: not done at the as-of time) and the orders still open
    below ``alert``, least likely first."""
    out = [{"kind": "operation", "id": o["id"], "resource": o["resource"], "probability": o["hit"],
            "cause": o["main_cause"], "planned_end": o["planned_end"], "expected_end": o["expected_end"]}
           for o in operations if o["id"] in ahead and not o["realized"] and o["hit"]["mean"] < alert]
    out += order_alerts(result, alert, open_orders)
    out.sort(key=lambda a: (a["probability"]["mean"], a["planned_end"], a["id"]))
    return out


def check_previous(doc: object, source: str | None = None) -> dict:
    """A previous forecast document: the fields ``changes`` reads, checked."""
    if not isinstance(doc, dict) or doc.get("format") != "riskengine.forecast/1":
        raise InputError(Problem("format", "must be a riskengine.forecast/1 document (riskengine forecast "
                                 "--json)"), source)
    problems = [Problem(name, "required") for name in ("as_of", "plan", "operations", "state")
                if name not in doc]
    ops = doc.get("operations")
    if isinstance(ops, list):
        for k, o in enumerate(ops):
            if not isinstance(o, dict) or not isinstance(o.get("id"), str) or not isinstance(
                    (o.get("hit") or {}).get("mean"), int | float):
                problems.append(Problem(f"operations[{k}]", "needs an id and hit.mean"))
    elif "operations" in doc:
        problems.append(Problem("operations", "must be a list"))
    if problems:
        raise InputError(problems, source)
    return doc


def _why(op_id: str, before: dict | None, now: dict | None, previous: dict, result: dict, plan: Plan) -> str:
    """The event that moved an operation most (module docstring, in that order)."""
    if now is None:
        return "no longer in the plan in effect"
    if now["realized"]:
        verdict = "HIT" if now["hit"]["mean"] > 0.5 else f"MISS ({now['main_cause'] or 'unknown'})"
        return f"realized: {verdict}"
    op = plan.operations[plan.operation_index[op_id]] if op_id in plan.operation_index else None
    state, then = result["state"], previous.get("state") or {}
    if op is not None:
        down_then = {d["resource"] for d in then.get("down", [])}
        for d in state["down"]:
            if d["resource"] == op.resource and d["resource"] not in down_then:
                return f"{op.resource} down since {d['since']}"
        lots_then = {(x["material"], x["arrival"]) for x in then.get("late_lots", [])}
        for lot in state["late_lots"]:
            if lot["material"] in op.materials and (lot["material"], lot["arrival"]) not in lots_then:
                return f"lot {lot['material']} expected {lot['arrival']}"
        absent_then = {a["resource"] for a in then.get("absent", [])}
        for a in state["absent"]:
            if a["resource"] == op.resource and a["resource"] not in absent_then:
                return f"crew of {op.resource} absent until {a['until']}"
    cause = now["main_cause"]
    if before is None:
        return f"new in the plan in effect; main cause {cause}" if cause else "new in the plan in effect"
    return f"main cause now {cause}" if cause else "no miss left in the replications"


def changes_since(previous: dict, result: dict, plan: Plan) -> tuple[list[dict], dict]:
    """The operations whose P(HIT) moved by at least :data:`MIN_CHANGE` since ``previous``, most
    first, and which forecast that was."""
    then = {o["id"]: o for o in previous["operations"]}
    now = {o["id"]: o for o in result["operations"]}
    out = []
    for op_id in dict.fromkeys([*now, *then]):
        b = then[op_id]["hit"]["mean"] if op_id in then else None
        a = now[op_id]["hit"]["mean"] if op_id in now else None
        change = None if a is None or b is None else a - b
        if change is not None and abs(change) < MIN_CHANGE:
            continue
        out.append({"kind": "operation", "id": op_id, "before": b, "now": a, "change": change,
                    "why": _why(op_id, then.get(op_id), now.get(op_id), previous, result, plan)})
    out.sort(key=lambda c: (-(abs(c["change"]) if c["change"] is not None else 2.0), c["id"]))
    return out, {"as_of": previous["as_of"], "plan": previous["plan"]}
