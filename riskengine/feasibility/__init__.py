"""Plan checks before simulation (``riskengine check``) and the repair to the nearest executable plan."""

from riskengine.feasibility.checks import check
from riskengine.feasibility.repairs import Move, RepairResult, repair
from riskengine.feasibility.result import CHECK_FORMAT, KINDS, CheckResult, Finding

__all__ = ["CHECK_FORMAT", "KINDS", "CheckResult", "Finding", "Move", "RepairResult", "check", "repair"]
