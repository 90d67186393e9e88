"""Learning-curve figures draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from reclab import plotting
from reclab.training import TrainingHistory


def test_learning_curves_from_histories_and_records():
    history = TrainingHistory(
        records=[
            {"epoch": 1, "loss": 3.0, "val_NDCG@10": 0.1},
            {"epoch": 2, "loss": 2.0, "val_NDCG@10": 0.3},
            {"epoch": 3, "loss": 1.5, "val_NDCG@10": 0.2},
        ]
    )
    fig = plotting.learning_curves({"a": history, "b": history.records}, title="t")
    left, right = fig.axes
    assert len(left.lines) == 2 and left.lines[0].get_ydata().tolist() == [3.0, 2.0, 1.5]
    assert right.lines[1].get_xdata().tolist() == [2.0]  # the best epoch is marked
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        plotting.learning_curves({}, title="t")


def test_quality_and_time():
    ax = plotting.quality_and_time(
        ["x", "y"], [0.1, 0.2], [1.0, 10.0], quality_label="q", title="t"
    )
    assert ax.get_xscale() == "log" and len(ax.texts) == 2
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="one of each"):
        plotting.quality_and_time(["x"], [0.1, 0.2], [1.0], quality_label="q", title="t")
