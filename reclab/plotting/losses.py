"""Figures of the loss-functions chapter: losses with their gradients, sampled-softmax bias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reclab.plotting.style import FIGSIZE

__all__ = ["loss_and_gradient_curves", "sampled_estimate_convergence"]


def loss_and_gradient_curves(
    x: Sequence[float],
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    xlabel: str,
    title: str,
) -> Figure:
    """Two panels side by side: each loss against ``x`` (left) and its derivative (right).

    Args:
        x: the input on the horizontal axis (e.g. the logit :math:`z`), shape ``(P,)``.
        curves: ``{name: (loss_values, gradient_values)}``, each of shape ``(P,)``.
        xlabel: the horizontal axis label, with units or symbol.
        title: the figure title (say what to notice).
    """
    x = np.asarray(x, dtype=float)
    for name, (loss, grad) in curves.items():
        if np.shape(loss) != x.shape or np.shape(grad) != x.shape:
            raise ValueError(
                f"loss_and_gradient_curves: curve {name!r} has shapes {np.shape(loss)} and "
                f"{np.shape(grad)}, expected {x.shape} like x"
            )
    fig, (left, right) = plt.subplots(1, 2, figsize=FIGSIZE["wide"], sharex=True)
    for name, (loss, grad) in curves.items():
        left.plot(x, loss, label=name)
        right.plot(x, grad, label=name)
    left.set(xlabel=xlabel, ylabel="loss", title="Loss")
    right.set(xlabel=xlabel, ylabel=f"d loss / d {xlabel.split()[0]}", title="Gradient")
    right.axhline(0.0, color="0.5", lw=0.8)
    left.legend(frameon=False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def sampled_estimate_convergence(
    num_samples: Sequence[int],
    estimates: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    *,
    reference: float | None,
    ylabel: str,
    title: str,
    reference_label: str = "full softmax",
    ax: Axes | None = None,
) -> Axes:
    """Estimates against the number of sampled negatives, with a band, on a log axis.

    Args:
        num_samples: the sample sizes :math:`M`, shape ``(P,)``.
        estimates: ``{name: (mean, low, high)}`` over repeated draws, each shape ``(P,)``.
        reference: the exact value (a horizontal line), or ``None``.
        ylabel, title: axis label and title (say what to notice).
        reference_label: legend entry of the reference line.
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    m = np.asarray(num_samples, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    for name, (mean, low, high) in estimates.items():
        if not (np.shape(mean) == np.shape(low) == np.shape(high) == m.shape):
            raise ValueError(
                f"sampled_estimate_convergence: estimate {name!r} must have shape {m.shape}"
            )
        (line,) = ax.plot(m, mean, marker="o", label=name)
        ax.fill_between(m, low, high, color=line.get_color(), alpha=0.2)
    if reference is not None:
        ax.axhline(reference, color="black", ls="--", lw=1.0, label=reference_label)
    ax.set_xscale("log")
    ax.set(xlabel="sampled negatives M (log scale)", ylabel=ylabel, title=title)
    ax.legend(frameon=False)
    return ax
