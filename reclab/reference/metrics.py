"""The ranking metrics in plain Python: sort the candidates, walk down the list.

Slow and obvious on purpose. A user's list is the candidates sorted by score, ties broken by
the policy: ``pessimistic`` puts held-out items after the other tied items, ``optimistic``
before them, and ``expected`` averages the metric over *every* order of the candidates that
keeps the scores sorted (exact, by enumerating permutations: only for a handful of items).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["candidate_items", "metric", "metric_on_list", "rank", "ranked_list"]


def rank(scores, item, exclude=(), ties="pessimistic"):
    """The rank of ``item`` among every item id but 0 and ``exclude``: 1 + the items scoring
    higher + (pessimistic ties) the other items scoring the same. An excluded item: ``inf``."""
    if item in exclude:
        return math.inf  # not a candidate: it cannot be ranked, whatever it scored
    others = [j for j in range(1, len(scores)) if j != item and j not in exclude]
    higher = sum(scores[j] > scores[item] for j in others)
    tied = sum(scores[j] == scores[item] for j in others)
    return 1 + higher + (tied if ties == "pessimistic" else 0)


def candidate_items(n_ids, exclude=(), candidates=None, held_out=()):
    """Item ids a user's list is drawn from: all non-padding ids (or ``candidates`` and the
    held-out items, as a sampled protocol draws them), minus ``exclude``. A held-out item that
    is excluded, or is not an item id at all (-1, unknown), is not in the list."""
    if candidates is None:
        pool = set(range(1, n_ids))
    else:
        pool = {int(i) for i in candidates} | {int(i) for i in held_out if 0 < i < n_ids}
    return sorted(pool - {0} - {int(i) for i in exclude})


def ranked_list(scores, items, held_out, ties):
    """Items sorted by decreasing score, tied held-out items last (pessimistic) or first."""
    held_out = set(held_out)
    if ties == "pessimistic":
        return sorted(items, key=lambda i: (-scores[i], i in held_out, i))
    return sorted(items, key=lambda i: (-scores[i], i not in held_out, i))


def metric_on_list(name, ranked, held_out, k):
    """One metric of one ranked list ``ranked`` (ids) against the set ``held_out``."""
    held_out = set(held_out)
    n = len(ranked)
    top = ranked[: min(k, n)] if k is not None else ranked
    tp = sum(1 for i in top if i in held_out)
    if name == "hr":
        return float(tp > 0)
    if not top and name in ("precision", "ndcg", "map"):
        return 0.0  # an empty list (every candidate excluded) recommends nothing
    if name == "precision":
        return tp / len(top)
    if name == "recall":
        return tp / len(held_out)
    if name == "f1":
        p, r = (tp / len(top) if top else 0.0), tp / len(held_out)
        return 0.0 if tp == 0 else 2 * p * r / (p + r)
    if name == "accuracy":
        if n == 0:
            return math.nan
        tn = n - len(top) - sum(1 for i in ranked if i in held_out) + tp
        return (tp + tn) / n
    if name == "ndcg":
        dcg = sum(1 / math.log2(p + 2) for p, i in enumerate(top) if i in held_out)
        idcg = sum(1 / math.log2(p + 2) for p in range(min(len(held_out), len(top))))
        return dcg / idcg
    if name == "mrr":
        for p, i in enumerate(top):
            if i in held_out:
                return 1 / (p + 1)
        return 0.0
    if name == "map":
        hits, total = 0, 0.0
        for p, i in enumerate(top):
            if i in held_out:
                hits += 1
                total += hits / (p + 1)
        return total / min(len(held_out), len(top))
    if name == "auc":
        others = [j for j in ranked if j not in held_out]
        good = sum(
            ranked.index(i) < ranked.index(j) for i in held_out if i in ranked for j in others
        )
        pairs = len(held_out) * len(others)  # an unranked held-out item beats nobody
        return good / pairs if pairs else math.nan
    raise ValueError(name)


def metric(name, scores, targets, k, ties="pessimistic", exclude=None, candidates=None):
    """Per-user values of metric ``name``; NaN for users without held-out items."""
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets).reshape(len(scores), -1)
    out = np.full(len(scores), np.nan)
    for u, row in enumerate(scores):
        held_out = [int(i) for i in targets[u] if i != 0]
        if not held_out:
            continue
        items = candidate_items(
            len(row),
            exclude=() if exclude is None else exclude[u],
            candidates=None if candidates is None else candidates[u],
            held_out=held_out,
        )
        if ties != "expected":
            out[u] = metric_on_list(name, ranked_list(row, items, held_out, ties), held_out, k)
            continue
        values = [
            metric_on_list(name, list(order), held_out, k)
            for order in itertools.permutations(items)
            if all(row[a] >= row[b] for a, b in itertools.pairwise(order))
        ]
        out[u] = float(np.mean(values))
    return out
