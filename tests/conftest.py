"""Shared test configuration: quiet TensorFlow, repeatable Hypothesis, the book's paths."""

from __future__ import annotations

import os
from pathlib import Path

# Before TensorFlow is first imported anywhere in the session: keep its C++ INFO logs out.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# Property tests are derandomized so that a CI run is repeatable: the same examples every run.
# Run with HYPOTHESIS_PROFILE=explore locally to search with fresh random examples.
settings.register_profile(
    "repeatable",
    derandomize=True,
    deadline=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
