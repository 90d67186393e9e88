"""Training batches that are a pure function of (seed, epoch), so a resumed run sees the same data.

:func:`reclab.data.causal_dataset` draws every epoch from one generator, which a run resumed at
epoch ``k`` cannot recreate without replaying ``k`` epochs. Here epoch ``e`` shuffles and samples
negatives with ``numpy.random.default_rng([seed, e])``.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from reclab.data.batching import causal_arrays
from reclab.data.negatives import NegativeSampler
from reclab.data.sequences import Sequences

__all__ = ["EpochCounter", "next_item_dataset", "training_windows"]


class EpochCounter(keras.callbacks.Callback):
    """The current epoch, for data pipelines; as a callback it follows ``model.fit``'s epochs."""

    def __init__(self, value: int = 0) -> None:
        super().__init__()
        self.value = int(value)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.value = int(epoch)


def training_windows(sequences: Sequences, max_len: int) -> Sequences:
    """Cut each history into windows of ``max_len + 1`` items, so every event is a target once.

    Window ``j`` of a history of ``T`` items ends ``j * max_len`` items before its end; the
    windows overlap by one item (the last input of one is the first of the next). A history of
    at most ``max_len + 1`` items stays whole. Each window becomes its own row (``users`` holds
    the row number).

    Example:
        >>> seqs = Sequences(np.array([7]), np.array([0, 5]), np.arange(1, 6),
        ...                  np.zeros(5, dtype=np.int64))
        >>> [w.tolist() for w in training_windows(seqs, 2).to_list()]
        [[1, 2, 3], [3, 4, 5]]
    """
    if int(max_len) != max_len or max_len < 1:
        raise ValueError(f"training_windows: max_len must be a positive integer, got {max_len!r}")
    starts, ends = [], []
    for begin, end in zip(sequences.offsets[:-1], sequences.offsets[1:], strict=True):
        stop = int(end)
        while True:
            start = max(int(begin), stop - max_len - 1)
            starts.append(start)
            ends.append(stop)
            if start == begin:
                break
            stop -= max_len
    order = np.argsort(np.asarray(starts), kind="stable")  # oldest window first, per user
    starts_a, ends_a = np.asarray(starts)[order], np.asarray(ends)[order]
    pieces = [np.arange(s, e) for s, e in zip(starts_a, ends_a, strict=True)]
    index = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    offsets = np.zeros(len(pieces) + 1, np.int64)
    np.cumsum([len(p) for p in pieces], out=offsets[1:])
    return Sequences(
        np.arange(len(pieces), dtype=np.int64),
        offsets,
        sequences.items[index],
        sequences.timestamps[index],
    )


def next_item_dataset(
    sequences: Sequences,
    *,
    max_len: int,
    batch_size: int,
    num_negatives: int = 0,
    negative_weights: np.ndarray | None = None,
    seed: int = 0,
    epoch: EpochCounter | None = None,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """``(x, y)`` batches for ``model.fit`` of a :class:`~reclab.models.NextItemModel`.

    Without negatives: ``x`` = item ids ``(B, L)``, ``y`` = next-item ids ``(B, L)`` (0 at
    padding), for :class:`~reclab.losses.FullSoftmaxCrossEntropy`. With ``M`` negatives:
    ``x = {"inputs": (B, L), "candidates": (B, L, 1 + M)}`` and ``y`` = the candidates' ids
    (positive in column 0), for the losses of :class:`~reclab.losses.CandidateLoss`.

    Every batch has exactly ``batch_size`` rows (the last one is padded with empty rows, whose
    positions are all padding and so count for nothing), so the training step is traced and
    compiled once. Epoch ``e`` is shuffled with ``default_rng([seed, e])`` and its step ``k``
    draws negatives with ``default_rng([seed, e, k])``, where ``e`` is read from ``epoch`` (an
    :class:`EpochCounter`, a callback that ``fit`` puts first); without one, every pass is
    epoch 0. Batches are made by NumPy inside ``tf.numpy_function``.
    """
    arrays = causal_arrays(sequences, max_len)
    inputs, targets = arrays["inputs"], arrays["targets"]
    n = len(inputs)
    if n == 0:
        raise ValueError("next_item_dataset: no sequence has 2 or more items to learn from")
    sampler = None
    if num_negatives:
        if negative_weights is None:
            raise ValueError("next_item_dataset: num_negatives > 0 needs negative_weights")
        sampler = NegativeSampler(negative_weights)
    counter = EpochCounter() if epoch is None else epoch
    steps = -(-n // batch_size)
    max_len = int(max_len)
    cache: dict[int, np.ndarray] = {}

    def order_of(e: int) -> np.ndarray:
        if e not in cache:
            cache.clear()
            rng = np.random.default_rng([seed, e])
            cache[e] = rng.permutation(n) if shuffle else np.arange(n)
        return cache[e]

    def make_batch(step: np.int64) -> tuple[np.ndarray, ...]:
        e = counter.value
        rows = order_of(e)[int(step) * batch_size : (int(step) + 1) * batch_size]
        x, y = inputs[rows], targets[rows]
        if len(rows) < batch_size:  # pad the last batch: one shape, one trace (padding is masked)
            pad = ((0, batch_size - len(rows)), (0, 0))
            x, y = np.pad(x, pad), np.pad(y, pad)
        if sampler is None:
            return x, y
        rng = np.random.default_rng([seed, e, int(step)])
        negatives = sampler.sample(y, num_negatives, rng)  # (B, L, M)
        candidates = np.concatenate([y[..., None], negatives], axis=-1).astype(np.int32)
        return x, candidates

    def load(step: tf.Tensor) -> Any:
        x, y = tf.numpy_function(make_batch, [step], (tf.int32, tf.int32), stateful=True)
        x.set_shape((batch_size, max_len))  # (B, L)
        if sampler is None:
            y.set_shape((batch_size, max_len))  # (B, L)
            return x, y
        y.set_shape((batch_size, max_len, 1 + num_negatives))  # (B, L, 1 + M)
        return {"inputs": x, "candidates": y}, y

    dataset = tf.data.Dataset.range(steps).map(load)
    return dataset.prefetch(2)
