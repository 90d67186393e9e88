"""HSTU: pointwise attention and the HSTU block against NumPy, masks, padding, saving, SASRec."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab.data import ShopConfig, SyntheticShop, prepare_next_item_data, preprocess
from reclab.evaluation import evaluate_full_ranking
from reclab.models import HSTUBlock, SASRec, SASRecConfig, hstu_attention, score_fn
from reclab.reference import attention as ref
from reclab.training import TrainingConfig, fit

DIM = 8
MAX_LENGTH = 9  # longer than every test input: the normaliser n is this, not the input length


def _inputs(seed: int, batch: int = 3, length: int = 6, dtype: str = "float32"):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, length, DIM)).astype(dtype)
    n_pad = rng.integers(0, length, size=batch)
    n_pad[0] = 0  # one row without padding
    padding = np.arange(length)[None, :] >= n_pad[:, None]
    return x, padding


def _block(seed: int = 1, **kwargs) -> HSTUBlock:
    """A built block with non-trivial weights (a larger bias, so the reference check sees it)."""
    kwargs.setdefault("num_heads", 2)
    kwargs.setdefault("max_length", MAX_LENGTH)
    block = HSTUBlock(**kwargs)
    block(np.zeros((1, 2, DIM), kwargs.get("dtype", "float32")))
    rng = np.random.default_rng(seed)
    block.set_weights([w + 0.3 * rng.normal(size=w.shape) for w in block.get_weights()])
    return block


def _params(block: HSTUBlock) -> dict:
    params = {
        "uvqk": block.uvqk.get_weights(),
        "projection": block.projection.get_weights(),
        "num_heads": block.num_heads,
        "key_dim": block._dk,
        "value_dim": block._dv,
    }
    if block.position_bias is not None:
        params["relative_bias"] = [block.position_bias.numpy()]
    return params


def _reference(block: HSTUBlock, x: np.ndarray, padding: np.ndarray) -> np.ndarray:
    return ref.hstu_block(
        x,
        padding,
        _params(block),
        causal=block.causal,
        max_length=block.max_length,
        epsilon=block.epsilon,
    )


# -- the attention function -------------------------------------------------------------------


@pytest.mark.formula("eq-hstu-attention")
@pytest.mark.parametrize(
    ("lead", "t", "s", "dk", "dv"), [((), 1, 1, 1, 1), ((2,), 4, 5, 3, 2), ((3, 2), 6, 6, 4, 5)]
)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("biased", [False, True])
@pytest.mark.parametrize("normaliser", [None, 7.0])
def test_attention_matches_reference(lead, t, s, dk, dv, masked, biased, normaliser):
    rng = np.random.default_rng(len(lead) + 10 * masked + 100 * biased)
    q = rng.normal(size=(*lead, t, dk))
    k = rng.normal(size=(*lead, s, dk))
    v = rng.normal(size=(*lead, s, dv))
    mask = rng.random(size=(*lead, t, s)) < 0.6 if masked else None
    bias = rng.normal(size=(t, s)) if biased else None
    got_out, got_w = hstu_attention(q, k, v, mask, bias, normaliser)
    want_out, want_w = ref.hstu_attention(q, k, v, mask, bias, normaliser)
    np.testing.assert_allclose(got_w.numpy(), want_w, atol=1e-12)
    np.testing.assert_allclose(got_out.numpy(), want_out, atol=1e-12)
    if masked:
        assert np.all(got_w.numpy()[~mask] == 0.0)


@pytest.mark.formula("eq-hstu-attention")
def test_attention_hand_worked_case():
    q = np.array([[1.0, 0.0], [0.0, 1.0]])  # T = 2
    k = np.array([[2.0, 0.0], [0.0, -1.0]])  # S = 2; scores [[2, 0], [0, -1]]
    v = np.array([[10.0], [20.0]])
    mask = np.array([[True, False], [True, True]])  # causal
    out, w = hstu_attention(q, k, v, mask)  # n = S = 2
    # SiLU(2) = 2 * sigmoid(2) = 1.76159; SiLU(0) = 0; SiLU(-1) = -sigmoid(-1) = -0.26894
    # row 0: [1.76159 / 2, masked] ; row 1: [0 / 2, -0.26894 / 2]
    np.testing.assert_allclose(w.numpy(), [[0.880797, 0.0], [0.0, -0.134471]], atol=1e-6)
    # outputs: 0.880797 * 10 = 8.80797; -0.134471 * 20 = -2.68941 (no softmax: rows need not sum
    # to one, and a weight can be negative)
    np.testing.assert_allclose(out.numpy(), [[8.80797], [-2.68941]], atol=1e-5)


@pytest.mark.formula("eq-hstu-attention")
def test_masked_keys_get_weight_zero_even_where_the_score_is_not_finite():
    """The mask is applied after SiLU: SiLU(-inf) = -inf * 0 is NaN, the weight is still 0."""
    q = np.ones((1, 3, 2))
    k = np.ones((1, 3, 2))
    v = np.arange(6.0).reshape(1, 3, 2)
    mask = np.array([[[True, False, False], [True, True, False], [True, True, True]]])
    bias = np.where(mask, 0.0, -np.inf)  # an additive -inf mask, as softmax attention would use
    out, w = hstu_attention(q, k, v, mask, bias)
    assert np.all(w.numpy()[~mask] == 0.0) and np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(out.numpy(), hstu_attention(q, k, v, mask)[0].numpy())


def test_attention_rejects_bad_arguments():
    with pytest.raises(ValueError, match="d_k=2 but key has d_k=3"):
        hstu_attention(np.ones((2, 2)), np.ones((2, 3)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="normaliser must be a finite number > 0"):
        hstu_attention(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 1)), normaliser=0)


# -- the block --------------------------------------------------------------------------------


@pytest.mark.formula("eq-hstu-block")
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("relative_bias", [True, False])
@pytest.mark.parametrize(("num_heads", "key_dim", "value_dim"), [(2, None, None), (3, 5, 3)])
def test_block_matches_reference(causal, relative_bias, num_heads, key_dim, value_dim):
    x, padding = _inputs(0)
    block = _block(
        causal=causal,
        relative_bias=relative_bias,
        num_heads=num_heads,
        key_dim=key_dim,
        value_dim=value_dim,
    )
    got = block(x, padding_mask=padding).numpy()
    np.testing.assert_allclose(got, _reference(block, x, padding), atol=2e-5)


@pytest.mark.formula("eq-hstu-block")
def test_relative_bias_is_clipped_beyond_max_length():
    """Inputs longer than max_length share the last distance's bias (and still match NumPy)."""
    x, padding = _inputs(1, length=7)
    block = _block(max_length=3, causal=False)
    got = block(x, padding_mask=padding).numpy()
    np.testing.assert_allclose(got, _reference(block, x, padding), atol=2e-5)
    bias = np.asarray(block._bias(7))  # (H, 7, 7)
    table = block.position_bias.numpy()  # (H, 5): distances -2..2
    assert bias[0, 6, 0] == table[0, 4] and bias[0, 0, 6] == table[0, 0]


