"""GMF, MLP and NeuMF on the synthetic shop: the formulas, training, saving, seeds."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from reclab import data, losses, models
from reclab.seeding import set_seed


@pytest.fixture(scope="module")
def shop():
    frame = data.SyntheticShop(data.ShopConfig.toy()).generate()
    users = frame["user_id"].to_numpy()
    items = frame["item_id"].to_numpy()
    return users, items, int(users.max()), int(items.max())


def _model(shop, variant="neumf", **kwargs):
    _, _, num_users, num_items = shop
    config = models.NeuMFConfig(variant=variant, mf_dim=4, mlp_layers=(8, 4), **kwargs)
    model = models.NeuMF(num_users, num_items, config)
    model.build()
    return model


def _relu(x):
    return np.maximum(x, 0.0)


def _by_hand(model, users, items):
    """The paper's eqs. 9-12 in NumPy: logits (B, C) for users (B,) and items (B, C)."""
    parts = []
    if model.use_gmf:
        p = model.gmf_user.embeddings.numpy()[users][:, None, :]  # (B, 1, d)
        q = model.gmf_item.embeddings.numpy()[items]  # (B, C, d)
        parts.append(p * q)
    if model.use_mlp:
        p = model.mlp_user.embeddings.numpy()[users][:, None, :]
        q = model.mlp_item.embeddings.numpy()[items]
        z = np.concatenate([np.broadcast_to(p, q.shape), q], axis=-1)  # (B, C, d_0)
        for layer in model.hidden:
            w, b = (v.numpy() for v in layer.weights)
            z = _relu(z @ w + b)
        parts.append(z)
    h, b = (v.numpy() for v in model.output_layer.weights)
    return (np.concatenate(parts, axis=-1) @ h + b)[..., 0]


@pytest.mark.formula("eq-gmf")
@pytest.mark.formula("eq-ncf-mlp")
@pytest.mark.formula("eq-neumf")
@pytest.mark.parametrize("variant", ["gmf", "mlp", "neumf"])
def test_logits_match_the_paper_equations(shop, variant):
    set_seed(0, deterministic_ops=False)
    model = _model(shop, variant)
    users, items = np.array([1, 2, 7]), np.array([[3, 1], [2, 2], [9, 4]])
    want = _by_hand(model, users, items)
    np.testing.assert_allclose(model({"user": users, "item": items}).numpy(), want, atol=1e-6)
    np.testing.assert_allclose(
        model({"user": users, "item": items[:, 0]}).numpy(), want[:, 0], atol=1e-6
    )
    scores = model.score(None, users, chunk_pairs=150)  # several chunks
    assert scores.shape == (3, model.num_items + 1)
    assert np.all(np.isneginf(scores[:, 0]))
    np.testing.assert_allclose(scores[np.arange(3)[:, None], items], want, atol=1e-6)
    assert isinstance(model, models.Scorer)


def test_bad_configs_and_missing_users_are_reported(shop):
    with pytest.raises(ValueError, match="variant"):
        models.NeuMFConfig(variant="deep")
    with pytest.raises(ValueError, match="mlp_layers"):
        models.NeuMFConfig(mlp_layers=(7, 4))
    with pytest.raises(ValueError, match="users is required"):
        _model(shop).score(np.zeros((2, 3), int))


def _train(shop, seed, variant="neumf", epochs=1):
    users, items, _, num_items = shop
    set_seed(seed)
    model = _model(shop, variant, dropout=0.1)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=losses.SampledBinaryCrossEntropy())
    ds = data.pair_dataset(
        users, items, num_items=num_items, num_negatives=4, batch_size=256, seed=seed
    )
    history = model.fit(ds, epochs=epochs, verbose=0, shuffle=False)
    return model, history.history


def test_same_seed_same_numbers(shop):
    model_a, hist_a = _train(shop, seed=3)
    model_b, hist_b = _train(shop, seed=3)
    assert hist_a["loss"] == hist_b["loss"]
    users = np.arange(1, 6)
    np.testing.assert_array_equal(model_a.score(None, users), model_b.score(None, users))


@pytest.mark.parametrize("variant", ["gmf", "mlp", "neumf"])
def test_steps_on_a_fixed_batch_lower_the_loss(shop, variant):
    users, items, _, num_items = shop
    batch = next(
        iter(
            data.pair_dataset(
                users, items, num_items=num_items, num_negatives=4, batch_size=128, seed=0
            )
        )
    )
    set_seed(0)
    model = _model(shop, variant)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=losses.SampledBinaryCrossEntropy())
    before = model.evaluate(*batch, verbose=0)
    for _ in range(5):
        model.train_on_batch(*batch)
    assert model.evaluate(*batch, verbose=0) < before


def test_save_and_load_give_identical_scores(shop, tmp_path):
    model, _ = _train(shop, seed=0)
    path = tmp_path / "neumf.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, models.NeuMF)
    assert loaded.config == model.config
    users = np.arange(1, 11)
    np.testing.assert_array_equal(loaded.score(None, users), model.score(None, users))
