"""Generate the bundled example scenario: one week (wk47) of a small biscuit factory.

Run ``python scenarios/example-factory/make_example.py``; it writes plan-v1.json,
plan-v2.json, plan-v3.json and actuals.csv next to itself. The random generator has a
fixed seed, so running it again gives the same files. Times are kept in hours from the
horizon start (Monday 06:00 +01:00) and written as ISO 8601 with offset.
"""

from __future__ import annotations

import csv
import json
import math
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 47
T0 = datetime(2026, 11, 16, 6, 0, tzinfo=timezone(timedelta(hours=1)))  # Monday 06:00
HORIZON, WEEKEND, BUCKET = 168.0, 120.0, 8.0  # no production from Saturday 06:00
GAP = 0.75  # hours of cooling between the end of baking and the start of packing
VERSIONS = [("wk47-v1", 0.0), ("wk47-v2", 48.0), ("wk47-v3", 80.0)]  # id, publication (h)
RESOURCES = [
    {"id": "P1", "name": "Mixing and tunnel oven 1", "area": "processing"},
    {"id": "P2", "name": "Mixing and tunnel oven 2", "area": "processing"},
    {"id": "K1", "name": "Flow-wrap packing line", "area": "packing"},
    {"id": "K2", "name": "Carton packing line", "area": "packing"},
]
# family: processing line, packing line, setup hours there, raw materials, packaging material
FAMILIES = {
    "crackers": ("P1", "K1", 0.5, 0.25, ["RM-FLOUR-L23", "RM-OIL-V09"], "PK-FILM-F31"),
    "digestives": ("P1", "K2", 0.75, 0.5, ["RM-FLOUR-W07", "RM-SUGAR-S11"], "PK-CARTON-K12"),
    "cookies": ("P2", "K2", 1.0, 0.5, ["RM-FLOUR-L23", "RM-BUTTER-B04", "RM-SUGAR-S11"], "PK-TRAY-T05"),
    "wafers": ("P2", "K1", 1.25, 0.25, ["RM-FLOUR-L23", "RM-SUGAR-S11"], "PK-FILM-F31"),
    "bars": ("P2", "K1", 0.5, 0.25, ["RM-OATS-O02", "RM-HONEY-H03"], "PK-FILM-F34"),
}
# product: family, processing and packing rates (units per hour), extra raw material
PRODUCTS = {
    "CRK-SALT": ("crackers", 700, 850, None), "CRK-SESAME": ("crackers", 650, 850, "RM-SESAME-S02"),
    "CRK-RYE": ("crackers", 600, 790, "RM-FLOUR-R05"), "CRK-CHEESE": ("crackers", 600, 790, "RM-CHEESE-C07"),
    "DIG-CLASSIC": ("digestives", 650, 550, None), "DIG-MILKCHOC": ("digestives", 600, 530, "RM-CHOC-C15"),
    "DIG-DARKCHOC": ("digestives", 600, 530, "RM-CHOC-C16"),
    "COO-BUTTER": ("cookies", 650, 550, None), "COO-CHOC": ("cookies", 600, 540, "RM-CHOC-C15"),
    "COO-OAT": ("cookies", 650, 540, "RM-OATS-O02"), "COO-COCO": ("cookies", 600, 530, "RM-COCONUT-K01"),
    "WAF-VANILLA": ("wafers", 700, 820, None), "WAF-HAZEL": ("wafers", 700, 820, "RM-HAZEL-H08"),
    "WAF-LEMON": ("wafers", 700, 820, "RM-LEMON-L02"), "WAF-COCOA": ("wafers", 700, 820, "RM-COCOA-C03"),
    "BAR-HONEY": ("bars", 750, 850, None), "BAR-BERRY": ("bars", 700, 850, "RM-BERRY-B11"),
    "BAR-NUT": ("bars", 700, 850, "RM-HAZEL-H08"),
}
# orders per family: (two-operation orders, single-operation orders); single ones are bulk
# baking for the sister plant (processing only) or promotional re-packs from stock (packing only)
ORDER_MIX = {"crackers": (14, 3), "digestives": (11, 0), "cookies": (9, 3), "wafers": (10, 2), "bars": (7, 4)}
SINGLE = {"crackers": "P", "cookies": "P", "wafers": "K", "bars": "K"}


