"""Evaluate any model on any split: per-user values, a table with intervals, paired comparisons.

All three functions run the one evaluation core (:func:`reclab.evaluation.core.score_users`) on
the same inputs:

- :func:`per_user_metrics`: one row per evaluated user, with the kind of its held-out item;
- :func:`evaluate_model`: the means with percentile bootstrap intervals over users
  (:func:`~reclab.evaluation.bootstrap_ci`), optionally split by the kind of held-out item;
- :func:`compare_models`: the difference of two models on the same users with a paired bootstrap
  interval (:func:`~reclab.evaluation.paired_bootstrap_ci`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from reclab.evaluation.bootstrap import bootstrap_ci, paired_bootstrap_ci
from reclab.evaluation.core import TARGET_KINDS, RankingProtocol, parse_metric_key, score_users
from reclab.seeding import as_generator

__all__ = [
    "compare_models",
    "evaluate_lists",
    "evaluate_model",
    "per_user_metrics",
    "results_table",
]

#: The columns of :func:`evaluate_model`'s table.
COLUMNS = ("model", "split", "targets", "metric", "value", "ci_low", "ci_high", "users")


def _parts(data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    """``(histories, targets, users, exclude_seen default)`` of an evaluation set or tuple."""
    if hasattr(data, "histories") and hasattr(data, "targets"):
        users = getattr(data, "users", None)
        return data.histories, data.targets, users, bool(getattr(data, "exclude_seen", True))
    if isinstance(data, tuple) and len(data) in (2, 3):
        return data[0], data[1], data[2] if len(data) == 3 else None, True
    raise TypeError(
        "evaluate_model: data must be an EvaluationSet (histories, targets, users) or a tuple "
        f"(histories, targets[, users]), got {type(data).__name__}"
    )


def _label(model: Any, name: str | None) -> str:
    if name is not None:
        return name
    return getattr(model, "__name__", None) or type(model).__name__


def per_user_metrics(
    model: Any,
    data: Any,
    *,
    ks: Sequence[int] = (10,),
    metrics: Sequence[str] = ("hr", "ndcg"),
    ties: str = "pessimistic",
    exclude_seen: bool | None = None,
    batch_size: int = 256,
) -> pd.DataFrame:
    """Every evaluated user's metric values: the numbers every mean and interval comes from.

    Args:
        model: a :class:`~reclab.models.Scorer` (``score(histories, users)``), or a scoring
            function ``histories -> (B, N + 1)`` scores.
        data: a :class:`reclab.data.EvaluationSet`, or ``(histories, targets[, users])`` with
            histories ``(U, T)`` left-padded and targets ``(U,)`` (-1: an item outside the
            catalogue, a miss).
        ks, metrics, ties, batch_size: as in :func:`~reclab.evaluation.evaluate_full_ranking`.
        exclude_seen: remove each user's history from the ranking (a seen held-out item is
            then a miss). ``None`` (default): the evaluation set's protocol
            (``EvaluationSet.exclude_seen``: no exclusion on data with repeat consumption), and
            ``True`` for a tuple.

    Returns:
        A table with one row per user with a held-out item, in input order, and the columns
        ``row`` (its row in ``data``), ``user`` (when ``data`` has user ids), ``target``
        (``"first-time"``, ``"repeat"`` or ``"unknown"``) and one per metric (``"HR@10"``, ...).
    """
    histories, targets, users, default_exclude = _parts(data)
    histories, targets = np.asarray(histories), np.asarray(targets)
    exclude = default_exclude if exclude_seen is None else bool(exclude_seen)
    no_users = np.zeros(len(histories), np.int64)
    if callable(getattr(model, "score", None)):
        ids = no_users if users is None else np.asarray(users)

        def score(batch: Any) -> np.ndarray:
            return np.asarray(model.score(batch[0], batch[1]))

        inputs: Any = (histories, ids)
    elif callable(model):

        def score(batch: Any) -> np.ndarray:
            return np.asarray(model(batch[0]))

        inputs = (histories, no_users)
    else:
        raise TypeError(
            "per_user_metrics: model must be a Scorer or a scoring function, "
            f"got {type(model).__name__}"
        )
    protocol = RankingProtocol(ks, metrics, ties, exclude, batch_size)
    result = score_users(score, inputs, targets, protocol, seen=histories, where="per_user_metrics")
    frame = pd.DataFrame({"row": result.rows})
    if users is not None:
        frame["user"] = np.asarray(users)[result.rows]
    frame["target"] = result.kinds
    for key, values in result.values.items():
        frame[key] = values
    return frame


def evaluate_model(
    model: Any,
    data: Any,
    *,
    name: str | None = None,
    split: str = "test",
    ks: Sequence[int] = (10,),
    metrics: Sequence[str] = ("hr", "ndcg"),
    ties: str = "pessimistic",
    exclude_seen: bool | None = None,
    by_target: bool = False,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    batch_size: int = 256,
) -> pd.DataFrame:
    """Full-ranking metrics of one model on one split, with bootstrap intervals over users.

    Args:
        model, data, ks, metrics, ties, exclude_seen, batch_size: as in
            :func:`per_user_metrics`.
        name: the model's name in the table (default: its class name).
        split: the split's name in the table.
        by_target: also report the users whose held-out item is a repeat, a first-time item
            or unknown to the catalogue, separately (rows with ``targets`` = that kind).
        n_bootstrap, confidence, seed: the intervals of :func:`bootstrap_ci` (seeded).

    Returns:
        A tidy table with one row per metric (and kind of held-out item) and columns ``model``,
        ``split``, ``targets`` (``"all"`` or a kind), ``metric``, ``value`` (the mean),
        ``ci_low``, ``ci_high``, ``users``.
    """
    frame = per_user_metrics(
        model,
        data,
        ks=ks,
        metrics=metrics,
        ties=ties,
        exclude_seen=exclude_seen,
        batch_size=batch_size,
    )
    label = _label(model, name)
    keys = [c for c in frame.columns if c not in ("row", "user", "target")]
    groups = [("all", frame)]
    if by_target and frame["target"].notna().all():
        groups += [(kind, frame[frame["target"] == kind]) for kind in TARGET_KINDS]
    rng = as_generator(seed)
    rows = []
    for kind, part in groups:
        if len(part) == 0:
            continue
        for key in keys:
            values = part[key].to_numpy(np.float64)
            values = values[~np.isnan(values)]
            if len(values) == 0:
                continue
            low, high = bootstrap_ci(
                values, n_bootstrap=n_bootstrap, confidence=confidence, seed=rng
            )
            rows.append((label, split, kind, key, float(values.mean()), low, high, len(part)))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def compare_models(
    model_a: Any,
    model_b: Any,
    data: Any,
    *,
    metric: str = "NDCG@10",
    names: tuple[str, str] | None = None,
    ties: str = "pessimistic",
    exclude_seen: bool | None = None,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    batch_size: int = 256,
) -> dict[str, Any]:
    """How much better model A is than model B on the same users, with a paired interval.

    Args:
        model_a, model_b: two models (as in :func:`per_user_metrics`).
        data: the evaluation set both are scored on.
        metric: a metric key such as ``"NDCG@10"``, ``"HR@10"`` or ``"MRR"``.
        names: the two models' names in the result (default: their class names).
        ties, exclude_seen, batch_size: as in :func:`per_user_metrics`.
        n_bootstrap, confidence, seed: as in :func:`~reclab.evaluation.paired_bootstrap_ci`.

    Returns:
        A dict with the keys ``a`` and ``b`` (the names), ``metric``, ``a_value`` and
        ``b_value`` (the two means), ``difference`` (A minus B), ``ci_low`` and ``ci_high``
        (its paired interval) and ``users`` (how many users were compared).
    """
    key, k = parse_metric_key(metric, "compare_models")
    options = {
        "ks": (10,) if k is None else (k,),
        "metrics": (key,),
        "ties": ties,
        "exclude_seen": exclude_seen,
        "batch_size": batch_size,
    }
    a = per_user_metrics(model_a, data, **options)
    b = per_user_metrics(model_b, data, **options)
    both = a[metric].notna() & b[metric].notna()
    va, vb = a.loc[both, metric].to_numpy(), b.loc[both, metric].to_numpy()
    diff, low, high = paired_bootstrap_ci(
        va, vb, n_bootstrap=n_bootstrap, confidence=confidence, seed=seed
    )
    label_a, label_b = names or (_label(model_a, None), _label(model_b, None))
    return {
        "a": label_a,
        "b": label_b,
        "metric": metric,
        "a_value": float(va.mean()),
        "b_value": float(vb.mean()),
        "difference": diff,
        "ci_low": low,
        "ci_high": high,
        "users": int(both.sum()),
    }


def results_table(
    tables: Sequence[pd.DataFrame] | pd.DataFrame,
    *,
    digits: int = 3,
    split: str | None = None,
    targets: str = "all",
) -> pd.DataFrame:
    """One row per model, one column per metric, cells ``"0.123 [0.100, 0.140]"``.

    Args:
        tables: tables of :func:`evaluate_model` (or one concatenated table).
        digits: decimals shown.
        split: keep only this split (default: all; then the index is ``(model, split)``).
        targets: which users' rows to show: ``"all"`` (default) or a kind of held-out item
            (``"repeat"``, ``"first-time"``, ``"unknown"``; needs ``by_target=True``).
    """
    frame = tables if isinstance(tables, pd.DataFrame) else pd.concat(list(tables))
    frame = frame[frame["targets"] == targets]
    if split is not None:
        frame = frame[frame["split"] == split]
    cells = frame.assign(
        cell=[
            f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
            for v, lo, hi in zip(frame["value"], frame["ci_low"], frame["ci_high"], strict=True)
        ]
    )
    index = ["model"] if split is not None else ["model", "split"]
    order = list(dict.fromkeys(frame["model"]))
    wide = cells.pivot_table(index=index, columns="metric", values="cell", aggfunc="first")
    wide.columns.name = None
    if split is not None:
        wide = wide.loc[order]
    return wide


class _ListScores:
    """Scores that rank fixed lists: row ``r``'s list at positions 1..K scores K..1, else -inf."""

    def __init__(self, lists: np.ndarray, num_items: int) -> None:
        self.lists, self.num_items = lists, num_items

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        rows = self.lists[np.asarray(users)]
        scores = np.full((len(rows), self.num_items + 1), -np.inf)
        weights = np.broadcast_to(np.arange(rows.shape[1], 0, -1, dtype=float), rows.shape)
        np.put_along_axis(scores, rows, np.where(rows > 0, weights, -np.inf), axis=1)
        scores[:, 0] = -np.inf
        return scores


