"""Train any model of the book with one call: the protocol, the callbacks and resume built in.

:func:`fit` trains a sequence model (:class:`~reclab.models.SASRec`,
:class:`~reclab.models.GRU4Rec`: next-item windows; :class:`~reclab.models.BERT4Rec`: masked
items, :func:`~reclab.data.cloze_dataset`), a model with user vectors
(:class:`~reclab.models.MatrixFactorization`, :class:`~reclab.models.NeuMF`: (user, item)
events) or a count model (:class:`~reclab.models.Popularity`, :class:`~reclab.models.MarkovChain`:
counted once) on the same :class:`~reclab.data.NextItemData`, with the same machinery: the
objective from the registry (:mod:`reclab.training.objectives`), seeded batches that are a
function of (seed, epoch), full-ranking NDCG@10 on the *validation* split after every epoch,
early stopping with the best weights restored, a NaN guard, a training-time limit, and a backup
folder from which an interrupted run resumes (only the same run: configuration, model and data
are fingerprinted). It returns a :class:`TrainingHistory` that
:func:`reclab.plotting.learning_curves` draws.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import keras
import numpy as np

from reclab.data.batching import causal_arrays, training_windows
from reclab.data.datasets import causal_dataset, cloze_dataset, pair_dataset, poisson_dataset
from reclab.data.negatives import ExcludedItems, item_weights
from reclab.data.prepared import EvaluationSet, NextItemData
from reclab.data.sequences import Sequences
from reclab.privacy.accounting import dp_sgd_epsilon
from reclab.privacy.dpsgd import PrivateTraining
from reclab.seeding import set_seed
from reclab.training import callbacks as cb
from reclab.training.config import TrainingConfig
from reclab.training.distribute import is_multi_worker, replicas
from reclab.training.objectives import Objective, objective

__all__ = ["MONITOR", "TrainingHistory", "fit", "make_loss", "negative_weights"]

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
        resumed_from: the epoch this call resumed from (0: a fresh run).
        negatives: negatives per position the run sampled (0: none).
        sampling: their proposal (``"uniform"``, ``"popularity"``, or ``"batch-targets"``
            for in-batch negatives; ``None`` without).
        sharing: how the negatives were shared (:data:`reclab.data.NEGATIVE_SHARING`;
            ``None`` without negatives).
        xla: whether the training step was compiled with XLA.
        replicas: replicas that trained the model in sync (1: no ``tf.distribute`` strategy;
            see :mod:`reclab.training.distribute`).
        privacy: for a run with ``TrainingConfig(privacy=...)``, its guarantee:
            ``noise_multiplier``, ``clip_norm``, ``users`` (:math:`U`), ``expected_batch_size``,
            ``sampling_probability`` (:math:`q`), ``steps`` taken, ``delta`` and ``epsilon``
            (:func:`reclab.privacy.dp_sgd_epsilon` for those steps); ``None`` otherwise.
        fingerprint: the run's identity (configuration, model and data).
        config: the :class:`TrainingConfig` used.
    """

    records: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_value: float = float("nan")
    stopped_early: bool = False
    time_limit_reached: bool = False
    seconds: float = 0.0
    resumed_from: int = 0
    negatives: int = 0
    sampling: str | None = None
    sharing: str | None = None
    xla: bool = False
    replicas: int = 1
    privacy: dict[str, float] | None = None
    fingerprint: str = ""
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
        """A JSON-ready summary (every field but the configuration, which a run stores apart)."""
        return {k: v for k, v in asdict(self).items() if k != "config"}


def negative_weights(sampling: str, item_counts: np.ndarray) -> np.ndarray:
    """Sampling weights over ids ``0..N``: uniform, or popularity ``count ** 0.75``."""
    num_items = len(item_counts) - 1
    if sampling == "popularity":
        return item_weights(num_items, "popularity", np.maximum(item_counts, 1), power=0.75)
    return item_weights(num_items)


