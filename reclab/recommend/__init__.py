"""Recommendation: top-K lists with titles, and models saved and loaded safely.

- :func:`top_k`, :func:`recommend`: the best unseen items for a history, by id, title, score;
- :func:`save_model`, :func:`load_model`, :func:`catalogue_fingerprint`: ``.keras`` files that
  refuse to load for another catalogue or reclab version (:class:`IncompatibleModelError`).
"""

from __future__ import annotations

from reclab.recommend.saving import (
    IncompatibleModelError,
    catalogue_fingerprint,
    load_model,
    save_model,
)
from reclab.recommend.top_k import recommend, top_k

__all__ = [
    "IncompatibleModelError",
    "catalogue_fingerprint",
    "load_model",
    "recommend",
    "save_model",
    "top_k",
]
