"""Training: seeded batches, ``model.fit`` with the book's callbacks, and the protocol's data.

- :func:`prepare_next_item_data`: leave-last-out split -> training sequences, validation and
  test sets (:class:`NextItemData`, :class:`EvaluationSet`);
- :class:`TrainingConfig`: loss (``LOSSES``), optimiser, schedule, early stopping, seed;
- :func:`fit`: ``model.fit`` with full-ranking validation on the validation split, early
  stopping with best-weights restore, a NaN guard, a time limit and resumable backups;
- :func:`training_windows`, :func:`next_item_dataset`: the batches, a function of
  ``(seed, epoch)``.
"""

from __future__ import annotations

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
from reclab.training.config import LOSSES, TrainingConfig
from reclab.training.data import EvaluationSet, NextItemData, prepare_next_item_data
from reclab.training.fit import TrainingHistory, fit, make_loss, negative_weights

__all__ = [
    "LOSSES",
    "EarlyStoppingOnValidation",
    "EpochCounter",
    "EvaluationSet",
    "FullRankingValidation",
    "NaNGuard",
    "NextItemData",
    "ResumableBackup",
    "TimeLimit",
    "TrainingConfig",
    "TrainingDivergedError",
    "TrainingHistory",
    "TrainingLog",
    "fit",
    "make_loss",
    "negative_weights",
    "next_item_dataset",
    "prepare_next_item_data",
    "training_windows",
]
