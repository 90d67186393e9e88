"""Sampled softmax with the log-Q correction: the softmax over a sample of the catalogue."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from reclab.formulas import implements
from reclab.losses._base import CandidateLoss, candidate_logits, is_concrete, reduce_losses


@implements("eq-sampled-softmax-logq")
def sampled_softmax_cross_entropy(
    positive_logits: Any,
    negative_logits: Any,
    *,
    log_q: Any | None = None,
    mask: Any | None = None,
    reduction: str = "mean",
) -> Any:
    r"""Softmax cross-entropy over the positive and :math:`M` sampled negatives.

    .. math::

        \ell_t = -s_t(i^+) + \log\Bigl(\exp s_t(i^+)
                 + \sum_{m=1}^{M} \exp\bigl(s_t(j_m) - \log(M\,q(j_m))\bigr)\Bigr)

    where the negatives :math:`j_m` were drawn with probabilities :math:`q(j)`. The
    correction :math:`-\log(M q(j_m))` makes :math:`\sum_m \exp s_t(j_m) / (M q(j_m))` an
    unbiased estimate of :math:`\sum_{j} \exp s_t(j)`, so the loss approaches
    :func:`full_softmax_cross_entropy` as :math:`M` grows. Without it (``log_q=None``) the
    loss over-penalises items the sampler draws often (popular ones) and stays biased.
    The negatives must not contain the positive (remove "accidental hits" when sampling).

    Args:
        positive_logits: :math:`s_t(i^+)`, shape ``(...)``.
        negative_logits: :math:`s_t(j_m)`, shape ``(..., M)``.
        log_q: :math:`\log q(j_m)`, the log-probability with which each negative was drawn,
            broadcastable to ``(..., M)``; ``None`` for the uncorrected loss.
        mask: optional boolean ``(...)``, True = a real position.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Example:
        >>> # s+ = 0, two negatives with s = 0 and q = 1/4: M q = 1/2, correction + log 2:
        >>> # -0 + log(1 + 2 + 2) = log 5
        >>> import numpy as np
        >>> round(float(sampled_softmax_cross_entropy([0.0], [[0.0, 0.0]],
        ...     log_q=np.log([0.25, 0.25]))), 4)
        1.6094
    """
    pos, neg = candidate_logits(positive_logits, negative_logits, "sampled_softmax_cross_entropy")
    if log_q is not None:
        log_q = ops.cast(tf.convert_to_tensor(log_q), neg.dtype)
        if is_concrete(log_q):
            values = np.asarray(log_q)
            if np.any(values > 1e-6) or np.any(np.isnan(values)):
                raise ValueError(
                    "sampled_softmax_cross_entropy: log_q must be log-probabilities (<= 0), "
                    f"got values up to {np.nanmax(values):.3g}"
                )
        neg = neg - (math.log(neg.shape[-1]) + log_q)
    logits = ops.concatenate([pos[..., None], neg], axis=-1)  # (..., 1 + M)
    losses = ops.logsumexp(logits, axis=-1) - pos
    return reduce_losses(losses, mask, reduction, "sampled_softmax_cross_entropy")


@implements("eq-sampled-softmax-logq")
@keras.saving.register_keras_serializable(package="reclab")
class SampledSoftmaxCrossEntropy(CandidateLoss):
    """Keras loss around :func:`sampled_softmax_cross_entropy`.

    Holds the sampler's probabilities :math:`q`, one per item id (index 0 = padding), and
    reads the candidates' ids from ``y_true``, shape ``(..., 1 + M)`` (see
    :class:`CandidateLoss`). ``sampling_probabilities=None`` gives the uncorrected loss.

    Example:
        >>> q = [0.0, 0.25, 0.25, 0.25, 0.25]             # ids 1..4 drawn uniformly
        >>> loss = SampledSoftmaxCrossEntropy(q)
        >>> round(float(loss([[1, 2, 3]], [[0.0, 0.0, 0.0]])), 4)  # log(1 + 2 + 2)
        1.6094
    """

    def __init__(
        self,
        sampling_probabilities: Any | None = None,
        name: str | None = None,
        reduction: str = "mean_with_sample_weight",
        dtype=None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if sampling_probabilities is None:
            self.sampling_probabilities = None
        else:
            q = np.asarray(sampling_probabilities, dtype="float64")
            if q.ndim != 1 or np.any(q < 0) or not np.isfinite(q).all() or q.sum() <= 0:
                raise ValueError(
                    "SampledSoftmaxCrossEntropy: sampling_probabilities must be a 1-D array of "
                    f"non-negative probabilities, one per item id; got shape {q.shape}"
                )
            self.sampling_probabilities = (q / q.sum()).tolist()
            # log of 0 (padding, never sampled) is replaced by 0: such ids never reach the loss
            self._log_q = np.log(np.where(q > 0, q / q.sum(), 1.0))

    def candidate_losses(self, positive_logits, negative_logits, candidate_ids):
        log_q = None
        if self.sampling_probabilities is not None:
            if candidate_ids is None:
                raise ValueError(
                    "SampledSoftmaxCrossEntropy: y_true must hold the ids of all candidates, "
                    "shape (..., 1 + M), to look up their sampling probabilities"
                )
            table = ops.convert_to_tensor(self._log_q.astype("float32"))
            log_q = ops.cast(ops.take(table, candidate_ids[..., 1:]), negative_logits.dtype)
        return sampled_softmax_cross_entropy(
            positive_logits, negative_logits, log_q=log_q, reduction="none"
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "sampling_probabilities": self.sampling_probabilities}
