"""Knowledge distillation: a small model learns the large model's whole distribution over items."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from keras import ops

from reclab.checks import fraction, positive_number
from reclab.formulas import implements
from reclab.losses._base import as_float_tensor, reduce_losses
from reclab.losses.full_softmax import full_softmax_cross_entropy


@implements("eq-distillation")
def distillation_loss(
    target_ids: Any,
    student_logits: Any,
    teacher_logits: Any,
    *,
    temperature: float = 2.0,
    weight: float = 0.5,
    padding_id: int = 0,
    reduction: str = "mean",
) -> Any:
    r"""The next-item loss of a student against the labels and a teacher's softened scores.

    .. math::
        \ell_t = (1 - w)\,\bigl(-\log p_t(i_{t+1})\bigr)
          + w\,T^2 \sum_{j=1}^{N} q_{t,T}(j) \log \frac{q_{t,T}(j)}{p_{t,T}(j)},
        \qquad p_{t,T}(j) = \frac{\exp(s_t(j) / T)}{\sum_{k=1}^{N} \exp(s_t(k) / T)}

    (Hinton et al. 2015; equation ``eq-distillation``, chapter 15), with the student's
    probabilities :math:`p_t` and the teacher's :math:`q_t` (the same softmax of the teacher's
    scores): the full-softmax cross-entropy of the item that came next, mixed with the KL
    divergence from the teacher's distribution to the student's, both at temperature :math:`T`
    (:math:`T > 1` spreads the teacher's probability over its runners-up, which is what it
    knows beyond the label). :math:`T^2` keeps the KL term's gradients on the scale of the label
    term's as :math:`T` changes. :math:`w = 0` is plain training.

    Args:
        target_ids: the next item at each position, shape ``(...)``; positions whose target
            is ``padding_id`` contribute nothing and do not count in the mean.
        student_logits, teacher_logits: scores of every item id, shape ``(..., n_ids)``;
            the teacher's are constants (no gradient flows into the teacher).
        temperature: :math:`T > 0`.
        weight: :math:`w \in [0, 1]`, the share of the teacher's term.
        padding_id: the padding id; its column is left out of both softmaxes.
        reduction: ``"mean"`` (over real positions), ``"sum"`` or ``"none"``.

    Example:
        >>> # a student that already matches the teacher pays only the label term
        >>> z = [[0.0, 2.0, 1.0, 0.0]]
        >>> round(float(distillation_loss([1], z, z, weight=0.5)), 4)  # 0.5 * -log p(1)
        0.2038
    """
    where = "distillation_loss"
    temperature = positive_number(temperature, "temperature", where)
    weight = fraction(weight, "weight", where, include_one=True)
    student = as_float_tensor(student_logits)
    teacher = tf.stop_gradient(as_float_tensor(teacher_logits))
    if tuple(student.shape) != tuple(teacher.shape):
        raise ValueError(
            f"{where}: student_logits has shape {tuple(student.shape)} and teacher_logits "
            f"{tuple(teacher.shape)}; both score every item id at the same positions"
        )
    hard = full_softmax_cross_entropy(
        target_ids, student, padding_id=padding_id, reduction="none"
    )  # (...)
    is_padding_column = ops.arange(student.shape[-1]) == padding_id
    hidden = ops.full_like(student, float("-inf"))
    log_p_student = ops.log_softmax(ops.where(is_padding_column, hidden, student / temperature))
    log_p_teacher = ops.log_softmax(ops.where(is_padding_column, hidden, teacher / temperature))
    p_teacher = ops.exp(log_p_teacher)
    # 0 * log 0 = 0 in the padding column, where both log-probabilities are -inf
    terms = ops.where(is_padding_column, 0.0, p_teacher * (log_p_teacher - log_p_student))
    soft = ops.sum(terms, axis=-1)  # (...)
    losses = (1.0 - weight) * hard + weight * temperature**2 * soft
    mask = ops.not_equal(ops.cast(tf.convert_to_tensor(target_ids), "int32"), padding_id)
    return reduce_losses(losses, mask, reduction, where)
