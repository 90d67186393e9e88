"""Arrays for training and evaluation: padding, causal targets, windows, cloze masks (NumPy only).

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

The ``tf.data`` pipelines built from these arrays are in :mod:`reclab.data.datasets`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from reclab.data.idmap import PADDING_ID
from reclab.data.sequences import Sequences
from reclab.formulas import implements

__all__ = [
    "causal_arrays",
    "cloze_mask",
    "evaluation_arrays",
    "left_pad",
    "training_windows",
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


def training_windows(sequences: Sequences, max_len: int) -> Sequences:
    """Cut each history into windows of ``max_len + 1`` items, so every event is a target once.

    Window ``j`` of a history of ``T`` items ends ``j * max_len`` items before its end; the
    windows overlap by one item (the last input of one is the first of the next). A history of
    at most ``max_len + 1`` items stays whole. Each window becomes its own row, with its user's
    id in ``users`` (so a user with several windows appears several times, oldest window first).

    Example:
        >>> seqs = Sequences(np.array([7]), np.array([0, 5]), np.arange(1, 6),
        ...                  np.zeros(5, dtype=np.int64))
        >>> windows = training_windows(seqs, 2)
        >>> [w.tolist() for w in windows.to_list()], windows.users.tolist()
        ([[1, 2, 3], [3, 4, 5]], [7, 7])
    """
    _check_max_len(max_len)
    lengths = sequences.lengths
    # windows per user: 1 + ceil((T - (L + 1)) / L) for T > L + 1, else 1
    counts = np.where(lengths > max_len + 1, 1 + -(-(lengths - max_len - 1) // max_len), 1)
    owner = np.repeat(np.arange(len(sequences)), counts)  # (W,) the user of each window
    from_end = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    from_end = np.repeat(counts, counts) - 1 - from_end  # oldest window first
    ends = sequences.offsets[1:][owner] - from_end * max_len
    starts = np.maximum(sequences.offsets[:-1][owner], ends - max_len - 1)
    sizes = ends - starts
    offsets = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    index = np.repeat(starts - offsets[:-1], sizes) + np.arange(offsets[-1])
    return Sequences(
        sequences.users[owner],
        offsets,
        sequences.items[index],
        sequences.timestamps[index],
    )


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


@implements("eq-cloze-loss")
def cloze_mask(
    inputs: np.ndarray,
    mask: np.ndarray,
    *,
    mask_prob: float,
    mask_token: int,
    rng: np.random.Generator,
    last_item_prob: float = 0.0,
) -> dict[str, np.ndarray]:
    """Hide random real items behind ``mask_token`` for masked-item (cloze) training.

    Each real position is hidden independently with probability ``mask_prob``; a row with real
    items but none hidden gets its last real position hidden, so every row has a target. With
    ``last_item_prob`` :math:`q > 0`, each non-empty row is instead, with probability :math:`q`,
    a row whose *only* hidden item is the latest one: the task the model is evaluated on (BERT4Rec,
    Sun et al. 2019, §3.6). The hidden positions are the set :math:`\\mathcal{M}` of the cloze
    objective, whose loss is the full softmax cross-entropy at these positions only (labels 0
    elsewhere are ignored by :class:`~reclab.losses.FullSoftmaxCrossEntropy`).

    Args:
        inputs: ``(B, L)`` int ids (0 = padding), left-padded.
        mask: ``(B, L)`` bool, True at real items.
        mask_prob: the probability :math:`\\rho` of hiding a real item.
        mask_token: the id of the mask token (``N + 1`` by convention).
        rng: the random generator (``last_item_prob > 0`` draws one more number per row,
            after the positions' numbers).
        last_item_prob: the probability :math:`q` that a row hides only its latest item.

    Returns:
        A dict of arrays with keys ``inputs`` (B, L) int32 with ``mask_token`` at hidden
        positions, ``labels`` (B, L) int32 (the hidden item, 0 elsewhere), ``label_mask``
        (B, L) bool (True = hidden, a target) and ``mask`` (B, L) bool (real items, unchanged).

    Example:
        >>> out = cloze_mask(np.array([[0, 5, 6]]), np.array([[False, True, True]]),
        ...                  mask_prob=0.0, mask_token=9, rng=np.random.default_rng(0))
        >>> out["inputs"].tolist(), out["labels"].tolist()
        ([[0, 5, 9]], [[0, 0, 6]])
        >>> out = cloze_mask(np.array([[4, 5, 6]]), np.ones((1, 3), bool), mask_prob=1.0,
        ...                  mask_token=9, rng=np.random.default_rng(0), last_item_prob=1.0)
        >>> out["inputs"].tolist()  # every item drawn, but the row hides only its latest
        [[4, 5, 9]]
    """
    where = "cloze_mask"
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"{where}: mask_prob={mask_prob}; expected a probability in [0, 1]")
    if not 0.0 <= last_item_prob <= 1.0:
        raise ValueError(
            f"{where}: last_item_prob={last_item_prob}; expected a probability in [0, 1]"
        )
    hidden = mask & (rng.random(inputs.shape) < mask_prob)  # (B, L)
    has_items = mask.any(axis=1)  # (B,)
    last_real = inputs.shape[1] - 1  # left padding: the last position is the latest real item
    if last_item_prob > 0.0:
        last_only = has_items & (rng.random(len(inputs)) < last_item_prob)  # (B,)
        hidden[last_only] = False
        hidden[last_only, last_real] = True
    empty = has_items & ~hidden.any(axis=1)
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
