"""Counts rows -> JSON-ready adherence figures (one place for the names and nulls)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from riskengine.adherence.arrays import COUNT_NAMES, N_RATIOS, RATIO_NAMES, ratios

#: Which ratio each band measure refers to.
MEASURE_RATIO = {"volume": 0, "mix": 1, "sequence": 2}


def _number(x: float) -> float | int | None:
    if not math.isfinite(x):
        return None
    return int(x) if float(x).is_integer() else float(x)


def ratio_row(counts: np.ndarray, units_sequence: bool) -> np.ndarray:
    """Volume, mix, sequence, BTP, BTS of a counts row (NaN when nothing planned)."""
    out = np.empty(N_RATIOS)
    ratios(np.ascontiguousarray(counts, dtype=np.float64), units_sequence, out)
    return out


def figures(counts: np.ndarray, units_sequence: bool) -> dict:
    """The contract's counts and ratios for one counts row; a ratio is null when S = 0."""
    row = {name: _number(counts[k]) for k, name in enumerate(COUNT_NAMES)}
    r = ratio_row(counts, units_sequence)
    row.update({name: _number(r[k]) for k, name in enumerate(RATIO_NAMES)})
    return row


def band_score(counts: np.ndarray, measures: Sequence[str], units_sequence: bool) -> float | None:
    """A band's score: the product of the ratios it measures (docs/design.md section 2)."""
    r = ratio_row(counts, units_sequence)
    score = 1.0
    for m in measures:
        score *= r[MEASURE_RATIO[m]]
    return _number(score)


def main_impact(counts: np.ndarray, units_sequence: bool) -> str | None:
    """The factor (volume, mix or sequence) that costs most: the lowest of the three."""
    r = ratio_row(counts, units_sequence)
    if not math.isfinite(r[0]):
        return None
    return min(MEASURE_RATIO, key=lambda m: (r[MEASURE_RATIO[m]], MEASURE_RATIO[m]))


def pct(x: float | None, digits: int = 1) -> str:
    """A ratio as a percentage for the terminal; '-' for nothing planned.

    Rounded to ``digits`` decimals, except that a share above 0 never shows as
    0% (``<0.5%`` with 0 digits, ``<0.05%`` with 1) nor one below 1 as 100%
    (``>99.5%``): the same 0.003 reads ``0.3%`` or ``<0.5%``, never ``0%``."""
    if x is None or not math.isfinite(x):
        return "-"
    v = 100 * x
    scale = 10.0**digits
    rounded = math.floor(v * scale + 0.5) / scale  # half up, as people round
    half = 0.5 / scale
    if v > 0 and rounded == 0:
        return f"<{half:.{digits + 1}f}%"
    if v < 100 and rounded == 100:
        return f">{100 - half:.{digits + 1}f}%"
    return f"{rounded:.{digits}f}%"
