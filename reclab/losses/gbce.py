"""Generalised binary cross-entropy (gBCE) of gSASRec (Petrov & Macdonald, RecSys 2023)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.formulas import implements
from reclab.losses._base import CandidateLoss, candidate_logits, reduce_losses


@implements("eq-gbce-beta")
def gbce_beta(t: float, num_negatives: int, num_items: int) -> float:
    r"""The exponent :math:`\beta` of gBCE from the calibration parameter :math:`t`.

    .. math::

        \beta = \alpha\Bigl(t\bigl(1 - \tfrac{1}{\alpha}\bigr) + \tfrac{1}{\alpha}\Bigr),
        \qquad \alpha = \frac{M}{N - 1}

    :math:`\alpha` is the sampling rate (the share of the :math:`N - 1` non-positive items
    that are sampled as negatives). :math:`t = 0` gives :math:`\beta = 1` (plain BCE),
    :math:`t = 1` gives :math:`\beta = \alpha`.

    Args:
        t: calibration parameter in ``[0, 1]``.
        num_negatives: :math:`M`, negatives per positive, ``1 <= M <= N - 1``.
        num_items: :math:`N = |\mathcal{I}|`, catalogue size (padding not counted), ``N >= 2``.

    Example:
        >>> # M = 1, N = 5: alpha = 1/4; t = 1/2: beta = 1/4 * (1/2 * (1 - 4) + 4) = 0.625
        >>> gbce_beta(0.5, 1, 5)
        0.625
    """
    if not 0.0 <= float(t) <= 1.0:
        raise ValueError(f"gbce_beta: t must lie in [0, 1], got t={t!r}")
    if int(num_items) < 2:
        raise ValueError(f"gbce_beta: num_items must be at least 2, got {num_items!r}")
    if not 1 <= int(num_negatives) <= int(num_items) - 1:
        raise ValueError(
            f"gbce_beta: num_negatives must lie in [1, num_items - 1 = {int(num_items) - 1}], "
            f"got {num_negatives!r}"
        )
    alpha = int(num_negatives) / (int(num_items) - 1)
    return alpha * (float(t) * (1.0 - 1.0 / alpha) + 1.0 / alpha)


@implements("eq-gbce")
def gbce(
    positive_logits: Any,
    negative_logits: Any,
    *,
    num_items: int,
    t: float = 0.75,
    mask: Any | None = None,
    reduction: str = "mean",
) -> Any:
    r"""gBCE: binary cross-entropy whose positive term is raised to the power :math:`\beta`.

    .. math::

        \ell_t = -\log\Bigl(\sigma\bigl(s_t(i^+)\bigr)^{\beta}\Bigr)
                 - \sum_{m=1}^{M} \log\bigl(1 - \sigma(s_t(j_m))\bigr)

    with :math:`\beta` from :func:`gbce_beta`. Sampling :math:`M \ll N` negatives makes a
    model trained with BCE overconfident; :math:`\beta < 1` corrects the predicted
    probabilities. Computed as :math:`\beta\,\mathrm{softplus}(-s_t(i^+)) +
    \sum_m \mathrm{softplus}(s_t(j_m))`.

    Args:
        positive_logits: :math:`s_t(i^+)`, shape ``(...)``.
        negative_logits: :math:`s_t(j_m)`, shape ``(..., M)``.
        num_items: :math:`N`, the catalogue size (padding not counted).
        t: calibration parameter in ``[0, 1]``; 0.75 is the value Petrov & Macdonald
            recommend; ``t = 0`` is :func:`sampled_binary_cross_entropy`.
        mask: optional boolean ``(...)``, True = a real position.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Example:
        >>> # N = 5, M = 1, t = 1/2: beta = 0.625; s+ = s- = 0:
        >>> # 0.625 * log 2 + log 2 = 1.625 * 0.6931 = 1.1264
        >>> round(float(gbce([0.0], [[0.0]], num_items=5, t=0.5)), 4)
        1.1264
    """
    pos, neg = candidate_logits(positive_logits, negative_logits, "gbce")
    beta = gbce_beta(t, neg.shape[-1], num_items)
    losses = beta * ops.softplus(-pos) + ops.sum(ops.softplus(neg), axis=-1)
    return reduce_losses(losses, mask, reduction, "gbce")


@implements("eq-gbce")
@keras.saving.register_keras_serializable(package="reclab")
class GBCE(CandidateLoss):
    """Keras loss around :func:`gbce`; inputs as in :class:`CandidateLoss`.

    Example:
        >>> round(float(GBCE(num_items=5, t=0.5)([[2]], [[[0.0, 0.0]]])), 4)
        1.1264
    """

    def __init__(
        self,
        num_items: int,
        t: float = 0.75,
        name: str | None = None,
        reduction: str = "mean_with_sample_weight",
        dtype=None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        gbce_beta(t, 1, num_items)  # validates t and num_items now, not at the first batch
        self.num_items = int(num_items)
        self.t = float(t)

    def candidate_losses(self, positive_logits, negative_logits, candidate_ids):
        return gbce(
            positive_logits, negative_logits, num_items=self.num_items, t=self.t, reduction="none"
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_items": self.num_items, "t": self.t}
