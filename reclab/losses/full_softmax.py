"""Softmax cross-entropy over the whole catalogue: the listwise loss of SASRec+ and BERT4Rec."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from reclab.formulas import implements
from reclab.losses._base import RecLoss, as_float_tensor, is_concrete, reduce_losses


@implements("eq-full-softmax")
def full_softmax_cross_entropy(
    target_ids: Any,
    logits: Any,
    *,
    padding_id: int | None = 0,
    reduction: str = "mean",
) -> Any:
    r"""Cross-entropy of the next item against a softmax over every item of the catalogue.

    .. math::

        \ell_t = -\log \frac{\exp s_t(i^+)}{\sum_{j \in \mathcal{I}} \exp s_t(j)}
               = -s_t(i^+) + \log \sum_{j \in \mathcal{I}} \exp s_t(j)

    where :math:`i^+` is the item that came next and :math:`s_t(j)` the score of item
    :math:`j` after position :math:`t`. It costs :math:`O(N d)` per position for
    :math:`N = |\mathcal{I}|` items, which is what sampled losses avoid.

    Args:
        target_ids: the next item :math:`i^+` at each position, integer ids, shape ``(...)``.
            Positions whose target is ``padding_id`` contribute nothing and do not count
            in the mean.
        logits: scores of every item id, shape ``(..., n_ids)``; column ``j`` is item ``j``.
        padding_id: the id used for padding (0 in RecLab). Its column is left out of the
            normaliser, since padding is not an item; ``None`` keeps every column.
        reduction: ``"mean"`` (over real positions), ``"sum"`` or ``"none"``.

    Example:
        >>> # ids 0 (padding), 1, 2; scores (9, 0, 0), target 1:
        >>> # padding column left out, softmax over (0, 0) = (0.5, 0.5), loss = log 2
        >>> round(float(full_softmax_cross_entropy([1], [[9.0, 0.0, 0.0]])), 4)
        0.6931
    """
    logits = as_float_tensor(logits)
    ids = ops.cast(tf.convert_to_tensor(target_ids), "int32")
    if len(logits.shape) != len(ids.shape) + 1:
        raise ValueError(
            f"full_softmax_cross_entropy: target_ids has shape {tuple(ids.shape)} and logits "
            f"{tuple(logits.shape)}; expected (...) and (..., n_ids)"
        )
    n_ids = logits.shape[-1]
    if is_concrete(target_ids) and n_ids is not None:
        values = np.asarray(ids)
        bad = (values < 0) | (values >= n_ids)
        if bad.any():
            raise ValueError(
                f"full_softmax_cross_entropy: target_ids must lie in [0, {n_ids}) (one logit "
                f"column per id), got {values[bad][:5].tolist()}"
            )
    target_logit = ops.take_along_axis(logits, ids[..., None], axis=-1)[..., 0]  # (...)
    if padding_id is None:
        normaliser = ops.logsumexp(logits, axis=-1)
        mask = None
    else:
        is_padding_column = ops.arange(n_ids) == padding_id  # (n_ids,)
        very_negative = ops.full_like(logits, float("-inf"))
        normaliser = ops.logsumexp(ops.where(is_padding_column, very_negative, logits), axis=-1)
        mask = ops.not_equal(ids, padding_id)
    return reduce_losses(normaliser - target_logit, mask, reduction, "full_softmax_cross_entropy")


@implements("eq-full-softmax")
@keras.saving.register_keras_serializable(package="reclab")
class FullSoftmaxCrossEntropy(RecLoss):
    """Keras loss around :func:`full_softmax_cross_entropy`.

    ``y_true``: next-item ids, shape ``(...)`` (``padding_id`` marks padding);
    ``y_pred``: scores of all ids, shape ``(..., n_ids)``.

    Example:
        >>> loss = FullSoftmaxCrossEntropy()
        >>> round(float(loss([[1, 0]], [[[9.0, 0.0, 0.0], [1.0, 2.0, 3.0]]])), 4)  # padding dropped
        0.6931
    """

    def __init__(
        self,
        padding_id: int | None = 0,
        name: str | None = None,
        reduction: str = "mean_with_sample_weight",
        dtype=None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.padding_id = None if padding_id is None else int(padding_id)

    def per_position(self, y_true: Any, y_pred: Any) -> Any:
        ids = ops.cast(y_true, "int32")
        return full_softmax_cross_entropy(ids, y_pred, padding_id=self.padding_id, reduction="none")

    def position_mask(self, y_true: Any, y_pred: Any) -> Any | None:
        if self.padding_id is None:
            return None
        return ops.not_equal(ops.cast(y_true, "int32"), self.padding_id)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding_id": self.padding_id}
