""":func:`score_users` is the one evaluation loop: score a batch of users, count ranks, keep every
user's metric values. The full-ranking and sampled evaluators
(:func:`~reclab.evaluation.evaluate_full_ranking`,
:func:`~reclab.evaluation.evaluate_sampled_ranking`) average those values,
:func:`~reclab.evaluation.evaluate_model` adds bootstrap intervals to them and
:func:`~reclab.evaluation.compare_models` pairs two models' values user by user.

Each user's held-out item has a *kind*: ``"repeat"`` (it is already in the user's history),
``"first-time"`` (it is not) or ``"unknown"`` (it is not in the training catalogue, so no model
can rank it). With seen items excluded a repeat is never ranked: it is a miss for every model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reclab.checks import positive_int
from reclab.metrics._ranks import UNKNOWN_ITEM, check_k, check_ties, id_mask, target_ranks
from reclab.metrics.beyond_accuracy import catalogue_coverage, popularity_bias
from reclab.metrics.from_ranks import RANKING_METRICS, WITHOUT_K, metric_per_user
from reclab.metrics.lists import top_k_ids

__all__ = [
    "DEFAULT_METRICS",
    "TARGET_KINDS",
    "RankingProtocol",
    "ScoreFn",
    "UserMetrics",
    "metric_key",
    "parse_metric_key",
    "score_users",
]

#: A scoring function: a batch of model inputs (histories ``(B, L)``, user ids ``(B,)``, or a
#: tuple of such arrays) to scores over every item id, ``(B, n_ids)``; column 0 is ignored.
ScoreFn = Callable[[Any], Any]

#: Metrics of the top-K lists themselves, computed by the full-ranking evaluator only.
LIST_METRICS = ("coverage", "arp")

#: The metrics reported unless a caller asks for others.
DEFAULT_METRICS = ("hr", "ndcg", "mrr")

#: The kinds of held-out item (see the module docstring).
TARGET_KINDS = ("first-time", "repeat", "unknown")

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


def parse_metric_key(key: str, where: str) -> tuple[str, int | None]:
    """``"NDCG@10"`` -> ``("ndcg", 10)``, ``"MRR"`` -> ``("mrr", None)``; the inverse of
    :func:`metric_key`."""
    label, _, k = key.partition("@")
    names = {display: name for name, display in _DISPLAY.items()}
    if label not in names or (k and not k.isdigit()):
        raise ValueError(
            f"{where}: {key!r} is not a metric key such as 'NDCG@10', 'HR@10' or 'MRR'"
        )
    return names[label], int(k) if k else None


def plan_metrics(
    metrics: Iterable[str], ks: Sequence[int], allowed: Sequence[str], where: str
) -> list[tuple[str, str, int | None]]:
    """``(key, name, k)`` for every requested metric and cut-off, without repeats."""
    ks = [check_k(k, where) for k in ks]
    plan: dict[str, tuple[str, str, int | None]] = {}
    for name in metrics:
        if name not in allowed:
            raise ValueError(f"{where}: unknown metric {name!r}; expected one of {tuple(allowed)}")
        for k in [None] if name in WITHOUT_K or name == "mrr" else ks:
            plan.setdefault(metric_key(name, k), (metric_key(name, k), name, k))
    return list(plan.values())


@dataclass(frozen=True)
class RankingProtocol:
    """How every user's ranking is scored: what to compute, how ties and seen items count.

    The evaluators build one from their keyword arguments, so the options are checked in one
    place (an invalid protocol cannot be constructed).

    Attributes:
        ks: cut-offs :math:`K`.
        metrics: names from ``reclab.metrics.RANKING_METRICS``, and for full ranking
            ``"coverage"`` and ``"arp"``.
        ties: ``"pessimistic"``, ``"optimistic"`` or ``"expected"``.
        exclude_seen: remove each user's seen items from the candidates, held-out items
            included (a seen held-out item is then a miss).
        batch_size: users scored at once (bounds memory: ``batch_size x n_ids`` scores).

    Example:
        >>> RankingProtocol(ks=[5, 10], metrics=["ndcg"])
        RankingProtocol(ks=(5, 10), metrics=('ndcg',), ties='pessimistic', exclude_seen=True, batch_size=256)
    """  # noqa: E501

    ks: Sequence[int] = (10,)
    metrics: Iterable[str] = DEFAULT_METRICS
    ties: str = "pessimistic"
    exclude_seen: bool = True
    batch_size: int = 256

    def __post_init__(self) -> None:
        where = "RankingProtocol"
        object.__setattr__(self, "ks", tuple(check_k(k, where) for k in self.ks))
        metrics = (self.metrics,) if isinstance(self.metrics, str) else tuple(self.metrics)
        object.__setattr__(self, "metrics", metrics)
        check_ties(self.ties, where)
        object.__setattr__(self, "exclude_seen", bool(self.exclude_seen))
        object.__setattr__(self, "batch_size", positive_int(self.batch_size, "batch_size", where))


@dataclass(frozen=True)
class UserMetrics:
    """Every evaluated user's metric values, from one pass over the scores.

    Attributes:
        values: metric key (``"NDCG@10"``) -> ``(U,)`` values of the users with a held-out
            item, in input order (NaN where a metric is undefined for a user, e.g. AUC with no
            other candidate).
        rows: ``(U,)`` the row of each evaluated user in the evaluator's inputs.
        kinds: ``(U,)`` the kind of each user's held-out item (:data:`TARGET_KINDS`), or
            ``None`` when the evaluator had no histories to tell repeats from first-time items.
        lists: list metrics (``"Coverage@10"``, ``"ARP@10"``) over all users' top-K lists.
    """

    values: dict[str, np.ndarray]
    rows: np.ndarray
    kinds: np.ndarray | None
    lists: dict[str, float]

    @property
    def users(self) -> int:
        """The number of evaluated users (those with a held-out item)."""
        return len(self.rows)

    def means(self) -> dict[str, float]:
        """``{"HR@10": ..., "Coverage@10": ..., "users": U}``: means over evaluated users."""
        out = {k: float(np.nanmean(v)) if len(v) else float("nan") for k, v in self.values.items()}
        return {**out, **self.lists, "users": self.users}

    def kind_counts(self) -> dict[str, int]:
        """How many evaluated users have each kind of held-out item (empty without kinds)."""
        if self.kinds is None:
            return {}
        return {kind: int(np.sum(self.kinds == kind)) for kind in TARGET_KINDS}


def _rows(data: Any, index: slice) -> Any:
    if isinstance(data, tuple):
        return tuple(np.asarray(part)[index] for part in data)
    return np.asarray(data)[index]


def _n_rows(data: Any) -> int:
    return len(data[0]) if isinstance(data, tuple) else len(data)


def _kinds(targets: np.ndarray, seen: np.ndarray | None) -> np.ndarray | None:
    """Kind of each row's (first) held-out item; ``None`` without histories."""
    first = targets if targets.ndim == 1 else targets[:, 0]
    if seen is None:
        return None
    repeat = np.any(seen == first[:, None], axis=1) & (first > 0)
    kinds = np.where(repeat, "repeat", "first-time").astype(object)
    kinds[first == UNKNOWN_ITEM] = "unknown"
    return kinds


