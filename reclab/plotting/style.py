"""The book's figure style: one theme and a fixed size per kind of plot."""

from __future__ import annotations

import matplotlib as mpl
import seaborn as sns

__all__ = ["FIGSIZE", "use_book_style"]

#: Figure sizes in inches, one per kind of plot, so pages look consistent.
FIGSIZE = {
    "line": (6.4, 3.6),
    "wide": (9.6, 3.6),
    "square": (4.8, 4.8),
    "heatmap": (6.0, 5.0),
}


def use_book_style() -> None:
    """Apply the book's seaborn theme and the Matplotlib settings every figure shares."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update(
        {
            "figure.figsize": FIGSIZE["line"],
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.titleweight": "bold",
            "axes.titlesize": "medium",
        }
    )
