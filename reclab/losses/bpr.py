"""Bayesian personalised ranking (BPR): the pairwise loss of Rendle et al. (2009)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.formulas import implements
from reclab.losses._base import CandidateLoss, candidate_logits, reduce_losses


@implements("eq-bpr")
def bpr(
    positive_logits: Any,
    negative_logits: Any,
    *,
    mask: Any | None = None,
    reduction: str = "mean",
) -> Any:
    r"""BPR loss: the positive should score above each sampled negative.

    .. math::

        \ell_t = -\frac{1}{M} \sum_{m=1}^{M} \log \sigma\bigl(s_t(i^+) - s_t(j_m)\bigr)

    averaged over the real positions. :math:`-\log\sigma(x)` is computed as
    :math:`\mathrm{softplus}(-x)`, which is stable for large :math:`|x|`. With :math:`M = 1`
    this is the loss of Rendle et al. (2009) on one triple :math:`(u, i^+, j)`.

    Args:
        positive_logits: :math:`s_t(i^+)`, shape ``(...)``.
        negative_logits: :math:`s_t(j_1), \dots, s_t(j_M)`, shape ``(..., M)``.
        mask: optional boolean ``(...)``, True = a real position.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Example:
        >>> # s+ = 2, s- = 2: -log sigma(0) = log 2
        >>> round(float(bpr([2.0], [[2.0]])), 4)
        0.6931
    """
    pos, neg = candidate_logits(positive_logits, negative_logits, "bpr")
    losses = ops.mean(ops.softplus(neg - pos[..., None]), axis=-1)  # (...)
    return reduce_losses(losses, mask, reduction, "bpr")


@implements("eq-bpr")
@keras.saving.register_keras_serializable(package="reclab")
class BPR(CandidateLoss):
    """Keras loss around :func:`bpr`; inputs as in :class:`CandidateLoss`.

    Example:
        >>> round(float(BPR()([[5, 7]], [[2.0, 2.0]])), 4)  # ids (5, 7), scores (2, 2)
        0.6931
    """

    def candidate_losses(self, positive_logits, negative_logits, candidate_ids):
        return bpr(positive_logits, negative_logits, reduction="none")
