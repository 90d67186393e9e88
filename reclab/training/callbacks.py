"""Callbacks of :func:`reclab.training.fit`: validation, early stopping, NaN guard, resume.

Order matters (Keras calls callbacks in list order): the epoch counter first, then validation
(adds ``val_NDCG@10`` ... to the epoch's logs), the training log, early stopping (reads them),
the time limit, and the backup last (it saves the state of all of the above).
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

import keras
import numpy as np

from reclab.data.prepared import EvaluationSet
from reclab.evaluation.core import RankingProtocol, score_users

__all__ = [
    "BackupMismatchError",
    "EarlyStoppingOnValidation",
    "EpochCounter",
    "FullRankingValidation",
    "NaNGuard",
    "ResumableBackup",
    "TimeLimit",
    "TrainingDivergedError",
    "TrainingLog",
]


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


class BackupMismatchError(ValueError):
    """A backup folder holds a run with another configuration or other data."""


class EpochCounter(keras.callbacks.Callback):
    """The current epoch, for the data pipelines (``reclab.data.causal_dataset(epoch=...)``).

    As a callback it follows ``model.fit``'s epochs; call it to read the epoch.
    """

    def __init__(self, value: int = 0) -> None:
        super().__init__()
        self.value = int(value)

    def __call__(self) -> int:
        return self.value

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.value = int(epoch)


class FullRankingValidation(keras.callbacks.Callback):
    """Evaluate the model on the validation set after epochs, under the set's protocol.

    Full ranking of the catalogue, pessimistic ties, seen items excluded when
    ``validation.exclude_seen``; the model is scored with the users' ids too, so models with user
    vectors validate the same way as sequence models. Adds ``val_HR@K``, ``val_NDCG@K`` ... and
    ``val_seconds`` to the epoch's logs every ``every`` epochs (and after the last epoch).
    """

    def __init__(
        self,
        validation: EvaluationSet,
        *,
        ks: tuple[int, ...] = (10,),
        metrics: tuple[str, ...] = ("hr", "ndcg"),
        every: int = 1,
        last_epoch: int | None = None,
    ) -> None:
        super().__init__()
        self.validation = validation
        self.ks = ks
        self.metrics = metrics
        self.every = every
        self.last_epoch = last_epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None or getattr(self.model, "stop_training", False):  # the NaN guard stopped
            return
        if (epoch + 1) % self.every and epoch != self.last_epoch:
            return
        start = time.perf_counter()
        data = self.validation
        protocol = RankingProtocol(
            self.ks, self.metrics, exclude_seen=data.exclude_seen, batch_size=512
        )
        result = score_users(
            lambda batch: self.model.score(batch[0], batch[1]),
            (data.histories, data.users),
            data.targets,
            protocol,
            seen=data.histories,
            where="FullRankingValidation",
        ).means()
        for key, value in result.items():
            if key != "users":
                logs[f"val_{key}"] = float(value)
        logs["val_seconds"] = time.perf_counter() - start


class TrainingLog(keras.callbacks.Callback):
    """One record per epoch: loss, validation metrics, training and validation seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, float]] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        seconds = time.perf_counter() - self._start
        record = {"epoch": epoch + 1}
        record.update({key: float(value) for key, value in logs.items()})
        record["train_seconds"] = seconds - float(logs.get("val_seconds", 0.0))
        self.records.append(record)

    def get_state(self) -> dict[str, Any]:
        return {"records": self.records}

    def set_state(self, state: dict[str, Any]) -> None:
        self.records = list(state["records"])


class EarlyStoppingOnValidation(keras.callbacks.Callback):
    """Stop when ``monitor`` (higher is better) has not improved for ``patience`` validations.

    Keeps the best weights in memory and puts them back when training ends, so the model that
    ``fit`` returns is the best on the validation split. Unlike ``keras.callbacks.EarlyStopping``
    its state survives an interruption (see :class:`ResumableBackup`).
    """

    def __init__(self, monitor: str = "val_NDCG@10", patience: int = 5) -> None:
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.best = -math.inf
        self.best_epoch = 0
        self.wait = 0
        self.best_weights: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        if value > self.best:
            self.best, self.best_epoch, self.wait = float(value), epoch + 1, 0
            self.best_weights = [np.array(w) for w in self.model.get_weights()]
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]


class NaNGuard(keras.callbacks.Callback):
    """Stop at the first batch whose loss is NaN or infinite, and remember where.

    Stricter than ``keras.callbacks.TerminateOnNaN``: :func:`reclab.training.fit` raises
    :class:`TrainingDivergedError` instead of returning a broken model.
    """

    def __init__(self) -> None:
        super().__init__()
        self.diverged_at: tuple[int, int] | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at = (self._epoch + 1, batch + 1)
            self.model.stop_training = True


