"""Figures of score matrices: users (or positions) against items."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes

from reclab.plotting.style import FIGSIZE

__all__ = ["score_heatmap"]


def score_heatmap(
    scores: np.ndarray,
    *,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    title: str = "Scores",
    ax: Axes | None = None,
) -> Axes:
    """Draw a ``(rows, items)`` score matrix as an annotated heatmap, best item of each row boxed.

    Args:
        scores: a 2-D array, one row per user or position, one column per item.
        row_labels, column_labels: tick labels; row and column numbers when ``None``.
        title: the figure title (say what to notice).
        ax: where to draw; a new figure of the book's ``"heatmap"`` size when ``None``.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(
            f"score_heatmap: scores must be 2-D (rows, items), got shape {scores.shape}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["heatmap"])
    sns.heatmap(
        scores,
        annot=True,
        fmt=".2f",
        cmap="viridis",
        cbar_kws={"label": "score $s(i)$"},
        xticklabels=column_labels if column_labels is not None else "auto",
        yticklabels=row_labels if row_labels is not None else "auto",
        ax=ax,
    )
    for row, column in enumerate(np.argmax(scores, axis=1)):
        ax.add_patch(plt.Rectangle((column, row), 1, 1, fill=False, edgecolor="white", lw=2.5))
    ax.set_xlabel("item")
    ax.set_ylabel("user")
    ax.set_title(title)
    return ax
