"""Evaluation: rank the catalogue for each user and average the metrics.

:func:`evaluate_full_ranking` is the book's protocol (all items, seen items excluded,
pessimistic ties). :func:`evaluate_sampled_ranking` ranks against sampled negatives only,
to show why that misleads (Krichene & Rendle, KDD 2020). Both take a scoring function:
a batch of histories or user ids -> scores ``(B, n_ids)``, item id 0 being padding.
"""

from __future__ import annotations

from reclab.evaluation.full_ranking import DEFAULT_METRICS, evaluate_full_ranking
from reclab.evaluation.sampled_ranking import (
    SAMPLING,
    evaluate_sampled_ranking,
    sample_negatives,
)
from reclab.evaluation.simple_scorers import popularity_scorer, transition_scorer

__all__ = [
    "DEFAULT_METRICS",
    "SAMPLING",
    "evaluate_full_ranking",
    "evaluate_sampled_ranking",
    "popularity_scorer",
    "sample_negatives",
    "transition_scorer",
]
