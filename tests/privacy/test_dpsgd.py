"""DP-SGD: each user's gradient clipped, noise as configured, the budget the accountant gives."""

from __future__ import annotations

import dp_accounting
import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab.data import Sequences, poisson_dataset, poisson_steps_per_epoch
from reclab.losses import full_softmax_cross_entropy
from reclab.models import SASRec, SASRecConfig
from reclab.privacy import (
    PrivacyConfig,
    clipped_user_gradients,
    dp_sgd_epsilon,
    noise_for_epsilon,
    noise_for_training,
    noisy_mean_gradient,
)
from reclab.reference import privacy as ref
from reclab.training import TrainingConfig, fit

MAX_LEN = 5


def _model(num_items: int = 20):
    keras.utils.set_random_seed(0)
    model = SASRec(num_items, SASRecConfig(max_len=MAX_LEN, dim=8, num_blocks=1, dropout=0.0))
    model.build()
    return model


def _batch(num_items: int = 20, rows: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, num_items + 1, size=(rows, MAX_LEN)).astype(np.int32)
    y = rng.integers(1, num_items + 1, size=(rows, MAX_LEN)).astype(np.int32)
    x[0, :3] = 0  # a left-padded history: its padded targets carry no loss
    y[0, :3] = 0
    return x, y


def _user_gradient(model, x, y):
    """One user's gradient by its own tape: what the map over the batch must reproduce."""
    with tf.GradientTape() as tape:
        loss = full_softmax_cross_entropy(y[None], model(x[None], training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    return [
        np.zeros(v.shape) if g is None else tf.convert_to_tensor(g).numpy()
        for g, v in zip(grads, model.trainable_variables, strict=True)
    ]


@pytest.mark.parametrize("clip_norm", [1e-3, 0.05, 100.0])
def test_every_users_gradient_is_clipped_to_the_bound(clip_norm):
    model = _model()
    x, y = _batch()
    sums, norms, losses = clipped_user_gradients(model, x, y, clip_norm)
    users = [_user_gradient(model, x[u], y[u]) for u in range(len(x))]
    want_norms = [np.sqrt(sum(np.sum(g**2) for g in grads)) for grads in users]
    np.testing.assert_allclose(norms.numpy(), want_norms, rtol=1e-4)
    clipped = [ref.clip(grads, clip_norm) for grads in users]
    for grads in clipped:  # the bound, user by user
        assert np.sqrt(sum(np.sum(g**2) for g in grads)) <= clip_norm * (1 + 1e-6)
    want_sums = [sum(parts) for parts in zip(*clipped, strict=True)]
    for got, want in zip(sums, want_sums, strict=True):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-7)
    assert losses.shape == (len(x),)


@pytest.mark.formula("eq-dp-sgd")
def test_noisy_mean_gradient_matches_the_numpy_formula():
    model = _model()
    x, y = _batch(rows=4)
    clip_norm, sigma, expected = 0.05, 1.3, 3
    sums, _, _ = clipped_user_gradients(model, x, y, clip_norm)
    seed = np.array([7, 11], np.int32)
    got = noisy_mean_gradient(
        sums, clip_norm=clip_norm, noise_multiplier=sigma, expected_batch_size=expected, seed=seed
    )
    std = sigma * clip_norm
    noise = [  # the draws the package makes: variable k with seed + (k, 0)
        tf.random.stateless_normal(s.shape, seed=seed + np.int32([k, 0]), stddev=std).numpy()
        for k, s in enumerate(sums)
    ]
    users = [_user_gradient(model, x[u], y[u]) for u in range(len(x))]
    want = ref.noisy_mean_gradient(users, clip_norm, noise, expected)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-4, atol=1e-6)


def test_noise_has_the_configured_scale_and_is_repeatable():
    sums = [tf.zeros((200, 50)), tf.zeros((3000,))]
    kwargs = {"clip_norm": 0.5, "noise_multiplier": 2.0, "expected_batch_size": 4}
    first = noisy_mean_gradient(sums, seed=[3, 1], **kwargs)
    values = np.concatenate([g.numpy().ravel() for g in first])
    # std sigma * C / (qU) = 0.25; 13,000 draws put the sample std within about 1 %
    assert np.std(values) == pytest.approx(0.25, rel=0.03)
    assert abs(np.mean(values)) < 0.01
    again = noisy_mean_gradient(sums, seed=[3, 1], **kwargs)
    other_step = noisy_mean_gradient(sums, seed=[3, 2], **kwargs)
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    assert not np.allclose(first[0].numpy(), other_step[0].numpy())
    assert not np.allclose(first[0].numpy()[:50, :50], first[1].numpy()[:2500].reshape(50, 50))


def test_no_noise_without_a_noise_multiplier():
    sums = [tf.ones((4, 3))]
    (got,) = noisy_mean_gradient(
        sums, clip_norm=1.0, noise_multiplier=0.0, expected_batch_size=2, seed=[0, 0]
    )
    np.testing.assert_array_equal(got.numpy(), np.full((4, 3), 0.5))


@pytest.mark.parametrize(
    ("sigma", "q", "steps", "delta"), [(1.0, 0.0625, 160, 1e-5), (0.7, 0.01, 1000, 1e-6)]
)
def test_epsilon_is_the_accountants(sigma, q, steps, delta):
    accountant = dp_accounting.rdp.RdpAccountant()
    event = dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma))
    accountant.compose(dp_accounting.SelfComposedDpEvent(event, steps))
    assert dp_sgd_epsilon(sigma, q, steps, delta) == pytest.approx(
        accountant.get_epsilon(delta), rel=1e-9
    )


