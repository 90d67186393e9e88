"""Ranking metrics of a scored catalogue against each user's held-out items.

Every function takes the same inputs:

* ``scores``: ``(B, n_ids)``, column ``j`` the score of item id ``j``; column 0 is padding
  and never ranked.
* ``targets``: the held-out items :math:`R_u`, ``(B,)`` or ``(B, R)`` ids padded with 0.
* ``k``: the cut-off :math:`K` (capped at the number of candidates :math:`N_u`).
* ``ties``: ``"pessimistic"`` (default: tied items rank above the held-out one, so a constant
  model gets rank :math:`N`), ``"optimistic"``, or ``"expected"`` (the metric averaged over
  every order of the ties: a constant model scores what chance gives).
* ``exclude``: items never recommended (typically the user's history, "exclude seen"), as
  ids ``(B, S)`` or a boolean mask; ``None`` is an explicit choice to keep them.
* ``candidates``: rank only these items (sampled evaluation); ``None`` ranks all items.
* ``reduction``: ``"mean"`` over users with a held-out item, or ``"none"`` per user (NaN for
  users without held-out items, who are skipped by the mean).

Ranks come from counts of items scoring strictly higher (:func:`target_ranks`); nothing
sorts the catalogue, so the tie policy is exactly what the argument says.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reclab.formulas import implements
from reclab.metrics._ranks import check_k, check_ties, reduce_users, target_ranks
from reclab.metrics.from_ranks import metric_per_user


def _metric(
    name: str,
    scores: Any,
    targets: Any,
    k: int | None,
    ties: str,
    exclude: Any,
    candidates: Any,
    reduction: str,
    where: str,
) -> Any:
    check_ties(ties, where)
    if k is not None:
        check_k(k, where)
    tr = target_ranks(scores, targets, exclude=exclude, candidates=candidates)
    return reduce_users(metric_per_user(tr, name, k, ties), tr, reduction, where)


@implements("eq-hr-at-k")
def hit_rate_at_k(
    scores: Any,
    targets: Any,
    k: int,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Hit rate: the share of users with at least one held-out item in their top :math:`K`.

    .. math::

        \mathrm{HR@}K = \frac{1}{|\mathcal{U}|} \sum_{u \in \mathcal{U}}
        \mathbb{1}\bigl[\exists\, i \in R_u : \operatorname{rank}_u(i) \le K\bigr]

    With one held-out item per user (leave-last-out) it equals recall@K.

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .1], [0, .9, .8, .1]])  # ids 0 (padding), 1, 2, 3
        >>> hit_rate_at_k(scores, [2, 3], k=2)  # ranks 2 and 3: (1 + 0) / 2
        0.5
    """
    return _metric("hr", scores, targets, k, ties, exclude, candidates, reduction, "hit_rate_at_k")


@implements("eq-precision-at-k")
def precision_at_k(
    scores: Any,
    targets: Any,
    k: int,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Precision: the share of the top-:math:`K` list that is held out.

    .. math::

        \mathrm{P@}K = \frac{|L_u^K \cap R_u|}{K}

    where :math:`L_u^K` is user :math:`u`'s top-:math:`K` list; averaged over users.

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7, .1]])
        >>> precision_at_k(scores, [[1, 4]], k=2)  # list (1, 2), one hit: 1/2
        0.5
    """
    return _metric(
        "precision", scores, targets, k, ties, exclude, candidates, reduction, "precision_at_k"
    )


@implements("eq-recall-at-k")
def recall_at_k(
    scores: Any,
    targets: Any,
    k: int,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Recall: the share of the held-out items that made the top-:math:`K` list.

    .. math::

        \mathrm{R@}K = \frac{|L_u^K \cap R_u|}{|R_u|}

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7, .1]])
        >>> recall_at_k(scores, [[1, 4]], k=2)  # 1 of the 2 held-out items is in the list
        0.5
    """
    return _metric(
        "recall", scores, targets, k, ties, exclude, candidates, reduction, "recall_at_k"
    )