class TimeLimit(keras.callbacks.Callback):
    """Stop after the epoch at which the training time passes ``seconds``.

    Training time excludes validation (``val_seconds`` in the epoch's logs, written by
    :class:`FullRankingValidation`, which must come earlier in the callback list).
    """

    def __init__(self, seconds: float | None) -> None:
        super().__init__()
        self.seconds = seconds
        self.spent = 0.0
        self._start = 0.0
        self.reached = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        elapsed = time.perf_counter() - self._start
        self.spent += max(0.0, elapsed - float((logs or {}).get("val_seconds", 0.0)))
        if self.seconds is not None and self.spent >= self.seconds:
            self.reached = True
            self.model.stop_training = True

    def get_state(self) -> dict[str, Any]:
        return {"spent": self.spent}

    def set_state(self, state: dict[str, Any]) -> None:
        self.spent = float(state["spent"])


def _seed_states(model: keras.Model) -> list[Any]:
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """``keras.callbacks.BackupAndRestore`` that also restores what makes a run repeatable,
    resumes only the same run, and deletes only what it wrote.

    Keras backs up the weights, the optimizer and the epoch. This subclass also backs up the
    dropout seed states (not part of ``model.weights``) and the state of the stateful callbacks
    given (early stopping with its best weights, the training log, the time limit), so a run
    interrupted after epoch ``k`` and started again with the same arguments finishes with the
    same weights and metrics as an uninterrupted run. Put it last in the callback list.

    ``fingerprint`` identifies the run (configuration, model and data): a backup made by a run
    with another fingerprint is never resumed (:class:`BackupMismatchError`), and a folder that
    holds files this callback did not write is refused. When training ends, the backup's own
    files are deleted, and the folder only if that leaves it empty.
    """

    #: The files a backup consists of (Keras' and RecLab's).
    FILES = (
        "latest.weights.h5",
        "latest.weights.h5.bkp",
        "training_metadata.json",
        "training_metadata.json.bkp",
        "reclab_state.json",
        "reclab_state.npz",
        "reclab_run.json",
    )

    def __init__(
        self, backup_dir: str | os.PathLike[str], stateful: dict[str, Any], fingerprint: str
    ) -> None:
        super().__init__(os.fspath(backup_dir), delete_checkpoint=False)
        self.stateful = stateful
        self.fingerprint = fingerprint
        self._path = lambda name: os.path.join(self.backup_dir, name)
        self.check_folder()

    def check_folder(self) -> None:
        """Raise unless the folder is absent, empty, or a backup of this very run."""
        if not os.path.isdir(self.backup_dir):
            if os.path.exists(self.backup_dir):
                raise ValueError(f"backup_dir {self.backup_dir!r} exists and is not a folder")
            return
        foreign = sorted(set(os.listdir(self.backup_dir)) - set(self.FILES))
        if foreign:
            raise ValueError(
                f"backup_dir {self.backup_dir!r} holds files that reclab did not write "
                f"({', '.join(foreign[:3])}); choose an empty or new folder"
            )
        if not os.path.exists(self._path("training_metadata.json")):
            return
        saved = None
        if os.path.exists(self._path("reclab_run.json")):
            with open(self._path("reclab_run.json")) as f:
                saved = json.load(f).get("fingerprint")
        if saved != self.fingerprint:
            raise BackupMismatchError(
                f"backup_dir {self.backup_dir!r} holds an interrupted run with another "
                "configuration, model or data set; it is not resumed. Use the same arguments "
                "to resume it, or another folder for a new run"
            )

    @property
    def resumed_epoch(self) -> int:
        """The epoch a run with this backup starts from (0 when there is no backup)."""
        if not os.path.exists(self._path("training_metadata.json")):
            return 0
        with open(self._path("training_metadata.json")) as f:
            return int(json.load(f)["epoch"])

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        if not os.path.exists(self._path("reclab_state.json")):
            return
        with open(self._path("reclab_state.json")) as f:
            state = json.load(f)
        arrays = np.load(self._path("reclab_state.npz"))
        for k, variable in enumerate(_seed_states(self.model)):
            variable.assign(arrays[f"seed_{k}"])
        early = self.stateful.get("early_stopping")
        if early is not None and "best_0" in arrays:
            n = len([key for key in arrays.files if key.startswith("best_")])
            early.best_weights = [arrays[f"best_{k}"] for k in range(n)]
        for name, callback in self.stateful.items():
            if name in state:
                callback.set_state(state[name])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        with open(self._path("reclab_run.json"), "w") as f:
            json.dump({"fingerprint": self.fingerprint}, f)
        state = {name: cb.get_state() for name, cb in self.stateful.items()}
        arrays = {
            f"seed_{k}": np.asarray(v.numpy()) for k, v in enumerate(_seed_states(self.model))
        }
        early = self.stateful.get("early_stopping")
        if early is not None and early.best_weights is not None:
            arrays.update({f"best_{k}": w for k, w in enumerate(early.best_weights)})
        np.savez(self._path("reclab_state.npz"), **arrays)
        with open(self._path("reclab_state.json"), "w") as f:
            json.dump(state, f)
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        for name in self.FILES:
            if os.path.exists(self._path(name)):
                os.remove(self._path(name))
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
