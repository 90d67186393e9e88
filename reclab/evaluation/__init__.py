"""Evaluation: rank the catalogue for each user, keep every user's metrics, average, compare.

:func:`evaluate_full_ranking` is the book's protocol (all items, pessimistic ties, seen items
excluded unless the data has repeat consumption; a held-out item is never exempt from the
exclusion). :func:`evaluate_sampled_ranking` ranks against sampled negatives only, to show why that
misleads (Krichene & Rendle, KDD 2020). Both take a scoring function: a batch of histories or user
ids -> scores ``(B, n_ids)``, item id 0 being padding. :func:`evaluate_model`,
:func:`per_user_metrics` and :func:`compare_models` take a model and an evaluation set and add
bootstrap intervals (:func:`bootstrap_ci`, :func:`paired_bootstrap_ci`). :func:`cold_start_split`
holds a share of the items out of training, so that models are tested on items nobody clicked.
"""

from __future__ import annotations

from reclab.evaluation.bootstrap import bootstrap_ci, paired_bootstrap_ci
from reclab.evaluation.cold_start import (
    COLD_START_PARTS,
    COLD_STRATEGIES,
    ColdStartData,
    Shelf,
    cold_start_split,
)
from reclab.evaluation.core import (
    DEFAULT_METRICS,
    TARGET_KINDS,
    RankingProtocol,
    UserMetrics,
    metric_key,
    score_users,
)
from reclab.evaluation.full_ranking import evaluate_full_ranking
from reclab.evaluation.report import (
    compare_models,
    evaluate_lists,
    evaluate_model,
    per_user_metrics,
    results_table,
)
from reclab.evaluation.sampled_ranking import (
    SAMPLING,
    evaluate_sampled_ranking,
    sample_candidates,
)
from reclab.evaluation.scaling import (
    PowerLaw,
    fit_power_law,
    next_item_cross_entropy,
    step_flops,
)

__all__ = [
    "COLD_START_PARTS",
    "COLD_STRATEGIES",
    "DEFAULT_METRICS",
    "SAMPLING",
    "TARGET_KINDS",
    "ColdStartData",
    "PowerLaw",
    "RankingProtocol",
    "Shelf",
    "UserMetrics",
    "bootstrap_ci",
    "cold_start_split",
    "compare_models",
    "evaluate_full_ranking",
    "evaluate_lists",
    "evaluate_model",
    "evaluate_sampled_ranking",
    "fit_power_law",
    "metric_key",
    "next_item_cross_entropy",
    "paired_bootstrap_ci",
    "per_user_metrics",
    "results_table",
    "sample_candidates",
    "score_users",
    "step_flops",
]
