"""Findings of a plan check (``riskengine.check/1``) and their health summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from riskengine.feasibility.documents import CheckDocument
from riskengine.report.terminal import prose

if TYPE_CHECKING:
    from riskengine.feasibility.repairs import RepairResult

CHECK_FORMAT = "riskengine.check/1"

Severity = Literal["error", "warning"]

#: Finding kinds in report order, with their severities (``setup`` has both).
KINDS: dict[str, tuple[str, ...]] = {
    "conflict": ("error",),      # two operations overlap on one resource
    "routing": ("error",),       # an operation starts before a routing predecessor ends
    "order": ("error",),         # an order's operations planned in reverse routing order
    "calendar": ("error",),      # planned in non-working time / window short of working time
    "setup": ("error", "warning"),  # ignored setup (error), avoidable changeover (warning)
    "capacity": ("error",),      # load above the working time of a resource in a bucket
    "material": ("error",),      # an operation starts before its material arrives
    "horizon": ("warning",),     # an operation (partly) outside the horizon
}

#: Findings listed in the terminal summary (the JSON has all of them).
MAX_LISTED = 200

VERDICTS = {"feasible": "executable as planned",
            "feasible_with_warnings": "executable, with warnings",
            "infeasible": "NOT executable as planned"}


@dataclass
class Finding:
    """One thing wrong with a plan: its kind, severity, the operations involved and why."""

    kind: str
    severity: Severity
    operations: list[str]
    message: str
    resource: str | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "operations": list(self.operations),
                "resource": self.resource, "message": self.message}

    def __str__(self) -> str:
        return f"{self.severity.upper():<7} {self.kind:<9} {self.message}"


@dataclass
class CheckResult:
    """The health of a plan before simulation (``to_dict()`` and a readable ``str``: docs/design.md
    section 1).

    Attributes
    ----------
    plan
        The plan version id.
    n_operations
        How many operations the plan has.
    findings
        Every finding, errors first, then by kind (:data:`KINDS` order) and time.
    repair
        The repair, when one was asked for.
    plan_warnings
        What the check says beyond its findings (``warnings`` in the document; they change
        neither the verdict nor the exit code): a plan in effect never validated by operations.
    """

    plan: str
    n_operations: int
    findings: list[Finding]
    repair: RepairResult | None = field(default=None)
    plan_warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no finding is an error (the plan is executable as planned)."""
        return not self.errors

    def of_kind(self, kind: str, severity: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind and severity in (None, f.severity)]

    @property
    def verdict(self) -> str:
        if self.errors:
            return "infeasible"
        return "feasible_with_warnings" if self.findings else "feasible"

    def summary(self) -> dict:
        """Counts by kind and severity, operations affected, verdict."""
        affected = {o for f in self.findings for o in f.operations}
        in_error = {o for f in self.errors for o in f.operations}
        by_kind = {k: {"error": 0, "warning": 0} for k in KINDS}
        for f in self.findings:
            by_kind[f.kind][f.severity] += 1
        n = self.n_operations
        return {
            "verdict": self.verdict,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "by_kind": {k: sum(v.values()) for k, v in by_kind.items()},
            "by_kind_and_severity": by_kind,
            "operations": n,
            "operations_affected": len(affected),
            "share_affected": len(affected) / n if n else 0.0,
            "operations_with_errors": len(in_error),
            "share_with_errors": len(in_error) / n if n else 0.0,
        }

    def to_dict(self) -> dict:
        return CheckDocument.checked(
            {"format": CHECK_FORMAT, "plan": self.plan, "summary": self.summary(),
             "findings": [f.to_dict() for f in self.findings],
             "repair": self.repair.to_dict() if self.repair is not None else None,
             "warnings": list(self.plan_warnings)})

    def brief(self, first: int = 5) -> dict:
        """What a score reports of the check (``plan_check``): the verdict, the counts, the errors
        by kind and the ``first`` errors."""
        by_kind: dict[str, int] = {}
        for f in self.errors:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
        return {"verdict": self.verdict, "errors": len(self.errors), "warnings": len(self.warnings),
                "by_kind": by_kind, "findings": [f.to_dict() for f in self.errors[:first]]}

    def to_frames(self) -> dict:
        """This result as tidy pandas DataFrames (extra ``pandas``; :mod:`riskengine.interop.results`)."""
        from riskengine.interop.results import to_frames

        return to_frames(self)

    def __str__(self) -> str:
        s = self.summary()
        lines = [f"Plan {self.plan}: {VERDICTS[self.verdict]}",
                 f"  {s['errors']} error(s), {s['warnings']} warning(s); {s['operations_affected']} of "
                 f"{s['operations']} operations affected ({100 * s['share_affected']:.0f}%), "
                 f"{s['operations_with_errors']} with errors"]
        counted = [(k, v) for k, v in s["by_kind_and_severity"].items() if sum(v.values())]
        if counted:
            lines.append("")
            for kind, v in counted:
                parts = [f"{v[sev]} {sev}{'s' * (v[sev] != 1)}" for sev in ("error", "warning") if v[sev]]
                lines.append(f"  {kind:<9} {', '.join(parts)}")
            lines.append("")
            lines += [f"  {f}" for f in self.findings[:MAX_LISTED]]
            if len(self.findings) > MAX_LISTED:
                lines.append(f"  ... and {len(self.findings) - MAX_LISTED} more (all of them in --json)")
        if self.repair is not None:
            lines += ["", *("  " + line for line in str(self.repair).splitlines())]
        if self.plan_warnings:
            lines.append("")
            lines += [line for w in self.plan_warnings for line in prose(f"warning: {w}")]
        return "\n".join(lines)


def plan_check_words(brief: dict | None) -> str | None:
    """"This plan has 3 errors (1 conflict, 2 setup): ..." for a score whose plan ``check`` finds
    errors (``brief``: :meth:`CheckResult.brief`); None without errors."""
    if not brief or not brief["errors"]:
        return None
    n = brief["errors"]
    kinds = ", ".join(f"{count} {kind}" for kind, count in brief["by_kind"].items())
    return (f"This plan has {n} error{'s' * (n != 1)} ({kinds}; riskengine check lists them): it is "
            "not executable as planned. The score executes it as the shop floor would (overlapping "
            "operations one after the other, the setups the matrix requires, the calendar, the lots' "
            "arrival) and charges the delay to planning.")
