"""TIGER: a distribution over the catalogue, a beam that emits only valid unseen items, the loss,
padding, saving, and codes learned by fit."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab.models import TIGER, SemanticIds, TIGERConfig, residual_kmeans

N = 30
CONFIG = TIGERConfig(max_len=6, dim=8, num_heads=2, dropout=0.0, levels=2, codebook_size=3, beam=8)
HISTORIES = np.array([[0, 0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10], [0, 0, 0, 0, 0, 30]])


def make(config: TIGERConfig = CONFIG, seed: int = 0) -> TIGER:
    keras.utils.set_random_seed(seed)
    vectors = np.random.default_rng(seed).normal(size=(N + 1, 4))
    model = TIGER(N, config, semantic_ids=residual_kmeans(vectors, levels=2, codebook_size=3))
    model.build()
    return model


@pytest.mark.formula("eq-code-probability")
def test_the_codes_probabilities_make_one_distribution_over_the_catalogue():
    model = make()
    log_p = model.log_probabilities(HISTORIES)
    assert np.all(log_p[:, 0] == -np.inf) and np.isfinite(log_p[:, 1:]).all()
    assert np.allclose(np.exp(log_p[:, 1:]).sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.formula("eq-constrained-beam")
def test_a_beam_as_wide_as_the_catalogue_is_the_exact_ranking():
    model = make()
    items, log_p = model.generate(HISTORIES, beam=N, exclude_history=False)
    exact = model.log_probabilities(HISTORIES)
    for row in range(len(HISTORIES)):
        assert sorted(items[row].tolist()) == list(range(1, N + 1))
        assert np.allclose(log_p[row], exact[row, items[row]], atol=1e-5)
        assert np.all(np.diff(log_p[row]) <= 1e-6)  # best first


@pytest.mark.formula("eq-constrained-beam")
@pytest.mark.parametrize("beam", [1, 4, 8])
def test_the_beam_emits_only_valid_items_never_seen_ones(beam):
    model = make(seed=1)
    items, log_p = model.generate(HISTORIES, beam=beam)
    assert items.shape == (3, beam) and np.all((items >= 1) & (items <= N))
    for row, history in enumerate(HISTORIES):
        assert not set(items[row].tolist()) & set(history[history > 0].tolist())
        assert len(set(items[row].tolist())) == beam
    # with one item in the catalogue unseen, the beam runs dry: padding 0 and -inf
    history = np.arange(2, N + 1)[None]
    wide = TIGER(N, CONFIG.__class__(**{**CONFIG.__dict__, "max_len": N}),
                 semantic_ids=make().semantic_ids)  # fmt: skip
    items, log_p = wide.generate(history, beam=3)
    assert items[0].tolist() == [1, 0, 0] and np.isneginf(log_p[0, 1:]).all()


def test_score_ranks_the_generated_items_first_and_the_rest_minus_infinity():
    model = make()
    items, _ = model.generate(HISTORIES)
    scores = model.score(HISTORIES)
    assert np.array_equal(np.argsort(-scores, axis=1, kind="stable")[:, : CONFIG.beam], items)
    assert np.isneginf(scores).sum(axis=1).tolist() == [N + 1 - CONFIG.beam] * 3


def test_the_loss_is_the_mean_negative_log_probability_of_the_targets():
    model = make()
    inputs = tf.constant(HISTORIES)
    targets = np.zeros_like(HISTORIES)
    targets[:, -1] = [11, 12, 1]  # only the last position has a target
    loss = model.compute_loss(inputs, tf.constant(targets), model(inputs), training=False)
    exact = model.log_probabilities(HISTORIES)
    expected = -np.mean([exact[0, 11], exact[1, 12], exact[2, 1]])
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_left_padding_does_not_change_the_beam():
    model = make()
    short = np.array([[3, 4]])
    a = model.generate(short)
    b = model.generate(np.array([[0, 0, 0, 3, 4]]))
    assert np.array_equal(a[0], b[0]) and np.allclose(a[1], b[1])


def test_save_and_load_keep_the_codes_and_the_lists(tmp_path):
    model = make()
    path = tmp_path / "tiger.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, TIGER) and loaded.config == CONFIG
    assert np.array_equal(np.asarray(loaded.codes), model.semantic_ids.codes)
    assert np.array_equal(loaded.score(HISTORIES), model.score(HISTORIES))


def test_parameter_count_equals_the_trainable_weights_when_the_collision_code_has_k_values():
    tuples = [[a, b, c] for a in range(3) for b in range(3) for c in range(3)]
    codes = np.array([[0, 0, 0], *tuples])
    ids = SemanticIds.from_codes(codes)
    model = TIGER(len(codes) - 1, CONFIG, semantic_ids=ids)
    model.build()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert TIGER.parameter_count(len(codes) - 1, 0, CONFIG) == trainable


def test_fit_learns_the_codes_from_the_training_sequences_and_lowers_the_loss():
    from reclab.data import ShopConfig, SyntheticShop, prepare_next_item_data, preprocess
    from reclab.training import TrainingConfig, fit

    frame = SyntheticShop(ShopConfig.toy(seed=1)).generate()
    shop_data = prepare_next_item_data(
        preprocess(frame, min_user_events=3, min_item_events=2).interactions
    )

    config = TIGERConfig(max_len=10, dim=16, levels=2, codebook_size=6, beam=12)
    model = TIGER(shop_data.num_items, config)
    history = fit(model, shop_data, TrainingConfig(epochs=3, batch_size=64, verbose=0))
    assert model.semantic_ids is not None and model.semantic_ids.sizes[:2] == (6, 6)
    losses = history.column("loss")[1]
    assert losses[-1] < losses[0] and history.best_value > 0


def test_a_model_without_codes_or_content_says_what_it_needs():
    with pytest.raises(ValueError, match="no semantic ids yet"):
        TIGER(N, CONFIG).build()
    with pytest.raises(ValueError, match="content="):
        TIGER(N, TIGERConfig(items="content"))
    with pytest.raises(ValueError, match="sampled loss"):
        make()({"inputs": HISTORIES, "candidates": HISTORIES[..., None]})
    with pytest.raises(ValueError, match="cover 30 items"):
        TIGER(31, CONFIG, semantic_ids=make().semantic_ids)