def test_epsilon_edge_cases_and_its_inverse():
    assert dp_sgd_epsilon(1.0, 0.1, 0, 1e-5) == 0.0
    assert dp_sgd_epsilon(0.0, 0.1, 10, 1e-5) == float("inf")
    assert dp_sgd_epsilon(2.0, 0.1, 100, 1e-5) < dp_sgd_epsilon(1.0, 0.1, 100, 1e-5)
    sigma = noise_for_epsilon(3.0, 0.05, 400, 1e-5)
    assert dp_sgd_epsilon(sigma, 0.05, 400, 1e-5) == pytest.approx(3.0, abs=0.02)


def test_noise_for_training_covers_the_steps_the_poisson_batches_take():
    seqs = Sequences.from_lists([[1 + u % 7, 2, 3 + u % 5] for u in range(90)])
    per_epoch = sum(1 for _ in poisson_dataset(seqs, max_len=2, expected_batch_size=20))
    assert per_epoch == poisson_steps_per_epoch(90, 20) == 5  # ceil(90 / 20)
    sigma = noise_for_training(2.0, users=90, batch_size=20, epochs=3, delta=1e-3)
    assert sigma == noise_for_epsilon(2.0, 20 / 90, 3 * per_epoch, 1e-3)
    assert dp_sgd_epsilon(sigma, 20 / 90, 3 * per_epoch, 1e-3) <= 2.0
    assert dp_sgd_epsilon(0.99 * sigma, 20 / 90, 3 * per_epoch, 1e-3) > 2.0  # the smallest
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, users=90\], got 91"):
        noise_for_training(2.0, users=90, batch_size=91, epochs=3, delta=1e-3)


def test_poisson_batches_are_repeatable_and_average_the_expected_size():
    seqs = Sequences.from_lists([[1 + u % 7, 2, 3 + u % 5] for u in range(400)])
    sizes = [len(x) for x, _ in poisson_dataset(seqs, max_len=2, expected_batch_size=20, seed=4)]
    again = [len(x) for x, _ in poisson_dataset(seqs, max_len=2, expected_batch_size=20, seed=4)]
    other = [len(x) for x, _ in poisson_dataset(seqs, max_len=2, expected_batch_size=20, seed=5)]
    assert len(sizes) == 20 and sizes == again and sizes != other
    assert np.mean(sizes) == pytest.approx(20, abs=3)  # Binomial(400, 0.05): sd 4.4 per step
    assert len(set(sizes)) > 1  # sizes vary: users are drawn independently


def test_poisson_dataset_refuses_a_user_cut_into_windows():
    windows = Sequences.from_lists([[1, 2, 3], [4, 5, 6]])
    seqs = Sequences(np.array([1, 1]), windows.offsets, windows.items, windows.timestamps)
    with pytest.raises(ValueError, match="user id 1 has 2 rows"):
        poisson_dataset(seqs, max_len=2, expected_batch_size=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"loss": "bce"}, "privacy needs loss='softmax'"),
        ({"windows": True}, "privacy needs windows=False"),
        ({"clipnorm": 1.0}, "privacy needs clipnorm=None"),
        ({"jit_compile": True}, "jit_compile=None or False"),
    ],
)
def test_config_refuses_what_dp_sgd_does_not_cover(changes, message):
    settings = {"loss": "softmax", "windows": False, "privacy": PrivacyConfig(1.0)} | changes
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**settings)


def test_config_takes_privacy_as_stored_in_json():
    config = TrainingConfig(loss="softmax", windows=False, privacy={"noise_multiplier": 0.5})
    assert config.privacy == PrivacyConfig(0.5)
    with pytest.raises(ValueError, match="noise_multiplier"):
        PrivacyConfig(-1.0)


def _private(seed: int = 0, **changes):
    settings = {
        "loss": "softmax",
        "windows": False,
        "epochs": 2,
        "batch_size": 16,
        "privacy": PrivacyConfig(1.0, clip_norm=0.5),
        "seed": seed,
    } | changes
    return TrainingConfig(**settings)


def test_private_fit_reports_the_budget_of_the_steps_it_took(shop_data):
    model = SASRec(shop_data.num_items, SASRecConfig(max_len=8, dim=8, num_blocks=1))
    history = fit(model, shop_data, _private())
    p = history.privacy
    users = int(np.count_nonzero(shop_data.train.lengths >= 2))
    assert p["users"] == users and p["sampling_probability"] == 16 / users
    assert p["steps"] == 2 * -(-users // 16) == int(model.optimizer.iterations)
    assert p["delta"] == 1 / (10 * users)
    assert p["epsilon"] == dp_sgd_epsilon(1.0, 16 / users, p["steps"], p["delta"])
    assert history.best_epoch == 2 and not history.stopped_early  # the last epoch's weights
    assert model.private_training is None  # Keras' own step again after fit
    assert np.isfinite(history.records[-1]["loss"])


def test_private_fit_is_repeatable(shop_data):
    def run(seed):
        model = SASRec(shop_data.num_items, SASRecConfig(max_len=8, dim=8, num_blocks=1))
        fit(model, shop_data, _private(seed, epochs=1))
        return model.item_embedding.embeddings.numpy()

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_private_fit_refuses_a_backup_and_a_cloze_model(shop_data, tmp_path):
    from reclab.models import BERT4Rec, BERT4RecConfig

    model = SASRec(shop_data.num_items, SASRecConfig(max_len=8, dim=8, num_blocks=1))
    with pytest.raises(ValueError, match="does not resume from a backup"):
        fit(model, shop_data, _private(), backup_dir=tmp_path)
    bert = BERT4Rec(shop_data.num_items, BERT4RecConfig(max_len=8, dim=8, num_blocks=1))
    with pytest.raises(ValueError, match="predict the next item"):
        fit(bert, shop_data, _private())
