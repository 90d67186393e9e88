"""Figures of the setup chapter's checks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from reclab.plotting.style import FIGSIZE

__all__ = ["repeatability"]


def repeatability(
    first: np.ndarray,
    second: np.ndarray,
    other_seed: np.ndarray,
    *,
    seed: int,
    ax: Axes | None = None,
) -> Axes:
    """Scatter two runs against a first one: same seed on the diagonal, another seed off it.

    Args:
        first: values drawn in a first run with ``seed``.
        second: the same draw repeated with the same seed.
        other_seed: the same draw with a different seed.
        seed: the seed of ``first`` and ``second``, for the legend.
        ax: where to draw; a new figure of the book's ``"square"`` size when ``None``.
    """
    first, second, other_seed = (np.ravel(np.asarray(a)) for a in (first, second, other_seed))
    if not first.shape == second.shape == other_seed.shape:
        raise ValueError(
            "repeatability: the three runs must have the same number of values, got "
            f"{first.size}, {second.size} and {other_seed.size}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["square"])
    ax.scatter(first, other_seed, s=14, alpha=0.6, label="another seed", color="C1")
    ax.scatter(first, second, s=14, alpha=0.9, label=f"seed {seed} again", color="C0")
    low, high = float(first.min()), float(first.max())
    ax.plot([low, high], [low, high], color="grey", linewidth=1, linestyle="--", zorder=0)
    ax.set_xlabel(f"value in run 1 (seed {seed})")
    ax.set_ylabel("value in run 2")
    ax.set_title("Same seed, same numbers: run 2 lies on the diagonal")
    ax.legend(loc="upper left")
    return ax
