"""Losses: pointwise (MSE, binary cross-entropy), pairwise (BPR) and listwise (softmax).

Each loss is a pure function on ``keras.ops`` (``bpr``) plus a thin ``keras.losses.Loss``
class (``BPR``) that holds its configuration. Losses on a positive and sampled negatives
share :class:`CandidateLoss`: ``y_pred`` holds the scores of ``[positive, negatives...]``
and ``y_true`` their item ids, id 0 marking padded positions. Padded positions contribute
nothing and do not count in the mean.
"""

from __future__ import annotations

from reclab.losses._base import (
    REDUCTIONS,
    REMOVED_LOGIT,
    CandidateLoss,
    RecLoss,
    reduce_losses,
    remove_accidental_hits,
)
from reclab.losses.bpr import BPR, bpr
from reclab.losses.cross_entropy import binary_cross_entropy, softmax_cross_entropy
from reclab.losses.distillation import distillation_loss
from reclab.losses.full_softmax import FullSoftmaxCrossEntropy, full_softmax_cross_entropy
from reclab.losses.gbce import GBCE, gbce, gbce_beta
from reclab.losses.regression import MeanSquaredError, mean_squared_error
from reclab.losses.sampled_bce import SampledBinaryCrossEntropy, sampled_binary_cross_entropy
from reclab.losses.sampled_softmax import (
    SampledSoftmaxCrossEntropy,
    sampled_softmax_cross_entropy,
)

__all__ = [
    "BPR",
    "GBCE",
    "REDUCTIONS",
    "REMOVED_LOGIT",
    "CandidateLoss",
    "FullSoftmaxCrossEntropy",
    "MeanSquaredError",
    "RecLoss",
    "SampledBinaryCrossEntropy",
    "SampledSoftmaxCrossEntropy",
    "binary_cross_entropy",
    "bpr",
    "distillation_loss",
    "full_softmax_cross_entropy",
    "gbce",
    "gbce_beta",
    "mean_squared_error",
    "reduce_losses",
    "remove_accidental_hits",
    "sampled_binary_cross_entropy",
    "sampled_softmax_cross_entropy",
    "softmax_cross_entropy",
]
