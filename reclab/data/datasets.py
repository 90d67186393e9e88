"""``tf.data`` pipelines for ``model.fit``: batches that are a pure function of (seed, epoch, step).

Every training pipeline here makes batch ``k`` of epoch ``e`` with NumPy from
``numpy.random.default_rng([seed, e, k])`` (and shuffles epoch ``e`` with
``default_rng([seed, e])``), so a run resumed at epoch ``e`` sees exactly the batches an
uninterrupted run would have seen, without replaying earlier epochs. The epoch is read from
``epoch``, a function returning the current epoch (``reclab.training`` passes one that follows
``model.fit``); without it, every pass is epoch 0.

Training batches all have exactly ``batch_size`` rows: the last one is padded with empty rows
(target id 0, which every loss ignores), so a compiled training step is traced once.

- :func:`causal_dataset`: next-item batches for sequence models (SASRec, GRU4Rec);
- :func:`pair_dataset`: (user, item) batches for models with user vectors (MF, NeuMF);
- :func:`rating_dataset`: (user, item, rating) batches for explicit feedback;
- :func:`cloze_dataset`, :func:`evaluation_dataset`: masked-item and evaluation batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import tensorflow as tf

from reclab.checks import non_negative_int, positive_int
from reclab.data.batching import causal_arrays, cloze_mask, evaluation_arrays, left_pad
from reclab.data.negatives import NEGATIVE_SHARING, NegativeSampler, item_weights
from reclab.data.sequences import Sequences

__all__ = [
    "causal_dataset",
    "cloze_dataset",
    "evaluation_dataset",
    "pair_dataset",
    "poisson_dataset",
    "rating_dataset",
]

#: The current epoch, for a pipeline whose batches depend on it.
EpochSource = Callable[[], int]


def _seeded_batches(
    make: Callable[[int, int], tuple[np.ndarray, ...]],
    steps: int,
    specs: list[tf.TensorSpec],
    pack: Callable[..., Any],
    epoch: EpochSource | None,
) -> tf.data.Dataset:
    """``steps`` batches, batch ``k`` of the current epoch made by ``make(epoch, k)``."""
    current = epoch if epoch is not None else (lambda: 0)

    def make_step(step: np.int64) -> tuple[np.ndarray, ...]:
        return make(int(current()), int(step))

    def load(step: tf.Tensor) -> Any:
        outs = tf.numpy_function(make_step, [step], [s.dtype for s in specs], stateful=True)
        for out, spec in zip(outs, specs, strict=True):
            out.set_shape(spec.shape)
        return pack(*outs)

    dataset = tf.data.Dataset.range(steps).map(load)
    options = tf.data.Options()
    # The autotuner logs "Optimization loop failed: CANCELLED" when an iterator is dropped
    # mid-epoch (early stopping); these batches are cheap, so it is not needed.
    options.autotune.enabled = False
    return dataset.prefetch(2).with_options(options)


class _Epochs:
    """The shuffled order of rows for one epoch at a time (``default_rng([seed, epoch])``)."""

    def __init__(self, n: int, seed: int, shuffle: bool) -> None:
        self.n, self.seed, self.shuffle = n, seed, shuffle
        self._epoch, self._order = -1, np.arange(n)

    def rows(self, epoch: int, step: int, batch_size: int) -> np.ndarray:
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
            self._epoch = epoch
        return self._order[step * batch_size : (step + 1) * batch_size]


def _pad_rows(arrays: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
    """Pad every array's first axis with zeros to ``batch_size`` rows."""
    missing = batch_size - len(arrays[0])
    if missing <= 0:
        return arrays
    return [np.pad(a, [(0, missing)] + [(0, 0)] * (a.ndim - 1)) for a in arrays]


def _sampler(
    num_items: int, num_negatives: int, negative_weights: np.ndarray | None
) -> NegativeSampler | None:
    if not num_negatives:
        return None
    weights = item_weights(num_items) if negative_weights is None else negative_weights
    return NegativeSampler(weights)


def _negatives(
    sampler: NegativeSampler,
    positives: np.ndarray,
    num_negatives: int,
    rng: np.random.Generator,
    exclude: Any | None,
    users: np.ndarray,
) -> np.ndarray:
    """``(..., M)`` negatives of ``positives``; with ``exclude``, never the row user's items."""
    if exclude is None:
        return sampler.sample(positives, num_negatives, rng)
    return sampler.sample(positives, num_negatives, rng, exclude=exclude, rows=users)


