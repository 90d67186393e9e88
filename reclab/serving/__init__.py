"""Serving: a trained model exported for production, and what a query costs.

- :func:`export_model`: a TensorFlow SavedModel or a LiteRT file (float32 or int8) whose one
  signature, ``serve``, maps left-padded histories to the top-K item ids and scores with seen
  items removed; :func:`serving_function` is that signature's graph;
- :func:`exportable`: whether a model class has that signature;
- :func:`load_exported`, :class:`ExportedRecommender`: an export folder loaded for queries;
- :func:`measure_latency`: p50/p99 latency and throughput of any predict function.
"""

from __future__ import annotations

from reclab.serving.export import (
    FORMATS,
    QUANTIZATIONS,
    ExportedRecommender,
    export_model,
    exportable,
    load_exported,
    serving_function,
)
from reclab.serving.latency import measure_latency

__all__ = [
    "FORMATS",
    "QUANTIZATIONS",
    "ExportedRecommender",
    "export_model",
    "exportable",
    "load_exported",
    "measure_latency",
    "serving_function",
]
