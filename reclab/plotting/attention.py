"""Figures of the attention chapter: weights, masks, the variance of dot products, positions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from reclab.plotting.style import FIGSIZE

__all__ = [
    "attention_heatmap",
    "dot_product_variance",
    "mask_pictures",
    "position_ablation",
    "position_table",
]


def attention_heatmap(
    weights: np.ndarray,
    *,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    mask: np.ndarray | None = None,
    annotate: bool = False,
    title: str = "Attention weights",
    ax: Axes | None = None,
) -> Axes:
    """Draw attention weights ``(T, S)``: one row per query, one column per key.

    Args:
        weights: a 2-D array of weights in [0, 1] (rows usually sum to one).
        query_labels, key_labels: tick labels (e.g. movie titles); positions when ``None``.
        mask: boolean ``(T, S)``, True = attend; masked cells are drawn grey and left blank.
        annotate: write each weight in its cell (for small matrices).
        title: the figure title (say what to notice).
        ax: where to draw; a new figure of the book's ``"heatmap"`` size when ``None``.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(
            f"attention_heatmap: weights must be 2-D (queries, keys), got shape {weights.shape}"
        )
    if mask is not None and np.shape(mask) != weights.shape:
        raise ValueError(
            f"attention_heatmap: mask has shape {np.shape(mask)}, expected {weights.shape}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["heatmap"])
    ax.set_facecolor("0.85")  # masked cells show the background
    sns.heatmap(
        weights,
        mask=None if mask is None else ~np.asarray(mask, dtype=bool),
        vmin=0.0,
        vmax=max(float(weights.max()), 1e-12),
        cmap="rocket_r",
        annot=annotate,
        fmt=".2f",
        cbar_kws={"label": r"weight $\alpha$"},
        xticklabels=key_labels if key_labels is not None else "auto",
        yticklabels=query_labels if query_labels is not None else "auto",
        linewidths=0.5,
        linecolor="white",
        ax=ax,
    )
    ax.tick_params(axis="y", labelrotation=0)  # titles read left to right
    ax.grid(False)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title)
    return ax


def mask_pictures(
    masks: Mapping[str, np.ndarray],
    *,
    title: str = "Which keys each query may attend to",
    axes: Sequence[Axes] | None = None,
) -> np.ndarray:
    """Draw boolean masks side by side: dark = attend (True), light = blocked (False).

    Args:
        masks: panel title -> boolean ``(T, S)`` mask (a ``(1, S)`` padding mask works too).
        title: the figure's overall title.
        axes: one Axes per mask; a new ``"wide"`` figure when ``None``.

    Returns:
        The array of Axes.
    """
    if not masks:
        raise ValueError("mask_pictures: masks is empty; pass at least one named mask")
    if axes is None:
        _, axes = plt.subplots(
            1, len(masks), figsize=FIGSIZE["wide"], squeeze=False, layout="constrained"
        )
        axes = axes[0]
    axes = np.asarray(axes)
    cmap = ListedColormap(["#f0f0f0", "#2b5d8a"])
    labelled = False
    for ax, (name, mask) in zip(axes, masks.items(), strict=True):
        mask = np.atleast_2d(np.asarray(mask, dtype=bool))
        ax.imshow(mask.astype(int), cmap=cmap, vmin=0, vmax=1)
        for (row, col), value in np.ndenumerate(mask):
            ax.text(col, row, "1" if value else "0", ha="center", va="center", fontsize=8,
                    color="white" if value else "0.4")  # fmt: skip
        ax.set_xticks(range(mask.shape[1]))
        ax.set_yticks(range(mask.shape[0]))
        ax.set_xlabel("key position $j$")
        if mask.shape[0] > 1 and not labelled:  # label the first square panel only
            ax.set_ylabel("query position $t$")
            labelled = True
        ax.set_title(name)
        ax.grid(False)
    axes[0].figure.suptitle(title, fontweight="bold")
    return axes


def dot_product_variance(
    dims: Sequence[int],
    raw_variance: Sequence[float],
    scaled_variance: Sequence[float],
    *,
    title: str = r"Dot products grow with $d$; dividing by $\sqrt{d}$ keeps them at 1",
    ax: Axes | None = None,
) -> Axes:
    r"""Measured variance of :math:`\mathbf{q}^\top\mathbf{k}` and of
    :math:`\mathbf{q}^\top\mathbf{k}/\sqrt{d}` against :math:`d` (log-log), with the line
    :math:`\mathrm{Var} = d`."""
    dims = np.asarray(dims, dtype=float)
    if not len(dims) == len(raw_variance) == len(scaled_variance):
        raise ValueError(
            "dot_product_variance: dims, raw_variance and scaled_variance must have the same "
            f"length, got {len(dims)}, {len(raw_variance)}, {len(scaled_variance)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    ax.plot(dims, dims, color="0.6", ls="--", label="theory: $d$")
    ax.plot(dims, raw_variance, "o-", label=r"measured Var$(\mathbf{q}^\top\mathbf{k})$")
    ax.plot(
        dims, scaled_variance, "s-", label=r"measured Var$(\mathbf{q}^\top\mathbf{k}/\sqrt{d})$"
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("dimension $d$")
    ax.set_ylabel("variance of the score")
    ax.set_title(title)
    ax.legend()
    return ax


def position_ablation(
    curves: Mapping[str, Sequence[float]],
    *,
    chance: float | None = None,
    ylabel: str = "validation accuracy",
    title: str = "Without positions, attention cannot tell where an item was",
    ax: Axes | None = None,
) -> Axes:
    """Learning curves (one value per epoch) of the same model with different position inputs.

    Args:
        curves: legend label -> values per epoch.
        chance: a horizontal reference line (e.g. the accuracy of guessing), or ``None``.
        ylabel: what the values are.
        title: the figure title.
        ax: where to draw; a new ``"line"`` figure when ``None``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, "o-", label=label, markersize=4)
    if chance is not None:
        ax.axhline(chance, color="0.5", ls=":", label="chance")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0.0, 1.02)
    ax.set_title(title)
    ax.legend(loc="center right")
    return ax


def position_table(
    table: np.ndarray,
    *,
    title: str = "Sinusoidal positions: fast waves on the left, slow ones on the right",
    ax: Axes | None = None,
) -> Axes:
    """Draw a position table ``(L, d)``: one row per position, one column per dimension."""
    table = np.asarray(table, dtype=float)
    if table.ndim != 2:
        raise ValueError(f"position_table: table must be 2-D (L, d), got shape {table.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    image = ax.imshow(table, aspect="auto", cmap="vlag", vmin=-1, vmax=1, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="value of $P_{t,k}$")
    ax.set_xlabel("dimension $k$")
    ax.set_ylabel("position $t$")
    ax.set_title(title)
    ax.grid(False)
    return ax