def _check_sharing(sharing: str, where: str) -> str:
    """Return ``sharing`` if it is one of :data:`~reclab.data.NEGATIVE_SHARING`, else raise."""
    if sharing not in NEGATIVE_SHARING:
        raise ValueError(
            f"{where}: negative sharing {sharing!r} is not known; expected one of "
            f"{', '.join(NEGATIVE_SHARING)}"
        )
    return sharing


def _shared_negatives(
    sharing: str, sampler: NegativeSampler, targets: np.ndarray, m: int, rng: np.random.Generator
) -> np.ndarray:
    """``(M,)`` negatives for a whole batch: from the proposal, or from the batch's targets."""
    if sharing == "shared":
        return sampler.shared(m, rng)
    real = targets[targets > 0]
    if len(real) == 0:  # a batch of padding only: any ids do, every position is masked
        return sampler.shared(m, rng)
    return real[rng.integers(0, len(real), size=m)].astype(np.int32)


def _shared_candidates(
    targets: np.ndarray, negatives: np.ndarray, exclude: Any | None, users: np.ndarray
) -> np.ndarray:
    """Candidate ids ``(B, L, 1 + M)``: the positive, then the shared negatives.

    A negative that is one of the row user's excluded items gets id 0, so the loss removes it
    as it removes a negative equal to the positive (:func:`reclab.losses.remove_accidental_hits`).
    """
    b, length = targets.shape
    row_negatives = np.broadcast_to(negatives, (b, len(negatives))).astype(np.int32)
    if exclude is not None:
        excluded = exclude.contains(users, row_negatives)  # (B, M)
        row_negatives = np.where(excluded, 0, row_negatives).astype(np.int32)
    shared = np.broadcast_to(row_negatives[:, None, :], (b, length, len(negatives)))
    return np.concatenate([targets[..., None], shared], axis=-1).astype(np.int32)


