r"""Semantic ids: each item becomes a short tuple of codes, learned by residual k-means.

Generative retrieval (Rajput et al., NeurIPS 2023, "TIGER") treats the catalogue as a vocabulary:
an item is written as :math:`m` tokens :math:`(c_1, \dots, c_m)` and the next item is generated
token by token. The codes come from item vectors :math:`\mathbf{x}_i` by **residual
quantisation**: level :math:`j` clusters what the levels before it left unexplained,

.. math::

    \mathbf{r}_0 = \mathbf{x}_i, \qquad
    c_j = \arg\min_k \lVert \mathbf{r}_{j-1} - \mathbf{C}_j[k] \rVert, \qquad
    \mathbf{r}_j = \mathbf{r}_{j-1} - \mathbf{C}_j[c_j], \qquad
    \hat{\mathbf{x}}_i = \sum_{j} \mathbf{C}_j[c_j] ,

with each codebook :math:`\mathbf{C}_j` (:math:`K` centroids) fitted by k-means (scikit-learn) on
the residuals :math:`\mathbf{r}_{j-1}` of all items. Similar items share their first codes, so a
code prefix is a cluster, and an item nobody has clicked still gets a code from its content.

Two items may get the same codes (a *collision*); as in TIGER, one more code tells them apart:
:math:`c_{m}` numbers the items that share the first :math:`m - 1` codes (0 for a unique
item). The codes form a tree (a *trie*) whose leaves are items: :class:`SemanticIds` holds it as
tables of valid next codes, which the constrained beam search of :class:`reclab.models.TIGER`
reads.

The item vectors come from what is known without downloads: the catalogue's content
(:func:`content_vectors`: title words, genres, year) or co-occurrence in the training sequences
(:func:`cooccurrence_vectors`), or both side by side.

Example:
    >>> rng = np.random.default_rng(0)
    >>> ids = residual_kmeans(rng.normal(size=(41, 4)), levels=2, codebook_size=4, seed=0)
    >>> ids.codes.shape, ids.sizes[:2]           # ids 0..40, two k-means levels + the extra code
    ((41, 3), (4, 4))
    >>> len({tuple(c) for c in ids.codes[1:]})   # every item has its own codes
    40
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reclab.checks import positive_int
from reclab.formulas import implements

__all__ = [
    "SemanticIds",
    "content_vectors",
    "cooccurrence_vectors",
    "quantise",
    "residual_kmeans",
]


@dataclass(frozen=True)
class SemanticIds:
    """The codes of items ``0..N`` and the trie they form.

    Attributes:
        codes: ``(N + 1, m)`` int32; row ``i`` is item ``i``'s codes (row 0, padding, is zeros
            and belongs to no item). The last column separates collisions.
        codebooks: the centroids of each k-means level, ``(K_j, D)`` (the extra code has none).
        sizes: :math:`K_j`, the number of values of each code column.
    """

    codes: np.ndarray
    codebooks: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]

    @classmethod
    def from_codes(cls, codes: np.ndarray, codebooks: tuple[np.ndarray, ...] = ()) -> SemanticIds:
        """Wrap ``(N + 1, m)`` codes (rows 1..N must be distinct; row 0 is padding)."""
        codes = np.asarray(codes, dtype=np.int32)
        if codes.ndim != 2 or len(codes) < 2:
            raise ValueError(f"SemanticIds: codes must be (N + 1, m), N >= 1; got {codes.shape}")
        items = codes[1:]
        if items.min() < 0:
            raise ValueError("SemanticIds: codes must be non-negative")
        if len(np.unique(items, axis=0)) != len(items):
            raise ValueError("SemanticIds: two items have the same codes; add a collision code")
        sizes = tuple(int(s) for s in items.max(axis=0) + 1)
        return cls(codes, tuple(codebooks), sizes)

    @property
    def num_items(self) -> int:
        return len(self.codes) - 1

    @property
    def length(self) -> int:
        """:math:`m`, the codes per item."""
        return int(self.codes.shape[1])

    @property
    def collision_rate(self) -> float:
        """Share of items whose k-means codes (all but the last) another item has too."""
        head = self.codes[1:, :-1]
        _, inverse, counts = np.unique(head, axis=0, return_inverse=True, return_counts=True)
        return float(np.mean(counts[inverse.reshape(-1)] > 1))

    def reconstruct(self) -> np.ndarray:
        r"""The quantised vectors :math:`\hat{\mathbf{x}}_i = \sum_j \mathbf{C}_j[c_j]`, (N, D)."""
        if not self.codebooks:
            raise ValueError("SemanticIds.reconstruct: these codes have no codebooks")
        return sum(book[self.codes[1:, j]] for j, book in enumerate(self.codebooks))

    def trie(self) -> list[np.ndarray]:
        """The tree of valid codes, one table per level.

        ``tables[j]`` is ``(P_j, K_j)`` int32 for the :math:`P_j` distinct prefixes of length
        ``j`` (``P_0 = 1``, the empty prefix): entry ``[p, c]`` is the index of prefix ``p``
        followed by code ``c`` among the prefixes of length ``j + 1``, or the item id at the last
        level, and ``-1`` where no item has that prefix.
        """
        items = self.codes[1:]
        tables = []
        parent = np.zeros(len(items), np.int64)  # each item's prefix index at level j
        for j in range(self.length):
            keys = parent * self.sizes[j] + items[:, j]
            unique, child = np.unique(keys, return_inverse=True)
            num_prefixes = int(parent.max()) + 1
            table = np.full((num_prefixes, self.sizes[j]), -1, np.int32)
            if j == self.length - 1:
                table[parent, items[:, j]] = np.arange(1, len(items) + 1)
            else:
                table[unique // self.sizes[j], unique % self.sizes[j]] = np.arange(len(unique))
            tables.append(table)
            parent = child.reshape(-1)
        return tables

    def prefixes(self) -> np.ndarray:
        """``(N + 1, m)`` int32: the index of each item's prefix of length ``j`` (column ``j``)
        in :meth:`trie`'s ``tables[j]`` (row 0 is zeros)."""
        tables = self.trie()
        out = np.zeros_like(self.codes)
        parent = np.zeros(self.num_items, np.int64)
        for j in range(self.length - 1):
            out[1:, j] = parent
            parent = tables[j][parent, self.codes[1:, j]]
        out[1:, -1] = parent
        return out


