"""Matrix factorisation on the synthetic shop: shapes, the formula, training, saving, seeds."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from reclab import data, evaluation, losses, models
from reclab.seeding import set_seed


@pytest.fixture(scope="module")
def shop():
    frame = data.SyntheticShop(data.ShopConfig.toy()).generate()
    users = frame["user_id"].to_numpy()
    items = frame["item_id"].to_numpy()
    return users, items, int(users.max()), int(items.max())


def _model(shop, **kwargs):
    _, _, num_users, num_items = shop
    model = models.MatrixFactorization(
        num_users, num_items, models.MatrixFactorizationConfig(dim=8, **kwargs)
    )
    model.build()
    return model


@pytest.mark.formula("eq-mf-score")
def test_scores_are_biases_plus_dot_product(shop):
    set_seed(0, deterministic_ops=False)
    mf = _model(shop, global_mean=3.5)
    rng = np.random.default_rng(0)
    for layer in (mf.user_bias, mf.item_bias):  # non-zero biases, to check they are added
        layer.embeddings.assign(rng.normal(size=layer.embeddings.shape).astype("float32"))
    p = mf.user_embedding.embeddings.numpy()
    q = mf.item_embedding.embeddings.numpy()
    b_u = mf.user_bias.embeddings.numpy()[:, 0]
    b_i = mf.item_bias.embeddings.numpy()[:, 0]
    users, items = np.array([1, 2, 7]), np.array([[3, 1], [2, 2], [9, 4]])
    want = 3.5 + b_u[users, None] + b_i[items] + np.einsum("bd,bcd->bc", p[users], q[items])
    got = mf({"user": users, "item": items}).numpy()  # (B, C)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    single = mf({"user": users, "item": items[:, 0]}).numpy()  # (B,)
    np.testing.assert_allclose(single, want[:, 0], rtol=1e-5, atol=1e-5)
    scores = mf.score(np.zeros((3, 2), int), users)  # (B, N + 1)
    assert scores.shape == (3, mf.num_items + 1)
    assert np.all(np.isneginf(scores[:, 0]))
    np.testing.assert_allclose(scores[np.arange(3)[:, None], items], want, rtol=1e-5, atol=1e-5)
    assert isinstance(mf, models.Scorer)


def test_score_needs_users(shop):
    mf = _model(shop)
    with pytest.raises(ValueError, match="users is required"):
        mf.score(np.zeros((2, 3), int))
    with pytest.raises(ValueError, match="user ids must be in"):
        mf.score(None, np.array([10_000]))
    with pytest.raises(ValueError, match="dim"):
        models.MatrixFactorizationConfig(dim=0)


@pytest.mark.formula("eq-mf-objective")
def test_l2_penalty_is_added_to_the_training_loss(shop):
    mf = _model(shop, l2=0.5, global_mean=1.0)
    users, items = np.array([1, 2]), np.array([3, 4])
    mf({"user": users, "item": items}, training=True)
    p = mf.user_embedding.embeddings.numpy()[users]
    q = mf.item_embedding.embeddings.numpy()[items]
    want = 0.5 * np.mean((p**2).sum(-1) + (q**2).sum(-1))  # biases start at 0
    assert len(mf.losses) == 1
    np.testing.assert_allclose(float(mf.losses[0]), want, rtol=1e-5)


def _train_ratings(shop, seed, epochs=2):
    users, items, _, _ = shop
    ratings = (1.0 + (users * 7 + items * 3) % 5).astype("float32")  # a learnable pattern
    set_seed(seed)
    mf = _model(shop, global_mean=float(ratings.mean()), l2=1e-4)
    mf.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=losses.MeanSquaredError(),
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    ds = data.rating_dataset(users, items, ratings, batch_size=256, seed=seed)
    history = mf.fit(ds, epochs=epochs, verbose=0, shuffle=False)  # ds reshuffles itself
    return mf, history.history


def test_explicit_training_learns_and_is_deterministic(shop):
    _, hist_a = _train_ratings(shop, seed=1)
    _, hist_b = _train_ratings(shop, seed=1)
    assert hist_a["loss"][-1] < hist_a["loss"][0]
    assert hist_a["rmse"] == hist_b["rmse"]  # same seed, same numbers


def test_one_step_on_a_fixed_batch_lowers_each_implicit_loss(shop):
    users, items, _, num_items = shop
    batch = next(
        iter(
            data.pair_dataset(
                users, items, num_items=num_items, num_negatives=4, batch_size=128, seed=0
            )
        )
    )
    for loss in (losses.BPR(), losses.SampledSoftmaxCrossEntropy()):
        set_seed(0)
        mf = _model(shop, use_bias=False)
        mf.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss)
        before = mf.evaluate(*batch, verbose=0)
        for _ in range(5):
            mf.train_on_batch(*batch)
        assert mf.evaluate(*batch, verbose=0) < before


def test_save_and_load_give_identical_scores(shop, tmp_path):
    mf, _ = _train_ratings(shop, seed=0, epochs=1)
    path = tmp_path / "mf.keras"
    mf.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, models.MatrixFactorization)
    assert loaded.config == mf.config
    users = np.arange(1, 11)
    np.testing.assert_array_equal(loaded.score(None, users), mf.score(None, users))


def test_same_seed_same_weights_whatever_was_drawn_before(shop):
    # Regression: the initialisers were created in __init__ and drew their seed then, so two
    # models built after the same set_seed could differ (the CLI's MF changed run to run).
    _, _, num_users, num_items = shop
    config = models.MatrixFactorizationConfig(dim=8)
    first = models.MatrixFactorization(num_users, num_items, config)
    np.random.default_rng().random(5)  # other code runs in between
    second = models.MatrixFactorization(num_users, num_items, config)
    for model in (first, second):
        set_seed(4)
        model.build()
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_full_ranking_with_users(shop):
    users, items, num_users, _ = shop
    mf, _ = _train_ratings(shop, seed=0, epochs=1)
    ids = np.arange(1, num_users + 1)
    histories = np.zeros((num_users, 1), dtype=int)
    got = evaluation.evaluate_full_ranking(
        models.score_fn(mf, with_users=True),
        (histories, ids),
        items[np.searchsorted(users, ids, side="right") - 1],  # each user's last item
        seen=histories,
        ks=(10,),
        metrics=["hr"],
    )
    assert 0.0 <= got["HR@10"] <= 1.0
