"""Full-ranking evaluation: every item of the catalogue competes with the held-out one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from reclab.evaluation.core import DEFAULT_METRICS, RankingProtocol, ScoreFn, score_users


def evaluate_full_ranking(
    score_fn: ScoreFn,
    inputs: Any,
    targets: Any,
    *,
    ks: Sequence[int] = (10,),
    metrics: Iterable[str] = DEFAULT_METRICS,
    ties: str = "pessimistic",
    exclude_seen: bool = True,
    seen: Any | None = None,
    batch_size: int = 256,
    item_popularity: Any | None = None,
) -> dict[str, float]:
    """Rank the whole catalogue for every user and average the metrics (the book's protocol).

    The candidates of a user are every item minus, with ``exclude_seen``, the user's ``seen``
    items, whatever the held-out item is: a held-out item that was seen (a repeat) is then a
    miss. On data with repeat consumption pass ``exclude_seen=False`` (the protocol of
    :func:`reclab.data.prepare_next_item_data` decides this from the training data).

    Args:
        score_fn: batch of ``inputs`` rows -> scores ``(B, n_ids)``, one column per item id;
            column 0 is padding and never ranked. NumPy or tensors.
        inputs: what ``score_fn`` reads, one row per user: histories ``(U, L)`` (left-padded
            with 0), user ids ``(U,)``, or a tuple of such arrays.
        targets: held-out items, ``(U,)`` or ``(U, R)`` padded with 0; -1 marks an item
            outside the catalogue (a miss for every model). Users without any are skipped (and
            not counted in ``"users"``).
        ks: cut-offs :math:`K`.
        metrics: names from ``reclab.metrics.RANKING_METRICS`` and ``"coverage"`` (catalogue
            coverage of the top-K lists) and ``"arp"`` (their average popularity; needs
            ``item_popularity``).
        ties: ``"pessimistic"`` (default), ``"optimistic"`` or ``"expected"``.
        exclude_seen: remove each user's ``seen`` items from the ranking, held-out items
            included (default ``True``: a user is not shown what they already have). ``False``
            keeps them.
        seen: the items to exclude, ``(U, S)`` ids padded with 0; defaults to ``inputs``
            when those are 2-D histories.
        batch_size: users scored at once (bounds memory: ``batch_size x n_ids`` scores).
        item_popularity: :math:`\\phi`, one value per item id, for ``"arp"``.

    Returns:
        ``{"HR@10": ..., "NDCG@10": ..., "MRR": ..., "users": n}``: means over users with a
        held-out item.

    Example:
        >>> import numpy as np
        >>> histories = np.array([[0, 1], [1, 2]])            # two users, ids 1..3
        >>> score_fn = lambda h: np.tile([0.0, 3.0, 2.0, 1.0], (len(h), 1))  # 1 > 2 > 3
        >>> # seen items removed: user 0 is shown 2 first, user 1 is shown 3 first: 2 hits
        >>> evaluate_full_ranking(score_fn, histories, [2, 3], ks=(1,), metrics=["hr"])
        {'HR@1': 1.0, 'users': 2}
        >>> evaluate_full_ranking(score_fn, histories, [2, 3], ks=(1,), metrics=["hr"],
        ...                       exclude_seen=False)        # both are shown item 1
        {'HR@1': 0.0, 'users': 2}
    """
    protocol = RankingProtocol(ks, metrics, ties, exclude_seen, batch_size)
    where = "evaluate_full_ranking"
    result = score_users(
        score_fn, inputs, targets, protocol, seen=seen, where=where, item_popularity=item_popularity
    )
    return result.means()
