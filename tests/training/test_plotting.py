"""Learning-curve figures draw what they are given."""

from __future__ import annotations

import matplotlib
import matplotlib.text

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


def test_quality_over_time_draws_every_run_and_reference():
    curves = {"a": [[(1, 0.1), (2, 0.2)], [(1, 0.15), (3, 0.25)]], "b": [[(2, 0.05), (4, 0.3)]]}
    ax = plotting.quality_over_time(curves, title="t", references={"markov": 0.12})
    assert len(ax.lines) == 4 and ax.lines[1].get_xdata().tolist() == [1.0, 3.0]
    assert ax.lines[0].get_color() == ax.lines[1].get_color() != ax.lines[2].get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "markov"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="empty"):
        plotting.quality_over_time({}, title="t")


def test_training_tasks_shades_only_positions_with_a_target():
    tasks = {
        "causal": (["A", "B", "C"], ["B", "C", "D"]),
        "cloze": (["A", "[mask]", "C"], ["", "B", ""]),
    }
    fig = plotting.training_tasks(tasks, title="t")
    causal, cloze = fig.axes

    def arrows(ax):
        return [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]

    assert len(arrows(causal)) == 3 and len(arrows(cloze)) == 1
    assert "[mask]" in [t.get_text() for t in cloze.texts]
    plt.close(fig)
    with pytest.raises(ValueError, match="one target label"):
        plotting.training_tasks({"x": (["A"], [])}, title="t")
