"""Data: load, validate, clean, id-map, split and batch interaction logs.

The path the data takes, one module per step:

- ``cache``: the verified download cache (pooch, sha256, ``RECLAB_DATA``)
- ``movielens``: MovieLens latest-small / 100k / 1M: pinned archives, parsers
- ``logs``: your own logs: CSV/TSV/Parquet, ``user item`` pairs
- ``validation``: the interaction schema and its boundary checks
- ``synthetic``: the synthetic shop with a known next-item distribution
- ``content``: item content (title words, genres, year) as arrays a model embeds
- ``domains``: two domains with disjoint items and users, for transfer experiments
- ``preprocessing``: implicit feedback, deduplication, k-core, time order
- ``idmap``: contiguous ids 1..N (0 = padding) and back
- ``sequences``: per-user sequences (flat arrays + offsets)
- ``splits``: leave-last-out, temporal split, future-leakage measure
- ``prepared``: the book's protocol in one object (:func:`prepare_next_item_data`)
- ``negatives``: uniform and popularity negative sampling
- ``batching``: padding, causal targets, windows, cloze masks, evaluation arrays (NumPy)
- ``datasets``: ``tf.data`` pipelines for ``model.fit``, seeded by (seed, epoch, step)
- ``statistics``: descriptive statistics for the chapter's figures
- ``reports``: the report every row-dropping step returns and logs

``reclab.data.datasets`` imports TensorFlow; it is loaded on first use of one of its names, so
loading and cleaning data does not pay TensorFlow's import time.
"""

from __future__ import annotations

import importlib
from typing import Any

from reclab.data.batching import (
    causal_arrays,
    cloze_mask,
    evaluation_arrays,
    left_pad,
    training_windows,
)
from reclab.data.cache import (
    DataIntegrityError,
    DatasetNotAvailableError,
    DatasetSpec,
    data_home,
    fetch_dataset,
    file_sha256,
)
from reclab.data.content import ItemContent, item_content
from reclab.data.domains import Domains, two_domains
from reclab.data.idmap import PADDING_ID, UNKNOWN_ITEM, IdMapping, encode_interactions
from reclab.data.logs import load_interactions, load_user_item_pairs
from reclab.data.movielens import MOVIELENS, MovieLens, fetch_movielens, load_movielens
from reclab.data.negatives import (
    NEGATIVE_SHARING,
    ExcludedItems,
    NegativeSampler,
    item_weights,
    sample_negatives,
)
from reclab.data.prepared import (
    EvaluationSet,
    NextItemData,
    has_repeats,
    next_item_data_from_split,
    prepare_next_item_data,
)
from reclab.data.preprocessing import (
    Preprocessed,
    deduplicate,
    k_core,
    preprocess,
    sort_chronologically,
    to_implicit,
)
from reclab.data.reports import StepReport
from reclab.data.sequences import Sequences
from reclab.data.splits import Split, encode_split, future_leakage, leave_last_out, temporal_split
from reclab.data.statistics import (
    dataset_summary,
    item_popularity,
    popularity_share,
    repeat_rate,
    sequence_lengths,
    time_gaps,
)
from reclab.data.synthetic import ShopConfig, ShopOracle, SyntheticShop
from reclab.data.validation import DataValidationError, validate_interactions

_DATASETS = (
    "causal_dataset",
    "cloze_dataset",
    "evaluation_dataset",
    "pair_dataset",
    "poisson_dataset",
    "poisson_steps_per_epoch",
    "rating_dataset",
)

__all__ = [
    "MOVIELENS",
    "NEGATIVE_SHARING",
    "PADDING_ID",
    "UNKNOWN_ITEM",
    "DataIntegrityError",
    "DataValidationError",
    "DatasetNotAvailableError",
    "DatasetSpec",
    "Domains",
    "EvaluationSet",
    "ExcludedItems",
    "IdMapping",
    "ItemContent",
    "MovieLens",
    "NegativeSampler",
    "NextItemData",
    "Preprocessed",
    "Sequences",
    "ShopConfig",
    "ShopOracle",
    "Split",
    "StepReport",
    "SyntheticShop",
    "causal_arrays",
    "causal_dataset",
    "cloze_dataset",
    "cloze_mask",
    "data_home",
    "dataset_summary",
    "deduplicate",
    "encode_interactions",
    "encode_split",
    "evaluation_arrays",
    "evaluation_dataset",
    "fetch_dataset",
    "fetch_movielens",
    "file_sha256",
    "future_leakage",
    "has_repeats",
    "item_content",
    "item_popularity",
    "item_weights",
    "k_core",
    "leave_last_out",
    "left_pad",
    "load_interactions",
    "load_movielens",
    "load_user_item_pairs",
    "next_item_data_from_split",
    "pair_dataset",
    "poisson_dataset",
    "poisson_steps_per_epoch",
    "popularity_share",
    "prepare_next_item_data",
    "preprocess",
    "rating_dataset",
    "repeat_rate",
    "sample_negatives",
    "sequence_lengths",
    "sort_chronologically",
    "temporal_split",
    "time_gaps",
    "to_implicit",
    "training_windows",
    "two_domains",
    "validate_interactions",
]


def __getattr__(name: str) -> Any:
    if name in _DATASETS:
        return getattr(importlib.import_module("reclab.data.datasets"), name)
    raise AttributeError(f"module 'reclab.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
