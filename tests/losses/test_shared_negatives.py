"""Negatives shared across a batch: logits, accidental hits, log-Q, values and gradients.

The fast path (:func:`reclab.models.shared_candidate_logits` and a
:class:`~reclab.losses.CandidateLoss`, which removes accidental hits) is compared with
:func:`reclab.reference.losses.shared_negative_losses`, a loop over positions in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reclab import losses
from reclab.models import shared_candidate_logits
from reclab.reference import losses as ref

N, D, B, L = 6, 4, 2, 3
#: The batch's shared negatives: repeats, and ids that are some positions' positives.
NEGATIVES = np.array([2, 5, 2, 3, 6])
POSITIVES = np.array([[0, 2, 4], [3, 3, 6]])  # a padded position, hits on 2, 3, 3 and 6
#: Row 1's user owns item 5: the batch marks that negative with id 0 for that row.
REMOVED = np.array([[False] * 5, [False, True, False, False, False]])


def _q() -> np.ndarray:
    q = np.arange(N + 1, dtype=np.float64)  # popularity-like proposal, 0 at padding
    return q / q.sum()


LOSSES = {
    "sampled-softmax": (
        lambda: losses.SampledSoftmaxCrossEntropy(_q()),
        {"log_q": np.log(np.where(_q() > 0, _q(), 1.0))},
    ),
    "sampled-softmax-uncorrected": (lambda: losses.SampledSoftmaxCrossEntropy(), {}),
    "bce": (lambda: losses.SampledBinaryCrossEntropy(), {}),
    "gbce": (lambda: losses.GBCE(num_items=N, t=0.5), {"num_items": N, "t": 0.5}),
    "bpr": (lambda: losses.BPR(), {}),
}


def _reference_name(name: str) -> str:
    return "sampled-softmax" if name.startswith("sampled-softmax") else name


def _inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(B, L, D)) * 0.7
    table = rng.normal(size=(N + 1, D)) * 0.7
    bias = rng.normal(size=N + 1) * 0.3
    return hidden, table, bias


def _candidate_ids() -> np.ndarray:
    row_negatives = np.where(REMOVED, 0, NEGATIVES[None, :])  # (B, M)
    shared = np.broadcast_to(row_negatives[:, None, :], (B, L, len(NEGATIVES)))
    return np.concatenate([POSITIVES[..., None], shared], axis=-1)


def _fast(name, hidden, table, bias):
    loss = LOSSES[name][0]()
    logits = shared_candidate_logits(hidden, table, bias, POSITIVES, NEGATIVES)
    return loss.per_position(_candidate_ids(), logits) * (POSITIVES != 0), loss


def _slow(name, hidden, table, bias):
    return ref.shared_negative_losses(
        hidden,
        table,
        POSITIVES,
        NEGATIVES,
        _reference_name(name),
        bias=bias,
        removed=REMOVED,
        **LOSSES[name][1],
    )


@pytest.mark.formula("eq-shared-negatives")
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_values_match_the_reference(name) -> None:
    hidden, table, bias = _inputs()
    fast, loss = _fast(name, hidden, table, bias)
    # the class keeps log q in float32: agreement to float32 precision for the corrected loss
    rtol = 1e-7 if name == "sampled-softmax" else 1e-10
    np.testing.assert_allclose(np.asarray(fast), _slow(name, hidden, table, bias), rtol=rtol)
    # The Keras loss (float32) averages over the 5 real positions only.
    mean = loss(
        _candidate_ids(), shared_candidate_logits(hidden, table, bias, POSITIVES, NEGATIVES)
    )
    assert float(mean) == pytest.approx(_slow(name, hidden, table, bias).sum() / 5, rel=1e-6)


@pytest.mark.formula("eq-shared-negatives")
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradients_match_finite_differences_of_the_reference(name) -> None:
    hidden, table, bias = _inputs(1)
    variables = [tf.Variable(hidden), tf.Variable(table), tf.Variable(bias)]
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(_fast(name, *variables)[0])
    grads = tape.gradient(total, variables)
    eps = 1e-6
    for k, (value, grad) in enumerate(zip((hidden, table, bias), grads, strict=True)):
        grad = np.zeros(value.shape) if grad is None else tf.convert_to_tensor(grad).numpy()
        for index in np.ndindex(*value.shape):
            args = [hidden.copy(), table.copy(), bias.copy()]
            args[k][index] += eps
            up = _slow(name, *args).sum()
            args[k][index] -= 2 * eps
            down = _slow(name, *args).sum()
            assert grad[index] == pytest.approx((up - down) / (2 * eps), abs=1e-6), (k, index)


def test_an_accidental_hit_is_the_same_as_leaving_that_negative_out() -> None:
    pos, neg = np.array([0.3]), np.array([[0.9, -0.2, 0.4]])
    ids = np.array([[7, 7, 2, 3]])  # the first negative is the positive itself
    loss = losses.SampledSoftmaxCrossEntropy(reduction="none")
    with_hit = loss.per_position(ids, np.concatenate([pos[:, None], neg], axis=1))
    without = losses.sampled_softmax_cross_entropy(pos, neg[:, 1:], reduction="none")
    np.testing.assert_allclose(np.asarray(with_hit), np.asarray(without), rtol=1e-12)


def test_removed_negatives_get_no_gradient() -> None:
    logits = tf.Variable([[0.3, 0.9, -0.2, 0.4]], dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = losses.SampledBinaryCrossEntropy()(np.array([[7, 7, 0, 3]]), logits)
    grad = tape.gradient(value, logits).numpy()
    assert grad[0, 1] == 0.0 and grad[0, 2] == 0.0  # the hit and the user's own item
    assert grad[0, 0] != 0.0 and grad[0, 3] != 0.0


def test_per_position_candidates_without_hits_are_unchanged() -> None:
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(3, 5))
    ids = np.array([[1, 2, 3, 4, 5], [2, 1, 1, 3, 4], [5, 4, 3, 2, 1]])  # no hit, no 0
    loss = losses.SampledSoftmaxCrossEntropy(_q())
    out = loss.per_position(ids, logits)  # with the accidental-hit removal
    expected = loss.candidate_losses(logits[:, 0], logits[:, 1:], ids)  # the loss alone
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


def test_log_q_under_uniform_sampling_shifts_each_negative_by_log_m_over_n() -> None:
    """With q = 1/N the correction adds log(N / M) to each negative: not a constant that cancels."""
    pos, neg = np.array([0.5]), np.array([[0.1, -0.3, 0.2]])
    uniform = np.log(np.full((1, 3), 1.0 / N))
    corrected = losses.sampled_softmax_cross_entropy(pos, neg, log_q=uniform)
    shifted = losses.sampled_softmax_cross_entropy(pos, neg + np.log(N / 3))
    assert float(corrected) == pytest.approx(float(shifted), rel=1e-12)
    assert float(corrected) > float(losses.sampled_softmax_cross_entropy(pos, neg))


def test_shared_logits_reject_a_batch_of_negatives_per_position() -> None:
    hidden, table, bias = _inputs()
    with pytest.raises(ValueError, match=r"negatives must have shape \(M,\)"):
        shared_candidate_logits(hidden, table, bias, POSITIVES, np.ones((B, 3), int))
