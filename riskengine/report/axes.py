"""Shared look of the report figures: colours, percent axes, legends, error bars."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

COLORS = {"volume": "#4c72b0", "mix": "#dd8452", "sequence": "#55a868", "bts": "#8172b3",
          "btp": "#937860", "holds": "#c44e52", "chain": "#7f7f7f"}
LABELS = {"bts": "BTS", "btp": "BTP", "volume": "volume", "mix": "mix", "sequence": "sequence"}


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new pyplot figure (pyplot is imported only then)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def percent_axis(ax: Axes, axis: str = "y", top: float = 1.0) -> None:
    """Limits 0..top on ``axis``, ticks as whole percentages."""
    getattr(ax, f"set_{axis}lim")(0.0, top)
    getattr(ax, f"{axis}axis").set_major_formatter(PercentFormatter(1.0, decimals=0))


def legend_above(ax: Axes, title: str, ncols: int) -> None:
    """Title on top, the legend in one row between it and the plot (never over the data)."""
    ax.set_title(title, pad=24)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=ncols, fontsize="small", frameon=False)


def error_bars(estimates: list[dict | None]) -> np.ndarray:
    """Asymmetric error bars (2 x n) from estimates' low/high around their mean (0 where None)."""
    return np.array([[e["mean"] - e["low"], e["high"] - e["mean"]] if e else [0.0, 0.0]
                     for e in estimates]).T.reshape(2, len(estimates))
