"""Mean squared error: the source's regression loss (§4.1), for predicted ratings."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.formulas import implements
from reclab.losses._base import RecLoss, matching_tensors, reduce_losses


@implements("eq-mse")
def mean_squared_error(
    y_true: Any, y_pred: Any, *, mask: Any | None = None, reduction: str = "mean"
) -> Any:
    r"""Mean squared error between labels and predictions.

    .. math::

        \mathrm{MSE} = \frac{1}{n} \sum_{k=1}^{n} (y_k - \hat{y}_k)^2

    where the sum runs over the :math:`n` positions kept by ``mask``.

    Args:
        y_true: labels :math:`y` (e.g. ratings :math:`r_{ui}`), any shape.
        y_pred: predictions :math:`\hat{y}` (e.g. :math:`\hat{r}_{ui}`), the same shape.
        mask: optional boolean array of the same shape, True = a real position; padded
            positions contribute nothing and do not count in :math:`n`.
        reduction: ``"mean"`` (the formula), ``"sum"``, or ``"none"`` (one value per position).

    Returns:
        A scalar, or an array shaped like ``y_true`` for ``reduction="none"``.

    Example:
        >>> # ((3 - 2)^2 + (5 - 5)^2 + (1 - 3)^2) / 3 = (1 + 0 + 4) / 3
        >>> round(float(mean_squared_error([3.0, 5.0, 1.0], [2.0, 5.0, 3.0])), 4)
        1.6667
    """
    y_true, y_pred = matching_tensors(y_true, y_pred, "mean_squared_error")
    return reduce_losses(ops.square(y_true - y_pred), mask, reduction, "mean_squared_error")


@implements("eq-mse")
@keras.saving.register_keras_serializable(package="reclab")
class MeanSquaredError(RecLoss):
    """Keras loss around :func:`mean_squared_error` (one squared error per element).

    Example:
        >>> float(MeanSquaredError()([[3.0, 5.0]], [[2.0, 5.0]]))  # (1 + 0) / 2
        0.5
    """

    def per_position(self, y_true: Any, y_pred: Any) -> Any:
        return mean_squared_error(y_true, y_pred, reduction="none")
