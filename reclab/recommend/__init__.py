"""Recommendation: top-K lists with titles, and models saved and loaded safely.

- :func:`top_k`, :func:`recommend`: the best unseen items for a history, by id, title, score;
- :func:`save_model`, :func:`load_model`, :func:`catalogue_fingerprint`: ``.keras`` files that
  refuse to load for another catalogue or reclab version
  (:class:`reclab.models.IncompatibleModelError`, also importable from here).
"""

from __future__ import annotations

from reclab.models.next_item import IncompatibleModelError as IncompatibleModelError
from reclab.recommend.saving import (
    catalogue_fingerprint,
    load_model,
    save_model,
)
from reclab.recommend.top_k import recommend, top_k

__all__ = [
    "catalogue_fingerprint",
    "load_model",
    "recommend",
    "save_model",
    "top_k",
]
