"""Scaling curves: the step's FLOPs, the power-law fit and the cross-entropy of held-out items."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.data import EvaluationSet
from reclab.evaluation.scaling import fit_power_law, next_item_cross_entropy, step_flops


@pytest.mark.formula("eq-power-law")
@pytest.mark.parametrize(
    ("limit", "scale", "exponent"), [(0.5, 3.0, 0.3), (0.3, -0.2, 0.5), (2.0, 40.0, 0.8)]
)
def test_a_noise_free_power_law_is_recovered(limit, scale, exponent) -> None:
    x = np.geomspace(1e3, 1e6, 6)
    law = fit_power_law(x, limit + scale * x**-exponent)
    assert law.limit == pytest.approx(limit, rel=1e-4)
    assert law.scale == pytest.approx(scale, rel=1e-3)
    assert law.exponent == pytest.approx(exponent, rel=1e-3)
    assert law.x_range == (1e3, 1e6) and not law.limit_at_bound
    assert law(x) == pytest.approx(limit + scale * x**-exponent, rel=1e-6)


def test_a_fixed_zero_limit_is_the_log_log_line() -> None:
    rng = np.random.default_rng(0)
    x = np.geomspace(10, 1e4, 8)
    y = 2.0 * x**-0.4 * np.exp(rng.normal(0, 0.05, len(x)))
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)  # the NumPy reference
    law = fit_power_law(x, y, limit=0.0)
    assert law.exponent == pytest.approx(-slope) and law.scale == pytest.approx(np.exp(intercept))


def test_points_without_curvature_say_the_limit_is_not_determined() -> None:
    x = np.geomspace(1e3, 1e5, 5)
    law = fit_power_law(x, 0.1 + 0.01 * np.log(x))  # rises for ever: no ceiling in sight
    assert law.limit_at_bound
    assert law.gain_per_doubling(1e4) > 0


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="at least 3 points"):
        fit_power_law([1.0, 2.0], [0.5, 0.4])
    with pytest.raises(ValueError, match="x must be positive"):
        fit_power_law([0.0, 1.0, 2.0], [3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="must lie below every y"):
        fit_power_law([1.0, 2.0, 4.0], [3.0, 2.0, 1.5], limit=2.0)


def test_step_flops_counts_each_matrix_product() -> None:
    base = dict(batch=2, length=5, dim=8, blocks=1, ff_dim=16, n_ids=100)
    per_token_proj = 2 * 5 * (8 * 8 * 8 + 4 * 8 * 16)  # B L (8 d^2 + 4 d d_ff)
    attention = 4 * 2 * 5**2 * 8
    scores = 2 * 2 * 5 * 8 * 100
    assert step_flops(**base) == 3 * (per_token_proj + attention + scores)
    assert step_flops(**{**base, "negatives": 9}) == 3 * (per_token_proj + attention + scores // 10)


class _Fixed:
    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def score(self, histories, users):
        return self.scores[np.asarray(users) - 1]


def test_cross_entropy_of_held_out_items_matches_the_formula() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(3, 6)).astype(np.float32)
    scores[:, 0] = -np.inf  # padding column
    data = EvaluationSet(np.ones((3, 2), np.int64), np.array([2, 5, -1]), np.array([1, 2, 3]))
    expected = np.mean(
        [np.log(np.exp(scores[r, 1:].astype(np.float64)).sum()) - scores[r, t] for r, t in
         ((0, 2), (1, 5))]
    )  # fmt: skip
    assert next_item_cross_entropy(_Fixed(scores), data, batch_size=1) == pytest.approx(expected)
