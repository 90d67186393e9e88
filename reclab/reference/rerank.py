"""Re-ranking and list diversity in plain Python: one user at a time, one candidate at a time.

Slow and obvious on purpose; the tests check ``reclab.recommend.rerank`` and
``reclab.metrics.intra_list_diversity`` against these. A pool is a row of candidate ids (0 = an
empty slot) with the model's scores; a list is picked greedily, and a tie of the objective goes
to the lower item id.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "calibrate",
    "cosine",
    "history_group_distribution",
    "intra_list_diversity",
    "kl_divergence",
    "mmr",
    "popularity_groups",
    "relevance",
]


def cosine(u, v):
    """Cosine similarity of two vectors; 0 when either is zero."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    norm_u, norm_v = np.sqrt(np.sum(u * u)), np.sqrt(np.sum(v * v))
    if norm_u == 0 or norm_v == 0:
        return 0.0
    return float(np.dot(u, v) / (norm_u * norm_v))


def relevance(candidates, scores):
    """``{item: rel}`` of one pool: scores min-max normalised; 1 for all when they are equal."""
    pool = {int(i): float(s) for i, s in zip(candidates, scores, strict=True) if i > 0}
    if not pool:
        return {}
    low, high = min(pool.values()), max(pool.values())
    if high == low:
        return dict.fromkeys(pool, 1.0)
    return {i: (s - low) / (high - low) for i, s in pool.items()}


def _best(values):
    """The item of ``{item: value}`` with the largest value, ties to the lower id."""
    return max(values, key=lambda i: (values[i], -i))


def mmr(candidates, scores, item_vectors, k, trade_off):
    """Maximal Marginal Relevance lists, ``(B, k)``: at each position the candidate with the
    largest ``trade_off * rel(i) - (1 - trade_off) * max_{j listed} cos(v_i, v_j)``; the first
    position takes the most relevant candidate."""
    vectors = np.asarray(item_vectors, dtype=np.float64)
    out = np.zeros((len(candidates), k), np.int64)
    for u in range(len(candidates)):
        rel = relevance(candidates[u], scores[u])
        listed = []
        while len(listed) < min(k, len(rel)):
            values = {}
            for i in rel:
                if i in listed:
                    continue
                if not listed:
                    values[i] = rel[i]
                    continue
                closest = max(cosine(vectors[i], vectors[j]) for j in listed)
                values[i] = trade_off * rel[i] - (1.0 - trade_off) * closest
            listed.append(_best(values))
        out[u, : len(listed)] = listed
    return out


def kl_divergence(p, q):
    """KL(p || q) = sum_g p_g log(p_g / q_g), terms with p_g = 0 counting 0."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    terms = np.zeros(len(p))
    for g in range(len(p)):
        if p[g] > 0:
            terms[g] = p[g] * np.log(np.array([p[g]]) / q[g])[0]
    return float(np.sum(terms))


def list_distribution(items, item_groups, p, smoothing):
    """Steck's smoothed q~ of a list: (1 - alpha) * the share of each group + alpha * p."""
    counts = np.zeros(len(p))
    for i in items:
        counts[item_groups[i]] += 1
    q = counts / len(items)
    return (1.0 - smoothing) * q + smoothing * np.asarray(p, dtype=np.float64)


def calibrate(candidates, scores, item_groups, target, k, trade_off, smoothing=0.01):
    """Calibrated lists, ``(B, k)``: at each position the candidate ``i`` that maximises
    ``(1 - trade_off) * sum_{j in L + i} rel(j) - trade_off * KL(p || q~(L + i))``."""
    out = np.zeros((len(candidates), k), np.int64)
    for u in range(len(candidates)):
        rel = relevance(candidates[u], scores[u])
        p = target[u]
        listed, total = [], 0.0
        while len(listed) < min(k, len(rel)):
            values = {}
            for i in rel:
                if i in listed:
                    continue
                q_tilde = list_distribution([*listed, i], item_groups, p, smoothing)
                gain = (1.0 - trade_off) * (total + rel[i])
                values[i] = gain - trade_off * kl_divergence(p, q_tilde)
            best = _best(values)
            listed.append(best)
            total += rel[best]
        out[u, : len(listed)] = listed
    return out


def popularity_groups(train_counts, head=0.2, tail=0.2):
    """0 (head), 1 (mid), 2 (tail) per item id, -1 for id 0. Walk the items from the most
    popular (equal counts: lower id first): an item is head while the interactions before it are
    under ``head`` of all; tail when the interactions after it are under ``tail`` of all."""
    counts = [float(c) for c in train_counts]
    total = sum(counts[1:])
    order = sorted(range(1, len(counts)), key=lambda i: (-counts[i], i))
    groups = [-1] * len(counts)
    before = 0.0
    for i in order:
        after = total - before - counts[i]
        if before < head * total:
            groups[i] = 0
        elif after < tail * total:
            groups[i] = 2
        else:
            groups[i] = 1
        before += counts[i]
    return np.array(groups)


def history_group_distribution(histories, item_groups, num_groups):
    """Each history's share of items in each group (padding 0 left out; empty: all 0)."""
    out = np.zeros((len(histories), num_groups))
    for u, history in enumerate(histories):
        items = [int(i) for i in history if i > 0]
        for i in items:
            out[u, item_groups[i]] += 1 / len(items)
    return out


def intra_list_diversity(recommendations, item_vectors):
    """Mean over lists with two or more items of the mean (1 - cosine) over their pairs."""
    per_list = []
    for row in recommendations:
        items = [int(i) for i in row if i > 0]
        pairs = [(a, b) for n, a in enumerate(items) for b in items[n + 1 :]]
        if pairs:
            distances = [1 - cosine(item_vectors[a], item_vectors[b]) for a, b in pairs]
            per_list.append(sum(distances) / len(pairs))
    return float(np.mean(per_list))
