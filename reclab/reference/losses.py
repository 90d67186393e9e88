"""The book's losses in plain NumPy, one obvious line of arithmetic each (float64, no tricks).

These are the "ten-line" versions the chapter shows. They compute the formulas as written
(``np.log(1 / (1 + np.exp(-x)))``), so they overflow for very large scores; the tests use
moderate scores where both agree. ``mask`` is True for real positions; the mean divides by
the number of real positions.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def reduce(losses: np.ndarray, mask: np.ndarray | None, reduction: str) -> np.ndarray | float:
    """Mean over kept positions, sum over kept positions, or per-position with zeros."""
    losses = np.asarray(losses, dtype=np.float64)
    keep = np.ones(losses.shape, bool) if mask is None else np.asarray(mask, bool)
    kept = np.where(keep, losses, 0.0)
    if reduction == "none":
        return kept
    if reduction == "sum":
        return float(kept.sum())
    return float(kept.sum() / keep.sum()) if keep.sum() > 0 else 0.0


def mean_squared_error(y, y_hat, mask=None, reduction="mean"):
    """(1/n) sum_k (y_k - y_hat_k)^2."""
    y, y_hat = np.asarray(y, np.float64), np.asarray(y_hat, np.float64)
    return reduce((y - y_hat) ** 2, mask, reduction)


def binary_cross_entropy(y, z, mask=None, reduction="mean", from_logits=True):
    """-[y log y_hat + (1 - y) log(1 - y_hat)], y_hat = sigma(z)."""
    y = np.asarray(y, np.float64)
    y_hat = _sigmoid(np.asarray(z, np.float64)) if from_logits else np.asarray(z, np.float64)
    return reduce(-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)), mask, reduction)


def softmax_cross_entropy(y, z, mask=None, reduction="mean", from_logits=True):
    """-sum_k y_k log y_hat_k, y_hat = softmax(z) over the last axis."""
    y, z = np.asarray(y, np.float64), np.asarray(z, np.float64)
    y_hat = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True) if from_logits else z
    return reduce(-(y * np.log(y_hat)).sum(axis=-1), mask, reduction)


def full_softmax_cross_entropy(target_ids, logits, padding_id=0, reduction="mean"):
    """-s(i+) + log sum_{j in I} exp s(j), the padding column not being an item."""
    ids = np.asarray(target_ids)
    s = np.asarray(logits, np.float64)
    flat_ids, flat_s = ids.reshape(-1), s.reshape(-1, s.shape[-1])
    losses = np.zeros(len(flat_ids))
    for row, (i, scores) in enumerate(zip(flat_ids, flat_s, strict=True)):
        items = [j for j in range(len(scores)) if j != padding_id]
        losses[row] = -scores[i] + np.log(sum(np.exp(scores[j]) for j in items))
    mask = None if padding_id is None else ids != padding_id
    return reduce(losses.reshape(ids.shape), mask, reduction)


def distillation_loss(target_ids, student, teacher, temperature=2.0, weight=0.5, padding_id=0,
                      reduction="mean"):  # fmt: skip
    """(1 - w) CE(i+, s) + w T^2 KL(softmax(t / T) || softmax(s / T)), padding not an item."""
    ids = np.asarray(target_ids)
    s, t = np.asarray(student, np.float64), np.asarray(teacher, np.float64)
    items = [j for j in range(s.shape[-1]) if j != padding_id]
    p_s = np.exp(s[..., items] / temperature)
    p_s /= p_s.sum(axis=-1, keepdims=True)
    p_t = np.exp(t[..., items] / temperature)
    p_t /= p_t.sum(axis=-1, keepdims=True)
    kl = (p_t * np.log(p_t / p_s)).sum(axis=-1)
    hard = full_softmax_cross_entropy(ids, s, padding_id, reduction="none")
    losses = (1 - weight) * hard + weight * temperature**2 * kl
    return reduce(losses, ids != padding_id, reduction)


def bpr(s_pos, s_neg, mask=None, reduction="mean"):
    """-(1/M) sum_m log sigma(s(i+) - s(j_m))."""
    s_pos, s_neg = np.asarray(s_pos, np.float64), np.asarray(s_neg, np.float64)
    return reduce(-np.log(_sigmoid(s_pos[..., None] - s_neg)).mean(axis=-1), mask, reduction)


def sampled_binary_cross_entropy(s_pos, s_neg, mask=None, reduction="mean"):
    """-log sigma(s(i+)) - sum_m log(1 - sigma(s(j_m)))."""
    s_pos, s_neg = np.asarray(s_pos, np.float64), np.asarray(s_neg, np.float64)
    losses = -np.log(_sigmoid(s_pos)) - np.log(1 - _sigmoid(s_neg)).sum(axis=-1)
    return reduce(losses, mask, reduction)


def gbce_beta(t, num_negatives, num_items):
    """beta = alpha (t (1 - 1/alpha) + 1/alpha), alpha = M / (N - 1)."""
    alpha = num_negatives / (num_items - 1)
    return alpha * (t * (1 - 1 / alpha) + 1 / alpha)


def gbce(s_pos, s_neg, num_items, t=0.75, mask=None, reduction="mean"):
    """-log(sigma(s(i+))^beta) - sum_m log(1 - sigma(s(j_m)))."""
    s_pos, s_neg = np.asarray(s_pos, np.float64), np.asarray(s_neg, np.float64)
    beta = gbce_beta(t, s_neg.shape[-1], num_items)
    losses = -np.log(_sigmoid(s_pos) ** beta) - np.log(1 - _sigmoid(s_neg)).sum(axis=-1)
    return reduce(losses, mask, reduction)


def sampled_softmax_cross_entropy(s_pos, s_neg, log_q=None, mask=None, reduction="mean"):
    """-s(i+) + log(exp s(i+) + sum_m exp(s(j_m) - log(M q(j_m))))."""
    s_pos, s_neg = np.asarray(s_pos, np.float64), np.asarray(s_neg, np.float64)
    m = s_neg.shape[-1]
    if log_q is not None:
        s_neg = s_neg - np.log(m * np.exp(np.asarray(log_q, np.float64)))
    losses = -s_pos + np.log(np.exp(s_pos) + np.exp(s_neg).sum(axis=-1))
    return reduce(losses, mask, reduction)


def shared_negative_losses(
    hidden,
    table,
    positives,
    negatives,
    loss,
    *,
    bias=None,
    log_q=None,
    num_items=None,
    t=0.75,
    removed=None,
):
    """Per-position losses when one set of negatives J serves every position of a batch.

    s_t(j) = h_t . e_j + b_j. A negative equal to the position's positive, or marked in
    removed[b, m] (one of the row user's own items), is left out; the log-Q correction and
    gBCE's beta still use M = len(J), the number drawn. Padded positions (positive 0) get 0.
    """
    h, e = np.asarray(hidden, np.float64), np.asarray(table, np.float64)
    b = np.zeros(len(e)) if bias is None else np.asarray(bias, np.float64)
    positives, negatives = np.asarray(positives), np.asarray(negatives)
    m = len(negatives)
    out = np.zeros(positives.shape)
    for row, col in np.ndindex(*positives.shape):
        p = positives[row, col]
        if p == 0:
            continue
        s_pos = h[row, col] @ e[p] + b[p]
        kept = [
            j
            for k, j in enumerate(negatives)
            if j != p and not (removed is not None and removed[row][k])
        ]
        s_neg = np.array([h[row, col] @ e[j] + b[j] for j in kept])
        if loss == "sampled-softmax":
            if log_q is not None:
                s_neg = s_neg - np.log(m * np.exp(np.asarray(log_q, np.float64)[kept]))
            out[row, col] = -s_pos + np.log(np.exp(s_pos) + np.exp(s_neg).sum())
        elif loss == "bce":
            out[row, col] = -np.log(_sigmoid(s_pos)) - np.log(1 - _sigmoid(s_neg)).sum()
        elif loss == "gbce":
            beta = gbce_beta(t, m, num_items)
            out[row, col] = -np.log(_sigmoid(s_pos) ** beta) - np.log(1 - _sigmoid(s_neg)).sum()
        elif loss == "bpr":
            out[row, col] = -np.log(_sigmoid(s_pos - s_neg)).sum() / m
        else:
            raise ValueError(f"shared_negative_losses: unknown loss {loss!r}")
    return out


def cloze_cross_entropy(labels, logits, padding_id=0):
    """Mean over the hidden positions t (label != padding) of -s_t(label) + log sum_j exp s_t(j),
    j over the items (the padding column left out)."""
    labels, s = np.asarray(labels), np.asarray(logits, np.float64)
    losses = []
    for position in zip(*np.nonzero(labels != padding_id), strict=True):
        scores, hidden = s[position], labels[position]
        items = [j for j in range(len(scores)) if j != padding_id]
        losses.append(-scores[hidden] + np.log(sum(np.exp(scores[j]) for j in items)))
    return float(np.mean(losses)) if losses else 0.0
