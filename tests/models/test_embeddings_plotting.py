"""The embedding chapters' figures draw what they are given, with labelled axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from reclab import plotting


def test_train_validation_curves_draws_one_line_per_series():
    ax = plotting.train_validation_curves(
        {"training": [1.0, 0.9, 0.8], "validation": [1.1, 1.0, 1.05]},
        ylabel="RMSE",
        title="t",
        best_epoch=2,
    )
    assert len(ax.lines) == 3 and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "RMSE"
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        plotting.train_validation_curves({"a": []}, ylabel="y", title="t")


def test_embedding_projection_colours_groups_over_a_grey_background():
    xy = np.arange(10, dtype=float).reshape(5, 2)
    ax = plotting.embedding_projection(
        xy, ["a", None, "b", "a", None], title="t", annotations={0: "first"}
    )
    assert len(ax.collections) == 3  # background, a, b
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["other", "a", "b"]
    assert ax.texts[0].get_text() == "first"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plotting.embedding_projection(np.zeros((3, 3)), ["a"] * 3, title="t")
    with pytest.raises(ValueError, match="one each"):
        plotting.embedding_projection(np.zeros((3, 2)), ["a"], title="t")


def test_metric_with_spread_has_one_bar_per_model():
    ax = plotting.metric_with_spread(
        {"MF": 0.1, "NeuMF": 0.08}, {"MF": 0.01, "NeuMF": 0.02}, metric="NDCG@10", title="t"
    )
    assert len(ax.patches) == 2 and ax.get_xlabel() == "NDCG@10"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["MF", "NeuMF"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="same models"):
        plotting.metric_with_spread({"a": 1.0}, {"b": 0.0}, metric="m", title="t")
