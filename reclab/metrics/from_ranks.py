"""Per-user values of the ranking metrics, computed from :class:`TargetRanks` (no scores).

The evaluators compute the counts once per batch of users and every metric from them. Each
function returns a ``(B,)`` float array; users without a held-out item get NaN.

``K`` is capped at the user's number of candidates: a list cannot be longer than what it is
drawn from, so with ``K >= N`` every ranked held-out item is in the list and precision divides
by ``N``, not ``K``. A held-out item that is not ranked (excluded from the candidates, or
unknown to the catalogue) is relevant but never in the list: it lowers recall, NDCG and AUC
like any other miss. A user left with no candidate at all (everything excluded) gets an empty
list: 0 for the list metrics, NaN (skipped) for accuracy and AUC, which compare candidates.
"""

from __future__ import annotations

import numpy as np

from reclab.metrics._ranks import TargetRanks, check_k, check_ties

#: Metric names understood by :func:`metric_per_user` and the evaluators.
#: The names :func:`metric_per_user` accepts.
RANKING_METRICS = ("hr", "precision", "recall", "f1", "accuracy", "ndcg", "mrr", "map", "auc")
#: The metrics that take no cut-off ``K``.
WITHOUT_K = ("auc",)


def _k_eff(tr: TargetRanks, k: int) -> np.ndarray:
    return np.minimum(k, tr.n_candidates)  # (B,)


def _masked_sum(values: np.ndarray, tr: TargetRanks) -> np.ndarray:
    return np.sum(np.where(tr.valid, values, 0.0), axis=1)


def _cumulative(weights_of_position, upto: int) -> np.ndarray:
    """``C[r] = sum_{p=1..r} w(p)`` for ``r = 0..upto`` (``C[0] = 0``)."""
    p = np.arange(1, upto + 1, dtype=np.float64)
    return np.concatenate([[0.0], np.cumsum(weights_of_position(p))])


def _expected_sum_over_positions(tr, k_eff, weights_of_position) -> np.ndarray:
    """E[w(p) 1(p <= K)] for p uniform on {1+G, ..., 1+G+T}, per held-out slot, (B, R)."""
    g, t = tr.higher_all, tr.tied_all
    kk = k_eff[:, None]
    c = _cumulative(weights_of_position, int(max(1, k_eff.max(initial=1))))
    upper = np.minimum(g + t + 1, kk)
    lower = np.minimum(g, kk)
    return np.where(tr.ranked, (c[upper] - c[lower]) / (t + 1), 0.0)


def hits(tr: TargetRanks, k: int, ties: str) -> np.ndarray:
    """(Expected) number of held-out items in the top ``K``, ``(B,)``."""
    k_eff = _k_eff(tr, k)
    if ties == "expected":
        per = np.clip(k_eff[:, None] - tr.higher_all, 0, tr.tied_all + 1) / (tr.tied_all + 1)
        per = np.where(tr.ranked, per, 0.0)
    else:
        per = (tr.positions(ties) <= k_eff[:, None]).astype(np.float64)
    return _masked_sum(per, tr)


def metric_per_user(tr: TargetRanks, name: str, k: int | None, ties: str) -> np.ndarray:
    """Per-user value of ranking metric ``name`` at ``k``.

    ``name`` is one of the names in ``reclab.metrics.RANKING_METRICS``.
    """
    check_ties(ties, "metric_per_user")
    if name not in RANKING_METRICS:
        raise ValueError(f"metric_per_user: unknown metric {name!r}; expected {RANKING_METRICS}")
    if name not in WITHOUT_K and not (name == "mrr" and k is None):
        k = check_k(k, name)
    n_rel = tr.n_relevant.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if name in ("hr", "precision", "recall", "f1", "accuracy"):
            k_eff = _k_eff(tr, k).astype(np.float64)
            h = hits(tr, k, ties)
            if name == "hr":
                if ties == "expected":
                    tr.require_single_target("hit_rate_at_k")
                    values = h
                else:
                    values = (h > 0).astype(np.float64)
            elif name == "precision":
                values = np.where(k_eff > 0, h / np.maximum(k_eff, 1), 0.0)  # empty list: 0
            elif name == "recall":
                values = h / n_rel
            elif name == "f1":
                values = 2 * h / (k_eff + n_rel)  # 2PR/(P+R) with P = h/K, R = h/|R_u|
            else:
                n = tr.n_candidates.astype(np.float64)
                n_ranked = tr.n_ranked.astype(np.float64)  # relevant items among candidates
                values = (n - k_eff - n_ranked + 2 * h) / n  # (TP + TN) / N
        elif name == "ndcg":
            k_eff = _k_eff(tr, k)
            discount = lambda p: 1.0 / np.log2(p + 1.0)  # noqa: E731
            if ties == "expected":
                dcg = _masked_sum(_expected_sum_over_positions(tr, k_eff, discount), tr)
            else:
                pos = tr.positions(ties)
                dcg = _masked_sum(np.where(pos <= k_eff[:, None], discount(pos), 0.0), tr)
            ideal = _cumulative(discount, int(max(1, k_eff.max(initial=1))))
            ideal = ideal[np.minimum(tr.n_relevant, k_eff)]
            values = np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1.0), 0.0)
        elif name in ("mrr", "map"):
            k_eff = tr.n_candidates if k is None else _k_eff(tr, k)
            if ties == "expected":
                tr.require_single_target("mrr" if name == "mrr" else "map_at_k")
                values = _masked_sum(_expected_sum_over_positions(tr, k_eff, lambda p: 1.0 / p), tr)
            else:
                pos = tr.positions(ties)
                inside = pos <= k_eff[:, None]
                if name == "mrr":
                    first = tr.ranked & (tr.order == 0)
                    values = _masked_sum(np.where(first & inside, 1.0 / pos, 0.0), tr)
                else:
                    precision_at_hit = (tr.order + 1) / pos
                    ap = _masked_sum(np.where(inside, precision_at_hit, 0.0), tr)
                    depth = np.minimum(n_rel, k_eff)
                    values = np.where(depth > 0, ap / np.maximum(depth, 1), 0.0)
        else:  # auc
            n_other = (tr.n_candidates - tr.n_ranked).astype(np.float64)
            # a user whose only candidates are held out has no pair to compare: NaN, skipped
            credit = {"pessimistic": 0.0, "optimistic": 1.0, "expected": 0.5}[ties]
            below = n_other[:, None] - tr.higher_other - tr.tied_other
            per = (below + credit * tr.tied_other) / n_other[:, None]
            per = np.where(tr.ranked, per, 0.0)  # an unranked held-out item beats nobody
            values = np.where(n_other > 0, _masked_sum(per, tr) / n_rel, np.nan)
    return np.where(tr.has_targets, values, np.nan)