def iso(h: float) -> str:
    """Hours from the horizon start as an ISO 8601 time with offset (to the minute)."""
    return (T0 + timedelta(minutes=round(h * 60))).isoformat()


def bucket(h: float) -> int:
    """Index of the 8-hour bucket whose window (start, end] holds time ``h``."""
    return math.ceil(h / BUCKET - 1e-9) - 1


def new_op(order: str, product: str, qty: int, step: str, prio: float, release: float = 0.0) -> dict:
    """One operation of an order: step "P" (processing, -10) or "K" (packing, -20)."""
    family, _, _, extra = PRODUCTS[product]
    line_p, line_k, _, _, raw, pack = FAMILIES[family]
    materials = raw + ([extra] if extra else []) if step == "P" else [pack]
    op = {"id": f"{order}-{10 if step == 'P' else 20}", "order": order, "product": product,
          "family": family, "resource": line_p if step == "P" else line_k, "quantity": qty,
          "start": None, "end": None, "setup_hours": 0.0, "after": [], "materials": materials,
          "_prio": prio, "_release": release}
    return set_quantity(op, qty)


def set_quantity(op: dict, qty: int) -> dict:
    """Set the quantity and the run time it needs (quarter hours, at least one hour)."""
    _, rate_p, rate_k, _ = PRODUCTS[op["product"]]
    rate = rate_p if op["resource"].startswith("P") else rate_k
    op["quantity"], op["_run"] = qty, max(1.0, math.ceil(qty / rate * 4) / 4)
    return op


def order_book(rng: np.random.Generator) -> list[dict]:
    """The operations of the week's orders, with campaign priorities for the ovens."""
    ops, numbers = [], iter(1042 + rng.permutation(sum(map(sum, ORDER_MIX.values()))))
    for f_index, (family, (n_two, n_single)) in enumerate(ORDER_MIX.items()):
        products = [p for p, spec in PRODUCTS.items() if spec[0] == family]
        for k in range(n_two + n_single):
            order, product = f"WO{next(numbers)}", products[int(rng.integers(len(products)))]
            qty = int(rng.integers(10, 29)) * 100
            campaign = (k % 2) * 10 + f_index + rng.random() / 10  # two campaigns per family
            steps = "PK" if k < n_two else SINGLE[family]
            if "P" in steps:
                ops.append(new_op(order, product, qty, "P", campaign))
            if "K" in steps:
                ops.append(new_op(order, product, qty, "K", 0.0, float(rng.integers(6, 60))))
                if "P" in steps:  # packed after baking; released by the routing, not by stock
                    ops[-1]["after"], ops[-1]["_release"] = [ops[-2]["id"]], 0.0
    return ops


def dispatch(todo: list[dict], line: str, t: float, family: str | None) -> None:
    """Schedule operations on one line from time ``t``: an oven follows its campaign priority,
    a packer packs what is ready: urgent orders (negative priority) first, then the same family
    unless another operation has waited over 8 h."""
    while todo:
        ready = [o for o in todo if o["_release"] <= t + 1e-9]
        if not ready:
            t = min(o["_release"] for o in todo)
            continue
        urgent = [o for o in ready if o["_prio"] < 0]
        waited = [o for o in ready if t - o["_release"] > 8]
        if line.startswith("P"):
            op = min(ready, key=lambda o: o["_prio"])
        else:
            op = min(urgent or waited or ready, key=lambda o: (o["family"] != family, o["_release"]))
        spec = FAMILIES[op["family"]]
        op["setup_hours"] = 0.0 if op["family"] == family else spec[2 if line.startswith("P") else 3]
        op["start"], op["end"] = t, t + op["setup_hours"] + op["_run"]
        assert op["end"] <= WEEKEND, f"{op['id']} does not fit before the weekend"
        t, family = op["end"], op["family"]
        todo.remove(op)