@pytest.mark.formula("eq-hstu-block")
def test_block_gradients_match_finite_differences():
    """float64: the tape's gradient w.r.t. the input equals central differences of NumPy's block."""
    x, padding = _inputs(2, batch=2, length=4, dtype="float64")
    block = _block(dtype="float64", max_length=5)
    weights = np.random.default_rng(3).normal(size=x.shape)  # a random linear read-out

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(block(xt, padding_mask=padding) * weights)
    got = tape.gradient(loss, xt).numpy()

    def f(a: np.ndarray) -> float:
        return float(np.sum(_reference(block, a, padding) * weights))

    step, numeric = 1e-6, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (f(up) - f(down)) / (2 * step)
    np.testing.assert_allclose(got, numeric, atol=1e-6)
    assert np.all(got[~padding] == 0.0)  # a padded position influences nothing


def test_every_weight_gets_a_finite_nonzero_gradient():
    x, padding = _inputs(3)
    padding[1] = False  # a row that is all padding
    block = _block()
    with tf.GradientTape() as tape:
        out = block(tf.constant(x), padding_mask=padding, training=True)
        loss = tf.reduce_sum(out**2)
    grads = tape.gradient(loss, block.trainable_variables)
    assert len(grads) == 4  # relative bias, f_1, f_2 kernel and bias (the norms have none)
    for variable, grad in zip(block.trainable_variables, grads, strict=True):
        g = grad.numpy()
        assert np.all(np.isfinite(g)) and np.any(g != 0.0), variable.path
    assert np.all(out.numpy()[1] == 0.0)


