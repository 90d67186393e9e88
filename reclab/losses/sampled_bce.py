"""Binary cross-entropy on one positive and sampled negatives: the loss SASRec trains with."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.formulas import implements
from reclab.losses._base import CandidateLoss, candidate_logits, reduce_losses


@implements("eq-sampled-bce")
def sampled_binary_cross_entropy(
    positive_logits: Any,
    negative_logits: Any,
    *,
    mask: Any | None = None,
    reduction: str = "mean",
) -> Any:
    r"""Binary cross-entropy: the positive is a 1, every sampled negative a 0.

    .. math::

        \ell_t = -\log \sigma\bigl(s_t(i^+)\bigr)
                 - \sum_{m=1}^{M} \log\bigl(1 - \sigma(s_t(j_m))\bigr)

    averaged over the real positions (Kang & McAuley 2018 use :math:`M = 1`). Computed as
    :math:`\mathrm{softplus}(-s_t(i^+)) + \sum_m \mathrm{softplus}(s_t(j_m))`, since
    :math:`-\log\sigma(x) = \mathrm{softplus}(-x)` and :math:`-\log(1-\sigma(x)) =
    \mathrm{softplus}(x)`.

    Args:
        positive_logits: :math:`s_t(i^+)`, shape ``(...)``.
        negative_logits: :math:`s_t(j_m)`, shape ``(..., M)``.
        mask: optional boolean ``(...)``, True = a real position.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Example:
        >>> # s+ = 0, s- = 0: -log 0.5 - log 0.5 = 2 log 2
        >>> round(float(sampled_binary_cross_entropy([0.0], [[0.0]])), 4)
        1.3863
    """
    pos, neg = candidate_logits(positive_logits, negative_logits, "sampled_binary_cross_entropy")
    losses = ops.softplus(-pos) + ops.sum(ops.softplus(neg), axis=-1)
    return reduce_losses(losses, mask, reduction, "sampled_binary_cross_entropy")


@implements("eq-sampled-bce")
@keras.saving.register_keras_serializable(package="reclab")
class SampledBinaryCrossEntropy(CandidateLoss):
    """Keras loss around :func:`sampled_binary_cross_entropy`; inputs as in :class:`CandidateLoss`.

    Example:
        >>> round(float(SampledBinaryCrossEntropy()([[3]], [[[0.0, 0.0]]])), 4)
        1.3863
    """

    def candidate_losses(self, positive_logits, negative_logits, candidate_ids):
        return sampled_binary_cross_entropy(positive_logits, negative_logits, reduction="none")
