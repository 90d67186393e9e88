"""fit(): learning, early stopping on validation, determinism, resume, NaN guard, windows."""

from __future__ import annotations

import importlib
from dataclasses import replace

import keras
import numpy as np
import pytest

from reclab.data import Sequences, causal_dataset, training_windows
from reclab.evaluation import evaluate_full_ranking
from reclab.models import (
    BERT4Rec,
    BERT4RecConfig,
    GRU4Rec,
    GRU4RecConfig,
    MarkovChain,
    MatrixFactorization,
    MatrixFactorizationConfig,
    NeuMF,
    NeuMFConfig,
    Popularity,
    SASRec,
    SASRecConfig,
    score_fn,
)
from reclab.training import (
    OBJECTIVES,
    BackupMismatchError,
    TrainingConfig,
    TrainingDivergedError,
    fit,
)

TINY_MODEL = SASRecConfig(max_len=12, dim=16, num_blocks=1, num_heads=1, dropout=0.2)
TINY_TRAINING = TrainingConfig(epochs=4, batch_size=64, learning_rate=5e-3, patience=2, seed=3)


@pytest.fixture(scope="module")
def trained(shop_data):
    model = SASRec(shop_data.num_items, TINY_MODEL)
    model.build()
    v = shop_data.validation
    before = evaluate_full_ranking(
        score_fn(model), v.histories, v.targets, metrics=["ndcg"], exclude_seen=v.exclude_seen
    )
    model = SASRec(shop_data.num_items, TINY_MODEL)
    history = fit(model, shop_data, TINY_TRAINING)
    return model, history, before["NDCG@10"]


@pytest.mark.slow
def test_training_beats_the_untrained_model_on_validation(shop_data, trained):
    model, history, before = trained
    v = shop_data.validation
    after = evaluate_full_ranking(
        score_fn(model), v.histories, v.targets, metrics=["ndcg"], exclude_seen=v.exclude_seen
    )
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
    for loss in [name for name in OBJECTIVES if name != "softmax"]:  # softmax: other tests
        config = replace(
            TINY_TRAINING,
            epochs=1,
            loss=loss,
            num_negatives=8 if OBJECTIVES[loss].negatives > 1 else None,
        )
        history = fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data.train, config)
        assert np.isfinite(history.records[0]["loss"]) and "val_NDCG@10" not in history.records[0]
    gru = GRU4Rec(shop_data.num_items, GRU4RecConfig(max_len=12, dim=8, hidden=8))
    history = fit(gru, shop_data, replace(TINY_TRAINING, epochs=1, jit_compile=False))
    assert history.best_epoch == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("loss", "sharing", "gain"),
    [
        ("sampled-softmax", "shared", 0.05),
        ("sampled-softmax", "in-batch", 0.05),
        ("gbce", "shared", 0.02),
        ("bce", "shared", 0.01),
    ],
)
def test_sampled_losses_learn_with_negatives_shared_by_the_batch(shop_data, loss, sharing, gain):
    """Validation NDCG@10 rises above the untrained model's (0.060 on this shop) in 3 epochs.

    (BCE with in-batch negatives is left out: popularity-distributed negatives with no log-Q
    correction push the popular items down, and it fell below the untrained model here.)
    """
    v = shop_data.validation
    untrained = SASRec(shop_data.num_items, TINY_MODEL)
    untrained.build()
    before = evaluate_full_ranking(
        score_fn(untrained), v.histories, v.targets, metrics=["ndcg"], exclude_seen=v.exclude_seen
    )["NDCG@10"]
    config = replace(TINY_TRAINING, epochs=3, loss=loss, num_negatives=32, negative_sharing=sharing)
    history = fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data, config)
    assert history.sharing == sharing and history.negatives == 32
    expected = "batch-targets" if sharing == "in-batch" else OBJECTIVES[loss].sampling
    assert history.sampling == expected
    losses = history.column("loss")[1]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert history.best_value > before + gain, (history.best_value, before)


def test_in_batch_proposal_is_the_frequency_of_training_targets(shop_data):
    from reclab.training.fit import target_weights

    rows = training_windows(shop_data.train, 12)
    weights = target_weights(rows, 12, shop_data.num_items)
    _x, y = next(
        iter(
            causal_dataset(
                rows,
                max_len=12,
                batch_size=len(rows.users),
                num_items=shop_data.num_items,
                shuffle=False,
            )
        )
    )
    np.testing.assert_array_equal(
        weights, np.bincount(y.numpy()[y.numpy() > 0], minlength=shop_data.num_items + 1)
    )


