"""Latency and throughput of a recommender: what one query costs, measured, not estimated."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from reclab.checks import positive_int

__all__ = ["measure_latency"]


def measure_latency(
    predict: Callable[[np.ndarray], Any],
    histories: np.ndarray,
    *,
    batch_size: int = 1,
    warmup: int = 5,
    min_queries: int = 200,
) -> dict[str, float]:
    """Time ``predict`` on batches of ``histories``: median and 99th-percentile latency.

    Each call gets ``batch_size`` consecutive histories (cycling through them); the first
    ``warmup`` calls are not timed (graph tracing, caches). Timing uses
    ``time.perf_counter()`` around each call, so the numbers include everything a caller
    waits for (input conversion too).

    Args:
        predict: called with an ``(batch_size, L)`` int32 array.
        histories: ``(B, L)`` histories to cycle through.
        batch_size: histories per call (1 = one query at a time, as a live service sees them).
        warmup: untimed calls first.
        min_queries: timed calls (at least).

    Returns:
        ``{"p50_ms", "p99_ms", "mean_ms", "queries_per_second", "batch_size", "calls"}``: per
        call in milliseconds, and histories served per second at that batch size.

    Example:
        >>> out = measure_latency(lambda h: h.sum(), np.zeros((4, 3), np.int32), min_queries=10)
        >>> sorted(out)[:3], out["calls"]
        (['batch_size', 'calls', 'mean_ms'], 10)
    """
    h = np.asarray(histories, np.int32)
    if h.ndim != 2 or len(h) == 0:
        raise ValueError(
            f"measure_latency: histories must be a non-empty (B, L) array, got {h.shape}"
        )
    batch_size = positive_int(batch_size, "batch_size", "measure_latency")
    min_queries = positive_int(min_queries, "min_queries", "measure_latency")
    starts = np.arange(warmup + min_queries) * batch_size % len(h)
    batches = [np.take(h, np.arange(s, s + batch_size) % len(h), axis=0) for s in starts]
    for batch in batches[:warmup]:
        predict(batch)
    times = np.empty(min_queries)
    for i, batch in enumerate(batches[warmup:]):
        start = time.perf_counter()
        predict(batch)
        times[i] = time.perf_counter() - start
    return {
        "p50_ms": float(np.percentile(times, 50) * 1e3),
        "p99_ms": float(np.percentile(times, 99) * 1e3),
        "mean_ms": float(times.mean() * 1e3),
        "queries_per_second": float(batch_size / times.mean()),
        "batch_size": batch_size,
        "calls": min_queries,
    }
