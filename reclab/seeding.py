"""Seeding: one call that makes a run repeatable.

Every random choice in RecLab takes a seed or a :class:`numpy.random.Generator`;
:func:`set_seed` additionally seeds the global generators that Python, NumPy,
TensorFlow and Keras use when a caller does not pass one.
"""

from __future__ import annotations

import os
import random

import numpy as np


def set_seed(seed: int, *, deterministic_ops: bool = True) -> np.random.Generator:
    """Seed Python, NumPy, TensorFlow and Keras, and return a fresh NumPy generator.

    Args:
        seed: a non-negative integer.
        deterministic_ops: also ask TensorFlow for deterministic kernels
            (``tf.config.experimental.enable_op_determinism``), so that the same
            seed gives the same numbers on the same machine, thread count
            included. It costs some speed on a few ops.

    Returns:
        ``numpy.random.default_rng(seed)``, for code that takes a generator.

    Example:
        >>> rng = set_seed(0, deterministic_ops=False)
        >>> int(rng.integers(0, 100))
        85
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_seed: seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - legacy global state used by some libraries
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and the backend again
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)
