"""Attributions of one score to the history, in plain NumPy: one history and position at a time.

Mirrors :mod:`reclab.recommend.explain`. Deletion calls ``model.score`` once per deleted history;
gradient x input is a central finite difference of SASRec's score, recomputed in float64 NumPy
from the model's weights (:func:`sasrec_scores`); rollout multiplies one history's matrices in a
loop. Nothing here is fast; it is what the fast versions are checked against.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reclab.reference.attention import layer_norm, transformer_block

__all__ = [
    "attention_rollout",
    "attribution_agreement",
    "deletion_importance",
    "gradient_times_input",
    "sasrec_params",
    "sasrec_scores",
    "spearman",
]


def deletion_importance(model: Any, histories: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``D[b, t] = s(i | S) - s(i | S without s_t)``: one ``model.score`` call per deletion."""
    histories = np.asarray(histories)
    out = np.full(histories.shape, np.nan)
    for b, (history, item) in enumerate(zip(histories, items, strict=True)):
        full = model.score(history[None])[0, item]
        for t in range(len(history)):
            if history[t] == 0:
                continue  # padding: nothing to delete
            rest = [s for k, s in enumerate(history) if k != t]
            deleted = np.array([[0, *rest]])  # the others in order, left-padded again
            out[b, t] = float(full) - float(model.score(deleted)[0, item])
    return out


def sasrec_params(model: Any) -> dict[str, Any]:
    """A Transformer-block SASRec's weights as float64 arrays (for :func:`sasrec_scores`)."""
    if model.config.block != "transformer":
        raise ValueError("reference sasrec_params: only block='transformer' is written out here")
    if not model.built:
        model.build()
    blocks = []
    for block in model.blocks:
        params = {
            name: [np.asarray(w, np.float64) for w in getattr(block, name).get_weights()]
            for name in ("attention", "norm1", "norm2", "ffn1", "ffn2")
        }
        options = {
            "causal": True,
            "norm_first": block.norm_first,
            "epsilon": block.epsilon,
            "activation": block.activation,
        }
        blocks.append((params, options))
    return {
        "table": np.asarray(model.item_table(), np.float64),  # (N + 1, d): e_i, in and out
        "positions": np.asarray(model.positions.positions, np.float64),  # (L, d)
        "blocks": blocks,
        "final_norm": [np.asarray(w, np.float64) for w in model.final_norm.get_weights()],
        "epsilon": float(model.final_norm.epsilon),
        "scale": np.sqrt(model.config.dim) if model.config.scale_embeddings else 1.0,
    }


def sasrec_scores(
    params: dict[str, Any], item_inputs: np.ndarray, padding: np.ndarray, items: np.ndarray
) -> np.ndarray:
    """``s(i | S)`` ``(B,)`` from item inputs ``x_t = sqrt(d) e_{s_t}`` ``(B, L, d)``.

    ``x = item_inputs + p`` (zero at padding), the blocks, the final norm, and the dot product of
    the latest position with ``e_i``: the SASRec forward pass, in float64, without dropout.
    """
    padding = np.asarray(padding, dtype=bool)  # (B, L): True at real items
    x = (np.asarray(item_inputs, np.float64) + params["positions"]) * padding[..., None]
    for block_params, options in params["blocks"]:
        x = transformer_block(x, padding, block_params, **options)  # (B, L, d)
    hidden = layer_norm(x[:, -1], *params["final_norm"], params["epsilon"])  # (B, d)
    return np.einsum("bd,bd->b", hidden, params["table"][np.asarray(items)])  # (B,)


def gradient_times_input(
    model: Any, histories: np.ndarray, items: np.ndarray, epsilon: float = 1e-5
) -> np.ndarray:
    """``g_t = sum_k ds/dx_tk x_tk`` by central differences, for histories of ``max_len`` columns.

    ``sum_k ds/dx_tk x_tk`` is the derivative of the score along ``x_t`` itself, so one central
    difference per position gives it: ``(s(x_t (1 + eps)) - s(x_t (1 - eps))) / (2 eps)``.
    """
    params = sasrec_params(model)
    histories = np.asarray(histories)
    out = np.full(histories.shape, np.nan)
    for b, (history, item) in enumerate(zip(histories, items, strict=True)):
        x = params["scale"] * params["table"][history][None]  # (1, L, d)
        padding = (history != 0)[None]  # (1, L)
        for t in range(len(history)):
            if history[t] == 0:
                continue
            up, down = x.copy(), x.copy()
            up[0, t] *= 1 + epsilon
            down[0, t] *= 1 - epsilon
            difference = sasrec_scores(params, up, padding, [item]) - sasrec_scores(
                params, down, padding, [item]
            )
            out[b, t] = float(difference[0]) / (2 * epsilon)
    return out


def attention_rollout(weights: np.ndarray, padding: np.ndarray) -> np.ndarray:
    """Rollout ``(L, L)`` of one history's weights ``(K, H, L, L)``, padding ``(L,)`` True = real.

    Per block: heads averaged, padded rows and columns set to 0, ``0.5 A + 0.5 I``, rows divided
    by their sums; then ``R = A_K ... A_1``.
    """
    padding = np.asarray(padding, dtype=bool)
    length = len(padding)
    rollout = np.eye(length)
    for block in np.asarray(weights, np.float64):
        a = block.mean(axis=0)  # (L, L)
        for t in range(length):
            for j in range(length):
                if not (padding[t] and padding[j]):
                    a[t, j] = 0.0
        a = 0.5 * a + 0.5 * np.eye(length)
        a = a / a.sum(axis=1, keepdims=True)
        rollout = a @ rollout
    return rollout


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks (ties: average rank)."""

    def ranks(v: np.ndarray) -> np.ndarray:
        order = sorted(range(len(v)), key=lambda k: v[k])
        r = np.empty(len(v))
        start = 0
        while start < len(v):
            stop = start
            while stop + 1 < len(v) and v[order[stop + 1]] == v[order[start]]:
                stop += 1
            for k in range(start, stop + 1):
                r[order[k]] = (start + stop) / 2 + 1  # tied values share their mean rank
            start = stop + 1
        return r

    rx, ry = ranks(np.asarray(x)), ranks(np.asarray(y))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float((rx * ry).sum() / np.sqrt((rx**2).sum() * (ry**2).sum()))


def attribution_agreement(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Top-1 agreement (ties: latest position), its chance level and mean Spearman, by loops."""
    matches, chances, rhos = [], [], []
    for row_a, row_b in zip(np.asarray(a, float), np.asarray(b, float), strict=True):
        keep = [t for t in range(len(row_a)) if not np.isnan(row_a[t]) and not np.isnan(row_b[t])]
        if not keep:
            continue
        top_a = max(keep, key=lambda t: (row_a[t], t))  # highest value, then latest
        top_b = max(keep, key=lambda t: (row_b[t], t))
        matches.append(float(top_a == top_b))
        chances.append(1.0 / len(keep))
        xa, xb = row_a[keep], row_b[keep]
        if len(keep) >= 2 and len(set(xa)) > 1 and len(set(xb)) > 1:
            rhos.append(spearman(xa, xb))
    return {
        "histories": len(matches),
        "top1_agreement": float(np.mean(matches)),
        "top1_chance": float(np.mean(chances)),
        "spearman": float(np.mean(rhos)) if rhos else float("nan"),
        "spearman_histories": len(rhos),
    }
