"""Evaluation: rank the catalogue for each user and average the metrics.

:func:`evaluate_full_ranking` is the book's protocol (all items, seen items excluded,
pessimistic ties). :func:`evaluate_sampled_ranking` ranks against sampled negatives only,
to show why that misleads (Krichene & Rendle, KDD 2020). Both take a scoring function:
a batch of histories or user ids -> scores ``(B, n_ids)``, item id 0 being padding.
"""

from __future__ import annotations

from reclab.evaluation.full_ranking import DEFAULT_METRICS, evaluate_full_ranking
from reclab.evaluation.report import bootstrap_ci, evaluate_model, results_table
from reclab.evaluation.sampled_ranking import (
    SAMPLING,
    evaluate_sampled_ranking,
    sample_negatives,
)

__all__ = [
    "DEFAULT_METRICS",
    "SAMPLING",
    "bootstrap_ci",
    "evaluate_full_ranking",
    "evaluate_model",
    "evaluate_sampled_ranking",
    "results_table",
    "sample_negatives",
]
