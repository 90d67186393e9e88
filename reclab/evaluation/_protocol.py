"""The loop both evaluators share: score a batch of users, count ranks, collect metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from reclab.metrics._ranks import check_k, check_ties, target_ranks
from reclab.metrics.beyond_accuracy import catalogue_coverage, popularity_bias
from reclab.metrics.from_ranks import RANKING_METRICS, WITHOUT_K, metric_per_user

#: A scoring function: a batch of model inputs (histories ``(B, L)`` or user ids ``(B,)``)
#: to scores over every item id, ``(B, n_ids)``; column 0 (padding) is ignored.
ScoreFn = Callable[[Any], Any]

#: Metrics of the top-K lists themselves, computed by the full-ranking evaluator only.
LIST_METRICS = ("coverage", "arp")

_DISPLAY = {
    "hr": "HR",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "accuracy": "Accuracy",
    "ndcg": "NDCG",
    "mrr": "MRR",
    "map": "MAP",
    "auc": "AUC",
    "coverage": "Coverage",
    "arp": "ARP",
}


def metric_key(name: str, k: int | None) -> str:
    """The name of a result, e.g. ``"NDCG@10"``, ``"MRR"``, ``"AUC"``."""
    label = _DISPLAY[name]
    return label if k is None else f"{label}@{k}"


def plan_metrics(
    metrics: Iterable[str], ks: Sequence[int], allowed: Sequence[str], where: str
) -> list[tuple[str, str, int | None]]:
    """``(key, name, k)`` for every requested metric and cut-off."""
    ks = [check_k(k, where) for k in ks]
    plan = []
    for name in metrics:
        if name not in allowed:
            raise ValueError(f"{where}: unknown metric {name!r}; expected one of {tuple(allowed)}")
        if name in WITHOUT_K or name == "mrr":
            plan.append((metric_key(name, None), name, None))
        else:
            plan.extend((metric_key(name, k), name, k) for k in ks)
    return plan


def _rows(data: Any, index: slice) -> Any:
    if isinstance(data, tuple):
        return tuple(np.asarray(part)[index] for part in data)
    return np.asarray(data)[index]


def _n_rows(data: Any) -> int:
    return len(data[0]) if isinstance(data, tuple) else len(data)


def top_k_ids(scores: np.ndarray, k: int, exclude_mask: np.ndarray | None) -> np.ndarray:
    """Top-``k`` item ids per row, ``(B, k)``; ties go to the lower id; padding never listed."""
    s = np.where(np.isneginf(scores), np.finfo(np.float64).min, scores.astype(np.float64))
    s[:, 0] = -np.inf
    if exclude_mask is not None:
        s[exclude_mask] = -np.inf
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    listed = np.take_along_axis(s, order, axis=1)
    return np.where(np.isneginf(listed), 0, order)


def run_protocol(
    score_fn: ScoreFn,
    inputs: Any,
    targets: Any,
    *,
    metrics: Iterable[str],
    ks: Sequence[int],
    ties: str,
    exclude_seen: bool,
    seen: Any | None,
    batch_size: int,
    item_popularity: Any | None,
    sample_candidates: Callable[[tuple[int, int], Any, Any], np.ndarray] | None,
    where: str,
) -> dict[str, float]:
    check_ties(ties, where)
    allowed = RANKING_METRICS + (LIST_METRICS if sample_candidates is None else ())
    plan = plan_metrics(metrics, ks, allowed, where)
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise ValueError(f"{where}: batch_size must be a positive integer, got {batch_size!r}")
    n = _n_rows(inputs)
    targets = np.asarray(targets)
    if len(targets) != n:
        raise ValueError(f"{where}: {n} rows of inputs but {len(targets)} rows of targets")
    if exclude_seen:
        if seen is None:
            if isinstance(inputs, tuple) or np.asarray(inputs).ndim != 2:
                raise ValueError(
                    f"{where}: exclude_seen=True needs the seen items: pass seen=(U, S) ids, "
                    "or histories (U, L) as inputs; or choose exclude_seen=False"
                )
            seen = inputs
        seen = np.asarray(seen)
        if len(seen) != n:
            raise ValueError(f"{where}: {n} rows of inputs but {len(seen)} rows of seen")
    if any(name == "arp" for _, name, _ in plan) and item_popularity is None:
        raise ValueError(f"{where}: metric 'arp' needs item_popularity (one value per item id)")

    per_user: dict[str, list[np.ndarray]] = {key: [] for key, name, _ in plan}
    lists: dict[int, list[np.ndarray]] = {k: [] for _, name, k in plan if name in LIST_METRICS}
    has_targets: list[np.ndarray] = []
    n_ids = None
    for start in range(0, n, int(batch_size)):
        index = slice(start, start + int(batch_size))
        scores = np.asarray(score_fn(_rows(inputs, index)))
        rows = min(n, start + int(batch_size)) - start
        if scores.ndim != 2 or scores.shape[0] != rows:
            raise ValueError(
                f"{where}: score_fn returned shape {scores.shape} for a batch of {rows} rows; "
                "expected (B, n_ids), one score per item id"
            )
        if n_ids is None:
            n_ids = scores.shape[1]
        elif scores.shape[1] != n_ids:
            raise ValueError(f"{where}: score_fn returned {scores.shape[1]} columns, then {n_ids}")
        exclude = seen[index] if exclude_seen else None
        batch_targets = targets[index]
        try:
            candidates = (
                None
                if sample_candidates is None
                else sample_candidates(scores.shape, batch_targets, exclude)
            )
            tr = target_ranks(scores, batch_targets, exclude=exclude, candidates=candidates)
        except ValueError as error:
            raise ValueError(
                f"{where}: in the batch of users {start}..{start + rows - 1}: {error}"
            ) from error
        has_targets.append(tr.has_targets)
        for key, name, k in plan:
            if name not in LIST_METRICS:
                per_user[key].append(metric_per_user(tr, name, k, ties))
        if lists:
            exclude_mask = None
            if exclude is not None:
                exclude_mask = np.zeros(scores.shape, bool)
                np.put_along_axis(exclude_mask, np.asarray(exclude, np.int64), True, axis=1)
                exclude_mask[:, 0] = False
            biggest = max(lists)
            top = top_k_ids(scores, biggest, exclude_mask)
            for k in lists:
                lists[k].append(top[:, :k])

    evaluated = np.concatenate(has_targets) if has_targets else np.zeros(0, bool)
    if not evaluated.any():
        raise ValueError(f"{where}: no user has a held-out item; nothing to evaluate")
    result: dict[str, float] = {}
    for key, name, k in plan:
        if name == "coverage":
            result[key] = catalogue_coverage(np.concatenate(lists[k]), num_items=n_ids - 1)
        elif name == "arp":
            result[key] = popularity_bias(np.concatenate(lists[k]), item_popularity)
        else:
            values = np.concatenate(per_user[key])
            result[key] = float(np.nanmean(values[evaluated]))
    result["users"] = int(evaluated.sum())
    return result