@pytest.mark.formula("eq-hstu-block")
def test_causal_block_never_lets_the_future_change_the_past():
    x, padding = _inputs(4, batch=2, length=7)
    block = _block()
    base = block(x, padding_mask=padding).numpy()
    rng = np.random.default_rng(5)
    for t in range(6):
        changed = x.copy()
        changed[:, t + 1 :] = rng.normal(size=changed[:, t + 1 :].shape) * 5  # rewrite the future
        out = block(changed, padding_mask=padding).numpy()
        np.testing.assert_array_equal(out[:, : t + 1], base[:, : t + 1])
    bidirectional = _block(causal=False)
    before = bidirectional(x, padding_mask=padding).numpy()
    after = bidirectional(changed, padding_mask=padding).numpy()
    assert not np.allclose(before[:, :1], after[:, :1])  # sanity: without the mask it leaks


@pytest.mark.formula("eq-hstu-block")
@pytest.mark.parametrize("causal", [True, False])
def test_left_padding_never_changes_real_outputs(causal):
    """The normaliser is max_length, so neither the input length nor the padding matters."""
    rng = np.random.default_rng(6)
    real = rng.normal(size=(1, 4, DIM)).astype("float32")
    block = _block(causal=causal)
    alone = block(real).numpy()
    for n_pad in (1, 3, MAX_LENGTH - 4):
        garbage = rng.normal(size=(1, n_pad, DIM)).astype("float32") * 10  # pads hold anything
        padded = np.concatenate([garbage, real], axis=1)
        mask = np.arange(n_pad + 4)[None, :] >= n_pad
        out = block(padded, padding_mask=mask).numpy()
        np.testing.assert_allclose(out[:, n_pad:], alone, atol=1e-5)
        assert np.all(out[:, :n_pad] == 0.0)  # padded positions are zeroed, as in SASRec


@pytest.mark.formula("eq-hstu-attention")
def test_masked_keys_contribute_exactly_zero():
    x, padding = _inputs(7)
    block = _block()
    out, weights = block(x, padding_mask=padding, return_attention_scores=True)
    allowed = np.broadcast_to(ref.attention_mask(padding, True)[:, None], weights.shape)
    assert np.all(weights.numpy()[~allowed] == 0.0)
    assert np.any(weights.numpy()[allowed] != 0.0)
    noisy = np.where(padding[..., None], x, 1e3 * np.sign(x))  # huge values at the padding
    out_noisy = block(noisy, padding_mask=padding).numpy()
    np.testing.assert_array_equal(out_noisy, out.numpy())  # bit for bit: their weight is 0


