"""fit(): learning, early stopping on validation, determinism, resume, NaN guard, windows."""

from __future__ import annotations

from dataclasses import replace

import keras
import numpy as np
import pytest

from reclab.data import Sequences
from reclab.evaluation import evaluate_full_ranking
from reclab.models import GRU4Rec, GRU4RecConfig, SASRec, SASRecConfig, score_fn
from reclab.training import (
    LOSSES,
    TrainingConfig,
    TrainingDivergedError,
    fit,
    next_item_dataset,
    training_windows,
)

TINY_MODEL = SASRecConfig(max_len=12, dim=16, num_blocks=1, num_heads=1, dropout=0.2)
TINY_TRAINING = TrainingConfig(epochs=4, batch_size=64, learning_rate=5e-3, patience=2, seed=3)


@pytest.fixture(scope="module")
def trained(shop_data):
    model = SASRec(shop_data.num_items, TINY_MODEL)
    model.build()
    v = shop_data.validation
    before = evaluate_full_ranking(score_fn(model), v.histories, v.targets, metrics=["ndcg"])
    model = SASRec(shop_data.num_items, TINY_MODEL)
    history = fit(model, shop_data, TINY_TRAINING)
    return model, history, before["NDCG@10"]


@pytest.mark.slow
def test_training_beats_the_untrained_model_on_validation(shop_data, trained):
    model, history, before = trained
    v = shop_data.validation
    after = evaluate_full_ranking(score_fn(model), v.histories, v.targets, metrics=["ndcg"])
    assert after["NDCG@10"] > before + 0.02
    assert after["NDCG@10"] == pytest.approx(history.best_value)  # best weights restored
    losses = history.column("loss")[1]
    assert losses[-1] < losses[0]
    assert {"val_NDCG@10", "val_HR@10", "train_seconds"} <= set(history.records[0])


def test_trained_sasrec_stays_causal(shop_data, trained):
    model = trained[0]
    a = shop_data.validation.histories[:4, -12:]
    b = a.copy()
    b[:, 8:] = (b[:, 8:] % shop_data.num_items) + 1  # change the last four items
    out_a, out_b = np.asarray(model(a)), np.asarray(model(b))
    assert np.allclose(out_a[:, :8], out_b[:, :8], atol=1e-5)


@pytest.mark.slow
def test_same_seed_same_metrics_and_weights(shop_data, trained):
    model, history, _ = trained
    again = SASRec(shop_data.num_items, TINY_MODEL)
    history_again = fit(again, shop_data, TINY_TRAINING)
    assert np.array_equal(history.column("val_NDCG@10")[1], history_again.column("val_NDCG@10")[1])
    assert all(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), again.get_weights(), strict=True)
    )


class Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch: int) -> None:
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt(f"interrupted before epoch {epoch + 1}")


@pytest.mark.slow
def test_resume_after_interrupt_gives_the_same_result(shop_data, tmp_path):
    config = replace(TINY_TRAINING, epochs=3, patience=10, loss="gbce", num_negatives=4)
    reference = SASRec(shop_data.num_items, TINY_MODEL)
    expected = fit(reference, shop_data, config)

    backup = tmp_path / "backup"
    model = SASRec(shop_data.num_items, TINY_MODEL)
    with pytest.raises(KeyboardInterrupt):
        fit(model, shop_data, config, backup_dir=backup, callbacks=[Interrupt(2)])
    assert (backup / "training_metadata.json").exists()
    resumed_model = SASRec(shop_data.num_items, TINY_MODEL)
    resumed = fit(resumed_model, shop_data, config, backup_dir=backup)
    assert [r["epoch"] for r in resumed.records] == [1, 2, 3]
    assert np.array_equal(resumed.column("loss")[1], expected.column("loss")[1])
    assert np.array_equal(resumed.column("val_NDCG@10")[1], expected.column("val_NDCG@10")[1])
    assert resumed.best_epoch == expected.best_epoch
    for a, b in zip(reference.get_weights(), resumed_model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert not backup.exists()  # removed once training finished


@pytest.mark.slow
def test_every_loss_trains(shop_data):
    for loss in [name for name in LOSSES if name != "softmax"]:  # softmax: the other tests
        config = replace(
            TINY_TRAINING, epochs=1, loss=loss, num_negatives=None if loss == "bce" else 8
        )
        history = fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data.train, config)
        assert np.isfinite(history.records[0]["loss"]) and "val_NDCG@10" not in history.records[0]
    gru = GRU4Rec(shop_data.num_items, GRU4RecConfig(max_len=12, dim=8, hidden=8))
    history = fit(gru, shop_data, replace(TINY_TRAINING, epochs=1, jit_compile=False))
    assert history.best_epoch == 1


@pytest.mark.slow
def test_early_stopping_restores_the_best_epoch(shop_data):
    config = replace(TINY_TRAINING, epochs=12, learning_rate=0.05, patience=1)
    model = SASRec(shop_data.num_items, TINY_MODEL)
    history = fit(model, shop_data, config)
    assert history.stopped_early and history.epochs < 12
    epochs, values = history.column("val_NDCG@10")
    assert history.best_epoch == int(epochs[np.argmax(values)])


@pytest.mark.slow
def test_nan_loss_raises_a_clear_error(shop_data):
    config = replace(TINY_TRAINING, epochs=2, learning_rate=1e30, loss="bce")
    with pytest.raises(TrainingDivergedError, match="NaN or infinite at epoch 1"):
        fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data, config)


@pytest.mark.slow
def test_time_limit_and_cosine_schedule(shop_data):
    config = replace(TINY_TRAINING, epochs=50, max_seconds=1e-6, lr_schedule="cosine")
    history = fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data, config)
    assert history.time_limit_reached and history.epochs == 1


def test_windows_cover_every_event_once_as_target():
    seqs = Sequences(
        np.array([1, 2]), np.array([0, 7, 9]), np.arange(1, 10), np.zeros(9, dtype=np.int64)
    )
    windows = training_windows(seqs, 3)
    assert [w.tolist() for w in windows.to_list()] == [[1, 2, 3, 4], [4, 5, 6, 7], [8, 9]]


def test_dataset_is_a_function_of_seed_and_epoch(shop_data):
    def first_batch(seed):
        ds = next_item_dataset(
            shop_data.train,
            max_len=12,
            batch_size=8,
            num_negatives=3,
            negative_weights=np.r_[0.0, np.ones(shop_data.num_items)],
            seed=seed,
        )
        x, y = next(iter(ds))
        return x["inputs"].numpy(), y.numpy()

    a, b, c = first_batch(0), first_batch(0), first_batch(1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    real = a[1][..., 0] > 0
    assert not (a[1][..., 1:][real] == a[1][..., :1][real]).any()  # negatives != positive


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"loss": "hinge"}, "loss"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr_schedule": "step"}, "lr_schedule"),
        ({"negative_sampling": "zipf"}, "sampling"),
    ],
)
def test_bad_training_configuration(changes, word):
    with pytest.raises(ValueError, match=word):
        TrainingConfig(**changes).validate()


def test_paper_configuration():
    paper = TrainingConfig.paper()
    assert (paper.loss, paper.negatives, paper.learning_rate, paper.batch_size) == (
        "bce",
        1,
        1e-3,
        128,
    )
