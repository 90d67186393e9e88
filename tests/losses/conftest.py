"""Shared inputs for the loss tests: small float64 arrays from a seeded generator."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20231)