def test_dropout_only_in_training():
    x, padding = _inputs(8)
    block = _block(dropout=0.5)
    a = block(x, padding_mask=padding, training=False).numpy()
    b = block(x, padding_mask=padding, training=False).numpy()
    c = block(x, padding_mask=padding, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_block_config_round_trip_and_saved_model(tmp_path):
    block = HSTUBlock(
        num_heads=2, max_length=5, key_dim=3, value_dim=5, dropout=0.1, causal=False, epsilon=1e-5
    )
    clone = HSTUBlock.from_config(block.get_config())
    assert clone.get_config() == block.get_config()

    inputs = keras.Input(shape=(5, DIM))
    mask = keras.Input(shape=(5,), dtype="bool")
    model = keras.Model([inputs, mask], block(inputs, padding_mask=mask))
    x, padding = _inputs(9, length=5)
    expected = model.predict([x, padding], verbose=0)
    model.save(tmp_path / "block.keras")
    restored = keras.models.load_model(tmp_path / "block.keras")
    np.testing.assert_array_equal(restored.predict([x, padding], verbose=0), expected)

    # one optimisation step through the symbolic graph (batch size unknown while tracing)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit([x, padding], np.zeros_like(x), epochs=1, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_block_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_heads"):
        HSTUBlock(num_heads=0, max_length=4)
    with pytest.raises(ValueError, match="max_length"):
        HSTUBlock(num_heads=1, max_length=0)
    with pytest.raises(ValueError, match="dropout"):
        HSTUBlock(num_heads=1, max_length=4, dropout=1.0)
    with pytest.raises(ValueError, match="not divisible by num_heads=3; pass key_dim"):
        HSTUBlock(num_heads=3, max_length=4)(np.ones((1, 2, DIM), "float32"))
    with pytest.raises(ValueError, match=r"shape \(B, L, d\)"):
        HSTUBlock(num_heads=1, max_length=4)(np.ones((2, DIM), "float32"))


# -- SASRec(block="hstu") -----------------------------------------------------------------------

CONFIG = SASRecConfig(max_len=6, dim=8, num_blocks=2, num_heads=2, dropout=0.0, block="hstu")


def make(num_items: int = 12, config: SASRecConfig = CONFIG) -> SASRec:
    keras.utils.set_random_seed(0)
    model = SASRec(num_items, config)
    model.build()
    return model


def test_sasrec_stacks_hstu_blocks_and_counts_its_parameters():
    model = make()
    assert all(isinstance(block, HSTUBlock) for block in model.blocks)
    assert model.count_params() == SASRec.parameter_count(12, 0, CONFIG)
    weights = model.attention(np.array([[0, 0, 1, 2, 3, 4]]))  # (B, blocks, H, L, L)
    assert weights.shape == (1, 2, 2, 6, 6)
    assert np.all(np.triu(weights[0, :, :], k=1) == 0.0)  # no future
    assert np.all(weights[0, :, :, :, :2] == 0.0)  # no padding


def test_default_sasrec_is_unchanged():
    """block="transformer" is the default and builds the same weights, in the same order."""
    assert SASRecConfig().block == "transformer"
    base = SASRecConfig(max_len=6, dim=8, num_heads=2, dropout=0.0)
    model = make(config=base)
    paths = [w.path for w in model.weights]
    assert not any("uvqk" in p or "relative_position_bias" in p for p in paths)
    assert paths[:2] == ["sasrec/item_embedding/embeddings", "sasrec/positions/positions"]
    assert paths[2].startswith("sasrec/block_0/attention/")


def test_sasrec_hstu_is_causal_and_ignores_left_padding():
    model = make()
    a = np.array([[1, 2, 3, 4, 5, 6]])
    b = np.array([[1, 2, 3, 9, 11, 7]])  # same first three items, different future
    out_a, out_b = np.asarray(model(a)), np.asarray(model(b))
    np.testing.assert_allclose(out_a[:, :3], out_b[:, :3], atol=1e-5)
    assert not np.allclose(out_a[:, 3:], out_b[:, 3:])
    short = model.score(np.array([[3, 4, 5]]))
    padded = model.score(np.array([[0, 0, 0, 3, 4, 5]]))
    np.testing.assert_allclose(short, padded, atol=1e-5)


def test_sasrec_hstu_save_and_load_reproduce_scores_exactly(tmp_path):
    model = make()
    histories = np.array([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    path = tmp_path / "hstu.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, SASRec) and loaded.config == CONFIG
    assert all(isinstance(block, HSTUBlock) for block in loaded.blocks)
    assert np.array_equal(model.score(histories), loaded.score(histories))


def test_invalid_block_names_the_choices():
    with pytest.raises(
        ValueError, match=r"block='hstu2'; expected one of \('transformer', 'hstu'\)"
    ):
        SASRecConfig(block="hstu2")
    with pytest.raises(ValueError, match="block="):
        SASRec(10, {"block": "bert"})


@pytest.mark.slow
def test_sasrec_hstu_learns_on_the_synthetic_shop():
    frame = SyntheticShop(ShopConfig.toy(seed=1)).generate()
    data = prepare_next_item_data(
        preprocess(frame, min_user_events=3, min_item_events=2).interactions
    )
    config = SASRecConfig(max_len=12, dim=16, num_blocks=1, num_heads=1, dropout=0.2, block="hstu")
    v = data.validation
    untrained = SASRec(data.num_items, config)
    untrained.build()
    before = evaluate_full_ranking(
        score_fn(untrained), v.histories, v.targets, metrics=["ndcg"], exclude_seen=v.exclude_seen
    )["NDCG@10"]
    model = SASRec(data.num_items, config)
    # Without XLA: compiling costs ~10 s here, the three epochs well under 1 s.
    training = TrainingConfig(
        epochs=3, batch_size=64, learning_rate=5e-3, patience=3, seed=3, jit_compile=False
    )
    history = fit(model, data, training)
    losses = history.column("loss")[1]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert history.best_value > before + 0.02  # untrained 0.063, trained about 0.145
