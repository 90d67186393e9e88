"""Attention in plain NumPy: loops and explicit formulas, slow and obviously correct.

Each function mirrors one in :mod:`reclab.models` and uses the same argument order and weight
layouts, so a test can hand both the same numbers. Masks are boolean with True = attend; a query
with nothing to attend to gets zero weights and a zero output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "additive_attention",
    "attention_mask",
    "causal_mask",
    "hstu_attention",
    "hstu_block",
    "layer_norm",
    "multi_head_attention",
    "relative_position_bias",
    "scaled_dot_product_attention",
    "silu",
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


def silu(x: np.ndarray) -> np.ndarray:
    """``SiLU(x) = x * sigmoid(x)``."""
    return x * _sigmoid(x)


def hstu_attention(
    query: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    mask: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    normaliser: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """HSTU's pointwise attention, one weight at a time: ``A[t, j] = SiLU(q_t . k_j + R[t, j]) / n``
    where ``M[t, j]`` allows it and exactly 0 elsewhere (no softmax); output ``A V``.

    Shapes ``(..., T, d_k)``, ``(..., S, d_k)``, ``(..., S, d_v)``; mask and bias broadcastable
    to ``(..., T, S)``; ``normaliser`` ``None`` means ``S``. Returns output and weights.
    """
    query, key, value = (np.asarray(a, dtype=np.float64) for a in (query, key, value))
    lead, length, keys = query.shape[:-2], query.shape[-2], key.shape[-2]
    n = keys if normaliser is None else normaliser
    bias = np.zeros((length, keys)) if bias is None else np.asarray(bias, dtype=np.float64)
    bias = np.broadcast_to(bias, (*lead, length, keys))
    allowed = np.ones((length, keys), bool) if mask is None else np.asarray(mask, dtype=bool)
    allowed = np.broadcast_to(allowed, (*lead, length, keys))
    weights = np.zeros((*lead, length, keys))
    for index in np.ndindex(lead):
        for t in range(length):
            for j in range(keys):
                if allowed[index][t, j]:
                    score = query[index][t] @ key[index][j] + bias[index][t, j]
                    weights[index][t, j] = silu(score) / n
    return np.matmul(weights, value), weights


def relative_position_bias(table: np.ndarray, length: int, causal: bool) -> np.ndarray:
    """``R[h, t, j] = table[h, clip(t - j)]``, shape ``(H, L, L)``.

    ``table`` is ``(H, L_max)`` for a causal block (distance ``t - j`` clipped to
    ``0..L_max - 1``; the future is masked anyway) and ``(H, 2 L_max - 1)`` otherwise
    (clipped to ``-(L_max - 1)..L_max - 1``, stored from the most negative).
    """
    table = np.asarray(table, dtype=np.float64)
    heads, distances = table.shape
    max_length = distances if causal else (distances + 1) // 2
    low = 0 if causal else 1 - max_length
    bias = np.zeros((heads, length, length))
    for h in range(heads):
        for t in range(length):
            for j in range(length):
                distance = min(max(t - j, low), max_length - 1)
                bias[h, t, j] = table[h, distance - low]
    return bias


def hstu_block(
    x: np.ndarray,
    padding: np.ndarray,
    params: dict[str, Any],
    *,
    causal: bool,
    max_length: int,
    epsilon: float,
) -> np.ndarray:
    """One HSTU layer (Zhai et al., 2024, eqs. 1-3) without dropout, one head at a time.

    ``params`` holds ``"uvqk"`` (``[W_1]``, ``(d, 2 H d_v + 2 H d_k)``: the columns of U, V, Q
    then K, each head-major), ``"relative_bias"`` (``[table]`` as
    :func:`relative_position_bias`, or absent for none) and ``"projection"`` (``[W_2, b_2]``),
    ``num_heads``/``key_dim``/``value_dim`` as ints. Then
    ``U, V, Q, K = split(SiLU(LN(x) W_1))``, per head ``A_h = SiLU(Q_h K_h^T + R_h) / L_max``
    masked to 0, ``y = (LN(concat_h A_h V_h) * U) W_2 + b_2`` and ``z = x + y``; the norms have
    no scale or offset, and padded positions' outputs are zero.
    """
    x = np.asarray(x, dtype=np.float64)
    heads, dk, dv = params["num_heads"], params["key_dim"], params["value_dim"]
    (w1,) = (np.asarray(w, dtype=np.float64) for w in params["uvqk"])
    w2, b2 = (np.asarray(w, dtype=np.float64) for w in params["projection"])
    length = x.shape[1]
    mask = attention_mask(padding, causal)  # (B, L, L)
    bias = (
        relative_position_bias(params["relative_bias"][0], length, causal)
        if "relative_bias" in params
        else np.zeros((heads, length, length))
    )
    projected = silu(layer_norm(x, 1.0, 0.0, epsilon) @ w1)  # (B, L, 2 H (d_v + d_k))
    u = projected[..., : heads * dv]
    v = projected[..., heads * dv : 2 * heads * dv]
    q = projected[..., 2 * heads * dv : 2 * heads * dv + heads * dk]
    k = projected[..., 2 * heads * dv + heads * dk :]
    outputs = []
    for h in range(heads):
        out, _ = hstu_attention(
            q[..., h * dk : (h + 1) * dk],
            k[..., h * dk : (h + 1) * dk],
            v[..., h * dv : (h + 1) * dv],
            mask,
            bias[h],
            normaliser=max_length,
        )
        outputs.append(out)  # (B, L, d_v)
    attended = np.concatenate(outputs, axis=-1)  # (B, L, H d_v)
    z = x + (layer_norm(attended, 1.0, 0.0, epsilon) * u) @ w2 + b2
    return z * np.asarray(padding, dtype=bool)[..., None]