def schedule(frozen: list[dict], todo: list[dict], pub: float, actual: dict[str, float]) -> list[dict]:
    """Plan ``todo`` after the ``frozen`` operations (which really end at ``actual`` when known):
    ovens first, then packers, each packing after its baking (routing)."""
    ops = frozen + todo
    by_id = {o["id"]: o for o in ops}
    ends = {o["id"]: math.ceil(max(o["end"], actual.get(o["id"], 0.0)) * 4) / 4 for o in frozen}
    for stage in "PK":
        for line in (r["id"] for r in RESOURCES if r["id"][0] == stage):
            kept = sorted((o for o in frozen if o["resource"] == line), key=lambda o: o["start"])
            for o in todo:
                if o["resource"] == line:
                    preds = [ends.get(p, by_id[p]["end"]) + GAP for p in o["after"]]
                    o["_release"] = max([pub, o["_release"], *preds])
            dispatch([o for o in todo if o["resource"] == line], line,
                     max([pub] + [ends[o["id"]] for o in kept]), kept[-1]["family"] if kept else None)
    lines = [r["id"] for r in RESOURCES]
    return sorted(ops, key=lambda o: (lines.index(o["resource"]), o["start"]))


def replan(plans: list[list[dict]], pub: float, new: list[dict], cancel: set[str], quantities: dict[str, int],
           material_from: dict[str, float]) -> list[dict]:
    """Re-publish the last of ``plans``: operations planned to start before ``pub`` stay as they
    were; the rest is planned again from the real state of the lines (how the week went so far),
    with new urgent orders first, cancelled orders removed, changed quantities and late
    materials (available only from the given hour)."""
    prev, actual = plans[-1], {}
    for r in simulate(plans):
        if r["operation"] and r["end"] is not None:
            actual[r["operation"]] = max(actual.get(r["operation"], 0.0), r["end"])
    frozen = [dict(o) for o in prev if o["start"] < pub]
    todo = [dict(o, _prio=o["start"]) for o in prev if o["start"] >= pub and o["order"] not in cancel]
    for o in todo:
        if o["order"] in quantities:
            set_quantity(o, quantities[o["order"]])
        late = [material_from[m] for m in o["materials"] if m in material_from]
        o["_release"] = max([0.0 if o["after"] else o["_release"], *late])
    for o in new:
        o["_prio"] = -1.0  # urgent: first in line
    return schedule(frozen, todo + new, pub, actual)


#: Three 8-hour shifts Monday to Friday; the Friday night shift ends Saturday 06:00.
CALENDARS = {"default": {"shifts": [
    {"name": "early", "days": ["mon-fri"], "start": "06:00", "end": "14:00"},
    {"name": "late", "days": ["mon-fri"], "start": "14:00", "end": "22:00"},
    {"name": "night", "days": ["mon-fri"], "start": "22:00", "end": "06:00"}]}}


def plan_text(version: str, pub: float, ops: list[dict], orders: list[dict]) -> str:
    """The riskengine.plan/1 JSON document of one version, one operation (and order) per line."""
    fields = ["id", "order", "product", "family", "resource", "quantity", "start", "end",
              "setup_hours", "after", "materials"]
    head = {"format": "riskengine.plan/1", "id": version, "published_at": iso(pub),
            "horizon": {"start": iso(0), "end": iso(HORIZON)}, "bucket_hours": BUCKET,
            "resources": RESOURCES, "calendars": CALENDARS}
    lines = [json.dumps({k: iso(o[k]) if k in ("start", "end") else o[k] for k in fields}) for o in ops]
    listed = {o["order"] for o in ops}
    rows = [json.dumps(o) for o in orders if o["id"] in listed]
    return (json.dumps(head, indent=1)[:-2] + ',\n "operations": [\n  ' + ",\n  ".join(lines)
            + '\n ],\n "orders": [\n  ' + ",\n  ".join(rows) + "\n ]\n}\n")


# customers of the packed orders (bulk bakes go to the sister plant, re-packs are promotions)
CUSTOMERS = ["Retail North", "Discount Chain", "Wholesale West", "Export EU"]
RUSH = {"WO1108": "Retail North", "WO1109": "Key Account South"}


def next_hour(h: float) -> float:
    return math.ceil(h - 1e-9)


