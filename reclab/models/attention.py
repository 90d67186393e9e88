r"""Scaled dot-product attention and the masked softmax it normalises with.

.. math::

    \operatorname{Attention}(\mathbf{Q}, \mathbf{K}, \mathbf{V}; \mathbf{M})
    = \operatorname{softmax}_{\mathbf{M}}\!\left(\frac{\mathbf{Q}\mathbf{K}^\top}{\sqrt{d_k}}\right)
      \mathbf{V}

where :math:`\operatorname{softmax}_{\mathbf{M}}` normalises each row over the keys the boolean
mask :math:`\mathbf{M}` allows (True = attend) and gives the others weight exactly zero (Vaswani et
al., 2017, §3.2.1).
"""

from __future__ import annotations

from typing import Any

from keras import ops

from reclab.formulas import implements

__all__ = ["masked_softmax", "scaled_dot_product_attention"]


def _large_negative(dtype: str) -> float:
    """A finite stand-in for minus infinity that a softmax turns into an exact 0."""
    return -3.0e4 if "float16" in str(dtype) else -1.0e9


def masked_softmax(scores: Any, mask: Any | None = None) -> Any:
    r"""Softmax over the last axis, restricted to the positions where ``mask`` is True.

    .. math::

        \alpha_{tj} = \frac{M_{tj}\, e^{z_{tj}}}{\sum_{j'} M_{tj'}\, e^{z_{tj'}}}

    Masked positions get weight exactly 0. A row with no True position (a padded query that may
    attend to nothing) gets all zeros instead of the 0/0 of the formula.

    Args:
        scores: real scores :math:`z`, shape ``(..., S)``.
        mask: boolean, broadcastable to ``scores``; ``None`` keeps every position.

    Returns:
        Weights of the shape of ``scores``; rows with at least one True position sum to one.

    Example:
        >>> masked_softmax([[0.0, 0.0, 5.0]], [[True, True, False]]).numpy().tolist()
        [[0.5, 0.5, 0.0]]
    """
    scores = ops.convert_to_tensor(scores)
    if mask is not None:
        mask = ops.cast(ops.convert_to_tensor(mask), "bool")
        scores = ops.where(mask, scores, _large_negative(scores.dtype))
    # Written out rather than ops.softmax, which warns on a length-1 axis (a one-item history).
    shifted = ops.exp(scores - ops.stop_gradient(ops.max(scores, axis=-1, keepdims=True)))
    weights = shifted / ops.sum(shifted, axis=-1, keepdims=True)
    if mask is None:
        return weights
    return ops.where(mask, weights, ops.zeros_like(weights))


@implements("eq-scaled-dot-product")
def scaled_dot_product_attention(
    query: Any, key: Any, value: Any, mask: Any | None = None
) -> tuple[Any, Any]:
    r"""Scaled dot-product attention with a boolean mask (True = attend).

    .. math::

        \operatorname{Attention}(\mathbf{Q}, \mathbf{K}, \mathbf{V}; \mathbf{M})
        = \operatorname{softmax}_{\mathbf{M}}\!\left(
            \frac{\mathbf{Q}\mathbf{K}^\top}{\sqrt{d_k}}\right)\mathbf{V}

    Args:
        query: :math:`\mathbf{Q}`, shape ``(..., T, d_k)``: one row per query position.
        key: :math:`\mathbf{K}`, shape ``(..., S, d_k)``.
        value: :math:`\mathbf{V}`, shape ``(..., S, d_v)``.
        mask: boolean :math:`\mathbf{M}` broadcastable to ``(..., T, S)`` (for example from
            :func:`reclab.models.attention_mask`), or ``None``.

    Returns:
        ``(output, weights)``: output ``(..., T, d_v)``, weights ``(..., T, S)``. Each row of
        ``weights`` sums to one over its allowed keys and is exactly 0 elsewhere; a query with
        no allowed key gets zero weights and a zero output.

    Raises:
        ValueError: when the key sizes ``d_k`` of ``query`` and ``key`` differ.

    Example:
        >>> import numpy as np
        >>> q = np.array([[1.0, 0.0]])                  # T = 1, d_k = 2
        >>> k = np.array([[1.0, 0.0], [0.0, 1.0]])      # S = 2
        >>> v = np.array([[10.0], [20.0]])
        >>> out, w = scaled_dot_product_attention(q, k, v)
        >>> # scores [1, 0] / sqrt(2); weights = softmax = [0.670, 0.330]
        >>> np.round(w.numpy(), 3).tolist(), np.round(out.numpy(), 2).tolist()
        ([[0.67, 0.33]], [[13.3]])
    """
    query = ops.convert_to_tensor(query)
    key = ops.convert_to_tensor(key, dtype=query.dtype)
    value = ops.convert_to_tensor(value, dtype=query.dtype)
    d_k = query.shape[-1]
    if key.shape[-1] != d_k:
        raise ValueError(
            f"scaled_dot_product_attention: query has d_k={d_k} but key has d_k={key.shape[-1]}"
        )
    scale = 1.0 / float(d_k) ** 0.5
    scores = ops.einsum("...td,...sd->...ts", query, key) * scale  # (..., T, S)
    weights = masked_softmax(scores, mask)  # (..., T, S)
    output = ops.einsum("...ts,...sv->...tv", weights, value)  # (..., T, d_v)
    return output, weights
