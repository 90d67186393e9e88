"""Beyond accuracy: how much of the catalogue the lists use, and how popular what they show is."""

from __future__ import annotations

from typing import Any

import numpy as np

from reclab.checks import id_matrix, positive_int
from reclab.formulas import implements


def _lists(recommendations: Any, where: str) -> np.ndarray:
    layout = "of item ids (0 = empty slot)"
    return id_matrix(recommendations, "recommendations", where, shape="(B, K)", layout=layout)


@implements("eq-catalogue-coverage")
def catalogue_coverage(recommendations: Any, num_items: int) -> float:
    r"""Share of the catalogue that appears in at least one user's list.

    .. math::

        \mathrm{Coverage@}K = \frac{\bigl|\bigcup_{u \in \mathcal{U}} L_u^K\bigr|}{N}

    Args:
        recommendations: top-:math:`K` lists, ``(B, K)`` item ids (0 = an empty slot).
        num_items: :math:`N`, the catalogue size (padding not counted).

    Example:
        >>> catalogue_coverage([[1, 2], [2, 3]], num_items=10)  # {1, 2, 3} of 10 items
        0.3
    """
    lists = _lists(recommendations, "catalogue_coverage")
    positive_int(num_items, "num_items", "catalogue_coverage")
    if lists.size and lists.max() > num_items:
        raise ValueError(
            f"catalogue_coverage: recommendations hold id {int(lists.max())} > num_items="
            f"{num_items}; ids run from 1 to num_items"
        )
    shown = np.unique(lists[lists > 0])
    return float(shown.size / int(num_items))


@implements("eq-popularity-bias")
def popularity_bias(recommendations: Any, item_popularity: Any) -> float:
    r"""Average recommendation popularity (ARP): how popular the recommended items are.

    .. math::

        \mathrm{ARP@}K = \frac{1}{|\mathcal{U}|} \sum_{u \in \mathcal{U}}
        \frac{1}{|L_u^K|} \sum_{i \in L_u^K} \phi(i)

    where :math:`\phi(i)` is item :math:`i`'s popularity, e.g. the share of training users who
    interacted with it. Compare it with the catalogue's mean :math:`\phi` to see the bias.

    Args:
        recommendations: ``(B, K)`` item ids (0 = an empty slot, not counted).
        item_popularity: :math:`\phi`, one value per item id, ``(n_ids,)``.

    Example:
        >>> phi = [0.0, 0.5, 0.1, 0.3]                  # ids 0 (padding), 1, 2, 3
        >>> round(popularity_bias([[1, 2], [1, 3]], phi), 4)  # ((.5+.1)/2 + (.5+.3)/2) / 2
        0.35
    """
    lists = _lists(recommendations, "popularity_bias")
    phi = np.asarray(item_popularity, dtype=np.float64)
    if phi.ndim != 1 or (lists.size and lists.max() >= phi.size):
        raise ValueError(
            "popularity_bias: item_popularity must be 1-D with one value per item id "
            f"(length > {int(lists.max()) if lists.size else 0}), got shape {phi.shape}"
        )
    filled = lists > 0
    per_user_count = filled.sum(axis=1)
    if not (per_user_count > 0).any():
        raise ValueError("popularity_bias: every list is empty")
    sums = np.where(filled, phi[lists], 0.0).sum(axis=1)
    keep = per_user_count > 0
    return float(np.mean(sums[keep] / per_user_count[keep]))