@implements("eq-residual-quantisation")
def quantise(vectors: np.ndarray, codebooks: tuple[np.ndarray, ...]) -> np.ndarray:
    r"""Codes ``(n, len(codebooks))`` of ``vectors`` ``(n, D)`` by residual quantisation:
    :math:`c_j = \arg\min_k \lVert \mathbf{r}_{j-1} - \mathbf{C}_j[k] \rVert`,
    :math:`\mathbf{r}_j = \mathbf{r}_{j-1} - \mathbf{C}_j[c_j]`."""
    residual = np.asarray(vectors, dtype=np.float64)
    codes = []
    for book in codebooks:
        distances = ((residual[:, None, :] - book[None, :, :]) ** 2).sum(-1)  # (n, K)
        code = distances.argmin(axis=1)
        codes.append(code)
        residual = residual - book[code]
    return np.stack(codes, axis=1).astype(np.int32)


@implements("eq-residual-quantisation")
def residual_kmeans(
    vectors: Any, *, levels: int = 3, codebook_size: int = 64, seed: int = 0
) -> SemanticIds:
    r"""Semantic ids of items ``1..N`` from their vectors ``(N + 1, D)`` (row 0, padding, unused).

    Each of the ``levels`` codebooks is k-means (scikit-learn; the best of 4 seeded k-means++
    starts) on the residuals the previous levels left; then a last code numbers the items that share
    all ``levels`` codes (in item-id order), so every item's codes are distinct.

    Args:
        vectors: item vectors, ``(N + 1, D)``; standardise the columns first if their scales
            differ (the distances are Euclidean).
        levels: k-means levels (TIGER: 3).
        codebook_size: :math:`K`, centroids per level (TIGER: 256); fewer where the residuals
            have fewer distinct rows.
        seed: the k-means seed (the same seed gives the same codes).
    """
    from sklearn.cluster import KMeans

    x = np.asarray(vectors, dtype=np.float64)
    where = "residual_kmeans"
    if x.ndim != 2 or len(x) < 2 or not np.isfinite(x).all():
        raise ValueError(f"{where}: vectors must be a finite (N + 1, D) array, got {x.shape}")
    positive_int(levels, "levels", where)
    positive_int(codebook_size, "codebook_size", where)
    items = x[1:]
    residual = items.copy()
    books, columns, sizes = [], [], []
    for level in range(levels):
        # no more centroids than distinct points (items without vectors are all zeros)
        k = min(int(codebook_size), len(np.unique(residual.round(12), axis=0)))
        sizes.append(k)
        kmeans = KMeans(n_clusters=k, n_init=4, random_state=seed + level).fit(residual)
        book = kmeans.cluster_centers_
        code = kmeans.labels_.astype(np.int32)
        books.append(book)
        columns.append(code)
        residual = residual - book[code]
    head = np.stack(columns, axis=1)
    order = np.lexsort(head.T[::-1])  # stable: ties keep item-id order
    sorted_head = head[order]
    new_group = np.ones(len(head), bool)
    new_group[1:] = (sorted_head[1:] != sorted_head[:-1]).any(axis=1)
    starts = np.maximum.accumulate(np.where(new_group, np.arange(len(head)), 0))
    extra = np.empty(len(head), np.int32)
    extra[order] = np.arange(len(head)) - starts
    codes = np.zeros((len(x), levels + 1), np.int32)
    codes[1:, :levels], codes[1:, levels] = head, extra
    ids = SemanticIds.from_codes(codes, tuple(books))
    # the sizes of the k-means columns are K even where a value went unused
    return SemanticIds(ids.codes, ids.codebooks, (*sizes, *ids.sizes[levels:]))


