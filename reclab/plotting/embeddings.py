"""Figures of the embedding chapters: learning curves, 2-D projections, results with spread."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from reclab.plotting.style import FIGSIZE

__all__ = ["embedding_projection", "metric_with_spread", "train_validation_curves"]


def train_validation_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    ylabel: str,
    title: str,
    best_epoch: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per series (e.g. ``{"training": [...], "validation": [...]}``) against epoch.

    Args:
        curves: ``{label: values per epoch}``; epochs are numbered from 1.
        ylabel: the quantity and its unit, e.g. ``"RMSE (stars)"``.
        title: what to notice.
        best_epoch: draw a dotted vertical line at this epoch (the one early stopping kept).
        ax: axes to draw on; a new figure of the book's "line" size otherwise.
    """
    if not curves:
        raise ValueError("train_validation_curves: curves is empty; expected {label: values}")
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or not len(values):
            raise ValueError(
                f"train_validation_curves: {label!r} must be a non-empty 1-D sequence, got "
                f"shape {values.shape}"
            )
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", linestyle=":", label=f"kept (epoch {best_epoch})")
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.legend(frameon=False)
    return ax


def embedding_projection(
    coordinates: np.ndarray,
    groups: Sequence[str | None],
    *,
    title: str,
    annotations: Mapping[int, str] | None = None,
    other_label: str = "other",
    ax: Axes | None = None,
) -> Axes:
    """A 2-D scatter of projected embeddings, coloured by group; ``None`` = grey background.

    Args:
        coordinates: ``(n, 2)`` projected vectors (e.g. the first two principal components).
        groups: ``(n,)`` a group name per point, or ``None`` for points drawn as background.
        title: what to notice.
        annotations: ``{row: text}`` points to label (e.g. a few well-known titles).
        other_label: legend entry of the background points.
        ax: axes to draw on; a new square figure otherwise.
    """
    xy = np.asarray(coordinates, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"embedding_projection: coordinates must be (n, 2), got {xy.shape}")
    if len(groups) != len(xy):
        raise ValueError(
            f"embedding_projection: {len(groups)} groups for {len(xy)} points; expected one each"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["square"])
    labels = np.array(["" if g is None else str(g) for g in groups], dtype=object)
    background = labels == ""
    if background.any():
        ax.scatter(*xy[background].T, s=4, color="lightgrey", label=other_label, rasterized=True)
    for name in sorted(set(labels[~background])):
        rows = labels == name
        ax.scatter(*xy[rows].T, s=9, alpha=0.8, label=name, rasterized=True)
    for row, text in (annotations or {}).items():
        ax.annotate(text, xy[row], fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set(xlabel="first principal component", ylabel="second principal component", title=title)
    ax.legend(frameon=False, fontsize="small", markerscale=2)
    return ax


def metric_with_spread(
    means: Mapping[str, float],
    stds: Mapping[str, float],
    *,
    metric: str,
    title: str,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of a metric per model, with ±1 standard deviation over seeds.

    Args:
        means: ``{model: mean over seeds}``, drawn top to bottom in this order.
        stds: ``{model: standard deviation over seeds}`` (0 for deterministic baselines).
        metric: the metric's name, e.g. ``"NDCG@10 (full ranking)"``.
        title: what to notice.
        ax: axes to draw on; a new figure of the book's "line" size otherwise.
    """
    if set(means) != set(stds):
        raise ValueError(
            f"metric_with_spread: means and stds must name the same models, got "
            f"{sorted(means)} and {sorted(stds)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    names = list(means)
    y = np.arange(len(names))[::-1]
    ax.barh(y, [means[n] for n in names], xerr=[stds[n] for n in names], capsize=3)
    ax.set_yticks(y, names)
    ax.set(xlabel=metric, title=title)
    return ax
