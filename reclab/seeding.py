"""Seeding: one call that makes a run repeatable, and one way to turn a seed into a generator.

Every random choice in RecLab takes a seed or a :class:`numpy.random.Generator`
(:func:`as_generator` turns either into a generator); :func:`set_seed` additionally seeds the
global generators that Python, NumPy, TensorFlow and Keras use when a caller does not pass one.

Determinism is decided here, once: on a CPU, RecLab's training is bit-for-bit repeatable for a
given seed, machine and thread count *without* TensorFlow's op determinism (tested in
``tests/training``), so :func:`set_seed` leaves it off by default. Turning it on would also make
Keras compile nothing with XLA (it refuses XLA under op determinism) and cannot be undone in the
same process; pass ``deterministic_ops=True`` on a GPU, where some kernels need it.

Python's string hashing is seeded by ``PYTHONHASHSEED`` when the interpreter *starts*; setting it
later has no effect, and nothing in RecLab depends on hash order.
"""

from __future__ import annotations

import random

import numpy as np

from reclab.checks import non_negative_int

__all__ = ["as_generator", "set_seed"]


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """``seed`` itself if it is a generator, else ``numpy.random.default_rng(seed)``.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> as_generator(rng) is rng, int(as_generator(0).integers(100)) == int(
        ...     np.random.default_rng(0).integers(100))
        (True, True)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def set_seed(seed: int, *, deterministic_ops: bool = False) -> np.random.Generator:
    """Seed Python, NumPy, TensorFlow and Keras, and return a fresh NumPy generator.

    Args:
        seed: a non-negative integer.
        deterministic_ops: also ask TensorFlow for deterministic kernels
            (``tf.config.experimental.enable_op_determinism``). Not needed on a CPU (see the
            module docstring); it disables XLA in Keras for the rest of the process.

    Returns:
        ``numpy.random.default_rng(seed)``, for code that takes a generator.

    Example:
        >>> rng = set_seed(0)
        >>> int(rng.integers(0, 100))
        85
    """
    seed = non_negative_int(seed, "seed", "set_seed")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - legacy global state used by some libraries
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and the backend again
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)
