"""Batches for training and evaluation: padding, causal targets, negatives, cloze masks, tf.data.

Conventions (the whole book uses them):

* item ids are encoded ``1..N``; **0 is padding**;
* sequences are **left-padded** to length ``L`` and **truncated from the left**, so the most
  recent items are kept and the last position is always the latest event;
* boolean masks are **True at real items** (False at padding).

For :math:`S_u = (s_1, \\dots, s_T)` and ``L = 4``, causal training (next item at every position)
uses ``inputs = (s_1, ..., s_{T-1})`` and ``targets = (s_2, ..., s_T)``, e.g. for ``T = 3``::

    inputs  = [0, 0, s1, s2]
    targets = [0, 0, s2, s3]
    mask    = [F, F, T,  T ]

Training datasets draw from one :class:`numpy.random.Generator` created from ``seed``: each pass
over the dataset (epoch) gets a new shuffle and new negatives, and the same seed reproduces the
whole sequence of epochs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd
import tensorflow as tf

from reclab.data.idmap import PADDING_ID
from reclab.data.negatives import NegativeSampler, item_weights
from reclab.data.sequences import Sequences

__all__ = [
    "causal_arrays",
    "causal_dataset",
    "cloze_dataset",
    "cloze_mask",
    "evaluation_arrays",
    "evaluation_dataset",
    "left_pad",
]

logger = logging.getLogger(__name__)


def _windows(
    items: np.ndarray, starts: np.ndarray, ends: np.ndarray, max_len: int
) -> tuple[np.ndarray, np.ndarray]:
    """``items[starts[k]:ends[k]]`` for every k, left-padded/truncated to ``max_len``: (K, L)."""
    idx = ends[:, None] - max_len + np.arange(max_len)[None, :]  # (K, L) flat positions
    mask = idx >= starts[:, None]
    padded = np.where(mask, items[np.clip(idx, 0, max(len(items) - 1, 0))] if len(items) else 0, 0)
    return padded.astype(np.int32), mask


def _check_max_len(max_len: int) -> None:
    if int(max_len) != max_len or max_len < 1:
        raise ValueError(f"max_len={max_len!r}; expected a positive integer")


def left_pad(
    sequences: Sequences, max_len: int, *, drop_last: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Left-pad (with 0) and left-truncate every sequence to ``max_len``, keeping the latest items.

    Args:
        sequences: ``U`` sequences.
        max_len: ``L``.
        drop_last: leave out each sequence's last ``drop_last`` items first.

    Returns:
        ``(padded, mask)``, both of shape ``(U, L)``, int32 ids and bool (True = real item).

    Example:
        >>> seqs = Sequences(np.array([1, 2]), np.array([0, 3, 4]), np.array([5, 6, 7, 8]),
        ...                  np.zeros(4, dtype=np.int64))
        >>> padded, mask = left_pad(seqs, 2)
        >>> padded.tolist(), mask.tolist()
        ([[6, 7], [0, 8]], [[True, True], [False, True]])
    """
    _check_max_len(max_len)
    ends = np.maximum(sequences.offsets[1:] - drop_last, sequences.offsets[:-1])
    return _windows(sequences.items, sequences.offsets[:-1], ends, max_len)


def causal_arrays(sequences: Sequences, max_len: int) -> dict[str, np.ndarray]:
    """Inputs and next-item targets at every position, for users with at least 2 events.

    Returns:
        A dict of arrays with keys ``inputs`` (U', L) int32, ``targets`` (U', L) int32,
        ``mask`` (U', L) bool and ``user`` (U',) int64, where ``targets[:, t]`` is the item
        that follows ``inputs[:, t]`` and U' counts users with ``T_u >= 2`` (a single event has
        no next item; the number left out is logged).

    Example:
        >>> seqs = Sequences(np.array([1]), np.array([0, 3]), np.array([5, 6, 7]),
        ...                  np.zeros(3, dtype=np.int64))
        >>> a = causal_arrays(seqs, 4)
        >>> a["inputs"].tolist(), a["targets"].tolist()
        ([[0, 0, 5, 6]], [[0, 0, 6, 7]])
    """
    _check_max_len(max_len)
    keep = sequences.lengths >= 2
    if (~keep).any():
        left_out = int((~keep).sum())
        logger.info("causal_arrays: %d user(s) with one event have no next item", left_out)
    starts, ends = sequences.offsets[:-1][keep], sequences.offsets[1:][keep]
    inputs, mask = _windows(sequences.items, starts, ends - 1, max_len)
    targets, _ = _windows(sequences.items, starts + 1, ends, max_len)
    return {"inputs": inputs, "targets": targets, "mask": mask, "user": sequences.users[keep]}