@implements("eq-f1-at-k")
def f1_at_k(
    scores: Any,
    targets: Any,
    k: int,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""F1: the harmonic mean of precision@K and recall@K, per user.

    .. math::

        \mathrm{F1@}K = \frac{2\,\mathrm{P@}K \cdot \mathrm{R@}K}{\mathrm{P@}K + \mathrm{R@}K}
        = \frac{2\,|L_u^K \cap R_u|}{K + |R_u|}

    (0 when there is no hit).

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7, .1]])
        >>> round(f1_at_k(scores, [[1, 3, 4]], k=2), 4)  # 2 * 1 / (2 + 3)
        0.4
    """
    return _metric("f1", scores, targets, k, ties, exclude, candidates, reduction, "f1_at_k")


@implements("eq-accuracy-at-k")
def accuracy_at_k(
    scores: Any,
    targets: Any,
    k: int,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Accuracy of "in the list" as a yes/no prediction for every candidate item.

    .. math::

        \mathrm{Acc@}K = \frac{\mathrm{TP} + \mathrm{TN}}{N_u}
        = \frac{N_u - K - |R_u| + 2\,|L_u^K \cap R_u|}{N_u}

    with :math:`\mathrm{TP} = |L_u^K \cap R_u|` and :math:`\mathrm{TN}` the items neither
    listed nor held out. With :math:`N_u` in the thousands it is close to 1 for *any* model,
    which is why recommendation is not measured by accuracy.

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7, .1]])   # N = 4 items
        >>> accuracy_at_k(scores, [4], k=1)           # TP 0, TN 2 (items 2, 3): 2 / 4
        0.5
    """
    return _metric(
        "accuracy", scores, targets, k, ties, exclude, candidates, reduction, "accuracy_at_k"
    )


@implements("eq-ndcg-at-k")
def ndcg_at_k(
    scores: Any,
    targets: Any,
    k: int,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Normalised discounted cumulative gain: hits count less the lower they are listed.

    .. math::

        \mathrm{NDCG@}K = \frac{1}{\mathrm{IDCG}_u} \sum_{i \in R_u}
        \frac{\mathbb{1}[\operatorname{rank}_u(i) \le K]}{\log_2(\operatorname{rank}_u(i) + 1)},
        \qquad \mathrm{IDCG}_u = \sum_{p=1}^{\min(|R_u|, K)} \frac{1}{\log_2(p + 1)}

    With one held-out item, :math:`1/\log_2(\operatorname{rank} + 1)` if it is in the list.

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7, .1]])
        >>> ndcg_at_k(scores, [3], k=5)  # rank 3: 1 / log2(4) = 0.5
        0.5
    """
    return _metric("ndcg", scores, targets, k, ties, exclude, candidates, reduction, "ndcg_at_k")


@implements("eq-mrr")
def mrr(
    scores: Any,
    targets: Any,
    k: int | None = None,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Mean reciprocal rank of the first held-out item (0 beyond the cut-off ``k``, if any).

    .. math::

        \mathrm{MRR} = \frac{1}{|\mathcal{U}|} \sum_{u \in \mathcal{U}}
        \frac{1}{\min_{i \in R_u} \operatorname{rank}_u(i)}

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7], [0, .9, .8, .7]])
        >>> mrr(scores, [1, 3])  # (1/1 + 1/3) / 2
        0.6666666666666666
    """
    return _metric("mrr", scores, targets, k, ties, exclude, candidates, reduction, "mrr")


@implements("eq-map-at-k")
def map_at_k(
    scores: Any,
    targets: Any,
    k: int,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Mean average precision: precision at each hit, averaged over the held-out items.

    .. math::

        \mathrm{AP@}K_u = \frac{1}{\min(|R_u|, K)} \sum_{p=1}^{K}
        \mathrm{P@}p \cdot \mathbb{1}[\text{item at position } p \in R_u],
        \qquad \mathrm{MAP@}K = \frac{1}{|\mathcal{U}|} \sum_u \mathrm{AP@}K_u

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7, .1]])
        >>> map_at_k(scores, [[1, 3]], k=3)  # hits at 1 and 3: (1/1 + 2/3) / 2
        0.8333333333333333
    """
    return _metric("map", scores, targets, k, ties, exclude, candidates, reduction, "map_at_k")


@implements("eq-auc")
def auc(
    scores: Any,
    targets: Any,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Area under the ROC curve: the share of (held-out, other) pairs ordered correctly.

    .. math::

        \mathrm{AUC}_u = \frac{1}{|R_u|\,|\mathcal{C}_u \setminus R_u|}
        \sum_{i \in R_u} \sum_{j \in \mathcal{C}_u \setminus R_u}
        \mathbb{1}[\hat{r}_{ui} > \hat{r}_{uj}]

    A tie counts 0 (pessimistic), 1 (optimistic) or 1/2 (expected).

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0, .9, .8, .7, .1]])
        >>> round(auc(scores, [3]), 4)  # above item 4 only: 1 of 3 other items
        0.3333
    """
    return _metric("auc", scores, targets, None, ties, exclude, candidates, reduction, "auc")