def _standardised_svd(matrix: Any, dim: int, seed: int, symmetric: bool = False) -> np.ndarray:
    r"""Unit rows of the truncated SVD :math:`U S` of ``matrix`` (:math:`U\sqrt{S} + V\sqrt{S}`
    for a ``symmetric`` one, whose items that occur *with* each other would otherwise sit
    apart: :math:`U` holds an item's role as the context of others, :math:`V` its own)."""
    from sklearn.decomposition import TruncatedSVD

    dim = min(dim, min(matrix.shape) - 1)
    svd = TruncatedSVD(n_components=dim, random_state=seed)
    z = svd.fit_transform(matrix)  # U S
    if symmetric:
        root = np.sqrt(np.maximum(svd.singular_values_, 1e-12))
        z = z / root + svd.components_.T * root
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def content_vectors(content: Any, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit item vectors ``(N + 1, dim)`` from :class:`reclab.data.ItemContent`: the truncated
    SVD of [TF-IDF title words | genres | year bucket], each block scaled to unit length."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    n = content.num_items + 1
    rows = np.repeat(np.arange(n), content.title_tokens.shape[1])
    tokens = content.title_tokens.reshape(-1)
    keep = tokens > 1  # neither padding nor an unknown word
    words = sparse.csr_matrix(
        (np.ones(keep.sum()), (rows[keep], tokens[keep])), shape=(n, len(content.vocabulary))
    )
    blocks = [
        TfidfTransformer().fit_transform(words),
        sparse.csr_matrix(_unit_rows(content.genres)),
        sparse.csr_matrix(np.eye(int(content.year_bucket.max()) + 1)[content.year_bucket]),
    ]
    z = _standardised_svd(sparse.hstack(blocks).tocsr(), dim, seed)
    z[0] = 0.0
    return z


def cooccurrence_vectors(
    sequences: Any, num_items: int, dim: int = 32, window: int = 5, seed: int = 0
) -> np.ndarray:
    """Unit item vectors ``(N + 1, dim)`` from behaviour: the truncated SVD of the positive
    pointwise mutual information of items within ``window`` events of each other in the
    training :class:`reclab.data.Sequences`. An item without training events gets zeros."""
    from scipy import sparse

    items = np.asarray(sequences.items, np.int64)
    user_of = np.repeat(np.arange(len(sequences.lengths)), sequences.lengths)
    left, right = [], []
    for gap in range(1, window + 1):
        same = user_of[gap:] == user_of[:-gap]
        left.append(items[:-gap][same])
        right.append(items[gap:][same])
    a, b = np.concatenate(left), np.concatenate(right)
    n = int(num_items) + 1
    counts = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)).tocsr()
    counts = (counts + counts.T).tocoo()
    total = counts.sum()
    marginal = np.asarray(counts.sum(axis=1)).ravel()
    pmi = np.log(counts.data * total / (marginal[counts.row] * marginal[counts.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=(n, n))
    z = _standardised_svd(ppmi, dim, seed, symmetric=True)
    z[marginal == 0] = 0.0
    return z


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
