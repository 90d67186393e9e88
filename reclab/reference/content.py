"""The content tower in plain NumPy: one item at a time, slow and obviously correct.

Mirrors :class:`reclab.models.ItemContentTower` with the same weight layouts (Dense kernels are
``(inputs, outputs)``), so a test can hand both the same numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["content_item_vector", "hybrid_item_vector"]


def content_item_vector(
    tokens: np.ndarray,
    genres: np.ndarray,
    year: int,
    words: np.ndarray,
    genre_vectors: np.ndarray,
    years: np.ndarray,
    w1: np.ndarray,
    b1: np.ndarray,
    w2: np.ndarray,
    b2: np.ndarray,
) -> np.ndarray:
    """:math:`\\mathbf{e}^{content}_i` of one item: averages, concatenation, two layers."""
    present = [t for t in tokens if t > 0]
    title = np.mean([words[t] for t in present], axis=0) if present else np.zeros(words.shape[1])
    on = [g for g in range(len(genres)) if genres[g] > 0]
    genre = np.mean([genre_vectors[g] for g in on], axis=0) if on else np.zeros(words.shape[1])
    c = np.concatenate([title, genre, years[year]])
    hidden = np.maximum(c @ w1 + b1, 0.0)
    return hidden @ w2 + b2


def hybrid_item_vector(id_row: np.ndarray, content: np.ndarray, trained: bool) -> np.ndarray:
    """:math:`m_i \\mathbf{e}^{id}_i + \\mathbf{e}^{content}_i` with :math:`m_i` = ``trained``."""
    return (id_row if trained else 0.0) + content
