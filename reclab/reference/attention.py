"""Attention in plain NumPy: loops and explicit formulas, slow and obviously correct.

Each function mirrors one in :mod:`reclab.models` and uses the same argument order and weight
layouts, so a test can hand both the same numbers. Masks are boolean with True = attend; a query
with nothing to attend to gets zero weights and a zero output.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "additive_attention",
    "attention_mask",
    "causal_mask",
    "layer_norm",
    "multi_head_attention",
    "scaled_dot_product_attention",
    "sinusoidal_positions",
    "softmax",
    "transformer_block",
]


def softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, over the positions where ``mask`` is True only.

    Masked positions get weight exactly 0; a row with no True position is all zeros.
    """
    scores = np.asarray(scores, dtype=np.float64)
    mask = (
        np.ones(scores.shape, dtype=bool) if mask is None else np.broadcast_to(mask, scores.shape)
    )
    out = np.zeros_like(scores)
    for index in np.ndindex(scores.shape[:-1]):
        keep = mask[index]
        if keep.any():
            row = scores[index][keep]
            e = np.exp(row - row.max())
            out[index][keep] = e / e.sum()
    return out


def causal_mask(length: int) -> np.ndarray:
    """``C[t, j] = (j <= t)``, shape ``(L, L)``."""
    return np.array([[j <= t for j in range(length)] for t in range(length)], dtype=bool)


