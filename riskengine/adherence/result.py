"""The measurement result (``riskengine.measurement/1``) and its terminal summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from riskengine.adherence.figures import pct

MEASUREMENT_FORMAT = "riskengine.measurement/1"


@dataclass
class Measurement:
    """Realized adherence: counts and ratios in total, per bucket, band, resource,
    area and product, every measured operation's HIT/MISS, and the cause Pareto.

    A ratio is ``None`` where nothing was planned. ``main_impact`` names the
    factor (volume, mix or sequence) with the lowest value in total.
    """

    plans: list[dict]
    timeline: dict
    rules: dict
    total: dict
    buckets: list[dict]
    bands: list[dict]
    resources: list[dict]
    areas: list[dict]
    products: list[dict]
    operations: list[dict]
    causes: list[dict]
    data_quality: dict
    main_impact: str | None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"format": MEASUREMENT_FORMAT, **asdict(self)}

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def __str__(self) -> str:
        t = self.total
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
        lines += ["", "  Band      rigor                    score     V       M       Sq     buckets"]
        for b in self.bands:
            rigor = " x ".join(m[0].upper() + ("q" if m == "sequence" else "") for m in b["measures"])
            lines.append(f"  {b['band']:<9} {rigor:<24} {pct(b['score']):>7} {pct(b['volume']):>7}"
                         f" {pct(b['mix']):>7} {pct(b['sequence']):>7} {b['buckets']:>6}")
        lines += ["", "  Bucket                      plan         planned  produced    BTS      BTP"]
        for b in self.buckets:
            lines.append(f"  {b['start'][:16]:<27} {b['plan'][:12]:<12} {b['planned']:>8g} "
                         f"{b['produced']:>9g} {pct(b['bts']):>7} {pct(b['btp']):>8}")
        if self.resources:
            lines += ["", "  Resource      BTS     volume   mix      sequence"]
            for r in self.resources:
                lines.append(f"  {r['id'][:12]:<12} {pct(r['bts']):>7} {pct(r['volume']):>8} "
                             f"{pct(r['mix']):>8} {pct(r['sequence']):>8}")
        dq = self.data_quality
        hits = dq["operations"] - dq["misses"]
        lines += ["", f"  Operations: {hits} HIT, {dq['misses']} MISS of {dq['operations']}"]
        if self.causes:
            lines.append("  Causes of misses (count, lost units):")
            for c in self.causes[:6]:
                lines.append(f"    {c['cause']:<15} {c['misses']:>5}  {c['lost_units']:>9g}"
                             f"  {pct(c['share'], 0):>5}")
        lines.append(f"  Misses without a recorded cause: {dq['misses_without_cause']} "
                     f"({pct(dq['share_without_cause'], 0)})")
        if dq["unplanned_units"]:
            lines.append(f"  Unplanned production: {dq['unplanned_units']:g} units")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)
