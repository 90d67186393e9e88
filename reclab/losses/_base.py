"""What every RecLab loss shares: reductions over kept positions, and two Keras base classes.

A pure loss function returns one loss per position and reduces it with :func:`reduce_losses`,
which drops padded positions *before* averaging (so padding never dilutes the mean). A
``keras.losses.Loss`` class wraps the function: it holds configuration only, and one hook
(:meth:`RecLoss.per_position`, or :meth:`CandidateLoss.candidate_losses` for losses on a
positive and sampled negatives) says how ``(y_true, y_pred)`` become per-position losses.

In Keras, padded positions are dropped the public way: :meth:`RecLoss.position_mask` turns
``y_true`` into a weight of 1 at real positions and 0 at padding, multiplied into the
``sample_weight``, and the reduction ``"mean_with_sample_weight"`` divides by the sum of the
weights, that is by the number of real positions.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

REDUCTIONS = ("mean", "sum", "none")

#: The logit given to a removed candidate: ``exp`` of it is 0 in float32 and float64, so the
#: candidate leaves the softmax's sum, and its BCE/BPR term (``log(1 + e^s)``) is 0.
REMOVED_LOGIT = -1e9


def as_float_tensor(x: Any) -> Any:
    """``x`` as a tensor that keeps a float input's precision (float64 stays float64)."""
    x = tf.convert_to_tensor(x)
    return x if x.dtype.is_floating else tf.cast(x, "float32")


def matching_tensors(y_true: Any, y_pred: Any, where: str) -> tuple[Any, Any]:
    """``(y_true, y_pred)`` as tensors of ``y_pred``'s float type; raise if their shapes differ."""
    y_pred = as_float_tensor(y_pred)
    y_true = ops.cast(tf.convert_to_tensor(y_true), y_pred.dtype)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            f"{where}: y_true has shape {tuple(y_true.shape)} but y_pred has shape "
            f"{tuple(y_pred.shape)}; they must be equal"
        )
    return y_true, y_pred


