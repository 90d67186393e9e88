"""Recommendation: top-K lists with titles, why an item is recommended, and safe model files.

- :func:`top_k`, :func:`recommend`: the best unseen items for a history, by id, title, score;
- :func:`rerank_top_k` with a reranker (``Reranker``): a pool of the best items, re-ranked for
  variety (:func:`mmr`, :func:`mmr_reranker`) or for a calibrated popularity mix (:func:`calibrate`,
  :func:`calibration_reranker`, :func:`popularity_groups`, :func:`history_group_distribution`);
- :func:`explain`, :func:`deletion_importance`, :func:`gradient_times_input`,
  :func:`attention_importance`, :func:`attribution_agreement`: how much one recommendation's
  score owes to each history item, and how often two such attributions agree;
- :func:`save_model`, :func:`load_model`, :func:`catalogue_fingerprint`: ``.keras`` files that
  refuse to load for another catalogue or reclab version
  (:class:`reclab.models.IncompatibleModelError`, also importable from here).
"""

from __future__ import annotations

from reclab.models.next_item import IncompatibleModelError as IncompatibleModelError
from reclab.recommend.explain import (
    attention_importance,
    attribution_agreement,
    deletion_importance,
    explain,
    gradient_times_input,
)
from reclab.recommend.rerank import (
    Reranker,
    calibrate,
    calibration_reranker,
    history_group_distribution,
    mmr,
    mmr_reranker,
    popularity_groups,
    rerank_top_k,
)
from reclab.recommend.saving import (
    catalogue_fingerprint,
    load_model,
    save_model,
)
from reclab.recommend.top_k import recommend, top_k

__all__ = [
    "Reranker",
    "attention_importance",
    "attribution_agreement",
    "calibrate",
    "calibration_reranker",
    "catalogue_fingerprint",
    "deletion_importance",
    "explain",
    "gradient_times_input",
    "history_group_distribution",
    "load_model",
    "mmr",
    "mmr_reranker",
    "popularity_groups",
    "recommend",
    "rerank_top_k",
    "save_model",
    "top_k",
]