def causal_dataset(
    sequences: Sequences,
    *,
    max_len: int,
    batch_size: int,
    num_items: int,
    num_negatives: int = 0,
    negative_weights: np.ndarray | None = None,
    exclude: Any | None = None,
    sharing: str = "per-position",
    seed: int = 0,
    epoch: EpochSource | None = None,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """Next-item training batches ``(x, y)`` for ``model.fit`` of a sequence model.

    Each row is a user's latest ``max_len + 1`` items (cut long histories into several rows
    first with :func:`reclab.data.training_windows` to use every event): the input is
    ``(s_1, ..., s_{T-1})`` and the target at every position is the next item.

    Without negatives: ``x`` = item ids ``(B, L)``, ``y`` = next-item ids ``(B, L)`` (0 at
    padding), for :class:`~reclab.losses.FullSoftmaxCrossEntropy`. With ``M`` negatives:
    ``x = {"inputs": (B, L), "candidates": (B, L, 1 + M)}`` and ``y`` = the candidates' ids
    (positive in column 0), for the losses of :class:`~reclab.losses.CandidateLoss`.

    With ``sharing="shared"`` or ``"in-batch"`` one set of ``M`` negatives serves the whole
    batch: ``x = {"inputs": (B, L), "positives": (B, L), "negatives": (M,)}``, so the model
    scores them with one ``(B·L, d) × (d, M)`` product
    (:func:`~reclab.models.shared_candidate_logits`), and ``y`` holds the candidates' ids
    ``(B, L, 1 + M)`` as before, with 0 for a negative that ``exclude`` holds for the row's user.

    Args:
        sequences: encoded training sequences (ids ``1..num_items``); ``users`` name each
            row's user (several rows may share one).
        max_len: :math:`L`.
        batch_size: :math:`B`.
        num_items: :math:`N`.
        num_negatives: :math:`M` negatives per position (0: none).
        negative_weights: sampling weights ``(N + 1,)`` (:func:`~reclab.data.item_weights`);
            uniform by default.
        exclude: an :class:`~reclab.data.ExcludedItems` whose row ``u`` holds the items of
            user id ``u``: a negative is never one of them (the papers' rule, see
            :class:`~reclab.data.NegativeSampler`); ``None`` excludes only the positive.
        sharing: one of :data:`~reclab.data.NEGATIVE_SHARING` (used when ``M > 0``).
            ``"in-batch"`` ignores ``negative_weights``: its proposal is the targets' frequency.
        seed: seeds the shuffle and the negatives (see the module docstring).
        epoch: the current epoch (see the module docstring).
        shuffle: shuffle the rows every epoch.

    Example:
        >>> seqs = Sequences(np.array([1, 2]), np.array([0, 3, 5]), np.array([4, 5, 6, 7, 8]),
        ...                  np.zeros(5, dtype=np.int64))
        >>> x, y = next(iter(causal_dataset(seqs, max_len=3, batch_size=2, num_items=9,
        ...                                 shuffle=False)))
        >>> x.numpy().tolist(), y.numpy().tolist()
        ([[0, 4, 5], [0, 0, 7]], [[0, 5, 6], [0, 0, 8]])
        >>> x, y = next(iter(causal_dataset(seqs, max_len=3, batch_size=2, num_items=9,
        ...     num_negatives=2, sharing="shared", shuffle=False)))
        >>> sorted(x), tuple(x["negatives"].shape), tuple(y.shape)
        (['inputs', 'negatives', 'positives'], (2,), (2, 3, 3))
    """
    where = "causal_dataset"
    batch_size = positive_int(batch_size, "batch_size", where)
    num_negatives = non_negative_int(num_negatives, "num_negatives", where)
    _check_sharing(sharing, where)
    if sharing == "in-batch" and negative_weights is not None:
        raise ValueError(
            f"{where}: in-batch negatives are drawn from the batch's targets; "
            "negative_weights does not apply (pass None)"
        )
    arrays = causal_arrays(sequences, max_len)
    inputs, targets, users = arrays["inputs"], arrays["targets"], arrays["user"]
    if len(inputs) == 0:
        raise ValueError(f"{where}: no sequence has 2 or more items to learn from")
    epochs = _Epochs(len(inputs), seed, shuffle)

    def rows(e: int, step: int, rng: np.random.Generator) -> list[np.ndarray]:
        r = epochs.rows(e, step, batch_size)
        return _pad_rows([inputs[r], targets[r], users[r]], batch_size)

    steps = -(-len(inputs) // batch_size)
    sampler = _sampler(num_items, num_negatives, negative_weights)
    return _target_batches(
        rows, steps, int(max_len), batch_size, sampler, num_negatives, sharing, exclude, seed, epoch
    )


def poisson_steps_per_epoch(users: int, expected_batch_size: int) -> int:
    """The steps of one epoch of :func:`poisson_dataset`: :math:`\\lceil U / B \\rceil`.

    Example:
        >>> poisson_steps_per_epoch(305, 64)
        5
    """
    return -(-int(users) // int(expected_batch_size))


def poisson_dataset(
    sequences: Sequences,
    *,
    max_len: int,
    expected_batch_size: int,
    seed: int = 0,
    epoch: EpochSource | None = None,
) -> tf.data.Dataset:
    """Next-item batches ``(x, y)`` in which every user is drawn independently (Poisson sampling).

    The batches of differentially private training (:mod:`reclab.privacy`): at each step every
    user is in the batch with probability :math:`q = B / U`, independently of the others and of
    the other steps, so batch sizes vary around :math:`B` (and may be 0). This is the sampling
    the privacy accountant's amplification assumes; a shuffled epoch of fixed-size batches is
    not, and its :math:`\\varepsilon` would be understated. An epoch has
    :math:`\\lceil U / B \\rceil` steps, so each user is drawn about once per epoch.

    Each user is one row (the latest ``max_len + 1`` items), so a user's data sits in exactly one
    row: ``sequences`` must hold every user once. ``x`` and ``y`` are ``(b, L)`` as in
    :func:`causal_dataset` without negatives, for a batch of ``b`` users.

    Example:
        >>> seqs = Sequences.from_lists([[1, 2, 3], [4, 5], [6, 7, 8]])
        >>> sizes = [len(x) for x, _ in poisson_dataset(seqs, max_len=2, expected_batch_size=1)]
        >>> len(sizes), sizes == [len(x) for x, _ in poisson_dataset(
        ...     seqs, max_len=2, expected_batch_size=1)]
        (3, True)
    """
    where = "poisson_dataset"
    batch_size = positive_int(expected_batch_size, "expected_batch_size", where)
    users, counts = np.unique(sequences.users, return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"{where}: user id {int(users[counts > 1][0])} has {int(counts.max())} rows; a user "
            "must be one row (the privacy unit), so do not cut histories into windows"
        )
    arrays = causal_arrays(sequences, max_len)
    inputs, targets = arrays["inputs"], arrays["targets"]
    if len(inputs) == 0:
        raise ValueError(f"{where}: no sequence has 2 or more items to learn from")
    if batch_size > len(inputs):
        raise ValueError(
            f"{where}: expected_batch_size={batch_size} is more than the {len(inputs)} users"
        )
    q = batch_size / len(inputs)

    def make(e: int, step: int) -> tuple[np.ndarray, ...]:
        chosen = np.random.default_rng([seed, e, step]).random(len(inputs)) < q
        return inputs[chosen], targets[chosen]

    steps = poisson_steps_per_epoch(len(inputs), batch_size)
    specs = [tf.TensorSpec((None, int(max_len)), tf.int32)] * 2
    return _seeded_batches(make, steps, specs, lambda x, y: (x, y), epoch)


def _target_batches(
    rows: Callable[[int, int, np.random.Generator], list[np.ndarray]],
    steps: int,
    max_len: int,
    batch_size: int,
    sampler: NegativeSampler | None,
    num_negatives: int,
    sharing: str,
    exclude: Any | None,
    seed: int,
    epoch: EpochSource | None,
) -> tf.data.Dataset:
    """Batches ``(x, y)`` of a sequence model from ``rows(epoch, step, rng) -> [x, y, users]``.

    ``x`` ``(B, L)`` are the inputs and ``y`` ``(B, L)`` the target at each position (0: none);
    the negatives, if any, are drawn for ``y`` with the same generator, after ``rows``. The forms
    of ``(x, y)`` are those of :func:`causal_dataset`.
    """

    def make(e: int, step: int) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng([seed, e, step])
        x, y, u = rows(e, step, rng)
        if sampler is None:
            return x, y
        if sharing != "per-position":
            negatives = _shared_negatives(sharing, sampler, y, num_negatives, rng)
            return x, y, negatives, _shared_candidates(y, negatives, exclude, u)
        negatives = _negatives(sampler, y, num_negatives, rng, exclude, u)
        return x, np.concatenate([y[..., None], negatives], axis=-1).astype(np.int32)

    if sampler is None:
        specs = [tf.TensorSpec((batch_size, max_len), tf.int32)] * 2
        return _seeded_batches(make, steps, specs, lambda x, y: (x, y), epoch)
    if sharing != "per-position":
        specs = [
            tf.TensorSpec((batch_size, max_len), tf.int32),
            tf.TensorSpec((batch_size, max_len), tf.int32),
            tf.TensorSpec((num_negatives,), tf.int32),
            tf.TensorSpec((batch_size, max_len, 1 + num_negatives), tf.int32),
        ]
        return _seeded_batches(
            make,
            steps,
            specs,
            lambda x, p, n, c: ({"inputs": x, "positives": p, "negatives": n}, c),
            epoch,
        )
    specs = [
        tf.TensorSpec((batch_size, max_len), tf.int32),
        tf.TensorSpec((batch_size, max_len, 1 + num_negatives), tf.int32),
    ]
    return _seeded_batches(
        make, steps, specs, lambda x, c: ({"inputs": x, "candidates": c}, c), epoch
    )


def _ids(values: Any, name: str, where: str) -> np.ndarray:
    x = np.asarray(values)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"{where}: {name} must be a 1-D integer array, got shape {x.shape}")
    return x.astype(np.int32)


def pair_dataset(
    users: np.ndarray,
    items: np.ndarray,
    *,
    num_items: int,
    batch_size: int,
    num_negatives: int = 0,
    negative_weights: np.ndarray | None = None,
    exclude: Any | None = None,
    seed: int = 0,
    epoch: EpochSource | None = None,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """(user, item) training batches ``(x, y)`` for models with user vectors (MF, NeuMF).

    One row per training event. With ``M`` negatives: ``x = {"user": (B,), "item": (B, 1 + M)}``
    (column 0 the observed item) and ``y`` = the same candidate ids, the form of
    :class:`~reclab.losses.CandidateLoss`. Without: ``x = {"user": (B,)}`` and ``y`` = the
    observed item ``(B,)``, for a full softmax over the catalogue.

    Args:
        users, items: ``(E,)`` encoded ids of the training events.
        num_items, batch_size, num_negatives, negative_weights, seed, epoch, shuffle: as in
            :func:`causal_dataset`.
        exclude: as in :func:`causal_dataset` (rows are user ids): He et al. 2017 and Rendle
            et al. 2009 sample items the user has not interacted with.

    Example:
        >>> x, y = next(iter(pair_dataset(np.array([1, 1, 2]), np.array([3, 1, 2]), num_items=5,
        ...                               num_negatives=2, batch_size=4, shuffle=False)))
        >>> x["item"].shape, x["item"][:, 0].numpy().tolist(), x["user"].numpy().tolist()
        (TensorShape([4, 3]), [3, 1, 2, 0], [1, 1, 2, 0])
    """
    where = "pair_dataset"
    users, items = _ids(users, "users", where), _ids(items, "items", where)
    if len(users) != len(items) or len(users) == 0:
        raise ValueError(
            f"{where}: users and items must be non-empty and of the same length, got "
            f"{len(users)} and {len(items)}"
        )
    if items.min() < 1 or items.max() > num_items:
        raise ValueError(f"{where}: items must be ids in [1, {num_items}] (num_items)")
    batch_size = positive_int(batch_size, "batch_size", where)
    num_negatives = non_negative_int(num_negatives, "num_negatives", where)
    sampler = _sampler(num_items, num_negatives, negative_weights)
    epochs = _Epochs(len(users), seed, shuffle)

    def make(e: int, step: int) -> tuple[np.ndarray, ...]:
        rows = epochs.rows(e, step, batch_size)
        u, positives = _pad_rows([users[rows], items[rows]], batch_size)
        if sampler is None:
            return u, positives
        rng = np.random.default_rng([seed, e, step])
        negatives = _negatives(sampler, positives, num_negatives, rng, exclude, u)
        return u, np.concatenate([positives[:, None], negatives], axis=1).astype(np.int32)

    steps = -(-len(users) // batch_size)
    if sampler is None:
        specs = [tf.TensorSpec((batch_size,), tf.int32)] * 2
        return _seeded_batches(make, steps, specs, lambda u, i: ({"user": u}, i), epoch)
    specs = [
        tf.TensorSpec((batch_size,), tf.int32),
        tf.TensorSpec((batch_size, 1 + num_negatives), tf.int32),
    ]
    return _seeded_batches(make, steps, specs, lambda u, c: ({"user": u, "item": c}, c), epoch)


def rating_dataset(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    epoch: EpochSource | None = None,
) -> tf.data.Dataset:
    """Batches of ``({"user": (B,), "item": (B,)}, rating (B,))`` for explicit feedback.

    The last batch is smaller (not padded: a padded rating would count in the squared error).

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
    batch_size = positive_int(batch_size, "batch_size", where)
    epochs = _Epochs(len(users), seed, shuffle)

    def make(e: int, step: int) -> tuple[np.ndarray, ...]:
        rows = epochs.rows(e, step, batch_size)
        return users[rows], items[rows], ratings[rows]

    specs = [
        tf.TensorSpec((None,), tf.int32),
        tf.TensorSpec((None,), tf.int32),
        tf.TensorSpec((None,), tf.float32),
    ]
    steps = -(-len(users) // batch_size)
    return _seeded_batches(make, steps, specs, lambda u, i, r: ({"user": u, "item": i}, r), epoch)


def cloze_dataset(
    sequences: Sequences,
    *,
    max_len: int,
    batch_size: int,
    num_items: int,
    mask_prob: float = 0.2,
    last_item_mask_prob: float = 0.0,
    num_negatives: int = 0,
    negative_weights: np.ndarray | None = None,
    exclude: Any | None = None,
    sharing: str = "per-position",
    seed: int = 0,
    epoch: EpochSource | None = None,
    shuffle: bool = True,
) -> tf.data.Dataset:
    """Masked-item (cloze) training batches ``(x, y)`` for ``model.fit`` of a bidirectional
    model (:class:`~reclab.models.BERT4Rec`).

    Each row is a user's latest ``max_len`` items (cut long histories into several rows first
    with :func:`reclab.data.training_windows` to use every event); :func:`~reclab.data.cloze_mask`
    hides some of them behind the mask token ``num_items + 1`` (so the model's item table has
    ``N + 2`` rows), with new masks for every (seed, epoch, step), as the module says.

    Without negatives: ``x`` = the masked ids ``(B, L)``, ``y`` = the hidden item at each hidden
    position and 0 elsewhere ``(B, L)``, for :class:`~reclab.losses.FullSoftmaxCrossEntropy`,
    which then averages over the hidden positions only (the cloze objective). With ``M``
    negatives, ``x`` and ``y`` take the forms of :func:`causal_dataset` with these ``y`` as the
    positives (positions with positive 0 are ignored by every loss).

    Args:
        sequences: encoded training sequences (ids ``1..num_items``).
        max_len: :math:`L`.
        batch_size: :math:`B` (the last batch is padded with empty rows).
        num_items: :math:`N`.
        mask_prob: :math:`\\rho`, the probability of hiding each item.
        last_item_mask_prob: the probability that a row hides only its latest item.
        num_negatives, negative_weights, exclude, sharing, seed, epoch, shuffle: as in
            :func:`causal_dataset` (``"in-batch"`` draws from the batch's hidden items).

    Example:
        >>> seqs = Sequences(np.array([1, 2]), np.array([0, 3, 5]), np.array([4, 5, 6, 7, 8]),
        ...                  np.zeros(5, dtype=np.int64))
        >>> x, y = next(iter(cloze_dataset(seqs, max_len=3, batch_size=2, num_items=9,
        ...                                mask_prob=0.0, shuffle=False)))
        >>> x.numpy().tolist(), y.numpy().tolist()  # nothing drawn: the latest item is hidden
        ([[4, 5, 10], [0, 7, 10]], [[0, 0, 6], [0, 0, 8]])
    """
    where = "cloze_dataset"
    batch_size = positive_int(batch_size, "batch_size", where)
    num_negatives = non_negative_int(num_negatives, "num_negatives", where)
    _check_sharing(sharing, where)
    if sharing == "in-batch" and negative_weights is not None:
        raise ValueError(
            f"{where}: in-batch negatives are drawn from the batch's hidden items; "
            "negative_weights does not apply (pass None)"
        )
    for name, value in (("mask_prob", mask_prob), ("last_item_mask_prob", last_item_mask_prob)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{where}: {name}={value!r}; expected a probability in [0, 1]")
    padded, mask = left_pad(sequences, max_len)
    keep = mask.any(axis=1)
    padded, mask, users = padded[keep], mask[keep], sequences.users[keep]
    if len(padded) == 0:
        raise ValueError(f"{where}: no sequence has an item to learn from")
    epochs = _Epochs(len(padded), seed, shuffle)
    mask_token = int(num_items) + 1

    def rows(e: int, step: int, rng: np.random.Generator) -> list[np.ndarray]:
        r = epochs.rows(e, step, batch_size)
        batch = cloze_mask(
            padded[r],
            mask[r],
            mask_prob=mask_prob,
            mask_token=mask_token,
            rng=rng,
            last_item_prob=last_item_mask_prob,
        )
        return _pad_rows([batch["inputs"], batch["labels"], users[r]], batch_size)

    steps = -(-len(padded) // batch_size)
    sampler = _sampler(num_items, num_negatives, negative_weights)
    return _target_batches(
        rows, steps, int(max_len), batch_size, sampler, num_negatives, sharing, exclude, seed, epoch
    )


def evaluation_dataset(
    history: Sequences,
    targets: pd.DataFrame,
    *,
    max_len: int,
    batch_size: int,
    mask_token: int | None = None,
) -> tf.data.Dataset:
    """Evaluation batches (history -> held-out item), in the order of ``targets``, not shuffled.

    See :func:`~reclab.data.evaluation_arrays` for the arguments and the arrays; the dataset
    yields them in batches of ``batch_size`` as dicts ``inputs`` (B, L), ``mask`` (B, L),
    ``target`` (B,), ``user`` (B,).
    """
    batch_size = positive_int(batch_size, "batch_size", "evaluation_dataset")
    arrays = evaluation_arrays(history, targets, max_len, mask_token=mask_token)
    return tf.data.Dataset.from_tensor_slices(arrays).batch(batch_size)
