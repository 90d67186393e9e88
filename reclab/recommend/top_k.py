"""Top-K lists: the items a model would show next, with their titles and scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reclab.checks import positive_int
from reclab.metrics._ranks import id_mask
from reclab.metrics.lists import top_k_with_scores

__all__ = ["recommend", "top_k"]


def top_k(
    model: Any,
    histories: np.ndarray,
    k: int = 10,
    *,
    exclude_seen: bool = True,
    users: np.ndarray | None = None,
    batch_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best item ids per history, best first, and their scores.

    Histories are scored ``batch_size`` at a time, so memory holds ``batch_size x (N + 1)``
    scores, not one row per history at once (10,000 histories over 256,000 items would be
    20 GB of float64 scores).

    Args:
        model: a :class:`~reclab.models.Scorer`.
        histories: ``(B, T)`` item ids, left-padded with 0.
        k: list length (at most the number of items left after exclusion; shorter lists are
            padded with id 0 and score ``-inf``).
        exclude_seen: never list an item of the history (the book's protocol on data without
            repeat consumption; ``EvaluationSet.exclude_seen`` says which applies).
        users: ``(B,)`` user ids, for models that need them.
        batch_size: histories scored at once.

    Returns:
        ``(ids, scores)``, both ``(B, k)``. Ties go to the lower id.
    """
    h = np.asarray(histories)
    if h.ndim != 2:
        raise ValueError(f"top_k: histories must be a (B, T) array, got shape {h.shape}")
    batch_size = positive_int(batch_size, "batch_size", "top_k")
    ids, values = [], []
    for start in range(0, max(len(h), 1), batch_size):
        rows = slice(start, start + batch_size)
        part = None if users is None else np.asarray(users)[rows]
        scores = np.asarray(model.score(h[rows], part), dtype=np.float64)  # (b, N + 1)
        exclude = id_mask(h[rows], scores.shape, "histories", "top_k") if exclude_seen else None
        best, best_scores = top_k_with_scores(scores, k, exclude=exclude)
        ids.append(best)
        values.append(best_scores)
    return np.concatenate(ids), np.concatenate(values)


def recommend(
    model: Any,
    history: np.ndarray | list[int],
    k: int = 10,
    *,
    exclude_seen: bool = True,
    user: int | None = None,
    item_mapping: Any | None = None,
    items: pd.DataFrame | None = None,
    reranker: Any = None,
    pool: int = 100,
) -> pd.DataFrame:
    """One user's top-``k`` list as a table: rank, item ids, title and score.

    Args:
        model: a :class:`~reclab.models.Scorer`.
        history: the user's encoded item ids, oldest first (padding 0 allowed).
        k: list length.
        exclude_seen: never recommend an item of ``history`` (default).
        user: the user's id, for models that need it.
        item_mapping: the :class:`~reclab.data.IdMapping` of the training data, to add the raw
            item ids (``raw_item_id``).
        items: an item table with ``item_id`` (raw ids) and ``title`` (e.g. MovieLens'
            ``items``), to add titles; needs ``item_mapping``.
        reranker: a re-ranker (:func:`~reclab.recommend.mmr_reranker`,
            :func:`~reclab.recommend.calibration_reranker`) that builds the list from the
            model's best ``pool`` items (:func:`~reclab.recommend.rerank_top_k`); the scores
            shown are still the model's.
        pool: candidates a re-ranker chooses from.

    Returns:
        A table with columns ``rank``, ``item_id`` (encoded), ``score`` and, when given the
        mapping and items, ``raw_item_id`` and ``title``.

    Example:
        >>> import numpy as np
        >>> class Fixed:                                 # scores 1 > 2 > 3
        ...     num_items = 3
        ...     def score(self, histories, users=None):
        ...         return np.tile([-np.inf, 3.0, 2.0, 1.0], (len(histories), 1))
        >>> recommend(Fixed(), [1], k=2)["item_id"].tolist()   # item 1 was seen
        [2, 3]
    """
    h = np.asarray(history)
    if h.ndim != 1:
        raise ValueError(f"recommend: history must be a 1-D array of item ids, got shape {h.shape}")
    if len(h) == 0:
        h = np.zeros(1, np.int64)
    users = None if user is None else np.array([user])
    if reranker is None:
        ids, scores = top_k(model, h[None].astype(np.int64), k, exclude_seen=exclude_seen,
                            users=users)  # fmt: skip
    else:
        from reclab.recommend.rerank import rerank_top_k

        ids = rerank_top_k(model, h[None].astype(np.int64), k, pool=pool, reranker=reranker,
                           exclude_seen=exclude_seen, users=users)  # fmt: skip
        every = np.asarray(model.score(h[None].astype(np.int64), users), np.float64)
        scores = np.where(ids > 0, np.take_along_axis(every, ids, axis=1), -np.inf)
    keep = ids[0] > 0
    table = pd.DataFrame(
        {"rank": np.arange(1, keep.sum() + 1), "item_id": ids[0][keep], "score": scores[0][keep]}
    )
    if item_mapping is not None:
        table["raw_item_id"] = item_mapping.decode(table["item_id"].to_numpy())
        if items is not None:
            titles = items.drop_duplicates("item_id").set_index("item_id")["title"]
            table["title"] = titles.reindex(table["raw_item_id"]).to_numpy()
    elif items is not None:
        raise ValueError("recommend: items (titles) need item_mapping to decode the item ids")
    return table
