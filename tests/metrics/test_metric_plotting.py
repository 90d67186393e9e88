"""The measuring chapter's figures draw what they are given, with labelled axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from reclab import plotting


def test_metric_at_k_by_protocol_has_a_panel_per_protocol():
    values = {
        "full": {"a": [0.1, 0.2], "b": [0.2, 0.3]},
        "sampled": {"a": [0.5, 0.6], "b": [0.4, 0.5]},
    }
    fig = plotting.metric_at_k_by_protocol([1, 10], values, metric="HR", title="t")
    assert [ax.get_title() for ax in fig.axes] == ["full", "sampled"]
    assert fig.axes[0].get_ylabel() == "HR@K" and len(fig.axes[1].lines) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="full/a has shape"):
        plotting.metric_at_k_by_protocol([1, 10], {"full": {"a": [0.1]}}, metric="HR", title="t")


def test_tie_policy_bars_groups_models():
    values = {
        "m1": {"pessimistic": 0.1, "expected": 0.2},
        "m2": {"pessimistic": 0.3, "expected": 0.3},
    }
    ax = plotting.tie_policy_bars(values, metric="HR@10", title="t")
    assert len(ax.patches) == 4 and ax.get_ylabel() == "HR@10"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="same tie policies"):
        plotting.tie_policy_bars({"a": {"x": 1.0}, "b": {"y": 1.0}}, metric="m", title="t")