def cloze_mask(
    inputs: np.ndarray,
    mask: np.ndarray,
    *,
    mask_prob: float,
    mask_token: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Hide random real items behind ``mask_token`` for masked-item (cloze) training.

    Each real position is hidden independently with probability ``mask_prob``; a row with real
    items but none hidden gets its last real position hidden, so every row has a target.

    Args:
        inputs: ``(B, L)`` int ids (0 = padding).
        mask: ``(B, L)`` bool, True at real items.
        mask_prob: the probability :math:`\\rho` of hiding a real item.
        mask_token: the id of the mask token (``N + 1`` by convention).
        rng: the random generator.

    Returns:
        A dict of arrays with keys ``inputs`` (B, L) int32 with ``mask_token`` at hidden
        positions, ``labels`` (B, L) int32 (the hidden item, 0 elsewhere), ``label_mask``
        (B, L) bool (True = hidden, a target) and ``mask`` (B, L) bool (real items, unchanged).

    Example:
        >>> out = cloze_mask(np.array([[0, 5, 6]]), np.array([[False, True, True]]),
        ...                  mask_prob=0.0, mask_token=9, rng=np.random.default_rng(0))
        >>> out["inputs"].tolist(), out["labels"].tolist()
        ([[0, 5, 9]], [[0, 0, 6]])
    """
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"cloze_mask: mask_prob={mask_prob}; expected a probability in [0, 1]")
    hidden = mask & (rng.random(inputs.shape) < mask_prob)
    empty = mask.any(axis=1) & ~hidden.any(axis=1)
    last_real = inputs.shape[1] - 1  # left padding: the last position is the latest real item
    hidden[empty, last_real] = True
    return {
        "inputs": np.where(hidden, mask_token, inputs).astype(np.int32),
        "labels": np.where(hidden, inputs, PADDING_ID).astype(np.int32),
        "label_mask": hidden,
        "mask": mask,
    }


def evaluation_arrays(
    history: Sequences,
    targets: pd.DataFrame,
    max_len: int,
    *,
    mask_token: int | None = None,
) -> dict[str, np.ndarray]:
    """History -> held-out item, one row per held-out event whose user has a history.

    Args:
        history: the users' sequences before the held-out event (e.g. the training split for
            validation, training + validation for test).
        targets: the held-out events, columns ``user_id`` and ``item_id`` (encoded ids).
        max_len: ``L``.
        mask_token: if given (bidirectional models), the last position holds this token and
            the history fills the ``L - 1`` positions before it.

    Returns:
        A dict of arrays with keys ``inputs`` (B, L) int32, ``mask`` (B, L) bool, ``target``
        (B,) int32 and ``user`` (B,) int64, rows in the order of ``targets``. Held-out events
        whose user has no history are left out and their number logged.
    """
    _check_max_len(max_len)
    users = targets["user_id"].to_numpy(dtype=np.int64)
    pos = np.searchsorted(history.users, users)
    pos = np.minimum(pos, max(len(history.users) - 1, 0))
    known = (len(history.users) > 0) & (history.users[pos] == users)
    if (~known).any():
        logger.info("evaluation_arrays: %d held-out event(s) without history", int((~known).sum()))
    pos = pos[known]
    length = max_len - 1 if mask_token is not None else max_len
    if length < 1:
        raise ValueError("evaluation_arrays: max_len must be >= 2 with a mask token")
    inputs, mask = _windows(history.items, history.offsets[pos], history.offsets[pos + 1], length)
    if mask_token is not None:
        inputs = np.concatenate([inputs, np.full((len(pos), 1), mask_token, np.int32)], axis=1)
        mask = np.concatenate([mask, np.ones((len(pos), 1), dtype=bool)], axis=1)
    return {
        "inputs": inputs,
        "mask": mask,
        "target": targets["item_id"].to_numpy()[known].astype(np.int32),
        "user": users[known],
    }


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _spec(value: np.ndarray) -> tf.TensorSpec:
    dtype = tf.bool if value.dtype == bool else tf.as_dtype(value.dtype)
    return tf.TensorSpec((None, *value.shape[1:]), dtype)


def _from_batches(make: object, example: dict[str, np.ndarray], n_batches: int) -> tf.data.Dataset:
    signature = {key: _spec(value) for key, value in example.items()}
    dataset = tf.data.Dataset.from_generator(make, output_signature=signature)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(n_batches))
    return dataset.prefetch(tf.data.AUTOTUNE)


def _batch_starts(n: int, batch_size: int, drop_remainder: bool) -> range:
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}; expected a positive integer")
    stop = n - batch_size + 1 if drop_remainder else n
    return range(0, max(stop, 0), batch_size)


def causal_dataset(
    sequences: Sequences,
    *,
    max_len: int,
    batch_size: int,
    num_items: int,
    num_negatives: int = 0,
    negative_weights: np.ndarray | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator = 0,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """A tf.data pipeline of causal (next-item) training batches.

    Args:
        sequences: encoded training sequences (ids ``1..num_items``).
        max_len: ``L``.
        batch_size: ``B``.
        num_items: ``N``.
        num_negatives: negatives per position (0: none, for a full-softmax loss).
        negative_weights: shape ``(N + 1,)`` from :func:`~reclab.data.item_weights`;
            uniform by default.
        shuffle: shuffle users every epoch.
        seed: seed or generator for shuffling and negatives.
        drop_remainder: drop the last, smaller batch.

    Returns:
        A dataset of dicts with ``inputs`` (B, L) int32, ``targets`` (B, L) int32, ``mask`` (B, L)
        bool (True = real position, use as the loss weight), ``user`` (B,) int64 and, when
        ``num_negatives > 0``, ``negatives`` (B, L, num_negatives) int32 (never the target).
        For Keras ``fit``: ``ds.map(lambda b: (b["inputs"], b["targets"], b["mask"]))``.
    """
    arrays = causal_arrays(sequences, max_len)
    rng = _rng(seed)
    weights = item_weights(num_items) if negative_weights is None else negative_weights
    sampler = NegativeSampler(weights) if num_negatives else None
    starts = _batch_starts(len(arrays["user"]), batch_size, drop_remainder)

    def batches() -> Iterator[dict[str, np.ndarray]]:
        n = len(arrays["user"])
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in starts:
            rows = order[start : start + batch_size]
            batch = {key: value[rows] for key, value in arrays.items()}
            if num_negatives:
                batch["negatives"] = sampler.sample(batch["targets"], num_negatives, rng)
            yield batch

    example = {key: value[:1] for key, value in arrays.items()}
    if num_negatives:
        example["negatives"] = np.zeros((1, max_len, num_negatives), np.int32)
    return _from_batches(batches, example, len(starts))


def cloze_dataset(
    sequences: Sequences,
    *,
    max_len: int,
    batch_size: int,
    num_items: int,
    mask_prob: float = 0.2,
    shuffle: bool = True,
    seed: int | np.random.Generator = 0,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """A tf.data pipeline of masked-item (cloze) batches for bidirectional models (BERT4Rec).

    Each user's latest ``L`` items are taken; see :func:`cloze_mask` for the masking. The mask
    token is ``num_items + 1``, so the embedding table has ``N + 2`` rows.

    Returns:
        A dataset of dicts with ``inputs`` (B, L) int32, ``labels`` (B, L) int32, ``label_mask``
        (B, L) bool (True = hidden item to predict), ``mask`` (B, L) bool (real items),
        ``user`` (B,) int64.
    """
    padded, mask = left_pad(sequences, max_len)
    keep = mask.any(axis=1)
    padded, mask, users = padded[keep], mask[keep], sequences.users[keep]
    rng = _rng(seed)
    starts = _batch_starts(len(users), batch_size, drop_remainder)

    def batches() -> Iterator[dict[str, np.ndarray]]:
        order = rng.permutation(len(users)) if shuffle else np.arange(len(users))
        for start in starts:
            rows = order[start : start + batch_size]
            batch = cloze_mask(
                padded[rows], mask[rows], mask_prob=mask_prob, mask_token=num_items + 1, rng=rng
            )
            batch["user"] = users[rows]
            yield batch

    example = cloze_mask(
        padded[:1], mask[:1], mask_prob=0.0, mask_token=1, rng=np.random.default_rng(0)
    )
    example["user"] = users[:1]
    return _from_batches(batches, example, len(starts))


def evaluation_dataset(
    history: Sequences,
    targets: pd.DataFrame,
    *,
    max_len: int,
    batch_size: int,
    mask_token: int | None = None,
) -> tf.data.Dataset:
    """Evaluation batches (history -> held-out item), in the order of ``targets``, not shuffled.

    See :func:`evaluation_arrays` for the arguments and the arrays; the dataset yields them in
    batches of ``batch_size`` as dicts ``inputs`` (B, L), ``mask`` (B, L), ``target`` (B,),
    ``user`` (B,).
    """
    arrays = evaluation_arrays(history, targets, max_len, mask_token=mask_token)
    _batch_starts(len(arrays["user"]), batch_size, False)
    return tf.data.Dataset.from_tensor_slices(arrays).batch(batch_size)
