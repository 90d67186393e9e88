"""Figures of the measuring chapter: metric@K per protocol and model, tie policies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reclab.plotting.style import FIGSIZE

__all__ = ["metric_at_k_by_protocol", "tie_policy_bars"]


def metric_at_k_by_protocol(
    ks: Sequence[int],
    values: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    metric: str,
    title: str,
) -> Figure:
    """One panel per protocol, one line per model: ``metric@K`` against ``K``.

    Each panel has its own vertical scale, since full-ranking and sampled numbers live on
    different scales; compare the *order* of the lines across panels.

    Args:
        ks: cut-offs, shape ``(P,)``.
        values: ``{protocol: {model: values at each K}}``.
        metric: the metric's name, e.g. ``"HR"``.
        title: the figure title (say what to notice).
    """
    ks = np.asarray(ks)
    fig, axes = plt.subplots(1, len(values), figsize=FIGSIZE["wide"], squeeze=False)
    for ax, (protocol, by_model) in zip(axes[0], values.items(), strict=True):
        for model, series in by_model.items():
            if np.shape(series) != ks.shape:
                raise ValueError(
                    f"metric_at_k_by_protocol: {protocol}/{model} has shape {np.shape(series)}, "
                    f"expected {ks.shape} like ks"
                )
            ax.plot(ks, series, marker="o", label=model)
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set(xlabel="cut-off K (log scale)", ylabel=f"{metric}@K", title=protocol)
        ax.legend(frameon=False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def tie_policy_bars(
    values: Mapping[str, Mapping[str, float]],
    *,
    metric: str,
    title: str,
    ax: Axes | None = None,
) -> Axes:
    """Grouped bars: one group per model, one bar per tie policy, value printed on each bar.

    Args:
        values: ``{model: {policy: value}}``, the same policies for every model.
        metric: the metric's name for the axis label, e.g. ``"HR@10"``.
        title: the figure title (say what to notice).
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    models = list(values)
    policies = list(values[models[0]]) if models else []
    if any(list(v) != policies for v in values.values()):
        raise ValueError("tie_policy_bars: every model needs the same tie policies, in order")
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    width = 0.8 / max(1, len(policies))
    x = np.arange(len(models))
    for j, policy in enumerate(policies):
        heights = [values[m][policy] for m in models]
        bars = ax.bar(x + (j - (len(policies) - 1) / 2) * width, heights, width, label=policy)
        ax.bar_label(bars, fmt="%.3f", fontsize="small")
    ax.set_xticks(x, models)
    ax.set(ylabel=metric, title=title)
    ax.legend(title="ties", frameon=False)
    return ax