def due_dates(plans: list[list[dict]]) -> list[dict]:
    """Each order's due date, promised when it entered the plan and kept at every re-plan: a fifth
    of the orders are due one hour after the planned completion of their first plan (tight), two
    fifths at the second shift change after it, the rest on the next morning's 06:00 truck after
    another full day; rush orders 1.5 h after their first planned completion. The class follows
    the order number (CRC-32), so the order book and the plans do not change."""
    first: dict[str, float] = {}  # the planned completion in the first plan listing the order
    steps: dict[str, set[str]] = {}  # "1": baking (-10), "2": packing (-20, -21)
    for ops in plans:
        ends: dict[str, float] = {}
        for o in ops:
            ends[o["order"]] = max(ends.get(o["order"], 0.0), o["end"])
            steps.setdefault(o["order"], set()).add(o["id"][-2])
        for order, end in ends.items():
            first.setdefault(order, end)
    orders = []
    for order, end in first.items():
        if order in RUSH:
            orders.append({"id": order, "due": iso(next_hour(end + 1.5)), "priority": 1,
                           "customer": RUSH[order]})
            continue
        kind = zlib.crc32(order.encode()) % 5
        if kind == 0:
            due = next_hour(end + 1.0)
        elif kind in (1, 2):
            due = (math.floor(end / BUCKET) + 2) * BUCKET
        else:
            due = (math.floor((end + 24.0) / 24.0) + 1) * 24.0
        bulk = "2" not in steps[order]
        repack = "1" not in steps[order]
        customer = "sister plant" if bulk else "promotions" if repack else \
            CUSTOMERS[zlib.crc32(order.encode()[::-1]) % len(CUSTOMERS)]
        orders.append({"id": order, "due": iso(due), "customer": customer})
    return sorted(orders, key=lambda o: o["id"])


# what happened on the shop floor, per operation: (kind, factor or hours, recorded cause);
# kinds: short/over (good quantity x factor), slow (run time x factor), delay (late start, hours),
# split (stopped after 55 %, restarted after the given hours), skip (a quantity-0 record), absent
EVENTS = {
    "WO1057-10": ("delay", 0.75, "setup"), "WO1089-10": ("short", 0.92, "quality"),
    "WO1065-20": ("over", 1.03, ""), "WO1098-20": ("delay", 2.0, "absenteeism"),
    "WO1091-20": ("skip", 0.0, "material"), "WO1083-10": ("split", 1.5, "breakdown"),
    "WO1058-10": ("short", 0.9, "performance"), "WO1088-10": ("slow", 1.15, ""),
    "WO1086-20": ("short", 0.95, "quality"), "WO1093-10": ("short", 0.6, "material"),
    "WO1108-10": ("over", 1.02, ""), "WO1049-10": ("slow", 1.3, "breakdown"),
    "WO1060-10": ("short", 0.93, ""), "WO1063-10": ("delay", 1.5, "absenteeism"),
    "WO1042-10": ("over", 1.05, ""), "WO1048-10": ("delay", 1.5, "setup"),
    "WO1092-10": ("short", 0.9, "performance"), "WO1075-20": ("absent", 0.0, ""),
    "WO1082-20": ("short", 0.85, ""), "WO1084-20": ("delay", 5.0, "breakdown"),
    "WO1071-20": ("split", 1.0, "breakdown"), "WO1068-20": ("delay", 1.5, "operational"),
    "WO1062-10": ("short", 0.88, "quality"), "WO1103-20": ("delay", 1.5, "absenteeism"),
    "WO1050-10": ("slow", 1.2, ""), "WO1042-20": ("short", 0.93, "performance"),
}
# operators started these before the operation planned just ahead of them on the line
SWAPS = ["WO1085-10", "WO1064-20", "WO1060-20", "WO1063-20", "WO1061-10"]
# unplanned runs after an operation: product, quantity, hours, recorded cause
UNPLANNED = {"WO1049-20": ("COO-BUTTER", 600, 1.0, "local-decision"),
             "WO1082-10": ("CRK-SALT", 800, 1.25, "")}


