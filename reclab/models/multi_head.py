r"""Multi-head attention written out with named einsum axes.

.. math::

    \operatorname{MultiHead}(\mathbf{X}, \mathbf{Y}; \mathbf{M})
    = [\mathbf{O}_1; \dots; \mathbf{O}_H]\,\mathbf{W}^O + \mathbf{b}^O,\quad
    \mathbf{O}_h = \operatorname{Attention}(\mathbf{X}\mathbf{W}^Q_h + \mathbf{b}^Q_h,\;
    \mathbf{Y}\mathbf{W}^K_h + \mathbf{b}^K_h,\; \mathbf{Y}\mathbf{W}^V_h + \mathbf{b}^V_h;
    \mathbf{M})

Each head asks its own question (its own :math:`\mathbf{W}^Q_h, \mathbf{W}^K_h`) of the same
history and reads its own part of the values. The weights have exactly the layout of
``keras.layers.MultiHeadAttention``, so this function computes what that layer computes (without
dropout) from the layer's own ``get_weights()``: it is the layer, opened up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from reclab.formulas import implements
from reclab.models.attention import masked_softmax

__all__ = ["multi_head_attention"]


@implements("eq-multi-head")
def multi_head_attention(
    query: Any, value: Any, weights: Sequence[Any], mask: Any | None = None
) -> tuple[Any, Any]:
    r"""Multi-head attention of queries ``query`` over ``value`` (keys = values), no dropout.

    Args:
        query: :math:`\mathbf{X}`, shape ``(B, T, d)``.
        value: :math:`\mathbf{Y}`, shape ``(B, S, d)``; for self-attention pass ``query`` again.
        weights: ``[W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o]``, the order and shapes of
            ``keras.layers.MultiHeadAttention(num_heads=H, key_dim=d_k).get_weights()``:
            ``W_q, W_k (d, H, d_k)``, ``b_q, b_k (H, d_k)``, ``W_v (d, H, d_v)``,
            ``b_v (H, d_v)``, ``W_o (H, d_v, d)``, ``b_o (d,)``.
        mask: boolean :math:`\mathbf{M}` of shape ``(B, T, S)``, ``(T, S)`` or another shape
            broadcastable to ``(B, T, S)`` (True = attend); the same for every head.

    Returns:
        ``(output, attention_weights)``: ``(B, T, d)`` and ``(B, H, T, S)``.

    Raises:
        ValueError: when ``weights`` does not hold eight arrays.

    Example:
        >>> import keras, numpy as np
        >>> x = np.random.default_rng(0).normal(size=(1, 3, 4)).astype("float32")
        >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2)
        >>> expected = mha(x, x)
        >>> ours, _ = multi_head_attention(x, x, mha.get_weights())
        >>> bool(np.allclose(ours, expected, atol=1e-5))
        True
    """
    if len(weights) != 8:
        raise ValueError(
            "multi_head_attention: weights must be [W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o] "
            f"(8 arrays, as keras.layers.MultiHeadAttention.get_weights()), got {len(weights)}"
        )
    query = ops.convert_to_tensor(query)
    value = ops.convert_to_tensor(value, dtype=query.dtype)
    wq, bq, wk, bk, wv, bv, wo, bo = (ops.convert_to_tensor(w, dtype=query.dtype) for w in weights)
    d_k = wq.shape[-1]
    q = ops.einsum("btd,dhk->bthk", query, wq) + bq  # (B, T, H, d_k)
    k = ops.einsum("bsd,dhk->bshk", value, wk) + bk  # (B, S, H, d_k)
    v = ops.einsum("bsd,dhv->bshv", value, wv) + bv  # (B, S, H, d_v)
    scores = ops.einsum("bthk,bshk->bhts", q, k) / float(d_k) ** 0.5  # (B, H, T, S)
    if mask is not None:
        mask = ops.cast(ops.convert_to_tensor(mask), "bool")
        while len(mask.shape) < 3:  # (T, S) or (S,): the same mask for every user
            mask = ops.expand_dims(mask, 0)
        mask = ops.expand_dims(mask, 1)  # (B, 1, T, S): the same mask for every head
    attention = masked_softmax(scores, mask)  # (B, H, T, S)
    heads = ops.einsum("bhts,bshv->bthv", attention, v)  # (B, T, H, d_v)
    output = ops.einsum("bthv,hvd->btd", heads, wo) + bo  # (B, T, d)
    return output, attention
