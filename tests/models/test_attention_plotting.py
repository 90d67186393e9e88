"""The attention chapter's figures draw what they are given (smoke tests, no pixels compared)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from reclab import plotting
from reclab.models import attention_mask, sinusoidal_positions


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_attention_heatmap_with_labels_and_mask():
    mask = attention_mask([[False, True, True]], causal=True).numpy()[0]
    weights = np.where(mask, 0.5, 0.0)
    ax = plotting.attention_heatmap(
        weights, query_labels=list("abc"), key_labels=list("abc"), mask=mask, annotate=True
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="mask has shape"):
        plotting.attention_heatmap(weights, mask=mask[:2])


def test_mask_pictures_draw_one_panel_per_mask():
    axes = plotting.mask_pictures({"padding": [[0, 1, 1]], "causal": np.tril(np.ones((3, 3)))})
    assert len(axes) == 2 and axes[1].get_title() == "causal"
    with pytest.raises(ValueError, match="empty"):
        plotting.mask_pictures({})


def test_line_figures():
    ax = plotting.dot_product_variance([4, 16], [4.1, 15.8], [1.0, 0.99])
    assert len(ax.lines) == 3
    ax = plotting.position_ablation({"none": [0.1, 0.1], "learned": [0.4, 0.9]}, chance=0.1)
    assert len(ax.lines) == 3
    ax = plotting.position_table(sinusoidal_positions(8, 6).numpy())
    assert ax.get_ylabel() == "position $t$"
