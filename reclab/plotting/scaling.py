"""Figures of scaling studies: quality against a size (parameters, events, FLOPs) on a log axis."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter

from reclab.plotting.style import FIGSIZE

__all__ = ["scaling_curves"]


def scaling_curves(
    series: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    fits: Mapping[str, Any] | None = None,
    references: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Measured points with their intervals and fitted curves, one colour per series.

    Args:
        series: ``{name: {"x": [...], "y": [...], "low": [...], "high": [...]}}``; ``low`` and
            ``high`` (an interval per point, e.g. a 95 % bootstrap interval) are optional.
        xlabel, ylabel, title: the labels (the title says what to notice); x is log-scaled.
        fits: ``{name: curve}``, a curve being callable on an array of x with an ``x_range``
            attribute (a :class:`reclab.evaluation.scaling.PowerLaw`); drawn dashed over its
            range in the series' colour.
        references: ``{name: value}`` drawn as grey horizontal lines (e.g. an oracle's ceiling).
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    if not series:
        raise ValueError("scaling_curves: series is empty; pass {name: {'x': ..., 'y': ...}}")
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (name, points) in enumerate(series.items()):
        x, y = np.asarray(points["x"], np.float64), np.asarray(points["y"], np.float64)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(
                f"scaling_curves: series {name!r} has {x.shape} x and {y.shape} y; "
                "expected one y per x"
            )
        order = np.argsort(x)
        colour = colours[index % len(colours)]
        if "low" in points and "high" in points:
            low = np.asarray(points["low"], np.float64)
            high = np.asarray(points["high"], np.float64)
            errors = np.vstack([y - low, high - y])[:, order]
            ax.errorbar(x[order], y[order], yerr=errors, fmt="o-", color=colour, capsize=3,
                        label=name)  # fmt: skip
        else:
            ax.plot(x[order], y[order], "o-", color=colour, label=name)
        curve: Callable[[np.ndarray], np.ndarray] | None = (fits or {}).get(name)
        if curve is not None:
            grid = np.geomspace(*curve.x_range, 100)
            ax.plot(grid, curve(grid), "--", color=colour, alpha=0.8, label=f"{name}: fit")
    for index, (name, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="0.4", linestyle=(":", "-.")[index % 2], label=name)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on a short log range
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(frameon=False, fontsize="small")
    return ax