def simulate(plans: list[list[dict]]) -> list[dict]:
    """Execute the week line by line: each operation as planned in the version in effect when it
    was due to start, with small random noise, the EVENTS, SWAPS and UNPLANNED runs above, and
    packing never before the baking it needs has ended (hence the knock-on delays). The noise of
    an operation is seeded by its id, so it is the same whichever plan versions are simulated."""
    pubs = [pub for _, pub in VERSIONS] + [math.inf]
    todo = [o for k, ops in enumerate(plans) for o in ops if pubs[k] <= o["start"] < pubs[k + 1]]
    records, finished = [], {}

    def record(op_id: str, product: str, line: str, qty: float, start: float | None, cause: str,
               end: float | None = None) -> None:
        records.append({"operation": op_id, "product": product, "resource": line, "quantity": round(qty),
                        "start": start, "end": end, "cause": cause})

    for line in ("P1", "P2", "K1", "K2"):
        ops = sorted((o for o in todo if o["resource"] == line), key=lambda o: o["start"])
        slots, t, moved = [o["start"] for o in ops], 0.0, set()
        for op_id in (s for s in SWAPS if any(o["id"] == s for o in ops)):
            i = next(k for k, o in enumerate(ops) if o["id"] == op_id)
            ops[i - 1], ops[i] = ops[i], ops[i - 1]
            moved.update((ops[i - 1]["id"], ops[i]["id"]))
        for slot, o in zip(slots, ops, strict=True):
            kind, value, cause = EVENTS.get(o["id"], ("", 1.0, "local-decision" if o["id"] in moved else ""))
            rng = np.random.default_rng([SEED, zlib.crc32(o["id"].encode())])
            ready = max([slot + float(np.clip(rng.normal(0.05, 0.08), -0.2, 0.25))]
                        + [finished[p] + 0.5 for p in o["after"]])
            start = max(t, ready + (value if kind == "delay" else 0.0))
            hours = (o["end"] - o["start"]) * float(np.clip(rng.normal(1.0, 0.03), 0.95, 1.07))
            hours *= value if kind == "slow" else 1.0
            qty = o["quantity"] * (value if kind in ("short", "over") else 1.0)
            if kind in ("skip", "absent"):
                if kind == "skip":
                    record(o["id"], o["product"], line, 0, None, cause)
                continue
            pause = value if kind == "split" else 0.0
            end = start + hours + pause
            if not cause and not kind and bucket(end) > bucket(o["end"]):
                cause = "knock-on" if start > slot + 0.3 else "performance"
            if kind == "split":
                record(o["id"], o["product"], line, round(qty * 0.55), start, cause, start + hours * 0.55)
                qty, start = qty - round(qty * 0.55), start + hours * 0.55 + pause
            record(o["id"], o["product"], line, qty, start, cause, end)
            t = finished[o["id"]] = end
            if o["id"] in UNPLANNED:
                product, qty, hours, cause = UNPLANNED[o["id"]]
                record("", product, line, qty, t + 0.5, cause, t + 0.5 + hours)
                t += 0.5 + hours
    return sorted(records, key=lambda r: (r["start"] is None, r["start"] or 0.0, r["resource"]))


def versions(rng: np.random.Generator) -> list[list[dict]]:
    """The three plan versions of the week (see README.md for the story)."""
    v1 = schedule([], order_book(rng), 0.0, {})
    missed = next(o for o in v1 if o["id"] == "WO1091-20")  # not packed on Tuesday (material)
    redo = dict(missed, id="WO1091-21", _release=72.0)  # packed again once the cartons arrive
    v2 = replan([v1], 48.0, [*urgent("WO1108", "CRK-SALT", 2400), redo],
                cancel=set(), quantities={"WO1095": 1400}, material_from={"RM-COCONUT-K01": 72.0})
    v3 = replan([v1, v2], 80.0, urgent("WO1109", "CRK-CHEESE", 1600), cancel={"WO1045"},
                quantities={"WO1092": 2400}, material_from={})
    return [v1, v2, v3]


def urgent(order: str, product: str, qty: int) -> list[dict]:
    """A rush order inserted at a re-plan: baking, then packing."""
    bake, pack = new_op(order, product, qty, "P", 0.0), new_op(order, product, qty, "K", 0.0)
    pack["after"] = [bake["id"]]
    return [bake, pack]


def main() -> None:
    """Write the plan versions and the actuals next to this script."""
    plans = versions(np.random.default_rng(SEED))
    orders = due_dates(plans)
    for (version, pub), ops in zip(VERSIONS, plans, strict=True):
        path = HERE / f"plan-{version.split('-')[1]}.json"
        path.write_text(plan_text(version, pub, ops, orders), encoding="utf-8")
    with (HERE / "actuals.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["operation", "product", "resource", "quantity", "start", "end", "cause"])
        writer.writeheader()
        for r in simulate(plans):
            writer.writerow(r | {k: "" if r[k] is None else iso(r[k]) for k in ("start", "end")})


if __name__ == "__main__":
    main()
