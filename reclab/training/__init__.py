"""Training: one entry point for every model, the objectives by name, and the book's callbacks.

- :func:`fit`: trains a sequence model, a model with user vectors or a count model on a
  :class:`reclab.data.NextItemData`, with full-ranking validation on the validation split,
  early stopping with best-weights restore, a NaN guard, a time limit and resumable backups;
- :class:`TrainingConfig`: objective, negatives, optimiser, schedule, early stopping, seed;
- :data:`OBJECTIVES`: the training objectives by name (:func:`register_objective` adds one);
- :func:`transfer_weights`: start a model for a new catalogue from a pretrained one;
- :func:`distill`: train a small model on a large one's scores (knowledge distillation);
- :mod:`reclab.training.distribute`: data-parallel training with ``tf.distribute`` (logical
  CPU devices of one process, or worker processes on loopback).
"""

from __future__ import annotations

from reclab.training.callbacks import (
    BackupMismatchError,
    EarlyStoppingOnValidation,
    EpochCounter,
    FullRankingValidation,
    NaNGuard,
    ResumableBackup,
    TimeLimit,
    TrainingDivergedError,
    TrainingLog,
)
from reclab.training.config import LR_SCHEDULES, TrainingConfig
from reclab.training.distillation import distill
from reclab.training.fit import MONITOR, TrainingHistory, fit, make_loss, negative_weights
from reclab.training.objectives import (
    OBJECTIVES,
    SAMPLINGS,
    Objective,
    objective,
    register_objective,
)
from reclab.training.transfer import TransferReport, transfer_weights

__all__ = [
    "LR_SCHEDULES",
    "MONITOR",
    "OBJECTIVES",
    "SAMPLINGS",
    "BackupMismatchError",
    "EarlyStoppingOnValidation",
    "EpochCounter",
    "FullRankingValidation",
    "NaNGuard",
    "Objective",
    "ResumableBackup",
    "TimeLimit",
    "TrainingConfig",
    "TrainingDivergedError",
    "TrainingHistory",
    "TrainingLog",
    "TransferReport",
    "distill",
    "fit",
    "make_loss",
    "negative_weights",
    "objective",
    "register_objective",
    "transfer_weights",
]
