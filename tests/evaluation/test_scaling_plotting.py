"""The scaling figure draws the measured points, their intervals and the fitted curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from reclab import plotting
from reclab.evaluation.scaling import fit_power_law


def test_points_intervals_fit_and_references_are_drawn():
    x = np.array([1e3, 1e4, 1e5, 1e6])
    y = 0.3 - 0.2 * x**-0.3
    law = fit_power_law(x, y)
    series = {"a": {"x": x, "y": y, "low": y - 0.01, "high": y + 0.01}, "b": {"x": x, "y": y / 2}}
    ax = plotting.scaling_curves(
        series, xlabel="x", ylabel="y", title="t", fits={"a": law}, references={"oracle": 0.3}
    )
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a: fit", "b", "oracle", "a"]  # errorbar containers are listed last
    fit_line = next(line for line in ax.lines if line.get_linestyle() == "--")
    assert fit_line.get_xdata()[0] == pytest.approx(1e3) and fit_line.get_xdata()[-1] == 1e6
    np.testing.assert_allclose(fit_line.get_ydata(), law(fit_line.get_xdata()))
    plt.close(ax.figure)


def test_mismatched_or_empty_series_are_refused():
    with pytest.raises(ValueError, match="empty"):
        plotting.scaling_curves({}, xlabel="x", ylabel="y", title="t")
    with pytest.raises(ValueError, match="one y per x"):
        plotting.scaling_curves({"a": {"x": [1, 2], "y": [1]}}, xlabel="x", ylabel="y", title="t")
