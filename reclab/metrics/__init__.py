"""Ranking metrics: where the held-out items land when a model ranks the whole catalogue.

Ranks are counts of items scoring strictly higher (plus ties by an explicit policy,
pessimistic by default); nothing sorts, and nothing lets ties favour the held-out item.
"""

from __future__ import annotations

from reclab.metrics._ranks import TIES, TargetRanks, ranks, target_ranks
from reclab.metrics.beyond_accuracy import (
    catalogue_coverage,
    intra_list_diversity,
    list_overlap,
    popularity_bias,
)
from reclab.metrics.from_ranks import RANKING_METRICS, metric_per_user
from reclab.metrics.ranking import (
    accuracy_at_k,
    auc,
    f1_at_k,
    hit_rate_at_k,
    map_at_k,
    mrr,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

__all__ = [
    "RANKING_METRICS",
    "TIES",
    "TargetRanks",
    "accuracy_at_k",
    "auc",
    "catalogue_coverage",
    "f1_at_k",
    "hit_rate_at_k",
    "intra_list_diversity",
    "list_overlap",
    "map_at_k",
    "metric_per_user",
    "mrr",
    "ndcg_at_k",
    "popularity_bias",
    "precision_at_k",
    "ranks",
    "recall_at_k",
    "target_ranks",
]
