"""The measurement result (``riskengine.measurement/1``) and its terminal summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import Field

from riskengine.adherence.documents import (
    Accountability,
    BandFigures,
    BucketFigures,
    CauseCount,
    DataQuality,
    Factor,
    OperationOutcome,
    PlanVersion,
    ProductFigures,
    Rules,
    ScopeFigures,
    Timeline,
)
from riskengine.adherence.figures import pct
from riskengine.adherence.order_measure import OrderOutcome, TotalFigures, order_outcome_lines
from riskengine.governance.documents import OwnerCount
from riskengine.governance.text import accountability_lines, cause_lines, owner_lines
from riskengine.io.documents import Document
from riskengine.report.terminal import hit_definition, iso_clock, prose, table, warning_lines

MEASUREMENT_FORMAT: Final = "riskengine.measurement/1"


class Measurement(Document):
    """Realized adherence: counts and ratios in total, per bucket, band, resource,
    area and product, every measured operation's HIT/MISS, and the cause Pareto.

    A ratio is ``None`` where nothing was planned. ``main_impact`` names the
    factor (volume, mix or sequence) with the lowest value in total.
    """

    format: Literal["riskengine.measurement/1"] = MEASUREMENT_FORMAT
    """The document's format and version."""
    plans: list[PlanVersion]
    """The plan versions, oldest publication first."""
    timeline: Timeline
    """The buckets laid from the earliest horizon start."""
    rules: Rules
    """The adherence rules used (bucket size, bands, tolerances, sequence basis)."""
    total: TotalFigures
    """The whole timeline (sums of the bucket counts, then divided); with orders, their OTIF."""
    buckets: list[BucketFigures]
    """Every bucket against the plan in effect at its start."""
    bands: list[BandFigures]
    """Every horizon band."""
    resources: list[ScopeFigures]
    """Every resource measured on its own."""
    areas: list[ScopeFigures]
    """Every area (resources sharing an ``area``) measured on its own."""
    products: list[ProductFigures]
    """Planned and produced units per product."""
    operations: list[OperationOutcome]
    """Every measured operation (those of the plan in effect for their planned bucket)."""
    causes: list[CauseCount]
    """The Pareto of misses by cause, most misses first."""
    data_quality: DataQuality
    """How complete the realized data is."""
    main_impact: Factor | None
    """The factor (volume, mix or sequence) with the lowest total value."""
    warnings: list[str] = Field(default_factory=list)
    """What the measurement had to assume."""
    owners: list[OwnerCount] = Field(default_factory=list)
    """The Pareto by owner: each owner's misses and lost units (sums of its causes' rows)."""
    accountability: Accountability | None = None
    """Adherence split by whether the plan in effect was validated, misses by side, flags."""
    orders: list[OrderOutcome] = Field(default_factory=list)
    """Every customer order due in the timeline: completed, on time, in full, OTIF (empty when the
    plans list no orders)."""

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def __str__(self) -> str:
        t = self.total
        r = self.rules
        lines = [
            f"Adherence measured over {self.timeline['buckets']} buckets of "
            f"{self.timeline['bucket_hours']:g} h against {len(self.plans)} plan version(s)",
            "",
            f"  Total   BTS {pct(t['bts'])}  =  volume {pct(t['volume'])} x mix {pct(t['mix'])}"
            f" x sequence {pct(t['sequence'])}    BTP {pct(t['btp'])}",
            f"          planned {t['planned']:g}, produced {t['produced']:g}, built to mix "
            f"{t['built_to_mix']:g}, orders in sequence {t['orders_in_sequence']:g} of "
            f"{t['orders_built_to_mix']:g}",
        ]
        if self.main_impact:
            lines.append(f"          the factor that costs most: {self.main_impact}")
        lines += ["", "  Horizon bands (by the time from the publication of the plan in effect)"]
        lines += table(["band", "rigor", "score", "V", "M", "Sq", "buckets"],
                       [[b["band"], " x ".join(m[0].upper() + ("q" if m == "sequence" else "")
                                               for m in b["measures"]),
                         pct(b["score"]), pct(b["volume"]), pct(b["mix"]), pct(b["sequence"]), b["buckets"]]
                        for b in self.bands], align="llrrrrr")
        lines += ["", "  Buckets (dates in the plans' offset)"]
        lines += table(["start", "plan in effect", "planned", "produced", "BTS", "BTP"],
                       [[iso_clock(b["start"]), b["plan"], f"{b['planned']:g}", f"{b['produced']:g}",
                         pct(b["bts"]), pct(b["btp"])] for b in self.buckets], align="llrrrr")
        if self.resources:
            lines += ["", "  Resources"]
            lines += table(["resource", "BTS", "volume", "mix", "sequence"],
                           [[x["id"], pct(x["bts"]), pct(x["volume"]), pct(x["mix"]), pct(x["sequence"])]
                            for x in self.resources])
        lines += self._operation_lines(r)
        lines += order_outcome_lines(self.orders, t)
        lines += warning_lines(self.warnings)
        return "\n".join(lines)

    def _operation_lines(self, r: Mapping[str, Any]) -> list[str]:
        dq = self.data_quality
        hits = dq["operations"] - dq["misses"]
        hit = hit_definition(self.timeline["bucket_hours"], r.get("lateness_tolerance_hours", 0.0),
                             r.get("quantity_tolerance", 1.0))
        lines = ["", *prose(hit + "."),
                 f"  Operations: {hits} HIT, {dq['misses']} MISS of {dq['operations']}"]
        lines += cause_lines(self.causes) + owner_lines(self.owners)
        lines.append(f"  Misses without a recorded cause: {dq['misses_without_cause']} "
                     f"({pct(dq['share_without_cause'], 0)})")
        if dq["unplanned_units"]:
            lines.append(f"  Unplanned production: {dq['unplanned_units']:g} units")
        return lines + accountability_lines(self.accountability)
