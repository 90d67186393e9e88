"""tf.data pipelines of (user, item) pairs, for the models that score pairs (MF, NeuMF).

Sequence models read whole histories (:func:`reclab.data.causal_dataset`); matrix
factorisation and neural collaborative filtering read one interaction per row:

- :func:`rating_dataset`: ``({"user", "item"}, rating)`` rows for explicit feedback (MSE);
- :func:`candidate_dataset`: ``({"user", "item": [positive, negatives...]}, candidate ids)``
  rows for implicit feedback, the form :mod:`reclab.losses`' candidate losses take (BPR,
  sampled softmax, sampled binary cross-entropy). Negatives are drawn afresh every epoch.

Both reshuffle every epoch from one seed, so the same seed gives the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from reclab.data.negatives import NegativeSampler, item_weights

__all__ = ["candidate_dataset", "rating_dataset"]


def _ids(values: Any, name: str, where: str) -> np.ndarray:
    x = np.asarray(values)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"{where}: {name} must be a 1-D integer array, got shape {x.shape}")
    return x.astype(np.int32)


def _check_batch_size(batch_size: Any, where: str) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"{where}: batch_size must be a positive integer, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"{where}: batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _finish(dataset: tf.data.Dataset, starts: range) -> tf.data.Dataset:
    """Declare the number of batches, prefetch two, and turn tf.data's autotuner off.

    The autotuner's background loop logs "Optimization loop failed: CANCELLED" to stderr when
    an iterator is dropped mid-epoch (early stopping); the batches here are cheap to make.
    """
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(starts)))
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(2).with_options(options)


def rating_dataset(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool = True,
    seed: int | np.random.Generator = 0,
) -> tf.data.Dataset:
    """Batches of ``({"user": (B,), "item": (B,)}, rating (B,))`` for explicit feedback.

    Example:
        >>> ds = rating_dataset(np.array([1, 2]), np.array([3, 1]), np.array([4.0, 2.5]),
        ...                     batch_size=2, shuffle=False)
        >>> x, y = next(iter(ds))
        >>> x["user"].numpy().tolist(), x["item"].numpy().tolist(), y.numpy().tolist()
        ([1, 2], [3, 1], [4.0, 2.5])
    """
    where = "rating_dataset"
    users, items = _ids(users, "users", where), _ids(items, "items", where)
    ratings = np.asarray(ratings, dtype=np.float32)
    if not len(users) == len(items) == len(ratings):
        raise ValueError(
            f"{where}: users, items and ratings must have the same length, got "
            f"{len(users)}, {len(items)} and {len(ratings)}"
        )
    batch_size = _check_batch_size(batch_size, where)
    rng = _rng(seed)
    starts = range(0, len(users), batch_size)

    def batches() -> Iterator[tuple[dict[str, np.ndarray], np.ndarray]]:
        order = rng.permutation(len(users)) if shuffle else np.arange(len(users))
        for start in starts:
            rows = order[start : start + batch_size]
            yield {"user": users[rows], "item": items[rows]}, ratings[rows]

    signature = (
        {
            "user": tf.TensorSpec((None,), tf.int32),
            "item": tf.TensorSpec((None,), tf.int32),
        },
        tf.TensorSpec((None,), tf.float32),
    )
    return _finish(tf.data.Dataset.from_generator(batches, output_signature=signature), starts)


def candidate_dataset(
    users: np.ndarray,
    items: np.ndarray,
    *,
    num_items: int,
    num_negatives: int,
    batch_size: int,
    negative_weights: np.ndarray | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator = 0,
) -> tf.data.Dataset:
    """Batches of ``({"user": (B,), "item": (B, 1 + M)}, candidate ids (B, 1 + M))``.

    Column 0 of ``item`` is the observed (positive) item, columns ``1..M`` are negatives drawn
    with :class:`reclab.data.NegativeSampler` (never the positive itself; uniform unless
    ``negative_weights`` is given). As in He et al. (2017) and Rendle et al. (2009), a negative
    may be an item the user interacted with elsewhere in training; with thousands of items
    that is rare. The target is the candidate ids themselves, as the candidate losses expect.

    Example:
        >>> ds = candidate_dataset(np.array([1, 1, 2]), np.array([3, 1, 2]), num_items=5,
        ...                        num_negatives=2, batch_size=3, shuffle=False)
        >>> x, y = next(iter(ds))
        >>> x["item"].shape, x["item"][:, 0].numpy().tolist(), bool((y == x["item"]).numpy().all())
        (TensorShape([3, 3]), [3, 1, 2], True)
    """
    where = "candidate_dataset"
    users, items = _ids(users, "users", where), _ids(items, "items", where)
    if len(users) != len(items):
        raise ValueError(
            f"{where}: users and items must have the same length, got {len(users)} and {len(items)}"
        )
    if items.size and (items.min() < 1 or items.max() > num_items):
        raise ValueError(f"{where}: items must be ids in [1, {num_items}] (num_items)")
    if isinstance(num_negatives, bool) or not isinstance(num_negatives, (int, np.integer)):
        raise ValueError(f"{where}: num_negatives must be an integer >= 1, got {num_negatives!r}")
    if num_negatives < 1:
        raise ValueError(f"{where}: num_negatives must be an integer >= 1, got {num_negatives!r}")
    batch_size = _check_batch_size(batch_size, where)
    weights = item_weights(num_items) if negative_weights is None else negative_weights
    sampler = NegativeSampler(weights)
    rng = _rng(seed)
    starts = range(0, len(users), batch_size)

    def batches() -> Iterator[tuple[dict[str, np.ndarray], np.ndarray]]:
        order = rng.permutation(len(users)) if shuffle else np.arange(len(users))
        for start in starts:
            rows = order[start : start + batch_size]
            positives = items[rows]  # (B,)
            negatives = sampler.sample(positives, num_negatives, rng)  # (B, M)
            candidates = np.concatenate([positives[:, None], negatives], axis=1)  # (B, 1 + M)
            yield {"user": users[rows], "item": candidates}, candidates

    width = 1 + int(num_negatives)
    signature = (
        {
            "user": tf.TensorSpec((None,), tf.int32),
            "item": tf.TensorSpec((None, width), tf.int32),
        },
        tf.TensorSpec((None, width), tf.int32),
    )
    return _finish(tf.data.Dataset.from_generator(batches, output_signature=signature), starts)