TINY_BERT = BERT4RecConfig(max_len=12, dim=16, num_blocks=1, num_heads=1, dropout=0.2)


@pytest.mark.slow
def test_bert4rec_learns_hidden_items_and_beats_popularity(shop_data):
    """On this shop popularity scores validation NDCG@10 0.215; BERT4Rec 0.24 after 3 epochs."""
    popularity = fit(Popularity(shop_data.num_items), shop_data).best_value
    model = BERT4Rec(shop_data.num_items, TINY_BERT)
    history = fit(model, shop_data, replace(TINY_TRAINING, epochs=3))
    losses = history.column("loss")[1]
    assert losses[-1] < losses[0]
    assert history.best_value > popularity + 0.01, (history.best_value, popularity)


def test_bert4rec_is_trained_on_windows_of_its_length_with_its_mask_probability(
    shop_data, monkeypatch
):
    fit_module = importlib.import_module("reclab.training.fit")  # the module, not fit()
    seen = {}
    real = fit_module.cloze_dataset

    def spy(rows, **kwargs):
        seen.update(kwargs, longest=int(rows.lengths.max()))
        return real(rows, **kwargs)

    monkeypatch.setattr(fit_module, "cloze_dataset", spy)
    model = BERT4Rec(shop_data.num_items, replace(TINY_BERT, mask_prob=0.3))
    fit(model, shop_data.train, replace(TINY_TRAINING, epochs=1, jit_compile=False))
    assert seen["longest"] == 12 and seen["max_len"] == 12  # windows of L items, not L + 1
    assert seen["mask_prob"] == 0.3 and seen["last_item_mask_prob"] == pytest.approx(1 / 11)


@pytest.mark.slow
@pytest.mark.parametrize(("loss", "sharing"), [("bce", "per-position"), ("gbce", "shared")])
def test_bert4rec_trains_with_sampled_losses_at_hidden_positions(shop_data, loss, sharing):
    config = replace(TINY_TRAINING, epochs=1, loss=loss, num_negatives=8, negative_sharing=sharing)
    history = fit(BERT4Rec(shop_data.num_items, TINY_BERT), shop_data, config)
    assert np.isfinite(history.records[0]["loss"]) and history.negatives == 8


def test_bert4rec_refuses_in_batch_negatives(shop_data):
    config = replace(TINY_TRAINING, loss="bce", negative_sharing="in-batch")
    with pytest.raises(ValueError, match="use negative_sharing='per-position' or 'shared'"):
        fit(BERT4Rec(shop_data.num_items, TINY_BERT), shop_data, config)


def test_models_with_user_vectors_refuse_shared_negatives(shop_data):
    config = replace(TINY_TRAINING, epochs=1, loss="bce", negative_sharing="shared")
    with pytest.raises(ValueError, match="applies to sequence models"):
        fit(USER_MODELS["mf"](shop_data), shop_data, config)


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
        ds = causal_dataset(
            shop_data.train,
            max_len=12,
            batch_size=8,
            num_items=shop_data.num_items,
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
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr_schedule": "step"}, "lr_schedule"),
        ({"negative_sampling": "zipf"}, "sampling"),
        ({"learning_rate": float("inf")}, "learning_rate must be a finite number"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"num_negatives": 0, "loss": "bce"}, "num_negatives"),
        ({"num_negatives": 8}, "samples no negatives"),
        ({"loss": "gbce", "loss_options": {"tau": 1}}, "no option"),
        ({"seed": -1}, "seed"),
        ({"negative_sharing": "batch"}, "negative_sharing"),
        ({"negative_sharing": "shared"}, "negative_sharing='shared' applies to a sampled loss"),
        (
            {"loss": "bce", "negative_sharing": "in-batch", "negative_sampling": "uniform"},
            "in-batch negatives are drawn from the batch's own targets",
        ),
    ],
)
def test_bad_training_configuration_cannot_be_constructed(changes, word):
    # Regression: TrainingConfig(loss="typo") used to construct and fail later inside fit.
    with pytest.raises(ValueError, match=word):
        TrainingConfig(**changes)


def test_paper_configuration_follows_the_papers_sampler():
    paper = TrainingConfig.paper()
    assert (paper.loss, paper.learning_rate, paper.batch_size, paper.windows) == (
        "bce",
        1e-3,
        128,
        False,
    )
    assert OBJECTIVES[paper.loss].negatives == 1
    assert paper.exclude_user_items  # SASRec's official sampler excludes the user's items


USER_MODELS = {
    "mf": lambda d: MatrixFactorization(d.num_users, d.num_items, MatrixFactorizationConfig(dim=8)),
    "neumf": lambda d: NeuMF(d.num_users, d.num_items, NeuMFConfig(mf_dim=4, mlp_layers=(8, 4))),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(USER_MODELS))
def test_one_entry_point_trains_models_with_user_vectors(shop_data, name):
    config = replace(TINY_TRAINING, loss="bce", epochs=3, batch_size=256, learning_rate=0.02)
    model = USER_MODELS[name](shop_data)
    history = fit(model, shop_data, config)
    assert history.negatives == 1 and "val_NDCG@10" in history.records[0]
    _epochs, values = history.column("val_NDCG@10")
    assert history.best_value == pytest.approx(values.max())
    again = USER_MODELS[name](shop_data)
    assert fit(again, shop_data, config).records[-1]["loss"] == history.records[-1]["loss"]
    # Regression: user ids must be the data's encoded ids, validated like sequence models
    v = shop_data.validation
    direct = evaluate_full_ranking(
        lambda b: model.score(b[0], b[1]),
        (v.histories, v.users),
        v.targets,
        metrics=["ndcg"],
        seen=v.histories,
        exclude_seen=v.exclude_seen,
    )
    assert direct["NDCG@10"] == pytest.approx(history.best_value)


@pytest.mark.slow
def test_matrix_factorisation_trains_with_the_full_softmax_neumf_refuses(shop_data):
    mf = USER_MODELS["mf"](shop_data)
    history = fit(mf, shop_data, replace(TINY_TRAINING, epochs=1, jit_compile=False))
    assert history.negatives == 0 and np.isfinite(history.records[0]["loss"])
    with pytest.raises(ValueError, match="cannot train with loss='softmax'"):
        fit(USER_MODELS["neumf"](shop_data), shop_data, replace(TINY_TRAINING, epochs=1))


def test_count_models_go_through_the_same_entry_point(shop_data):
    model = MarkovChain(shop_data.num_items, popularity_weight=0.5)
    history = fit(model, shop_data)
    v = shop_data.validation
    want = evaluate_full_ranking(
        score_fn(model), v.histories, v.targets, metrics=["ndcg"], exclude_seen=v.exclude_seen
    )
    assert history.best_value == pytest.approx(want["NDCG@10"]) and history.epochs == 1


@pytest.mark.slow
def test_a_backup_of_another_run_is_never_resumed(shop_data, tmp_path):
    # Regression: a seed-1 run used to continue silently from seed 0's backup.
    config = replace(TINY_TRAINING, epochs=3, patience=10)
    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data, config, backup_dir=backup,
            callbacks=[Interrupt(1)])  # fmt: skip
    with pytest.raises(BackupMismatchError, match="another configuration"):
        fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data, replace(config, seed=1),
            backup_dir=backup)  # fmt: skip
    other_data = shop_data.__class__(
        **{**vars(shop_data), "train": training_windows(shop_data.train, 5)}
    )
    with pytest.raises(BackupMismatchError):
        fit(SASRec(shop_data.num_items, TINY_MODEL), other_data.train, config, backup_dir=backup)
    resumed = fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data, config, backup_dir=backup)
    assert resumed.resumed_from == 1 and resumed.epochs == 3


def test_a_backup_folder_with_foreign_files_is_refused_and_kept(shop_data, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    with pytest.raises(ValueError, match="did not write"):
        fit(SASRec(shop_data.num_items, TINY_MODEL), shop_data, TINY_TRAINING, backup_dir=folder)
    assert (folder / "notes.txt").read_text() == "my notes"


class SlowValidation(keras.callbacks.Callback):
    """Pretends validation took 10 s, as the validation callback reports it."""

    def on_epoch_end(self, epoch, logs=None):
        logs["val_seconds"] = logs.get("val_seconds", 0.0) + 10.0


@pytest.mark.slow
def test_the_time_limit_counts_training_time_not_validation(shop_data):
    # Regression: the limit included validation time although it is documented as training time.
    config = replace(TINY_TRAINING, epochs=3, patience=10, max_seconds=5.0)
    history = fit(
        SASRec(shop_data.num_items, TINY_MODEL), shop_data, config, callbacks=[SlowValidation()]
    )
    assert not history.time_limit_reached and history.epochs == 3
