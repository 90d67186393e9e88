"""Cross-entropy as the source writes it (§4.1): binary, and softmax over a set of classes.

Pure functions only: in a Keras model use ``keras.losses.BinaryCrossentropy(from_logits=True)``
and ``keras.losses.CategoricalCrossentropy(from_logits=True)``, which compute the same values
(tested); RecLab's own Keras losses are the recommendation objectives (full and sampled
softmax, sampled BCE, BPR, gBCE).
"""

from __future__ import annotations

from typing import Any

from keras import ops

from reclab.formulas import implements
from reclab.losses._base import matching_tensors, reduce_losses

#: Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` when a loss receives probabilities.
EPSILON = 1e-7


@implements("eq-bce")
def binary_cross_entropy(
    y_true: Any,
    y_pred: Any,
    *,
    from_logits: bool = True,
    mask: Any | None = None,
    reduction: str = "mean",
) -> Any:
    r"""Binary cross-entropy of labels :math:`y \in [0, 1]` and predictions :math:`\hat{y}`.

    .. math::

        \ell_{\mathrm{BCE}}(y, \hat{y}) = -\bigl[y \log \hat{y} + (1 - y) \log(1 - \hat{y})\bigr],
        \qquad \hat{y} = \sigma(z)

    averaged over the positions kept by ``mask``. On logits :math:`z` it is computed as
    :math:`\max(z, 0) - yz + \log(1 + e^{-|z|})`, which never overflows.

    Args:
        y_true: labels :math:`y` in ``[0, 1]``, any shape.
        y_pred: logits :math:`z` (``from_logits=True``, the default) or probabilities
            :math:`\hat{y}` (clipped to ``[1e-7, 1 - 1e-7]``), same shape as ``y_true``.
        from_logits: whether ``y_pred`` holds logits.
        mask: optional boolean array, True = a real position.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Example:
        >>> # y = 1, z = 0: sigma(0) = 0.5, loss = -log 0.5 = 0.6931
        >>> round(float(binary_cross_entropy([1.0], [0.0])), 4)
        0.6931
    """
    y_true, y_pred = matching_tensors(y_true, y_pred, "binary_cross_entropy")
    if from_logits:
        losses = ops.softplus(y_pred) - y_true * y_pred  # = max(z,0) - y z + log(1 + e^{-|z|})
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        losses = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return reduce_losses(losses, mask, reduction, "binary_cross_entropy")


@implements("eq-cross-entropy")
def softmax_cross_entropy(
    y_true: Any,
    y_pred: Any,
    *,
    from_logits: bool = True,
    mask: Any | None = None,
    reduction: str = "mean",
) -> Any:
    r"""Cross-entropy between a label distribution and a softmax over the last axis.

    .. math::

        \ell_{\mathrm{CE}}(\mathbf{y}, \hat{\mathbf{y}}) = -\sum_{k=1}^{n} y_k \log \hat{y}_k,
        \qquad \hat{y}_k = \frac{\exp z_k}{\sum_{l=1}^{n} \exp z_l}

    On logits :math:`\mathbf{z}` the log-softmax is computed as
    :math:`z_k - \log\sum_l \exp z_l` with the log-sum-exp trick.

    Args:
        y_true: label distribution :math:`\mathbf{y}` (one-hot or soft), shape ``(..., n)``.
        y_pred: logits :math:`\mathbf{z}` or probabilities :math:`\hat{\mathbf{y}}`,
            shape ``(..., n)``.
        from_logits: whether ``y_pred`` holds logits.
        mask: optional boolean array of shape ``(...)``, True = a real position.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(...)``).

    Example:
        >>> # z = (0, 0), y = (1, 0): softmax = (0.5, 0.5), loss = -log 0.5 = 0.6931
        >>> round(float(softmax_cross_entropy([[1.0, 0.0]], [[0.0, 0.0]])), 4)
        0.6931
    """
    y_true, y_pred = matching_tensors(y_true, y_pred, "softmax_cross_entropy")
    if len(y_pred.shape) < 1:
        raise ValueError("softmax_cross_entropy: y_pred needs a class axis, shape (..., n)")
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=-1)
    else:
        log_p = ops.log(ops.clip(y_pred, EPSILON, 1.0))
    losses = -ops.sum(y_true * log_p, axis=-1)
    return reduce_losses(losses, mask, reduction, "softmax_cross_entropy")
