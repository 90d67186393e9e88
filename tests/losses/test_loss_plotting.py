"""The loss chapter's figures draw what they are given, with labelled axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from reclab import plotting


def test_loss_and_gradient_curves_have_two_labelled_panels():
    z = np.linspace(-3, 3, 7)
    fig = plotting.loss_and_gradient_curves(
        z, {"BCE": (np.log1p(np.exp(-z)), -1 / (1 + np.exp(z)))}, xlabel="z (logit)", title="t"
    )
    left, right = fig.axes
    assert left.get_ylabel() == "loss" and right.get_xlabel() == "z (logit)"
    assert len(left.lines) == 1
    plt.close(fig)
    with pytest.raises(ValueError, match="curve 'x' has shapes"):
        plotting.loss_and_gradient_curves(z, {"x": (z[:3], z)}, xlabel="z", title="t")


def test_sampled_estimate_convergence_draws_bands_and_reference():
    m = [10, 100, 1000]
    ax = plotting.sampled_estimate_convergence(
        m, {"a": ([1, 2, 3], [0, 1, 2], [2, 3, 4])}, reference=3.0, ylabel="loss", title="t"
    )
    assert ax.get_xscale() == "log" and len(ax.lines) == 2 and len(ax.collections) == 1
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="must have shape"):
        plotting.sampled_estimate_convergence(
            m, {"a": ([1], [1], [1])}, reference=None, ylabel="y", title="t"
        )