def target_weights(rows: Sequences, max_len: int, num_items: int) -> np.ndarray:
    """Weights ``(N + 1,)`` proportional to how often each id is a training target in ``rows``.

    The proposal of in-batch negatives: drawing a random target of a random batch draws item
    ``j`` with probability ``count_j / total`` (the log-Q correction needs exactly this).
    """
    targets = causal_arrays(rows, max_len)["targets"]
    counts = np.bincount(targets[targets > 0].ravel(), minlength=num_items + 1)
    weights = counts[: num_items + 1].astype(np.float64)
    weights[0] = 0.0
    return weights


def make_loss(config: TrainingConfig, num_items: int, weights: np.ndarray) -> keras.losses.Loss:
    """The Keras loss of ``config.loss`` (a registered objective), with proposal ``weights``."""
    return objective(config.loss).loss(num_items, weights / weights.sum(), config.loss_options)


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


def _fingerprint(model: Any, config: TrainingConfig, data: NextItemData | Sequences) -> str:
    """The run's identity: what determines its result (not ``verbose`` or ``max_seconds``)."""
    settings = {k: v for k, v in config.to_dict().items() if k not in ("verbose", "max_seconds")}
    model_config = model.get_config() if hasattr(model, "get_config") else vars(model)
    if isinstance(data, NextItemData):
        data_print = data.fingerprint()
    else:
        digest = hashlib.sha256()
        for part in (data.users, data.offsets, data.items):
            digest.update(np.ascontiguousarray(part, dtype="<i8").tobytes())
        data_print = digest.hexdigest()[:16]
    text = json.dumps(
        [type(model).__name__, model_config, settings, data_print], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_sizes(model: Any, sequences: Sequences, where: str) -> None:
    num_items = int(model.num_items)
    if len(sequences.items) and int(sequences.items.max()) > num_items:
        raise ValueError(
            f"{where}: the training sequences hold item id {int(sequences.items.max())} but the "
            f"model has num_items={num_items}; build it with the data's num_items"
        )
    num_users = getattr(model, "num_users", None)
    if num_users is not None and len(sequences.users) and int(sequences.users.max()) > num_users:
        raise ValueError(
            f"{where}: the training data has user id {int(sequences.users.max())} but the model "
            f"has num_users={num_users}; build it with the data's num_users"
        )


def fit(
    model: Any,
    data: NextItemData | Sequences,
    config: TrainingConfig | None = None,
    *,
    validation: EvaluationSet | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainingHistory:
    """Train any model of the book on the next-item protocol.

    Seeds everything with ``config.seed`` first (:func:`reclab.seeding.set_seed`); a model not
    yet built is built after seeding, so the same seed and data give the same weights and
    metrics. Pass a freshly constructed model for a repeatable run.

    Args:
        model: a sequence model (``model.reads == "histories"``), a model with user vectors
            (``"users"``), or a count model with ``fit(sequences)`` (trained in one pass).
            A Keras model made inside a ``tf.distribute`` strategy's scope is built, compiled
            and trained on that strategy's replicas (:mod:`reclab.training.distribute`).
        data: a :class:`~reclab.data.NextItemData` (its validation set is used), or training
            :class:`~reclab.data.Sequences` alone.
        config: the :class:`TrainingConfig` (defaults if ``None``); count models ignore it.
        validation: overrides ``data.validation``; ``None`` with bare sequences trains for
            ``config.epochs`` without validation or early stopping.
        backup_dir: a folder used only for this run's backups. A run interrupted (exception,
            killed process) after epoch ``k`` and called again with the same arguments resumes
            at epoch ``k + 1`` and ends with the same result; a backup of another run is
            refused (:class:`~reclab.training.BackupMismatchError`), and the backup's files are
            deleted at the end.
        callbacks: extra Keras callbacks, called after validation and before early stopping.

    Returns:
        A :class:`TrainingHistory`. The model holds the weights of the best validation epoch.

    Raises:
        TrainingDivergedError: the loss became NaN or infinite (lower the learning rate).
        ValueError: the model does not fit the data (sizes), or the objective does not fit
            the model.
    """
    config = TrainingConfig() if config is None else config
    if isinstance(data, NextItemData):
        sequences = data.train
        validation = data.validation if validation is None else validation
    elif isinstance(data, Sequences):
        sequences = data
    else:
        raise TypeError(f"fit: data must be NextItemData or Sequences, got {type(data).__name__}")
    started = time.perf_counter()
    _check_sizes(model, sequences, "fit")
    set_seed(config.seed)
    if not hasattr(model, "reads"):  # a count model: one pass over the training sequences
        return _fit_counts(model, sequences, validation, config, started)
    if model.reads not in ("histories", "users"):
        raise ValueError(f"fit: model.reads={model.reads!r}; expected 'histories' or 'users'")
    return _fit_keras(model, data, sequences, validation, config, backup_dir, callbacks, started)


def _fit_counts(
    model: Any,
    sequences: Sequences,
    validation: EvaluationSet | None,
    config: TrainingConfig,
    started: float,
) -> TrainingHistory:
    model.fit(sequences)
    record: dict[str, float] = {"epoch": 1, "train_seconds": time.perf_counter() - started}
    history = TrainingHistory(records=[record], config=config)
    if validation is not None:
        logs: dict[str, float] = {}
        check = cb.FullRankingValidation(validation)
        check.set_model(model)  # duck-typed: it only calls model.score
        check.on_epoch_end(0, logs)
        record.update(logs)
        history.best_epoch, history.best_value = 1, float(logs[MONITOR])
    history.seconds = time.perf_counter() - started
    return history


def _dataset(
    model: Any,
    sequences: Sequences,
    rows: Sequences,
    config: TrainingConfig,
    entry: Objective,
    weights: np.ndarray,
    counter: cb.EpochCounter,
) -> Any:
    if config.privacy is not None:  # one row per user, each drawn independently at every step
        dataset = poisson_dataset(
            rows,
            max_len=model.max_len,
            expected_batch_size=config.batch_size,
            seed=config.seed,
            epoch=counter,
        )
        return dataset, 0
    negatives = entry.negatives if config.num_negatives is None else config.num_negatives
    if not entry.samples_negatives:
        negatives = 0
        if not getattr(model, "supports_full_softmax", True):
            raise ValueError(
                f"fit: {type(model).__name__} cannot train with loss={config.loss!r}, which "
                "scores the whole catalogue; choose a sampled loss (bce, bpr, sampled-softmax, "
                "gbce)"
            )
    sharing = config.negative_sharing
    if negatives and sharing != "per-position" and model.reads != "histories":
        raise ValueError(
            f"fit: negative_sharing={sharing!r} applies to sequence models (SASRec, GRU4Rec); "
            f"{type(model).__name__} draws negatives for each event (use 'per-position')"
        )
    exclude = None
    if config.exclude_user_items:  # row u holds the items of user id u
        exclude = ExcludedItems.from_pairs(
            np.repeat(sequences.users, sequences.lengths),
            sequences.items,
            num_rows=int(sequences.users.max()) + 1,
            num_items=int(model.num_items),
        )
    common = {
        "num_items": int(model.num_items),
        "batch_size": config.batch_size,
        "num_negatives": negatives,
        "negative_weights": weights,
        "exclude": exclude,
        "seed": config.seed,
        "epoch": counter,
    }
    if model.reads == "histories":
        if sharing == "in-batch":
            common["negative_weights"] = None  # the batch's targets are the proposal
        if _is_cloze(model):
            dataset = cloze_dataset(
                rows,
                max_len=model.max_len,
                mask_prob=model.config.mask_prob,
                last_item_mask_prob=model.config.last_item_mask_prob,
                sharing=sharing,
                **common,
            )
        else:
            dataset = causal_dataset(rows, max_len=model.max_len, sharing=sharing, **common)
        return dataset, negatives
    users = np.repeat(sequences.users, sequences.lengths)  # one row per training event
    return pair_dataset(users, sequences.items, **common), negatives


def _is_cloze(model: Any) -> bool:
    """Whether ``model`` learns to fill in hidden items (``model.task == "cloze"``)."""
    return getattr(model, "task", "next-item") == "cloze"


def _training_rows(model: Any, sequences: Sequences, config: TrainingConfig) -> Sequences:
    """What the batches are cut from: windows of ``L + 1`` items for next-item training (inputs
    and targets), of ``L`` for cloze training; the sequences themselves without windows."""
    if model.reads != "histories" or not config.windows:
        return sequences
    if _is_cloze(model):
        return training_windows(sequences, model.max_len - 1)  # windows of L items
    return training_windows(sequences, model.max_len)


def _fit_keras(
    model: keras.Model,
    data: NextItemData | Sequences,
    sequences: Sequences,
    validation: EvaluationSet | None,
    config: TrainingConfig,
    backup_dir: str | os.PathLike[str] | None,
    callbacks: Sequence[keras.callbacks.Callback],
    started: float,
) -> TrainingHistory:
    entry = objective(config.loss)
    num_items = int(model.num_items)
    _check_distributed(model, config)
    if not model.built:
        if hasattr(model, "prepare"):  # structure learned from the data first (TIGER's codes)
            model.prepare(sequences)
        with model.distribute_strategy.scope():  # variables mirrored on a model made in a scope
            model.build()
    sampling = entry.sampling if config.negative_sampling is None else config.negative_sampling
    counts = np.bincount(sequences.items, minlength=num_items + 1)
    if hasattr(model, "set_trained_items"):  # content models: m_i = 1 for trained items
        model.set_trained_items(counts)
    weights = negative_weights(sampling, counts)
    rows = _training_rows(model, sequences, config)
    if config.negative_sharing == "in-batch" and _is_cloze(model):
        raise ValueError(
            f"fit: {type(model).__name__} learns hidden items; in-batch negatives would need "
            "the frequency of hidden items as their log-Q proposal, which is not implemented; "
            "use negative_sharing='per-position' or 'shared'"
        )
    if config.negative_sharing == "in-batch" and model.reads == "histories":
        sampling = "batch-targets"
        weights = target_weights(rows, model.max_len, num_items)
    if config.privacy is not None:
        _check_private(model, backup_dir)
    counter = cb.EpochCounter()
    dataset, negatives = _dataset(model, sequences, rows, config, entry, weights, counter)
    xla = entry.xla if config.jit_compile is None else bool(config.jit_compile)
    xla = xla and config.privacy is None and replicas(model.distribute_strategy) == 1
    steps = int(dataset.cardinality())
    with model.distribute_strategy.scope():  # the optimiser's slots mirrored like the weights
        optimizer = keras.optimizers.Adam(
            learning_rate=_learning_rate(config, steps),
            beta_2=config.beta_2,
            clipnorm=config.clipnorm,
        )
        model.compile(
            optimizer=optimizer, loss=make_loss(config, num_items, weights), jit_compile=xla
        )
    log = cb.TrainingLog()
    nan_guard = cb.NaNGuard()
    limit = cb.TimeLimit(config.max_seconds)
    stateful: dict[str, Any] = {"log": log, "time_limit": limit}
    chain: list[keras.callbacks.Callback] = [counter, nan_guard]
    if validation is not None:
        chain.append(
            cb.FullRankingValidation(
                validation, every=config.validate_every, last_epoch=config.epochs - 1
            )
        )
    chain.append(log)
    chain.extend(callbacks)
    early = None
    if validation is not None and config.privacy is None:
        early = cb.EarlyStoppingOnValidation(MONITOR, config.patience)
        chain.append(early)
        stateful["early_stopping"] = early
    chain.append(limit)
    fingerprint = _fingerprint(model, config, data)
    resumed_from = 0
    if backup_dir is not None:
        backup = cb.ResumableBackup(backup_dir, stateful, fingerprint)
        resumed_from = backup.resumed_epoch
        chain.append(backup)
    if config.privacy is not None:
        model.private_training = PrivateTraining(config.privacy, config.batch_size, config.seed)
    try:
        model.fit(
            dataset,
            epochs=config.epochs,
            callbacks=chain,
            shuffle=False,
            verbose={0: 0, 1: 1, 2: 2}[config.verbose],
        )
    finally:
        model.private_training = None
    if nan_guard.diverged_at is not None:
        epoch, batch = nan_guard.diverged_at
        raise cb.TrainingDivergedError(
            f"fit: the training loss became NaN or infinite at epoch {epoch}, batch {batch} "
            f"(loss={config.loss!r}, learning_rate={config.learning_rate}); lower the learning "
            "rate or set clipnorm"
        )
    history = TrainingHistory(
        records=log.records,
        config=config,
        resumed_from=resumed_from,
        negatives=negatives,
        sampling=sampling if negatives else None,
        sharing=config.negative_sharing if negatives else None,
        xla=xla,
        replicas=replicas(model.distribute_strategy),
        privacy=_guarantee(model, rows, config),
        fingerprint=fingerprint,
    )
    history.seconds = time.perf_counter() - started
    history.time_limit_reached = limit.reached
    if early is not None:
        history.best_epoch, history.best_value = early.best_epoch, early.best
        history.stopped_early = early.wait >= early.patience
    elif config.privacy is not None and log.records:  # the last epoch's weights are kept
        history.best_epoch = int(log.records[-1]["epoch"])
        history.best_value = float(log.records[-1].get(MONITOR, float("nan")))
    return history


def _check_distributed(model: Any, config: TrainingConfig) -> None:
    """Refuse what a ``tf.distribute`` strategy with several replicas does not cover."""
    strategy = model.distribute_strategy
    if replicas(strategy) == 1:
        return
    name = type(model).__name__
    from reclab.models.next_item import NextItemModel

    if not isinstance(model, NextItemModel) or type(model).compute_loss is not (
        keras.Model.compute_loss
    ):
        raise ValueError(
            f"fit: {name} was made under a strategy with {replicas(strategy)} replicas; "
            "tf.distribute trains the sequence models whose loss is a RecLab loss (SASRec, "
            "GRU4Rec, BERT4Rec), which divides by the whole batch's count of real positions"
        )
    if config.privacy is not None or getattr(model, "distillation", None) is not None:
        raise ValueError(
            f"fit: {name} was made under a strategy with {replicas(strategy)} replicas; DP-SGD "
            "and distillation run on one replica (their steps are not replica-aware), so make "
            "the model outside any strategy scope"
        )
    if config.jit_compile:
        raise ValueError(
            "fit: jit_compile=True, but TensorFlow's XLA has no all-reduce on CPU devices, "
            f"which {replicas(strategy)} replicas need; leave jit_compile None (the step then "
            "runs without XLA)"
        )
    if is_multi_worker(strategy) and config.max_seconds is not None:
        raise ValueError(
            f"fit: max_seconds={config.max_seconds} would stop each worker on its own clock, at "
            "different epochs, and leave the others waiting; bound the run by epochs instead"
        )


def _check_private(model: Any, backup_dir: Any) -> None:
    """Refuse what DP-SGD does not cover, with the reason."""
    name = type(model).__name__
    if model.reads != "histories" or _is_cloze(model):
        raise ValueError(
            f"fit: privacy trains sequence models that predict the next item (SASRec, GRU4Rec); "
            f"{name} reads {model.reads!r} with task {getattr(model, 'task', 'next-item')!r}"
        )
    if type(model).compute_loss is not keras.Model.compute_loss:
        raise ValueError(
            f"fit: privacy clips each user's full-softmax loss; {name} defines its own "
            "compute_loss, which DP-SGD would ignore"
        )
    if backup_dir is not None:
        raise ValueError(
            "fit: privacy does not resume from a backup (the accountant counts the steps of one "
            "uninterrupted run); call fit without backup_dir"
        )


def _guarantee(model: Any, rows: Sequences, config: TrainingConfig) -> dict[str, float] | None:
    """:attr:`TrainingHistory.privacy` for the steps ``model``'s optimiser took."""
    if config.privacy is None:
        return None
    users = int(np.count_nonzero(rows.lengths >= 2))  # those poisson_dataset draws from
    q = config.batch_size / users
    steps = int(model.optimizer.iterations)
    delta = config.privacy.resolved_delta(users)
    sigma = float(config.privacy.noise_multiplier)
    return {
        "noise_multiplier": sigma,
        "clip_norm": float(config.privacy.clip_norm),
        "users": users,
        "expected_batch_size": int(config.batch_size),
        "sampling_probability": q,
        "steps": steps,
        "delta": delta,
        "epsilon": dp_sgd_epsilon(sigma, q, steps, delta),
    }
