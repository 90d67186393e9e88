"""Figures of training: learning curves (loss and validation metric per epoch), loss comparisons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reclab.plotting.style import FIGSIZE

__all__ = ["learning_curves", "quality_and_time"]


def _column(history: Any, key: str) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(history, "column"):
        return history.column(key)
    rows = [(r["epoch"], r[key]) for r in history if key in r]
    if not rows:
        return np.zeros(0), np.zeros(0)
    epochs, values = zip(*rows, strict=True)
    return np.asarray(epochs, float), np.asarray(values, float)


def learning_curves(
    histories: Mapping[str, Any],
    *,
    metric: str = "val_NDCG@10",
    title: str,
    metric_label: str = "validation NDCG@10",
) -> Figure:
    """Training loss (left) and a validation metric (right) per epoch, one line per run.

    Args:
        histories: ``{name: history}``, each a :class:`reclab.training.TrainingHistory` or a
            list of per-epoch records (dicts with ``epoch``, ``loss`` and ``metric``).
        metric: the record key drawn on the right.
        title: the figure title (say what to notice).
        metric_label: the right panel's axis label.

    The best epoch of each run (highest ``metric``) is marked with a dot.
    """
    if not histories:
        raise ValueError("learning_curves: histories is empty; pass {name: history}")
    fig, (left, right) = plt.subplots(1, 2, figsize=FIGSIZE["wide"])
    for name, history in histories.items():
        epochs, loss = _column(history, "loss")
        (line,) = left.plot(epochs, loss, label=name)
        epochs, values = _column(history, metric)
        if len(values):
            right.plot(epochs, values, label=name, color=line.get_color())
            best = int(np.argmax(values))
            right.plot(epochs[best], values[best], "o", color=line.get_color())
    left.set(xlabel="epoch", ylabel="training loss", title="Training loss")
    right.set(xlabel="epoch", ylabel=metric_label, title="Validation (full ranking)")
    right.legend(frameon=False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def quality_and_time(
    names: Sequence[str],
    quality: Sequence[float],
    seconds: Sequence[float],
    *,
    quality_label: str,
    title: str,
    ax: Axes | None = None,
) -> Axes:
    """One point per configuration: seconds per epoch (x, log scale) against quality (y).

    Args:
        names: a label per point.
        quality: e.g. validation NDCG@10.
        seconds: e.g. seconds per training epoch.
        quality_label: the vertical axis label.
        title: the title (say what to notice).
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    if not len(names) == len(quality) == len(seconds):
        raise ValueError(
            f"quality_and_time: {len(names)} names, {len(quality)} qualities and "
            f"{len(seconds)} times; expected one of each per configuration"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    ax.scatter(seconds, quality, s=40)
    for name, x, y in zip(names, seconds, quality, strict=True):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 4))
    ax.set_xscale("log")
    ax.set(xlabel="seconds per training epoch (log scale)", ylabel=quality_label, title=title)
    ax.margins(x=0.25, y=0.2)
    return ax
