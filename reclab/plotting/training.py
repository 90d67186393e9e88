"""Figures of training: learning curves (loss and validation metric per epoch or per second), loss
comparisons, and what each position of a sequence is trained to predict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reclab.plotting.style import FIGSIZE

__all__ = ["learning_curves", "quality_and_time", "quality_over_time", "training_tasks"]


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


def quality_over_time(
    curves: Mapping[str, Sequence[Any]],
    *,
    title: str,
    ylabel: str = "validation NDCG@10",
    references: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Quality against training seconds: one colour per model, one line per run (seed).

    Args:
        curves: ``{model: [run, ...]}``, each run an array-like of ``(seconds, value)`` rows
            (e.g. cumulative training seconds and validation NDCG@10 after each epoch).
        title: the title (say what to notice).
        ylabel: the vertical axis label.
        references: ``{name: value}`` drawn as dashed horizontal lines (e.g. a baseline).
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    if not curves:
        raise ValueError("quality_over_time: curves is empty; pass {model: [runs]}")
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (name, runs) in enumerate(curves.items()):
        colour = colours[index % len(colours)]
        for run_index, run in enumerate(runs):
            points = np.asarray(run, dtype=np.float64).reshape(-1, 2)
            label = name if run_index == 0 else None
            ax.plot(points[:, 0], points[:, 1], color=colour, alpha=0.85, label=label)
    for index, (name, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="0.35", linestyle=("--", ":", "-.")[index % 3], label=name)
    ax.set(xlabel="training seconds", ylabel=ylabel, title=title)
    ax.legend(frameon=False)
    return ax


def training_tasks(
    tasks: Mapping[str, tuple[Sequence[str], Sequence[str]]],
    *,
    title: str,
) -> Figure:
    """What each position reads and what it is trained to predict, one panel per objective.

    Args:
        tasks: ``{objective: (inputs, targets)}``, two equally long lists of labels per
            objective: the token each position reads (e.g. an item, ``"[mask]"``) and the item it
            is trained to predict (``""``: no target at that position).
        title: the figure title (say what to notice).

    Positions with a target are shaded; an arrow joins each position's input to its target.
    """
    if not tasks:
        raise ValueError("training_tasks: tasks is empty; pass {objective: (inputs, targets)}")
    for name, (inputs, targets) in tasks.items():
        if len(inputs) != len(targets):
            raise ValueError(
                f"training_tasks: {name!r} has {len(inputs)} inputs and {len(targets)} targets; "
                "expected one target label (or '') per input"
            )
    width = max(len(inputs) for inputs, _ in tasks.values())
    fig, axes = plt.subplots(
        len(tasks), 1, figsize=(max(6.4, 1.15 * width), 1.9 * len(tasks)), squeeze=False
    )
    shade = plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    for ax, (name, (inputs, targets)) in zip(axes[:, 0], tasks.items(), strict=True):
        for t, (token, target) in enumerate(zip(inputs, targets, strict=True)):
            ax.add_patch(
                plt.Rectangle((t + 0.05, 0.05), 0.9, 0.9, fill=False, lw=1, edgecolor="0.5")
            )
            ax.text(t + 0.5, 0.5, token, ha="center", va="center", fontsize=9)
            if target:
                ax.add_patch(plt.Rectangle((t + 0.05, 1.55), 0.9, 0.9, color=shade, alpha=0.25))
                ax.text(t + 0.5, 2.0, target, ha="center", va="center", fontsize=9)
                ax.annotate(
                    "", xy=(t + 0.5, 1.5), xytext=(t + 0.5, 1.0),
                    arrowprops={"arrowstyle": "->", "color": "0.3"},
                )  # fmt: skip
        ax.set_xlim(0, width)
        ax.set_ylim(0, 2.5)
        ax.set_yticks([0.5, 2.0], ["reads", "predicts"])
        ax.set_xticks(np.arange(width) + 0.5, [f"t={t + 1}" for t in range(width)])
        ax.tick_params(length=0)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(name, loc="left")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig
