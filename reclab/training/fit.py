"""Train a next-item model with ``model.fit``: one call, the book's protocol built in.

:func:`fit` compiles the model for the configured loss, streams seeded batches, validates with
full-ranking NDCG@10 on the *validation* split after every epoch, stops early and restores the
best weights, guards against NaN losses, and can be interrupted and resumed with
``backup_dir``. It returns a :class:`TrainingHistory` that
:func:`reclab.plotting.learning_curves` draws.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
from tensorflow.python.framework import config as tf_config

from reclab.data.negatives import item_weights
from reclab.data.sequences import Sequences
from reclab.losses import (
    GBCE,
    FullSoftmaxCrossEntropy,
    SampledBinaryCrossEntropy,
    SampledSoftmaxCrossEntropy,
)
from reclab.seeding import set_seed
from reclab.training.batches import EpochCounter, next_item_dataset, training_windows
from reclab.training.callbacks import (
    EarlyStoppingOnValidation,
    FullRankingValidation,
    NaNGuard,
    ResumableBackup,
    TimeLimit,
    TrainingDivergedError,
    TrainingLog,
)
from reclab.training.config import TrainingConfig
from reclab.training.data import EvaluationSet, NextItemData

__all__ = ["TrainingHistory", "fit", "make_loss", "negative_weights"]

#: The validation metric that drives early stopping and model selection.
MONITOR = "val_NDCG@10"


@dataclass
class TrainingHistory:
    """What happened during :func:`fit`.

    Attributes:
        records: one dict per epoch: ``epoch``, ``loss``, ``val_NDCG@10``, ``val_HR@10`` (on
            validated epochs), ``train_seconds``, ``val_seconds``.
        best_epoch: the epoch whose weights the model holds now (0 without validation).
        best_value: its validation NDCG@10.
        stopped_early: patience ran out before ``epochs``.
        time_limit_reached: ``max_seconds`` ended training.
        seconds: wall-clock seconds of this call.
        config: the :class:`TrainingConfig` used.
    """

    records: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_value: float = float("nan")
    stopped_early: bool = False
    time_limit_reached: bool = False
    seconds: float = 0.0
    config: TrainingConfig | None = None

    @property
    def epochs(self) -> int:
        """Epochs trained (including those before a resume)."""
        return len(self.records)

    def column(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(epochs, values)`` of one logged quantity, for the epochs that have it."""
        rows = [(r["epoch"], r[key]) for r in self.records if key in r]
        if not rows:
            return np.zeros(0), np.zeros(0)
        epochs, values = zip(*rows, strict=True)
        return np.asarray(epochs, float), np.asarray(values, float)

    def seconds_per_epoch(self) -> float:
        """Median training seconds per epoch (validation excluded; the first, compiling, too)."""
        times = [r["train_seconds"] for r in self.records]
        return float(np.median(times[1:] if len(times) > 1 else times)) if times else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "records": self.records,
            "best_epoch": self.best_epoch,
            "best_value": self.best_value,
            "stopped_early": self.stopped_early,
            "time_limit_reached": self.time_limit_reached,
            "seconds": self.seconds,
        }


def negative_weights(config: TrainingConfig, item_counts: np.ndarray) -> np.ndarray:
    """Sampling weights over ids ``0..N`` for the configured negative sampling."""
    num_items = len(item_counts) - 1
    if config.sampling == "popularity":
        return item_weights(num_items, "popularity", np.maximum(item_counts, 1), power=0.75)
    return item_weights(num_items)


def make_loss(config: TrainingConfig, num_items: int, weights: np.ndarray) -> keras.losses.Loss:
    """The Keras loss of ``config.loss`` (one of ``reclab.training.LOSSES``)."""
    if config.loss == "softmax":
        return FullSoftmaxCrossEntropy()
    if config.loss == "bce":
        return SampledBinaryCrossEntropy()
    if config.loss == "gbce":
        return GBCE(num_items=num_items, t=config.gbce_t)
    return SampledSoftmaxCrossEntropy(weights / weights.sum())


def _learning_rate(config: TrainingConfig, steps_per_epoch: int) -> Any:
    if config.lr_schedule == "constant":
        return config.learning_rate
    warmup = config.warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * 0.01 if warmup else config.learning_rate,
        decay_steps=max(1, config.epochs * steps_per_epoch - warmup),
        alpha=0.1,
        warmup_target=config.learning_rate if warmup else None,
        warmup_steps=warmup,
    )


def fit(
    model: keras.Model,
    data: NextItemData | Sequences,
    config: TrainingConfig | None = None,
    *,
    validation: EvaluationSet | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainingHistory:
    """Train a next-item model (:class:`~reclab.models.SASRec`, :class:`~reclab.models.GRU4Rec`).

    Seeds everything with ``config.seed`` first (:func:`reclab.seeding.set_seed`); a model not
    yet built is built after seeding, so the same seed and data give the same weights and
    metrics. Pass a freshly constructed model for a repeatable run.

    Args:
        model: a :class:`~reclab.models.NextItemModel`.
        data: a :class:`~reclab.training.NextItemData` (its validation set is used), or the
            training :class:`~reclab.data.Sequences` alone.
        config: the :class:`TrainingConfig` (defaults if ``None``).
        validation: overrides ``data.validation``; ``None`` with bare sequences trains for
            ``config.epochs`` without validation or early stopping.
        backup_dir: a folder used only for this run's backups. A run interrupted (exception,
            killed process) after epoch ``k`` and called again with the same arguments resumes
            at epoch ``k + 1`` and ends with the same result; the folder is deleted at the end.
        callbacks: extra Keras callbacks, called after validation and before early stopping.

    Returns:
        A :class:`TrainingHistory`. The model holds the weights of the best validation epoch.

    Raises:
        TrainingDivergedError: the loss became NaN or infinite (lower the learning rate).
    """
    config = TrainingConfig() if config is None else config
    config.validate()
    if isinstance(data, NextItemData):
        sequences = data.train
        validation = data.validation if validation is None else validation
    elif isinstance(data, Sequences):
        sequences = data
    else:
        raise TypeError(f"fit: data must be NextItemData or Sequences, got {type(data).__name__}")
    num_items = int(model.num_items)
    if len(sequences.items) and int(sequences.items.max()) > num_items:
        raise ValueError(
            f"fit: the training sequences hold item id {int(sequences.items.max())} but the "
            f"model has num_items={num_items}"
        )
    started = time.perf_counter()
    # Keras turns XLA off when TensorFlow's op determinism is on; XLA on CPU is deterministic
    # by itself (tested), so op determinism is left off for an XLA run and restored after.
    determinism_was_on = tf_config.is_op_determinism_enabled()
    set_seed(config.seed, deterministic_ops=not config.xla)
    if config.xla and determinism_was_on:
        tf_config.disable_op_determinism()
    try:
        return _fit(model, sequences, validation, config, backup_dir, callbacks, started)
    finally:
        if determinism_was_on and not tf_config.is_op_determinism_enabled():
            tf_config.enable_op_determinism()


def _fit(
    model: keras.Model,
    sequences: Sequences,
    validation: EvaluationSet | None,
    config: TrainingConfig,
    backup_dir: str | os.PathLike[str] | None,
    callbacks: Sequence[keras.callbacks.Callback],
    started: float,
) -> TrainingHistory:
    num_items = int(model.num_items)
    if not model.built:
        model.build()
    counts = np.bincount(sequences.items, minlength=num_items + 1)
    weights = negative_weights(config, counts)
    rows = training_windows(sequences, model.max_len) if config.windows else sequences
    counter = EpochCounter()
    dataset = next_item_dataset(
        rows,
        max_len=model.max_len,
        batch_size=config.batch_size,
        num_negatives=config.negatives,
        negative_weights=weights,
        seed=config.seed,
        epoch=counter,
    )
    steps = int(dataset.cardinality())
    optimizer = keras.optimizers.Adam(
        learning_rate=_learning_rate(config, steps),
        beta_2=config.beta_2,
        clipnorm=config.clipnorm,
    )
    model.compile(
        optimizer=optimizer,
        loss=make_loss(config, num_items, weights),
        jit_compile=config.xla,
    )
    log = TrainingLog()
    nan_guard = NaNGuard()
    limit = TimeLimit(config.max_seconds)
    stateful: dict[str, Any] = {"log": log, "time_limit": limit}
    chain: list[keras.callbacks.Callback] = [counter, nan_guard]
    early = None
    if validation is not None:
        chain.append(
            FullRankingValidation(
                validation, every=config.validate_every, last_epoch=config.epochs - 1
            )
        )
    chain.append(log)
    chain.extend(callbacks)
    if validation is not None:
        early = EarlyStoppingOnValidation(MONITOR, config.patience)
        chain.append(early)
        stateful["early_stopping"] = early
    chain.append(limit)
    if backup_dir is not None:
        chain.append(ResumableBackup(backup_dir, stateful))
    model.fit(
        dataset,
        epochs=config.epochs,
        callbacks=chain,
        shuffle=False,
        verbose={0: 0, 1: 1, 2: 2}.get(config.verbose, 0),
    )
    if nan_guard.diverged_at is not None:
        epoch, batch = nan_guard.diverged_at
        raise TrainingDivergedError(
            f"fit: the training loss became NaN or infinite at epoch {epoch}, batch {batch} "
            f"(loss={config.loss!r}, learning_rate={config.learning_rate}); lower the learning "
            "rate or set clipnorm"
        )
    history = TrainingHistory(records=log.records, config=config)
    history.seconds = time.perf_counter() - started
    history.time_limit_reached = limit.reached
    if early is not None:
        history.best_epoch, history.best_value = early.best_epoch, early.best
        history.stopped_early = early.wait >= early.patience
    return history
