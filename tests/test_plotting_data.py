from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from reclab import plotting
from reclab.plotting import dataset_histograms, labelled_bars, long_tail, split_timelines


@pytest.fixture(autouse=True)
def _close():
    plotting.use_book_style()
    yield
    plt.close("all")


def test_exported_from_plotting() -> None:
    for name in ("long_tail", "dataset_histograms", "split_timelines", "labelled_bars"):
        assert name in plotting.__all__


def test_long_tail_normalises_axes() -> None:
    ax = long_tail({"a": np.array([8, 4, 2, 1, 1]), "b": np.array([3, 1])}, title="t")
    lines = ax.get_lines()
    assert len(lines) == 2 and ax.get_xscale() == "log" and ax.get_yscale() == "log"
    np.testing.assert_allclose(lines[0].get_xdata(), [0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(lines[0].get_ydata(), np.array([8, 4, 2, 1, 1]) / 16)
    assert "rank" in ax.get_xlabel() and ax.get_title() == "t"
    with pytest.raises(ValueError, match="sorted decreasing"):
        long_tail({"a": np.array([1, 2])}, title="t")


def test_histograms_log_and_linear_and_zero_count() -> None:
    ax = dataset_histograms({"gaps": np.array([0, 1, 10, 100])}, xlabel="gap (s)", title="t")
    assert ax.get_xscale() == "log" and "1 zeros not shown" in ax.get_legend().texts[0].get_text()
    ax = dataset_histograms({"len": np.arange(10)}, xlabel="events", title="t", log_x=False)
    assert ax.get_xscale() == "linear" and ax.get_xlabel() == "events"


def test_split_timelines_one_panel_per_rule() -> None:
    frame = pd.DataFrame({"user_id": [1, 1, 1, 2, 2], "timestamp": [0, 10**6, 2 * 10**6, 5, 9],
                          "part": ["train", "validation", "test", "train", "test"]})  # fmt: skip
    fig = split_timelines({"leave-last-out": frame, "random": frame}, title="T")
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "random"
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["user 1", "user 2"]
    fig = split_timelines({"x": frame}, title="T", time_unit="index")
    assert fig.axes[0].get_xlabel() == "position of the event"
    with pytest.raises(ValueError, match=r"lacks columns \['part'\]"):
        split_timelines({"x": frame.drop(columns="part")}, title="T")


@pytest.mark.parametrize("days", [0.01, 3, 400, 8000])
def test_split_timelines_date_axis_draws_without_warnings(days) -> None:
    start = 964_982_703
    frame = pd.DataFrame({"user_id": [1, 1, 2], "timestamp": [start, start + days * 86_400, start],
                          "part": ["train", "test", "validation"]})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = split_timelines({"a": frame, "b": frame}, title="T")
        fig.canvas.draw()


def test_labelled_bars_prints_values() -> None:
    ax = labelled_bars({"random": 0.48, "leave-last-out": 0.0}, ylabel="share", title="t")
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["48.0%", "0.0%"]
