"""Distillation loss: the NumPy reference, its gradients, and what each term does."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reclab import losses
from reclab.reference import losses as ref


@pytest.mark.formula("eq-distillation")
@pytest.mark.parametrize("temperature", [1.0, 2.0, 5.0])
@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_distillation_matches_reference(rng, temperature, weight, reduction):
    ids = np.array([[1, 0, 3], [2, 4, 0]])  # 0: padded positions
    student, teacher = rng.normal(size=(2, 3, 5)) * 2, rng.normal(size=(2, 3, 5)) * 2
    got = losses.distillation_loss(
        ids, student, teacher, temperature=temperature, weight=weight, reduction=reduction
    )
    want = ref.distillation_loss(ids, student, teacher, temperature, weight, reduction=reduction)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)


@pytest.mark.formula("eq-distillation")
def test_distillation_gradients_match_finite_differences_and_spare_the_teacher(rng):
    ids = np.array([1, 0, 3])
    teacher = tf.constant(rng.normal(size=(3, 5)), tf.float64)

    def loss(z):
        return losses.distillation_loss(ids, z, teacher, temperature=2.0, weight=0.6)

    x = tf.constant(rng.normal(size=(3, 5)), tf.float64)
    theoretical, numerical = tf.test.compute_gradient(loss, [x])
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=1e-6)
    with tf.GradientTape() as tape:
        tape.watch(teacher)
        value = losses.distillation_loss(ids, x, teacher)
    assert tape.gradient(value, teacher) is None  # the teacher is a constant
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = losses.distillation_loss(ids, x, teacher)
    grad = tape.gradient(value, x).numpy()
    assert np.all(grad[1] == 0.0) and np.all(grad[:, 0] == 0.0)  # padded position, column


def test_each_term_alone():
    ids = np.array([2])
    student = np.array([[0.0, 1.0, -1.0, 0.5]])
    teacher = np.array([[0.0, -2.0, 3.0, 0.0]])
    hard = float(losses.full_softmax_cross_entropy(ids, student))
    assert float(losses.distillation_loss(ids, student, teacher, weight=0.0)) == pytest.approx(hard)
    # weight 1: the teacher's term only, zero when the student matches the teacher
    assert float(losses.distillation_loss(ids, teacher, teacher, weight=1.0)) == pytest.approx(
        0.0, abs=1e-7
    )
    assert float(losses.distillation_loss(ids, student, teacher, weight=1.0)) > 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="temperature must be"):
        losses.distillation_loss([1], [[0.0, 1.0]], [[0.0, 1.0]], temperature=0.0)
    with pytest.raises(ValueError, match=r"weight must be a number in \[0, 1\]"):
        losses.distillation_loss([1], [[0.0, 1.0]], [[0.0, 1.0]], weight=1.5)
    with pytest.raises(ValueError, match="student_logits has shape"):
        losses.distillation_loss([1], [[0.0, 1.0]], [[0.0, 1.0, 2.0]])
