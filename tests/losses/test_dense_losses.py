"""MSE, binary and softmax cross-entropy, and full softmax over the catalogue.

The same checklist as the candidate losses: reference grid, float64 gradients, masks and
reductions, invalid input, Keras class config and a one-step fit.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab import losses
from reclab.reference import losses as ref

SHAPES = [(5,), (3, 4), (2, 3, 6)]


@pytest.mark.formula("eq-mse")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_matches_reference(rng, shape, masked, reduction):
    y, y_hat = rng.normal(size=shape), rng.normal(size=shape)
    mask = rng.random(shape) < 0.6 if masked else None
    got = losses.mean_squared_error(y, y_hat, mask=mask, reduction=reduction)
    want = ref.mean_squared_error(y, y_hat, mask=mask, reduction=reduction)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)


@pytest.mark.formula("eq-bce")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("from_logits", [True, False])
def test_bce_matches_reference(rng, shape, masked, reduction, from_logits):
    y = rng.random(shape)  # soft labels in [0, 1] too
    z = rng.normal(size=shape) * 3
    pred = z if from_logits else 1 / (1 + np.exp(-z))
    mask = rng.random(shape) < 0.6 if masked else None
    got = losses.binary_cross_entropy(
        y, pred, from_logits=from_logits, mask=mask, reduction=reduction
    )
    want = ref.binary_cross_entropy(y, pred, mask, reduction, from_logits=from_logits)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9)


@pytest.mark.formula("eq-cross-entropy")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("from_logits", [True, False])
def test_softmax_ce_matches_reference(rng, shape, masked, reduction, from_logits):
    y = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    z = rng.normal(size=shape) * 2
    pred = z if from_logits else np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    mask = rng.random(shape[:-1]) < 0.6 if masked else None
    got = losses.softmax_cross_entropy(
        y, pred, from_logits=from_logits, mask=mask, reduction=reduction
    )
    want = ref.softmax_cross_entropy(y, pred, mask, reduction, from_logits=from_logits)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9)


@pytest.mark.formula("eq-full-softmax")
@pytest.mark.parametrize("lead", [(4,), (3, 5)])
@pytest.mark.parametrize("n_ids", [2, 9])
@pytest.mark.parametrize("padding_id", [0, None])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_full_softmax_matches_reference(rng, lead, n_ids, padding_id, reduction):
    logits = rng.normal(size=(*lead, n_ids)) * 2
    ids = rng.integers(0, n_ids, size=lead)  # some targets are the padding id 0
    ids.reshape(-1)[0] = n_ids - 1
    got = losses.full_softmax_cross_entropy(ids, logits, padding_id=padding_id, reduction=reduction)
    want = ref.full_softmax_cross_entropy(ids, logits, padding_id=padding_id, reduction=reduction)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)


def test_hand_worked_values():
    # MSE: y = (1, 2), y_hat = (2, 4): ((1-2)^2 + (2-4)^2) / 2 = (1 + 4) / 2 = 2.5
    assert float(losses.mean_squared_error([1.0, 2.0], [2.0, 4.0])) == pytest.approx(2.5)
    # BCE on probabilities: y = (1, 0), y_hat = (0.8, 0.4):
    # (-log 0.8 - log 0.6) / 2 = (0.22314 + 0.51083) / 2 = 0.36698
    got = losses.binary_cross_entropy([1.0, 0.0], [0.8, 0.4], from_logits=False)
    assert float(got) == pytest.approx(0.366985, abs=1e-6)
    # softmax CE, the source's -sum y log y_hat: y = (0, 1, 0), y_hat = (0.2, 0.5, 0.3):
    # -log 0.5 = 0.693147
    got = losses.softmax_cross_entropy([[0, 1, 0]], [[0.2, 0.5, 0.3]], from_logits=False)
    assert float(got) == pytest.approx(0.693147, abs=1e-6)
    # full softmax, ids 0..3, scores (5, 1, 2, 3), target 3, padding column 0 dropped:
    # -3 + log(e^1 + e^2 + e^3) = -3 + log(2.71828 + 7.38906 + 20.08554) = -3 + 3.40761
    got = losses.full_softmax_cross_entropy([3], [[5.0, 1.0, 2.0, 3.0]])
    assert float(got) == pytest.approx(0.407606, abs=1e-6)


@pytest.mark.formula("eq-mse")
@pytest.mark.formula("eq-bce")
@pytest.mark.formula("eq-cross-entropy")
@pytest.mark.formula("eq-full-softmax")
@pytest.mark.parametrize("which", ["mse", "bce", "ce", "full"])
def test_gradients_match_finite_differences(rng, which):
    y = rng.random((3, 4))
    ids = np.array([1, 0, 3])
    fns = {
        "mse": lambda z: losses.mean_squared_error(y, z, mask=y > 0.2),
        "bce": lambda z: losses.binary_cross_entropy(y, z, mask=y > 0.2),
        "ce": lambda z: losses.softmax_cross_entropy(y / y.sum(-1, keepdims=True), z),
        "full": lambda z: losses.full_softmax_cross_entropy(ids, z),
    }
    x = tf.constant(rng.normal(size=(3, 4)), tf.float64)
    theoretical, numerical = tf.test.compute_gradient(fns[which], [x])
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=1e-6)


def test_full_softmax_padding_gets_no_gradient_and_does_not_dilute(rng):
    logits = tf.constant(rng.normal(size=(3, 5)), tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = losses.full_softmax_cross_entropy([2, 0, 4], logits)
    grad = tape.gradient(loss, logits).numpy()
    assert np.all(grad[1] == 0.0)  # padded position
    assert np.all(grad[:, 0] == 0.0)  # the padding column is not an item
    alone = losses.full_softmax_cross_entropy([2, 4], tf.gather(logits, [0, 2]))
    assert float(loss) == pytest.approx(float(alone), rel=1e-12)


def test_stable_on_huge_logits():
    assert np.isfinite(losses.binary_cross_entropy([1.0, 0.0], [-1e4, 1e4]).numpy())
    assert float(losses.binary_cross_entropy([1.0], [1e4])) == 0.0
    assert np.isfinite(losses.softmax_cross_entropy([[1.0, 0.0]], [[-1e4, 1e4]]).numpy())
    assert np.isfinite(losses.full_softmax_cross_entropy([1], [[0.0, -1e4, 1e4]]).numpy())


def test_invalid_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\) but y_pred has shape \(3,\)"):
        losses.mean_squared_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="binary_cross_entropy: y_true has shape"):
        losses.binary_cross_entropy(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"target_ids must lie in \[0, 3\)"):
        losses.full_softmax_cross_entropy([3], np.zeros((1, 3)))
    with pytest.raises(ValueError, match="expected"):
        losses.full_softmax_cross_entropy([[1]], np.zeros((1, 3)))
    with pytest.raises(ValueError, match="reduction='auto'"):
        losses.mean_squared_error([1.0], [1.0], reduction="auto")


CLASSES = [
    pytest.param(losses.MeanSquaredError(), "dense", marks=pytest.mark.formula("eq-mse")),
    pytest.param(
        losses.FullSoftmaxCrossEntropy(), "ids", marks=pytest.mark.formula("eq-full-softmax")
    ),
]


def _targets(rng, kind, b=8, n=5):
    if kind == "dense":
        return rng.normal(size=(b, n)).astype("float32")
    if kind == "binary":
        return (rng.random((b, n)) < 0.3).astype("float32")
    if kind == "onehot":
        return np.eye(n, dtype="float32")[rng.integers(0, n, b)]
    ids = rng.integers(1, n, size=b)
    ids[:2] = 0  # two padded positions
    return ids


@pytest.mark.parametrize(("loss", "kind"), CLASSES)
def test_class_get_config_round_trip(loss, kind):
    config = loss.get_config()
    assert type(loss).from_config(config).get_config() == config
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss) and restored.get_config() == config


@pytest.mark.parametrize(("loss", "kind"), CLASSES)
def test_class_one_step_fit(rng, loss, kind):
    x = rng.normal(size=(8, 3)).astype("float32")
    y = _targets(rng, kind)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.formula("eq-full-softmax")
def test_full_softmax_class_ignores_padded_positions(rng):
    logits = rng.normal(size=(4, 6)).astype("float32")
    ids = np.array([0, 3, 0, 5])
    got = float(losses.FullSoftmaxCrossEntropy()(ids, logits))
    want = ref.full_softmax_cross_entropy(ids, logits)  # mean over the 2 real positions
    assert got == pytest.approx(want, rel=1e-5)
    weights = np.array([1.0, 2.0, 1.0, 0.5], "float32")
    per = ref.full_softmax_cross_entropy(ids, logits, reduction="none")
    got = float(losses.FullSoftmaxCrossEntropy()(ids, logits, sample_weight=weights))
    real = ids != 0  # a weighted mean over the real positions: (2 * l_1 + 0.5 * l_3) / 2.5
    assert got == pytest.approx((weights * per)[real].sum() / weights[real].sum(), rel=1e-5)


@pytest.mark.formula("eq-bce")
@pytest.mark.formula("eq-cross-entropy")
def test_the_source_cross_entropies_equal_keras_losses():
    # RecLab keeps the pure functions for the chapter; in a model, Keras' classes do the same.
    rng = np.random.default_rng(3)
    labels, logits = (rng.random((6, 4)) < 0.4).astype("float32"), rng.normal(size=(6, 4))
    keras_bce = keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits)
    assert float(losses.binary_cross_entropy(labels, logits)) == pytest.approx(
        float(keras_bce), rel=1e-5
    )
    onehot = np.eye(4, dtype="float32")[rng.integers(0, 4, 6)]
    keras_ce = keras.losses.CategoricalCrossentropy(from_logits=True)(onehot, logits)
    assert float(losses.softmax_cross_entropy(onehot, logits)) == pytest.approx(
        float(keras_ce), rel=1e-5
    )
