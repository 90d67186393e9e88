r"""Distillation: train a small sequence model on a large one's scores as well as on the labels.

:func:`distill` is :func:`~reclab.training.fit` with another training step: at every step the
teacher scores the batch (inference mode, no gradient), and the student's loss is
:func:`reclab.losses.distillation_loss`, the full-softmax cross-entropy of the next item mixed
with :math:`T^2` times the KL divergence from the teacher's softened distribution over the
catalogue to the student's. Everything else is ``fit``'s: the same batches, validation on the
student, early stopping, the time limit and the NaN guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from reclab.checks import fraction, positive_number
from reclab.data import NextItemData
from reclab.losses.distillation import distillation_loss
from reclab.training.config import TrainingConfig
from reclab.training.fit import TrainingHistory, fit

__all__ = ["Distillation", "distill", "distillation_train_step"]


@dataclass(frozen=True)
class Distillation:
    """What a student's distillation ``train_step`` needs besides the batch (set by
    :func:`distill` for the run, then removed).

    Attributes:
        teacher: the trained model whose scores the student learns (never updated).
        temperature: :math:`T` of :func:`~reclab.losses.distillation_loss`.
        weight: :math:`w`, the share of the teacher's term.
    """

    teacher: Any
    temperature: float
    weight: float


def distillation_train_step(model: Any, data: Any, distillation: Distillation) -> dict[str, Any]:
    """One step of ``model`` (the student) on a batch ``(inputs, targets)``; the Keras
    ``train_step`` of :class:`~reclab.models.NextItemModel` while it is distilled."""
    inputs, targets, _ = keras.utils.unpack_x_y_sample_weight(data)
    teacher_logits = distillation.teacher(inputs, training=False)  # (B, L, N + 1)
    with tf.GradientTape() as tape:
        logits = model(inputs, training=True)
        loss = distillation_loss(
            targets,
            logits,
            teacher_logits,
            temperature=distillation.temperature,
            weight=distillation.weight,
        )
    gradients = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
    model._loss_tracker.update_state(loss)  # Keras' running mean of the epoch's loss
    return {"loss": model._loss_tracker.result()}


def distill(
    student: Any,
    teacher: Any,
    data: NextItemData,
    config: TrainingConfig | None = None,
    *,
    temperature: float = 2.0,
    weight: float = 0.5,
    callbacks: Any = (),
) -> TrainingHistory:
    r"""Train ``student`` on ``data`` with ``teacher``'s scores as soft targets.

    Args:
        student: a next-item sequence model (SASRec, GRU4Rec, ...), typically smaller than the
            teacher; trained like :func:`~reclab.training.fit` trains it.
        teacher: a trained next-item model of the same catalogue and window (``num_items``,
            ``max_len``); it is only read.
        data: the training data (validation on ``data.validation`` selects the student's epoch).
        config: ``fit``'s configuration; its loss must be ``"softmax"`` (the label term of
            :func:`~reclab.losses.distillation_loss` is the full softmax) and it cannot train
            privately (the teacher has seen every user's data).
        temperature: :math:`T > 0` (Hinton et al. 2015 use 2 to 20; default 2).
        weight: :math:`w \in [0, 1]`, the teacher's share (0: plain training).
        callbacks: as in ``fit``.

    The run has no backup folder: a resumed run would have to prove it has the same teacher.
    """
    where = "distill"
    config = TrainingConfig() if config is None else config
    temperature = positive_number(temperature, "temperature", where)
    weight = fraction(weight, "weight", where, include_one=True)
    if config.loss != "softmax":
        raise ValueError(
            f"{where}: the student learns the teacher's distribution over the whole catalogue "
            f"with the full softmax; config.loss must be 'softmax', got {config.loss!r}"
        )
    if config.privacy is not None:
        raise ValueError(
            f"{where}: a distilled student reads a teacher trained on every user's data, which "
            "DP-SGD's guarantee does not cover; distil without privacy"
        )
    for role, model in (("student", student), ("teacher", teacher)):
        sequence = getattr(model, "reads", None) == "histories"
        next_item = getattr(model, "task", None) == "next-item"
        if not (sequence and next_item and getattr(model, "supports_full_softmax", True)):
            raise ValueError(
                f"{where}: the {role} must be a next-item sequence model that scores the whole "
                f"catalogue (SASRec, GRU4Rec, HSTU), got {type(model).__name__}"
            )
    for name in ("num_items", "max_len"):
        if getattr(student, name) != getattr(teacher, name):
            raise ValueError(
                f"{where}: student and teacher must share {name} (the same catalogue and "
                f"window), got {getattr(student, name)} and {getattr(teacher, name)}"
            )
    if not teacher.built:
        raise ValueError(f"{where}: the teacher is not built; train it first")
    student.distillation = Distillation(teacher, temperature, weight)
    try:
        return fit(student, data, config, callbacks=callbacks)
    finally:
        student.distillation = None