def attention_mask(padding: np.ndarray, causal: bool) -> np.ndarray:
    """``M[b, t, j] = padding[b, j] and (j <= t if causal)``, shape ``(B, L, L)``."""
    padding = np.asarray(padding, dtype=bool)
    batch, length = padding.shape
    mask = np.zeros((batch, length, length), dtype=bool)
    for b in range(batch):
        for t in range(length):
            for j in range(length):
                mask[b, t, j] = padding[b, j] and (j <= t or not causal)
    return mask


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def additive_attention(
    query: np.ndarray,
    history: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | float = 0.0,
    v: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Additive attention pooling, one user and one past item at a time.

    ``a_i = sigmoid(W_a^T [h; h_i] + b)`` (``v is None``, the source's form) or
    ``a_i = v^T tanh(W_a^T [h; h_i] + b)`` (Bahdanau's form); ``alpha = softmax(a)`` over the
    unmasked items; ``c = sum_i alpha_i h_i``. Shapes: query ``(B, d_q)``, history ``(B, T, d)``,
    kernel ``(d_q + d, k)``, mask ``(B, T)``. Returns context ``(B, d)`` and weights ``(B, T)``.
    """
    query = np.asarray(query, dtype=np.float64)
    history = np.asarray(history, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    batch, length, dim = history.shape
    scores = np.zeros((batch, length))
    for b in range(batch):
        for i in range(length):
            pre = np.concatenate([query[b], history[b, i]]) @ kernel + bias  # (k,)
            scores[b, i] = _sigmoid(pre)[0] if v is None else np.tanh(pre) @ v
    weights = softmax(scores, None if mask is None else np.asarray(mask, dtype=bool))
    context = np.zeros((batch, dim))
    for b in range(batch):
        for i in range(length):
            context[b] += weights[b, i] * history[b, i]
    return context, weights


def scaled_dot_product_attention(
    query: np.ndarray, key: np.ndarray, value: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(Q K^T / sqrt(d_k) masked by M) V``; shapes ``(..., T, d_k)``, ``(..., S, d_k)``,
    ``(..., S, d_v)``, mask broadcastable to ``(..., T, S)``. Returns output and weights."""
    query, key, value = (np.asarray(a, dtype=np.float64) for a in (query, key, value))
    d_k = query.shape[-1]
    scores = np.matmul(query, np.swapaxes(key, -1, -2)) / np.sqrt(d_k)  # (..., T, S)
    weights = softmax(scores, None if mask is None else np.asarray(mask, dtype=bool))
    return np.matmul(weights, value), weights


def multi_head_attention(
    query: np.ndarray,
    value: np.ndarray,
    weights: list[np.ndarray],
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-head attention, one head at a time, heads concatenated then projected.

    ``weights`` is ``[W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o]`` in the layout of
    ``keras.layers.MultiHeadAttention.get_weights()``: ``W_q, W_k (d, H, d_k)``,
    ``W_v (d, H, d_v)``, biases ``(H, d_k)`` / ``(H, d_v)``, ``W_o (H, d_v, d)``, ``b_o (d,)``.
    Keys equal values. Returns output ``(B, T, d)`` and weights ``(B, H, T, S)``.
    """
    wq, bq, wk, bk, wv, bv, wo, bo = (np.asarray(w, dtype=np.float64) for w in weights)
    query = np.asarray(query, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    num_heads = wq.shape[1]
    heads, all_weights = [], []
    for h in range(num_heads):
        q = query @ wq[:, h, :] + bq[h]  # (B, T, d_k)
        k = value @ wk[:, h, :] + bk[h]  # (B, S, d_k)
        v = value @ wv[:, h, :] + bv[h]  # (B, S, d_v)
        out, w = scaled_dot_product_attention(q, k, v, mask)
        heads.append(out)
        all_weights.append(w)
    concat = np.concatenate(heads, axis=-1)  # (B, T, H * d_v)
    output = concat @ wo.reshape(-1, wo.shape[-1]) + bo  # (B, T, d)
    return output, np.stack(all_weights, axis=1)


def sinusoidal_positions(length: int, dim: int, base: float = 10000.0) -> np.ndarray:
    """``P[t, 2k] = sin(t / base^(2k/d))``, ``P[t, 2k+1] = cos(t / base^(2k/d))``; ``(L, d)``."""
    table = np.zeros((length, dim))
    for t in range(length):
        for i in range(dim):
            angle = t / base ** (2 * (i // 2) / dim)
            table[t, i] = np.sin(angle) if i % 2 == 0 else np.cos(angle)
    return table


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, epsilon: float) -> np.ndarray:
    """Layer normalisation over the last axis."""
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def transformer_block(
    x: np.ndarray,
    padding: np.ndarray,
    params: dict[str, list[np.ndarray]],
    *,
    causal: bool,
    norm_first: bool,
    epsilon: float,
    activation: str = "relu",
) -> np.ndarray:
    """One Transformer block without dropout.

    ``params`` holds ``"attention"`` (as :func:`multi_head_attention`), ``"norm1"``, ``"norm2"``
    (``[gamma, beta]``) and ``"ffn1"``, ``"ffn2"`` (``[kernel, bias]``). Pre-norm:
    ``y = x + MHA(LN1(x))``, ``z = y + FFN(LN2(y))``; post-norm:
    ``y = LN1(x + MHA(x))``, ``z = LN2(y + FFN(y))``. Padded positions' outputs are zero.
    """
    x = np.asarray(x, dtype=np.float64)
    mask = attention_mask(padding, causal)

    def attend(inputs: np.ndarray) -> np.ndarray:
        return multi_head_attention(inputs, inputs, params["attention"], mask)[0]

    def ffn(inputs: np.ndarray) -> np.ndarray:
        hidden = inputs @ params["ffn1"][0] + params["ffn1"][1]
        if activation == "relu":
            hidden = np.maximum(hidden, 0.0)
        elif activation == "gelu":  # the exact (erf) form, as keras.activations.gelu
            from math import erf

            hidden = 0.5 * hidden * (1.0 + np.vectorize(erf)(hidden / np.sqrt(2.0)))
        else:
            raise ValueError(f"reference transformer_block: unknown activation {activation!r}")
        return hidden @ params["ffn2"][0] + params["ffn2"][1]

    def norm(name: str, inputs: np.ndarray) -> np.ndarray:
        return layer_norm(inputs, *params[name], epsilon)

    if norm_first:
        y = x + attend(norm("norm1", x))
        z = y + ffn(norm("norm2", y))
    else:
        y = norm("norm1", x + attend(x))
        z = norm("norm2", y + ffn(y))
    return z * np.asarray(padding, dtype=bool)[..., None]