def evaluate_lists(
    lists: Any, data: Any, *, name: str = "lists", num_items: int | None = None, **options: Any
) -> pd.DataFrame:
    """:func:`evaluate_model` for fixed top-``K`` lists (re-ranked ones, say), one per user.

    The lists are ranked in their own order and every item not on a list ranks below it, so a
    metric at a cut-off up to ``K`` is exactly that of the list (an item off the list can never
    count); metrics beyond ``K`` are not meaningful.

    Args:
        lists: ``(U, K)`` item ids, best first (0 = an empty slot), one row per row of ``data``.
        data: the :class:`~reclab.data.EvaluationSet` the lists were made for.
        name: the name in the table.
        num_items: the catalogue size :math:`N` (default: the largest id in lists or data).
        options: any other keyword of :func:`evaluate_model` (``ks`` at most ``K``).

    Example:
        >>> from reclab.data import EvaluationSet
        >>> users = EvaluationSet(np.array([[1, 2], [2, 3]]), np.array([4, 5]), np.array([7, 9]))
        >>> table = evaluate_lists([[4, 5], [4, 6]], users, num_items=6, ks=(1,))
        >>> float(table.set_index("metric").loc["HR@1", "value"])  # user 7's first is a hit
        0.5
    """
    from reclab.checks import id_matrix

    ids = id_matrix(lists, "lists", "evaluate_lists", shape="(U, K)", layout="of item ids")
    if len(ids) != len(data.targets):
        raise ValueError(
            f"evaluate_lists: {len(ids)} lists for {len(data.targets)} users; one list per user"
        )
    if num_items is None:
        num_items = int(max(ids.max(initial=0), np.max(data.histories, initial=0),
                            np.max(data.targets, initial=0)))  # fmt: skip
    rows = type(data)(data.histories, data.targets, np.arange(len(ids)), data.exclude_seen)
    return evaluate_model(_ListScores(ids, num_items), rows, name=name, **options)
