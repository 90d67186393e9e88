"""Figures of the data chapter: long tails, length and gap distributions, split timelines, bars."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reclab.plotting.style import FIGSIZE

__all__ = ["dataset_histograms", "labelled_bars", "long_tail", "split_timelines"]

#: Colours of the split parts, the same in every figure of the book.
SPLIT_COLOURS = {
    "train": "#0173b2",
    "validation": "#029e73",
    "test": "#d55e00",
}


def long_tail(counts: Mapping[str, np.ndarray], *, title: str, ax: Axes | None = None) -> Axes:
    """Item popularity against popularity rank, log-log, one line per data set.

    The axes are normalised so data sets of different sizes share the picture: the rank as a
    fraction of the catalogue and the count as a share of all events.

    Args:
        counts: ``{data set: events per item sorted in decreasing order}``, e.g. from
            :func:`reclab.data.item_popularity`.
        title: the title (say what to notice).
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    for name, c in counts.items():
        c = np.asarray(c, dtype=np.float64)
        if c.ndim != 1 or (np.diff(c) > 0).any():
            raise ValueError(f"long_tail: counts of {name!r} must be 1-D and sorted decreasing")
        rank = np.arange(1, len(c) + 1) / len(c)
        ax.loglog(rank, c / c.sum(), label=f"{name} ({len(c):,} items)")
    ax.set(
        xlabel="item popularity rank (fraction of catalogue, log scale)",
        ylabel="share of all events (log scale)",
        title=title,
    )
    ax.legend(frameon=False)
    return ax


def dataset_histograms(
    values: Mapping[str, np.ndarray],
    *,
    xlabel: str,
    title: str,
    log_x: bool = True,
    bins: int = 40,
    ax: Axes | None = None,
) -> Axes:
    """Overlaid histograms (as densities, so sizes do not matter), one per data set.

    Args:
        values: ``{data set: 1-D values}``, e.g. sequence lengths or time gaps.
        xlabel: the x-axis label, with its unit.
        title: the title (say what to notice).
        log_x: logarithmic bins and axis (positive values only; zeros are left out and the
            legend says how many).
        bins: number of bins.
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    for name, v in values.items():
        v = np.asarray(v, dtype=np.float64)
        label = name
        if log_x:
            positive = v[v > 0]
            if len(positive) < len(v):
                label += f" ({len(v) - len(positive):,} zeros not shown)"
            v = positive
            edges = np.geomspace(max(v.min(), 1e-9), v.max() * 1.0001, bins + 1)
        else:
            edges = np.linspace(v.min(), v.max(), bins + 1)
        ax.hist(v, bins=edges, density=True, histtype="step", linewidth=1.8, label=label)
    if log_x:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel="density" + (" (log scale)" if log_x else ""), title=title)
    ax.legend(frameon=True, loc="upper right", fontsize="small")
    return ax


def split_timelines(
    panels: Mapping[str, pd.DataFrame], *, title: str, time_unit: str = "date"
) -> Figure:
    """A few users' events on a time axis, coloured by split part, one panel per splitting rule.

    Args:
        panels: ``{rule: frame}`` where each frame has ``user_id``, ``timestamp`` (seconds
            since 1970) and ``part`` (``"train"``, ``"validation"`` or ``"test"``).
        title: the figure title (say what to notice).
        time_unit: ``"date"`` for calendar dates on the x axis, or ``"index"`` when the
            timestamps are positions (a logical clock).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=FIGSIZE["wide"], sharey=True, squeeze=False)
    for ax, (rule, frame) in zip(axes[0], panels.items(), strict=True):
        missing = {"user_id", "timestamp", "part"} - set(frame.columns)
        if missing:
            raise ValueError(f"split_timelines: panel {rule!r} lacks columns {sorted(missing)}")
        users = sorted(frame["user_id"].unique())
        row = {u: k for k, u in enumerate(users)}
        for part, colour in SPLIT_COLOURS.items():
            sub = frame[frame["part"] == part]
            x = sub["timestamp"].to_numpy()
            if time_unit == "date":
                x = pd.to_datetime(x, unit="s").to_numpy()
            ax.scatter(
                x,
                sub["user_id"].map(row),
                s=22 if part == "train" else 60,
                marker="o" if part == "train" else "D",
                color=colour,
                label=part,
                zorder=3 if part != "train" else 2,
                edgecolor="white",
                linewidth=0.5,
            )
        ax.set_yticks(range(len(users)), [f"user {u}" for u in users])
        if time_unit == "date":
            locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            ax.set_xlabel("time of the event (date)")
        else:
            ax.set_xlabel("position of the event")
        ax.set_title(rule)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def labelled_bars(
    values: Mapping[str, float],
    *,
    ylabel: str,
    title: str,
    fmt: str = "{:.1%}",
    ax: Axes | None = None,
) -> Axes:
    """One bar per entry with its value written on top (e.g. leakage per splitting rule).

    Args:
        values: ``{label: value}``, drawn in the given order.
        ylabel: the y-axis label, with its unit.
        title: the title (say what to notice).
        fmt: format of the printed values.
        ax: where to draw; a new ``"line"``-sized figure when ``None``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE["line"])
    labels = list(values)
    heights = [float(values[k]) for k in labels]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    bars = ax.bar(labels, heights, color=[colours[k % len(colours)] for k in range(len(labels))])
    ax.bar_label(bars, labels=[fmt.format(h) for h in heights], padding=2)
    ax.set(ylabel=ylabel, title=title)
    ax.set_ylim(0, max([*heights, 1e-12]) * 1.15)
    return ax