def score_users(
    score_fn: ScoreFn,
    inputs: Any,
    targets: Any,
    protocol: RankingProtocol,
    *,
    seen: Any | None = None,
    item_popularity: Any | None = None,
    sample_candidates: Callable[[tuple[int, int], Any, Any], np.ndarray] | None = None,
    where: str = "score_users",
) -> UserMetrics:
    """Score every user in batches and return the per-user metric values (see the module doc).

    Args:
        score_fn: batch of ``inputs`` rows -> ``(B, n_ids)`` scores.
        inputs: what ``score_fn`` reads, one row per user (or a tuple of such arrays).
        targets: ``(U,)`` or ``(U, R)`` held-out ids, 0 = none, -1 = unknown item.
        protocol: what to compute and how (:class:`RankingProtocol`).
        seen: ``(U, S)`` ids padded with 0, excluded with ``protocol.exclude_seen``; defaults
            to ``inputs`` when those are histories.
        item_popularity: one value per item id, for ``"arp"``.
        sample_candidates: ``(shape, targets, excluded) -> (B, n_ids)`` mask of sampled
            candidates, for sampled evaluation (``None``: full ranking).
        where: the caller's name, for error messages.
    """
    allowed = RANKING_METRICS + (LIST_METRICS if sample_candidates is None else ())
    plan = plan_metrics(protocol.metrics, protocol.ks, allowed, where)
    batch_size, exclude_seen, ties = protocol.batch_size, protocol.exclude_seen, protocol.ties
    n = _n_rows(inputs)
    targets = np.asarray(targets)
    if len(targets) != n:
        raise ValueError(f"{where}: {n} rows of inputs but {len(targets)} rows of targets")
    if seen is None and not isinstance(inputs, tuple) and np.asarray(inputs).ndim == 2:
        seen = inputs
    if seen is not None:
        seen = np.asarray(seen)
        if len(seen) != n:
            raise ValueError(f"{where}: {n} rows of inputs but {len(seen)} rows of seen")
    if exclude_seen and seen is None:
        raise ValueError(
            f"{where}: exclude_seen=True needs the seen items: pass seen=(U, S) ids, "
            "or histories (U, L) as inputs; or choose exclude_seen=False"
        )
    if any(name == "arp" for _, name, _ in plan) and item_popularity is None:
        raise ValueError(f"{where}: metric 'arp' needs item_popularity (one value per item id)")

    per_user: dict[str, list[np.ndarray]] = {
        key: [] for key, name, _ in plan if name not in LIST_METRICS
    }
    list_ks = sorted({k for _, name, k in plan if name in LIST_METRICS})
    lists: dict[int, list[np.ndarray]] = {k: [] for k in list_ks}
    evaluated: list[np.ndarray] = []
    n_ids = None
    for start in range(0, n, batch_size):
        index = slice(start, start + batch_size)
        scores = np.asarray(score_fn(_rows(inputs, index)))
        rows = min(n, start + batch_size) - start
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
        keep = tr.has_targets
        evaluated.append(np.flatnonzero(keep) + start)
        for key, name, k in plan:
            if name not in LIST_METRICS:
                per_user[key].append(metric_per_user(tr, name, k, ties)[keep])
        if list_ks:
            mask = None if exclude is None else id_mask(exclude, scores.shape, "seen", where)
            top = top_k_ids(scores, list_ks[-1], exclude=mask)
            for k in list_ks:
                lists[k].append(top[:, :k])

    rows_evaluated = np.concatenate(evaluated) if evaluated else np.zeros(0, np.int64)
    if len(rows_evaluated) == 0:
        raise ValueError(f"{where}: no user has a held-out item; nothing to evaluate")
    values = {key: np.concatenate(v) for key, v in per_user.items()}
    list_values: dict[str, float] = {}
    for key, name, k in plan:
        if name == "coverage":
            list_values[key] = catalogue_coverage(np.concatenate(lists[k]), num_items=n_ids - 1)
        elif name == "arp":
            list_values[key] = popularity_bias(np.concatenate(lists[k]), item_popularity)
    target_rows = targets[rows_evaluated]
    kinds = _kinds(target_rows, None if seen is None else seen[rows_evaluated])
    return UserMetrics(values, rows_evaluated, kinds, list_values)
