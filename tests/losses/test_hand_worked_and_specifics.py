"""Hand-worked values of the candidate losses, gBCE's beta, and log-Q's convergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reclab import losses
from reclab.reference import losses as ref


@pytest.mark.formula("eq-bpr")
def test_bpr_hand_worked():
    # s+ = 1, negatives (0, 1): -(log sigma(1) + log sigma(0)) / 2
    #   = (0.313262 + 0.693147) / 2 = 0.503204
    assert float(losses.bpr([1.0], [[0.0, 1.0]])) == pytest.approx(0.503204, abs=1e-6)


@pytest.mark.formula("eq-sampled-bce")
def test_sampled_bce_hand_worked():
    # s+ = 2, s- = (-1, 0): -log sigma(2) - log(1 - sigma(-1)) - log(1 - sigma(0))
    #   = 0.126928 + 0.313262 + 0.693147 = 1.133337
    got = losses.sampled_binary_cross_entropy([2.0], [[-1.0, 0.0]])
    assert float(got) == pytest.approx(1.133337, abs=1e-6)


@pytest.mark.formula("eq-gbce-beta")
@pytest.mark.parametrize(("t", "m", "n"), [(0.0, 1, 10), (1.0, 3, 10), (0.75, 256, 3417)])
def test_gbce_beta_matches_reference_and_limits(t, m, n):
    assert losses.gbce_beta(t, m, n) == pytest.approx(ref.gbce_beta(t, m, n))
    alpha = m / (n - 1)
    if t == 0.0:
        assert losses.gbce_beta(t, m, n) == pytest.approx(1.0)  # plain BCE
    if t == 1.0:
        assert losses.gbce_beta(t, m, n) == pytest.approx(alpha)
    # hand-worked: M = 1, N = 11, alpha = 0.1, t = 0.5: 0.1 * (0.5 * (1 - 10) + 10) = 0.55
    assert losses.gbce_beta(0.5, 1, 11) == pytest.approx(0.55)


@pytest.mark.formula("eq-gbce")
def test_gbce_with_t_zero_is_sampled_bce(rng):
    pos, neg = rng.normal(size=4), rng.normal(size=(4, 3))
    np.testing.assert_allclose(
        losses.gbce(pos, neg, num_items=50, t=0.0),
        losses.sampled_binary_cross_entropy(pos, neg),
        rtol=1e-12,
    )


@pytest.mark.formula("eq-gbce-beta")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t": 1.5, "num_negatives": 1, "num_items": 10}, "t must lie in"),
        ({"t": 0.5, "num_negatives": 10, "num_items": 10}, "num_negatives must lie"),
        ({"t": 0.5, "num_negatives": 1, "num_items": 1}, "num_items must be at least 2"),
    ],
)
def test_gbce_beta_rejects_invalid(kwargs, message):
    with pytest.raises(ValueError, match=message):
        losses.gbce_beta(**kwargs)
    negatives = np.zeros((1, kwargs["num_negatives"]))
    with pytest.raises(ValueError, match=message):
        losses.gbce(np.zeros(1), negatives, num_items=kwargs["num_items"], t=kwargs["t"])


@pytest.mark.formula("eq-sampled-softmax-logq")
def test_sampled_softmax_hand_worked():
    # s+ = 1, negatives s = (0, 2) drawn with q = (0.5, 0.1), M = 2:
    # corrected s' = (0 - log 1, 2 - log 0.2) = (0, 3.609438)
    # loss = -1 + log(e^1 + e^0 + e^3.609438) = -1 + log(2.718282 + 1 + 36.945280)
    #      = -1 + log(40.663562) = -1 + 3.705332 = 2.705332
    got = losses.sampled_softmax_cross_entropy([1.0], [[0.0, 2.0]], log_q=np.log([[0.5, 0.1]]))
    assert float(got) == pytest.approx(-1 + math.log(math.e + 1 + math.exp(2 + math.log(5))))
    assert float(got) == pytest.approx(2.705332, abs=1e-5)  # float32 inputs


@pytest.mark.formula("eq-sampled-softmax-logq")
@pytest.mark.formula("eq-full-softmax")
def test_log_q_corrected_sampled_softmax_approaches_full_softmax(rng):
    """With popularity sampling, log-Q makes the loss converge to the full softmax; without
    it, the estimate stays far off."""
    n = 200
    scores = rng.normal(size=n + 1) * 1.5  # ids 0..n, 0 = padding
    target = 7
    full = float(losses.full_softmax_cross_entropy([target], scores[None]))
    q = np.r_[0.0, 1.0 / np.arange(1, n + 1)]  # Zipf-like popularity
    q[target] = 0.0  # negatives never equal the positive
    q /= q.sum()
    m = 20_000
    negatives = rng.choice(n + 1, size=m, p=q)
    pos, neg = np.array([scores[target]]), scores[negatives][None]
    corrected = float(losses.sampled_softmax_cross_entropy(pos, neg, log_q=np.log(q[negatives])))
    uncorrected = float(losses.sampled_softmax_cross_entropy(pos, neg))
    assert corrected == pytest.approx(full, abs=0.05)
    assert abs(uncorrected - full) > 1.0


@pytest.mark.formula("eq-sampled-softmax-logq")
def test_sampled_softmax_rejects_probabilities_as_log_q():
    with pytest.raises(ValueError, match=r"log_q must be log-probabilities"):
        losses.sampled_softmax_cross_entropy([0.0], [[0.0]], log_q=[[0.5]])
    with pytest.raises(ValueError, match="sampling_probabilities must be a 1-D array"):
        losses.SampledSoftmaxCrossEntropy([[0.1, 0.9]])
