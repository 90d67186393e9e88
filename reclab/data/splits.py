"""Splits that respect time: leave-last-out and a global temporal split, and a leakage measure.

A random split of events lets a model train on a user's *later* events and be tested on earlier
ones: it learns the future. :func:`future_leakage` measures how often that happens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclab.data.idmap import IdMapping, encode_interactions
from reclab.data.preprocessing import sort_chronologically
from reclab.data.reports import StepReport
from reclab.formulas import implements

__all__ = ["Split", "encode_split", "future_leakage", "leave_last_out", "temporal_split"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """Training, validation and test events (each in the interaction schema).

    Attributes:
        train: the training events, sorted by ``(user_id, timestamp, tie-break)``.
        validation: the validation events, sorted the same way.
        test: the test events, sorted the same way.
        report: what the split did (users kept only in training, cut times ...).
    """

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    report: StepReport


def _split(
    ordered: pd.DataFrame,
    train: np.ndarray,
    test: np.ndarray,
    step: str,
    reason: str,
    details: dict,
) -> Split:
    """The :class:`Split` of ``ordered`` by boolean masks (validation: neither train nor test)."""
    validation = ~(train | test)
    report = StepReport(step, len(ordered), len(ordered), reason, details).log(logger)
    parts = (ordered.loc[mask].reset_index(drop=True) for mask in (train, validation, test))
    return Split(*parts, report)


def leave_last_out(
    frame: pd.DataFrame,
    *,
    min_train_events: int = 1,
    tie_break: str = "input_order",
) -> Split:
    r"""Per user: the last event is the test target, the second-to-last the validation target.

    For :math:`S_u = (s_1, \dots, s_{T_u})`: :math:`\mathcal{D}_{\text{train}}` holds
    :math:`s_1, \dots, s_{T_u-2}`, :math:`\mathcal{D}_{\text{val}}` holds :math:`s_{T_u-1}` and
    :math:`\mathcal{D}_{\text{test}}` holds :math:`s_{T_u}`. Order in time uses
    :func:`sort_chronologically` with ``tie_break``. Users with fewer than
    ``min_train_events + 2`` events keep all their events in training and have no validation or
    test target (the number is in the report).

    Returns:
        A :class:`Split`.

    Example:
        >>> df = pd.DataFrame({"user_id": [1] * 4 + [2] * 2, "item_id": [1, 2, 3, 4, 5, 6],
        ...                    "timestamp": [1, 2, 3, 4, 1, 2]})
        >>> s = leave_last_out(df)
        >>> s.train.item_id.tolist(), s.validation.item_id.tolist(), s.test.item_id.tolist()
        ([1, 2, 5, 6], [3], [4])
    """
    if int(min_train_events) != min_train_events or min_train_events < 1:
        raise ValueError(f"leave_last_out: min_train_events={min_train_events!r}; expected >= 1")
    ordered = sort_chronologically(frame, tie_break)
    users = ordered["user_id"].to_numpy()
    # position from the end within each user: 0 = last event
    from_end = ordered.groupby("user_id", sort=False).cumcount(ascending=False).to_numpy()
    length = from_end + ordered.groupby("user_id", sort=False).cumcount().to_numpy() + 1
    eligible = length >= min_train_events + 2
    test = eligible & (from_end == 0)
    validation = eligible & (from_end == 1)
    train = ~(test | validation)
    short_users = len(np.unique(users[~eligible]))
    details = {"users_train_only": short_users, "test_users": int(test.sum())}
    reason = "no event dropped; users with too few events stay in training only"
    return _split(ordered, train, test, "leave_last_out", reason, details)


def temporal_split(
    frame: pd.DataFrame,
    *,
    val_start: int | None = None,
    test_start: int | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    tie_break: str = "input_order",
) -> Split:
    """A global cut in time: train before ``val_start``, validation, then test from ``test_start``.

    Events with ``timestamp < val_start`` are training, ``val_start <= timestamp < test_start``
    validation and ``timestamp >= test_start`` test, for all users alike. When the cut times are
    not given they are the ``1 - val_fraction - test_fraction`` and ``1 - test_fraction``
    quantiles of the timestamps (``numpy.quantile``, method ``"lower"``: an observed timestamp).
    Users and items that appear only after a cut are cold: fit the id mappings on ``train``
    (:func:`encode_split`).

    Returns:
        A :class:`Split`; ``report.details`` holds the cut times.

    Example:
        >>> df = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [1, 2, 3, 4],
        ...                    "timestamp": [1, 5, 2, 9]})
        >>> s = temporal_split(df, val_start=5, test_start=9)
        >>> len(s.train), len(s.validation), len(s.test)
        (2, 1, 1)
    """
    times = frame["timestamp"].to_numpy()
    if val_start is None or test_start is None:
        if not (0 <= val_fraction and 0 < test_fraction and val_fraction + test_fraction < 1):
            raise ValueError(
                f"temporal_split: val_fraction={val_fraction}, test_fraction={test_fraction}; "
                "expected 0 <= val, 0 < test and val + test < 1"
            )
        if len(times) == 0:
            raise ValueError("temporal_split: the frame is empty")
        if test_start is None:
            test_start = int(np.quantile(times, 1 - test_fraction, method="lower"))
        if val_start is None:
            val_start = int(np.quantile(times, 1 - test_fraction - val_fraction, method="lower"))
    if val_start > test_start:
        raise ValueError(f"temporal_split: val_start={val_start} is after test_start={test_start}")
    ordered = sort_chronologically(frame, tie_break)
    t = ordered["timestamp"].to_numpy()
    train = t < val_start
    test = t >= test_start
    details = {"val_start": int(val_start), "test_start": int(test_start)}
    reason = "no event dropped; split by global cut times"
    return _split(ordered, train, test, "temporal_split", reason, details)


def encode_split(
    split: Split, *, encode_users: bool = False
) -> tuple[Split, IdMapping, IdMapping | None, list[StepReport]]:
    """Fit id mappings on the training events only, and encode all three parts with them.

    Validation and test events whose item (or user, with ``encode_users``) never occurs in
    training are dropped, with a report per part: their ids cannot come from training data.

    Returns:
        ``(encoded_split, item_mapping, user_mapping_or_None, [report_val, report_test])``.
    """
    items = IdMapping.fit(split.train["item_id"])
    users = IdMapping.fit(split.train["user_id"]) if encode_users else None
    train, _ = encode_interactions(split.train, items, users, unknown="raise")
    validation, report_val = encode_interactions(split.validation, items, users)
    test, report_test = encode_interactions(split.test, items, users)
    return Split(train, validation, test, split.report), items, users, [report_val, report_test]


@implements("eq-future-leakage")
def future_leakage(train: pd.DataFrame, held_out: pd.DataFrame) -> float:
    r"""The share of held-out events whose user has a *later* event in training.

    .. math::

        \lambda = \frac{1}{\lvert\mathcal{D}_{\text{test}}\rvert}
        \sum_{(u, i, t) \in \mathcal{D}_{\text{test}}}
        \mathbb{1}\bigl[\exists\, (u, j, t') \in \mathcal{D}_{\text{train}} : t' > t\bigr]

    Zero for leave-last-out and for a global temporal split. For a random split it approaches 1
    as histories get long: a held-out event escapes only if it comes after the user's last
    training event. With :math:`T` events per user, each held out with probability :math:`q`,
    about :math:`q / (1 - q)` of the user's :math:`qT` held-out events are at the end, so
    :math:`\lambda \approx 1 - 1 / ((1 - q) T)`. On MovieLens latest-small (610 users, 165
    events each on average) a random 80/20 split of the events gave :math:`\lambda = 0.988`
    (0.988 to 0.991 over ten seeds): almost every held-out event has a later training event of
    the same user.

    Args:
        train: the training events, with ``user_id`` and ``timestamp``.
        held_out: the validation or test events, with the same columns.

    Returns:
        :math:`\lambda \in [0, 1]` (0.0 for an empty ``held_out``).

    Example:
        >>> train = pd.DataFrame({"user_id": [1, 1, 2], "timestamp": [1, 9, 1]})
        >>> test = pd.DataFrame({"user_id": [1, 2], "timestamp": [5, 5]})
        >>> future_leakage(train, test)   # user 1 trains on t=9 > 5; user 2 does not
        0.5

        A random 80/20 split of 100 users with 200 events each: about 1 - 1 / (0.8 * 200).

        >>> events = pd.DataFrame({"user_id": np.repeat(np.arange(100), 200),
        ...                        "timestamp": np.tile(np.arange(200), 100)})
        >>> held = np.random.default_rng(0).random(len(events)) < 0.2
        >>> round(future_leakage(events[~held], events[held]), 3), 1 - 1 / (0.8 * 200)
        (0.993, 0.99375)
    """
    if len(held_out) == 0:
        return 0.0
    latest = train.groupby("user_id")["timestamp"].max()
    latest_for_event = held_out["user_id"].map(latest).to_numpy(dtype=np.float64)
    leaks = latest_for_event > held_out["timestamp"].to_numpy(dtype=np.float64)  # NaN -> False
    return float(leaks.mean())
