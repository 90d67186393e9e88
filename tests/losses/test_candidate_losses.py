"""The checklist shared by every loss on one positive and M sampled negatives.

BPR, sampled BCE, gBCE and sampled softmax (with and without log-Q) are checked against
``reclab.reference.losses`` over a grid of shapes, masks and reductions, for float64 gradients,
for padding that neither contributes nor dilutes, and as Keras ``Loss`` classes.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab import losses
from reclab.reference import losses as ref

N_ITEMS = 20  # catalogue size for gBCE and the sampler


def _log_q(rng, shape):
    q = rng.dirichlet(np.ones(N_ITEMS))
    return np.log(q[rng.integers(0, N_ITEMS, size=shape)])


# name, label, fast function(pos, neg, **kw), reference(pos, neg, **kw), needs log_q
FAMILY = [
    pytest.param(losses.bpr, ref.bpr, {}, marks=pytest.mark.formula("eq-bpr"), id="bpr"),
    pytest.param(
        losses.sampled_binary_cross_entropy,
        ref.sampled_binary_cross_entropy,
        {},
        marks=pytest.mark.formula("eq-sampled-bce"),
        id="sampled_bce",
    ),
    pytest.param(
        losses.gbce,
        ref.gbce,
        {"num_items": N_ITEMS, "t": 0.75},
        marks=pytest.mark.formula("eq-gbce"),
        id="gbce",
    ),
    pytest.param(
        losses.sampled_softmax_cross_entropy,
        ref.sampled_softmax_cross_entropy,
        {},
        marks=pytest.mark.formula("eq-sampled-softmax-logq"),
        id="sampled_softmax_uncorrected",
    ),
    pytest.param(
        losses.sampled_softmax_cross_entropy,
        ref.sampled_softmax_cross_entropy,
        {"log_q": "random"},
        marks=pytest.mark.formula("eq-sampled-softmax-logq"),
        id="sampled_softmax_logq",
    ),
]


def _inputs(rng, lead, m, kwargs):
    pos = rng.normal(size=lead) * 2
    neg = rng.normal(size=(*lead, m)) * 2
    kwargs = dict(kwargs)
    if kwargs.get("log_q") == "random":
        kwargs["log_q"] = _log_q(rng, (*lead, m))
    return pos, neg, kwargs


@pytest.mark.formula("eq-bpr")
@pytest.mark.formula("eq-sampled-bce")
@pytest.mark.formula("eq-gbce")
@pytest.mark.formula("eq-sampled-softmax-logq")
@pytest.mark.parametrize(("fast", "slow", "kwargs"), FAMILY)
@pytest.mark.parametrize("lead", [(1,), (4,), (3, 5)])
@pytest.mark.parametrize("m", [1, 7])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_reference(rng, fast, slow, kwargs, lead, m, masked, reduction):
    pos, neg, kwargs = _inputs(rng, lead, m, kwargs)
    mask = (rng.random(lead) < 0.6) if masked else None
    got = fast(pos, neg, mask=mask, reduction=reduction, **kwargs)
    want = slow(pos, neg, mask=mask, reduction=reduction, **kwargs)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)


@pytest.mark.formula("eq-bpr")
@pytest.mark.formula("eq-sampled-bce")
@pytest.mark.formula("eq-gbce")
@pytest.mark.formula("eq-sampled-softmax-logq")
@pytest.mark.parametrize(("fast", "slow", "kwargs"), FAMILY)
def test_gradient_matches_finite_differences(rng, fast, slow, kwargs):
    pos, neg, kwargs = _inputs(rng, (3,), 4, kwargs)
    mask = np.array([True, False, True])

    def f(p, n):
        return fast(p, n, mask=mask, **kwargs)

    theoretical, numerical = tf.test.compute_gradient(
        f, [tf.constant(pos, tf.float64), tf.constant(neg, tf.float64)]
    )
    for t, n in zip(theoretical, numerical, strict=True):
        np.testing.assert_allclose(t, n, atol=1e-6)
    # a padded position gets no gradient at all
    with tf.GradientTape() as tape:
        p = tf.constant(pos, tf.float64)
        tape.watch(p)
        loss = f(p, tf.constant(neg, tf.float64))
    assert tape.gradient(loss, p).numpy()[1] == 0.0


@pytest.mark.parametrize(("fast", "slow", "kwargs"), FAMILY)
def test_padding_does_not_dilute_the_mean(rng, fast, slow, kwargs):
    pos, neg, kwargs = _inputs(rng, (2,), 3, kwargs)
    alone = fast(pos[:1], neg[:1], **{k: v[:1] if k == "log_q" else v for k, v in kwargs.items()})
    padded = fast(pos, neg, mask=np.array([True, False]), **kwargs)
    np.testing.assert_allclose(float(padded), float(alone), rtol=1e-12)
    none_kept = fast(pos, neg, mask=np.array([False, False]), **kwargs)
    assert float(none_kept) == 0.0


@pytest.mark.parametrize(("fast", "slow", "kwargs"), FAMILY)
def test_stable_for_huge_scores(fast, slow, kwargs):
    pos = np.array([1e4, -1e4])
    neg = np.array([[-1e4, 1e4], [1e4, -1e4]])
    kwargs = {k: np.log(np.full((2, 2), 0.1)) if k == "log_q" else v for k, v in kwargs.items()}
    value = fast(pos, neg, reduction="none", **kwargs).numpy()
    assert np.isfinite(value).all()
    assert value[0] < value[1]  # the well-ranked row costs less


@pytest.mark.parametrize(("fast", "slow", "kwargs"), FAMILY)
def test_invalid_shapes_raise_clear_errors(fast, slow, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k != "log_q"}
    with pytest.raises(ValueError, match=r"negative_logits has shape \(3, 4\)"):
        fast(np.zeros(2), np.zeros((3, 4)), **kwargs)
    with pytest.raises(ValueError, match="M = 0"):
        fast(np.zeros(2), np.zeros((2, 0)), **kwargs)
    with pytest.raises(ValueError, match="reduction='avg'"):
        fast(np.zeros(2), np.zeros((2, 3)), reduction="avg", **kwargs)
    with pytest.raises(ValueError, match="mask has shape"):
        fast(np.zeros(2), np.zeros((2, 3)), mask=np.ones(3, bool), **kwargs)


# ---- The Keras classes -------------------------------------------------------------------

Q = np.r_[0.0, np.full(N_ITEMS, 1.0 / N_ITEMS)]  # padding never drawn, items 1..N uniform

CLASSES = [
    pytest.param(losses.BPR(), losses.bpr, {}, marks=pytest.mark.formula("eq-bpr"), id="BPR"),
    pytest.param(
        losses.SampledBinaryCrossEntropy(),
        losses.sampled_binary_cross_entropy,
        {},
        marks=pytest.mark.formula("eq-sampled-bce"),
        id="SampledBinaryCrossEntropy",
    ),
    pytest.param(
        losses.GBCE(num_items=N_ITEMS, t=0.5),
        losses.gbce,
        {"num_items": N_ITEMS, "t": 0.5},
        marks=pytest.mark.formula("eq-gbce"),
        id="GBCE",
    ),
    pytest.param(
        losses.SampledSoftmaxCrossEntropy(Q),
        losses.sampled_softmax_cross_entropy,
        {"log_q": "ids"},
        marks=pytest.mark.formula("eq-sampled-softmax-logq"),
        id="SampledSoftmaxCrossEntropy",
    ),
]


def _candidates(rng, b=4, t=3, m=5):
    """Ids as a per-position sampler makes them: no negative equals its positive."""
    ids = rng.integers(1, N_ITEMS + 1, size=(b, t, 1 + m))
    negatives = rng.integers(1, N_ITEMS, size=(b, t, m))  # 1..N-1, shifted past the positive
    ids[..., 1:] = negatives + (negatives >= ids[..., :1])
    ids[0, :2] = 0  # user 0 has two padded positions (left padding)
    scores = rng.normal(size=(b, t, 1 + m)).astype("float32")
    return ids, scores


@pytest.mark.formula("eq-bpr")
@pytest.mark.formula("eq-sampled-bce")
@pytest.mark.formula("eq-gbce")
@pytest.mark.formula("eq-sampled-softmax-logq")
@pytest.mark.parametrize(("loss", "fn", "kwargs"), CLASSES)
def test_class_equals_function_with_padding_mask(rng, loss, fn, kwargs):
    ids, scores = _candidates(rng)
    if kwargs.get("log_q") == "ids":
        kwargs = {"log_q": np.log(Q[ids[..., 1:]].clip(1e-30))}
    want = fn(scores[..., 0], scores[..., 1:], mask=ids[..., 0] != 0, **kwargs)
    np.testing.assert_allclose(float(loss(ids, scores)), float(want), rtol=1e-5)
    # weights: a weighted mean over the real positions, sum(w * loss) / sum(w)
    weights = rng.random(ids.shape[:2]).astype("float32")
    per_position = fn(scores[..., 0], scores[..., 1:], reduction="none", **kwargs).numpy()
    real = ids[..., 0] != 0
    want_weighted = (weights * per_position)[real].sum() / weights[real].sum()
    got = float(loss(ids, scores, sample_weight=weights))
    np.testing.assert_allclose(got, want_weighted, rtol=1e-5)


@pytest.mark.parametrize(("loss", "fn", "kwargs"), CLASSES)
def test_class_accepts_positive_ids_only(rng, loss, fn, kwargs):
    if kwargs.get("log_q"):
        ids, scores = _candidates(rng)
        with pytest.raises(ValueError, match=r"shape \(\.\.\., 1 \+ M\)"):
            loss(ids[..., 0], scores)
        return
    ids, scores = _candidates(rng)
    np.testing.assert_allclose(float(loss(ids[..., 0], scores)), float(loss(ids, scores)))


@pytest.mark.parametrize(("loss", "fn", "kwargs"), CLASSES)
def test_get_config_round_trip(loss, fn, kwargs):
    config = loss.get_config()
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == config


@pytest.mark.formula("eq-bpr")
@pytest.mark.formula("eq-sampled-bce")
@pytest.mark.formula("eq-gbce")
@pytest.mark.formula("eq-sampled-softmax-logq")
@pytest.mark.parametrize(("loss", "fn", "kwargs"), CLASSES)
def test_one_step_fit(rng, loss, fn, kwargs):
    """A tiny model that scores candidate ids from an embedding trains one step with the loss."""
    ids, _ = _candidates(rng, b=8, t=3, m=4)
    inputs = keras.Input(shape=(3, 5), dtype="int32")
    scores = keras.layers.Embedding(N_ITEMS + 1, 1)(inputs)  # (B, T, 1 + M, 1)
    scores = keras.layers.Reshape((3, 5))(scores)  # (B, T, 1 + M)
    model = keras.Model(inputs, scores)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    history = model.fit(ids, ids, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
