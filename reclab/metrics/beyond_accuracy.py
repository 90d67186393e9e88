"""Beyond accuracy: how much of the catalogue the lists use, how popular and how varied they are."""

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


def _vector_table(item_vectors: Any, ids: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``item_vectors`` as a float64 ``(n_ids, d)`` table covering ``ids``, and its row norms."""
    table = np.asarray(item_vectors, dtype=np.float64)
    needed = int(ids.max()) + 1 if ids.size else 1
    if table.ndim != 2 or len(table) < needed:
        raise ValueError(
            f"{where}: item_vectors must be an (n_ids, d) array with one row per item id "
            f"(at least {needed} rows for the ids given), got shape {table.shape}"
        )
    if not np.isfinite(table).all():
        raise ValueError(f"{where}: item_vectors hold NaN or infinite values")
    return table, np.sqrt((table * table).sum(axis=1))


def _cosine(dots: np.ndarray, a_norms: np.ndarray, b_norms: np.ndarray) -> np.ndarray:
    """Cosine similarities from dot products and the two vectors' norms; 0 where either is 0.

    The dot product is divided by the product of the norms (rather than taken between unit
    vectors), so integer-valued vectors such as multi-hot genres give the same value in any
    summation order.
    """
    denominator = a_norms * b_norms
    return np.divide(dots, denominator, out=np.zeros_like(dots), where=denominator > 0)


@implements("eq-intra-list-diversity")
def intra_list_diversity(recommendations: Any, item_vectors: Any) -> float:
    r"""Intra-list diversity (ILD): how unlike each other the items of a list are, on average.

    .. math::

        \mathrm{ILD}(L_u) = \frac{2}{|L_u| (|L_u| - 1)} \sum_{\substack{i, j \in L_u \\ i < j}}
            \bigl(1 - \cos(\mathbf{v}_i, \mathbf{v}_j)\bigr), \qquad
        \mathrm{ILD@}K = \frac{1}{|\mathcal{U}_2|} \sum_{u \in \mathcal{U}_2}
            \mathrm{ILD}(L_u^K)

    where :math:`\mathbf{v}_i` is item :math:`i`'s row of ``item_vectors`` (an embedding, or a
    multi-hot genre vector), :math:`\cos(\mathbf{a}, \mathbf{b}) = \mathbf{a}^\top
    \mathbf{b} / (\lVert\mathbf{a}\rVert\,\lVert\mathbf{b}\rVert)` (0 when either vector
    is zero), and :math:`\mathcal{U}_2` are the users whose list holds at least two items (a
    shorter list has no pair). Empty slots (id 0) are not items. With non-negative vectors
    (genres) ILD lies in :math:`[0, 1]`; with embeddings in :math:`[0, 2]`.

    Args:
        recommendations: ``(B, K)`` item ids (0 = an empty slot, not counted).
        item_vectors: :math:`\mathbf{v}`, ``(n_ids, d)``, one row per item id.

    Example:
        >>> genres = [[0, 0], [1, 0], [1, 0], [0, 1]]   # ids 0 (padding), 1, 2 (alike), 3
        >>> round(intra_list_diversity([[1, 2, 3]], genres), 4)  # pairs 0, 1, 1 -> 2 / 3
        0.6667
    """
    lists = _lists(recommendations, "intra_list_diversity")
    table, norms = _vector_table(item_vectors, lists, "intra_list_diversity")
    filled = lists > 0
    sizes = filled.sum(axis=1)
    keep = sizes >= 2
    if not keep.any():
        raise ValueError(
            "intra_list_diversity: no list holds two items; diversity needs at least one pair"
        )
    vectors, lengths = table[lists], norms[lists]  # (B, K, d), (B, K)
    dots = np.einsum("bkd,bld->bkl", vectors, vectors)  # (B, K, K)
    cos = _cosine(dots, lengths[:, :, None], lengths[:, None, :])
    pairs = filled[:, :, None] & filled[:, None, :] & ~np.eye(lists.shape[1], dtype=bool)
    distance = np.where(pairs, 1.0 - cos, 0.0).sum(axis=(1, 2))  # each pair counted twice
    per_user = distance[keep] / (sizes[keep] * (sizes[keep] - 1))
    return float(per_user.mean())


def list_overlap(recommendations: Any, reference: Any) -> float:
    """Mean share of each reference list's items that the other list also holds.

    For two models' top-:math:`K` lists of the same users (a compressed model against the
    original, say): :math:`\\frac{1}{|\\mathcal{U}|} \\sum_u |L_u \\cap R_u| / |R_u|`, with empty
    slots (id 0) not counted; order within the lists does not matter.

    Example:
        >>> list_overlap([[1, 2, 3], [4, 5, 6]], [[3, 2, 9], [4, 5, 6]])  # (2/3 + 1) / 2
        0.8333333333333333
    """
    lists = _lists(recommendations, "list_overlap")
    other = _lists(reference, "list_overlap")
    if lists.shape[0] != other.shape[0]:
        raise ValueError(
            f"list_overlap: {lists.shape[0]} lists against {other.shape[0]} reference lists; "
            "one per user in both"
        )
    shares = []
    for mine, theirs in zip(lists, other, strict=True):
        wanted = set(theirs[theirs > 0].tolist())
        if wanted:
            shares.append(len(wanted & set(mine[mine > 0].tolist())) / len(wanted))
    return float(np.mean(shares)) if shares else float("nan")