def check_reduction(reduction: str, where: str) -> str:
    """Return ``reduction`` if it is one of :data:`REDUCTIONS`, else raise ``ValueError``."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{where}: reduction={reduction!r} is not supported; expected one of {REDUCTIONS}"
        )
    return reduction


def is_concrete(x: Any) -> bool:
    """True when ``x`` holds values now (NumPy or an eager tensor), so checks can look at them."""
    return isinstance(x, (np.ndarray, np.generic, int, float, list, tuple)) or (
        tf.is_tensor(x) and tf.executing_eagerly()
    )


def reduce_losses(losses: Any, mask: Any | None, reduction: str, where: str = "loss") -> Any:
    """Reduce per-position ``losses`` over the positions where ``mask`` is True.

    ``mean`` divides by the number of kept positions (0 when none is kept), ``sum`` adds the
    kept positions, ``none`` returns the per-position losses with padded positions set to 0.
    """
    check_reduction(reduction, where)
    if mask is not None:
        mask = ops.convert_to_tensor(mask)
        if mask.dtype != "bool":
            mask = ops.cast(mask, "bool")
        if tuple(mask.shape) != tuple(losses.shape) and None not in tuple(mask.shape):
            if None not in tuple(losses.shape):
                raise ValueError(
                    f"{where}: mask has shape {tuple(mask.shape)} but the losses have shape "
                    f"{tuple(losses.shape)}; the mask needs one entry per position"
                )
        losses = ops.where(mask, losses, ops.zeros_like(losses))
    if reduction == "none":
        return losses
    total = ops.sum(losses)
    if reduction == "sum":
        return total
    if mask is None:
        count = ops.cast(ops.size(losses), losses.dtype)
    else:
        count = ops.sum(ops.cast(mask, losses.dtype))
    return ops.divide_no_nan(total, count)


class RecLoss(keras.losses.Loss):
    r"""Base class of RecLab's Keras losses: one hook, :meth:`per_position`.

    ``per_position(y_true, y_pred)`` returns a loss per position; :meth:`position_mask` says
    which positions are real (``None``: all). Calling the loss weights padded positions by 0
    through ``sample_weight``, and the default reduction ``"mean_with_sample_weight"`` then
    averages over real positions only; with weights :math:`w` of your own it is the weighted
    mean :math:`\sum_t w_t \ell_t / \sum_t w_t` over real positions. The default ``name`` is
    the class name in snake case (``BPR`` -> ``"bpr"``), as for every Keras loss.
    """

    def __init__(
        self, name: str | None = None, reduction: str = "mean_with_sample_weight", dtype=None
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def per_position(self, y_true: Any, y_pred: Any) -> Any:
        raise NotImplementedError

    def position_mask(self, y_true: Any, y_pred: Any) -> Any | None:
        """Boolean ``(...)`` mask of the real positions, from the targets (``None``: all)."""
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        mask = self.position_mask(y_true, y_pred)
        if mask is not None:
            weight = ops.cast(mask, self.dtype)
            if sample_weight is not None:
                weight = weight * ops.cast(sample_weight, self.dtype)
            sample_weight = weight
        replica = tf.distribute.get_replica_context()
        if (
            self.reduction == "mean_with_sample_weight"
            and replica is not None
            and replica.num_replicas_in_sync > 1
        ):
            return self._share_of_global_mean(y_true, y_pred, sample_weight, replica)
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def _share_of_global_mean(self, y_true: Any, y_pred: Any, sample_weight: Any, replica: Any):
        r"""This replica's part :math:`\sum_{t \in r} w_t \ell_t / \sum_t w_t` of the mean over
        the *global* batch, the weights summed across replicas.

        The replicas' gradients are summed, so their sum is the gradient of the global batch's
        mean however the real positions fall on the replicas (Keras' own reduction averages
        the replicas' means, which weights a replica with few real positions, or none, as
        much as a full one).
        """
        losses = ops.cast(self.call(y_true, y_pred), self.dtype)
        weight = ops.ones_like(losses) if sample_weight is None else sample_weight
        weight = ops.broadcast_to(ops.cast(weight, self.dtype), ops.shape(losses))
        total = ops.sum(losses * weight)
        count = replica.all_reduce("SUM", ops.sum(weight))
        return ops.divide_no_nan(total, count)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        losses = self.per_position(y_true, y_pred)
        mask = self.position_mask(y_true, y_pred)
        return losses if mask is None else ops.where(mask, losses, ops.zeros_like(losses))


class CandidateLoss(RecLoss):
    """Base class of losses on one positive and ``M`` sampled negatives per position.

    Inputs of ``__call__`` (and of ``model.fit``):

    * ``y_pred``: scores of the candidates, shape ``(..., 1 + M)``; column 0 is the positive
      :math:`s_t(i^+)`, columns ``1..M`` the negatives :math:`s_t(j)`.
    * ``y_true``: the candidates' item ids, shape ``(..., 1 + M)`` in the same order, or only
      the positive ids, shape ``(...)``. Id 0 is padding: a position whose positive id is 0
      contributes nothing and does not count in the mean.

    A subclass implements one hook, :meth:`candidate_losses`.
    """

    def candidate_losses(
        self, positive_logits: Any, negative_logits: Any, candidate_ids: Any
    ) -> Any:
        """Per-position losses from ``(...,)`` positive and ``(..., M)`` negative scores."""
        raise NotImplementedError

    def _ids(self, y_true: Any, y_pred: Any) -> tuple[Any, Any | None]:
        """``(positive ids (...), candidate ids (..., 1 + M) or None)`` from ``y_true``."""
        y_pred = ops.convert_to_tensor(y_pred)
        ids = ops.cast(ops.convert_to_tensor(y_true), "int32")
        if len(y_pred.shape) < 1 or (y_pred.shape[-1] is not None and y_pred.shape[-1] < 2):
            raise ValueError(
                f"{type(self).__name__}: y_pred must have shape (..., 1 + M) with the positive "
                f"in column 0 and M >= 1 negatives, got shape {tuple(y_pred.shape)}"
            )
        if len(ids.shape) == len(y_pred.shape):
            return ids[..., 0], ids
        if len(ids.shape) == len(y_pred.shape) - 1:
            return ids, None
        raise ValueError(
            f"{type(self).__name__}: y_true must hold item ids of shape (..., 1 + M) or "
            f"(...), got shape {tuple(ids.shape)} for y_pred of shape {tuple(y_pred.shape)}"
        )

    def position_mask(self, y_true: Any, y_pred: Any) -> Any:
        positive_ids, _ = self._ids(y_true, y_pred)
        return ops.not_equal(positive_ids, 0)

    def per_position(self, y_true: Any, y_pred: Any) -> Any:
        _, candidate_ids = self._ids(y_true, y_pred)
        y_pred = ops.convert_to_tensor(y_pred)
        negatives = y_pred[..., 1:]
        if candidate_ids is not None:
            negatives = remove_accidental_hits(negatives, candidate_ids)
        return self.candidate_losses(y_pred[..., 0], negatives, candidate_ids)


def remove_accidental_hits(negative_logits: Any, candidate_ids: Any) -> Any:
    r"""Negative logits with every "accidental hit" set to :data:`REMOVED_LOGIT`.

    A negative is removed where its id equals the position's positive (a sampler that shares
    one set of negatives across a batch cannot avoid drawing some position's positive) or is 0
    (a negative the batch marked as one of the user's own items). Removed negatives leave every
    candidate loss: :math:`e^{s} = 0` in the softmax's sum and :math:`\log(1 + e^{s}) = 0` for
    BCE and BPR, with zero gradient. Per-position samplers never draw the positive, so for
    them this changes nothing.

    Args:
        negative_logits: ``(..., M)``.
        candidate_ids: ``(..., 1 + M)``, the positive's id in column 0.

    Example:
        >>> import numpy as np
        >>> out = remove_accidental_hits(np.array([[0.5, 0.7, 0.9]]), np.array([[4, 4, 0, 2]]))
        >>> ops.convert_to_numpy(out).tolist()
        [[-1000000000.0, -1000000000.0, 0.9]]
    """
    negative_logits = as_float_tensor(negative_logits)
    ids = ops.cast(ops.convert_to_tensor(candidate_ids), "int32")
    hits = ops.logical_or(ops.equal(ids[..., 1:], ids[..., :1]), ops.equal(ids[..., 1:], 0))
    removed = ops.full_like(negative_logits, REMOVED_LOGIT)
    return ops.where(hits, removed, negative_logits)


def candidate_logits(positive_logits: Any, negative_logits: Any, where: str) -> tuple[Any, Any]:
    """Convert and check ``(...,)`` positive and ``(..., M)`` negative scores."""
    positive_logits = as_float_tensor(positive_logits)
    negative_logits = tf.cast(tf.convert_to_tensor(negative_logits), positive_logits.dtype)
    pos_shape, neg_shape = tuple(positive_logits.shape), tuple(negative_logits.shape)
    if len(neg_shape) != len(pos_shape) + 1 or (
        None not in pos_shape + neg_shape[:-1] and pos_shape != neg_shape[:-1]
    ):
        raise ValueError(
            f"{where}: positive_logits has shape {pos_shape} and negative_logits has shape "
            f"{neg_shape}; expected (...) and (..., M) with the same leading axes"
        )
    if neg_shape[-1] == 0:
        raise ValueError(f"{where}: negative_logits has M = 0 negatives; at least 1 is needed")
    return positive_logits, negative_logits
