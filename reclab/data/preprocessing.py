"""Cleaning the interaction table: implicit feedback, duplicates, k-core filtering, time order.

Each step that drops rows returns ``(frame, StepReport)`` and logs the report; none loops in
Python over interactions. :func:`sort_chronologically` defines the book's tie-break.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reclab.data.reports import StepReport

__all__ = [
    "DEDUP_POLICIES",
    "TIE_BREAKS",
    "Preprocessed",
    "deduplicate",
    "k_core",
    "preprocess",
    "sort_chronologically",
    "to_implicit",
]

logger = logging.getLogger(__name__)

#: Deduplication policies of :func:`deduplicate`.
DEDUP_POLICIES = ("exact", "first", "last", "none")
#: Tie-breaks of :func:`sort_chronologically`.
TIE_BREAKS = ("input_order", "item_id")


def _check_columns(frame: pd.DataFrame, needed: tuple[str, ...], where: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: frame lacks column(s) {missing}; found {list(frame.columns)}")


def _report(
    step: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    reason: str,
    details: dict[str, object],
) -> StepReport:
    """A :class:`StepReport` with rows and, where the columns exist, distinct users and items."""

    def distinct(frame: pd.DataFrame, column: str) -> int | None:
        return int(frame[column].nunique()) if column in frame.columns else None

    return StepReport(
        step,
        len(before),
        len(after),
        reason,
        details,
        users_in=distinct(before, "user_id"),
        users_out=distinct(after, "user_id"),
        items_in=distinct(before, "item_id"),
        items_out=distinct(after, "item_id"),
    )


def to_implicit(
    frame: pd.DataFrame, threshold: float | None = 4.0
) -> tuple[pd.DataFrame, StepReport]:
    """Turn explicit ratings into implicit positive events.

    An event is kept as a positive when ``rating >= threshold``; the ``rating`` column is then
    removed. ``threshold=None`` keeps every event (each rating counts as an interaction,
    whatever its value: the usual reading of MovieLens in sequential recommendation).

    Args:
        frame: interactions with a ``rating`` column (unless ``threshold`` is ``None``).
        threshold: the smallest rating that counts as positive.

    Returns:
        ``(implicit, report)``, the kept rows in input order without ``rating``, and the report
        (rows, and distinct users and items, before and after).

    Example:
        >>> df = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 6, 5],
        ...                    "timestamp": [1, 2, 3], "rating": [5.0, 2.0, 4.0]})
        >>> implicit, report = to_implicit(df, threshold=4.0)
        >>> implicit.item_id.tolist(), report.rows_dropped
        ([5, 5], 1)
        >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
        to_implicit: 3 -> 2 rows (1 dropped, 33.3%), 2 -> 2 users, 2 -> 1 items:
        ratings below 4.0 are not positive feedback [threshold=4.0]
    """
    if threshold is None:
        out = frame.drop(columns="rating", errors="ignore").reset_index(drop=True)
        reason = "threshold=None: every event kept as an implicit interaction"
    else:
        _check_columns(frame, ("rating",), "to_implicit")
        out = frame.loc[frame["rating"].to_numpy() >= threshold].drop(columns="rating")
        out = out.reset_index(drop=True)
        reason = f"ratings below {threshold} are not positive feedback"
    report = _report("to_implicit", frame, out, reason, {"threshold": threshold})
    return out, report.log(logger)


def deduplicate(frame: pd.DataFrame, policy: str = "exact") -> tuple[pd.DataFrame, StepReport]:
    """Remove duplicate events according to a stated policy.

    Policies:

    * ``"exact"``: drop rows that repeat an earlier row's ``(user_id, item_id, timestamp)``
      (logging artefacts); repeat consumption at other times is kept.
    * ``"first"``: keep only each user's earliest event with each item (no repeats; ties in
      time resolved by input order).
    * ``"last"``: keep only each user's latest event with each item.
    * ``"none"``: keep everything.

    Returns:
        ``(frame, report)`` with the kept rows in input order; the report counts rows, users and
        items before and after.

    Example:
        >>> df = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [5, 5, 5], "timestamp": [1, 1, 9]})
        >>> [len(deduplicate(df, p)[0]) for p in ("exact", "first", "none")]
        [2, 1, 3]
    """
    if policy not in DEDUP_POLICIES:
        raise ValueError(f"deduplicate: policy={policy!r}; expected one of {DEDUP_POLICIES}")
    _check_columns(frame, ("user_id", "item_id", "timestamp"), "deduplicate")
    if policy == "none":
        keep = np.ones(len(frame), dtype=bool)
        reason = "policy 'none': duplicates kept"
    elif policy == "exact":
        keep = ~frame.duplicated(["user_id", "item_id", "timestamp"], keep="first").to_numpy()
        reason = "policy 'exact': same user, item and timestamp as an earlier row"
    else:
        order = np.lexsort((np.arange(len(frame)), frame["timestamp"].to_numpy()))
        in_time = frame.iloc[order]
        dup = in_time.duplicated(["user_id", "item_id"], keep=policy).to_numpy()
        keep = np.empty(len(frame), dtype=bool)
        keep[order] = ~dup
        other = "later" if policy == "first" else "earlier"
        reason = f"policy {policy!r}: the user's {other} events with the same item"
    out = frame.loc[keep].reset_index(drop=True)
    report = _report("deduplicate", frame, out, reason, {"policy": policy})
    return out, report.log(logger)


def k_core(
    frame: pd.DataFrame,
    min_user_events: int = 5,
    min_item_events: int = 5,
    max_iterations: int = 1000,
) -> tuple[pd.DataFrame, StepReport]:
    """Keep the largest sub-table where every user and every item has enough events.

    Removing a rare item can push a user below ``min_user_events`` and vice versa, so the two
    filters alternate until nothing changes (a fixed point). Counts are of events (rows), so
    repeated events with one item count several times.

    Args:
        frame: interactions with ``user_id`` and ``item_id``.
        min_user_events: the least number of events a kept user has.
        min_item_events: the least number of events a kept item has.
        max_iterations: safety bound; reaching it raises ``RuntimeError``.

    Returns:
        ``(core, report)`` with the rows kept in input order; the report counts rows, users and
        items before and after, and ``report.details`` holds the iterations and the users and
        items removed.

    Example:
        >>> df = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [7, 8, 7, 8, 9],
        ...                    "timestamp": [0, 1, 2, 3, 4]})
        >>> core, report = k_core(df, 2, 2)
        >>> core.user_id.tolist(), report.details["iterations"]
        ([1, 1, 2, 2], 2)
        >>> report.users_in, report.users_out, report.items_in, report.items_out
        (3, 2, 3, 2)
    """
    for name, value in (("min_user_events", min_user_events), ("min_item_events", min_item_events)):
        if int(value) != value or value < 1:
            raise ValueError(f"k_core: {name}={value!r}; expected an integer >= 1")
    _check_columns(frame, ("user_id", "item_id"), "k_core")
    users = frame["user_id"].to_numpy()
    items = frame["item_id"].to_numpy()
    _, user_idx, user_counts = np.unique(users, return_inverse=True, return_counts=True)
    _, item_idx, item_counts = np.unique(items, return_inverse=True, return_counts=True)
    keep = np.ones(len(frame), dtype=bool)
    iterations = 0
    while True:
        iterations += 1
        if iterations > max_iterations:
            raise RuntimeError(f"k_core: no fixed point after {max_iterations} iterations")
        drop = keep & (
            (user_counts[user_idx] < min_user_events) | (item_counts[item_idx] < min_item_events)
        )
        if not drop.any():
            break
        keep &= ~drop
        user_counts = np.bincount(user_idx[keep], minlength=len(user_counts))
        item_counts = np.bincount(item_idx[keep], minlength=len(item_counts))
    out = frame.loc[keep].reset_index(drop=True)
    users_out, items_out = int((user_counts > 0).sum()), int((item_counts > 0).sum())
    details = {
        "min_user_events": min_user_events,
        "min_item_events": min_item_events,
        "iterations": iterations,
        "users_removed": len(user_counts) - users_out,
        "items_removed": len(item_counts) - items_out,
    }
    reason = (
        f"users with < {min_user_events} or items with < {min_item_events} events, "
        "iterated to a fixed point"
    )
    report = StepReport(
        "k_core",
        len(frame),
        len(out),
        reason,
        details,
        users_in=len(user_counts),
        users_out=users_out,
        items_in=len(item_counts),
        items_out=items_out,
    )
    return out, report.log(logger)


def sort_chronologically(frame: pd.DataFrame, tie_break: str = "input_order") -> pd.DataFrame:
    """Sort events by user, then time, with a deterministic tie-break.

    Events of one user with the same timestamp are ordered by ``tie_break``:

    * ``"input_order"`` (default): the order of the rows in ``frame`` (a stable sort), i.e. the
      file's order for a freshly loaded file, so the result depends on how the file is sorted.
      ml-latest-small's ``ratings.csv`` lists each user's ratings by ``movieId``, so there this
      equals ``"item_id"``; ML-1M's ``ratings.dat`` (user 1: movies 1193, 661, 914, ...) and
      ML-100k's ``u.data`` (in no particular order) are not sorted that way, so there events
      with equal timestamps follow the file's order, which differs from ``"item_id"``.
    * ``"item_id"``: ascending ``item_id``, then input order: the same result whatever the
      order of the rows (only rows equal in user, time and item keep their input order).

    Returns:
        A new frame sorted by ``(user_id, timestamp, tie-break)`` with a fresh ``RangeIndex``.

    Example:
        >>> df = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [9, 3, 5], "timestamp": [5, 5, 1]})
        >>> sort_chronologically(df).item_id.tolist()
        [5, 9, 3]
        >>> sort_chronologically(df, tie_break="item_id").item_id.tolist()
        [5, 3, 9]

        The same events listed in another order: ``"input_order"`` changes, ``"item_id"`` not.

        >>> shuffled = df.iloc[[1, 0, 2]]
        >>> sort_chronologically(shuffled).item_id.tolist()
        [5, 3, 9]
        >>> sort_chronologically(shuffled, tie_break="item_id").item_id.tolist()
        [5, 3, 9]
    """
    if tie_break not in TIE_BREAKS:
        raise ValueError(
            f"sort_chronologically: tie_break={tie_break!r}; expected one of {TIE_BREAKS}"
        )
    _check_columns(frame, ("user_id", "item_id", "timestamp"), "sort_chronologically")
    keys = [np.arange(len(frame))]
    if tie_break == "item_id":
        keys.append(frame["item_id"].to_numpy())
    keys += [frame["timestamp"].to_numpy(), frame["user_id"].to_numpy()]
    order = np.lexsort(keys)  # the last key is the primary one
    return frame.iloc[order].reset_index(drop=True)


@dataclass(frozen=True)
class Preprocessed:
    """The result of :func:`preprocess`: the clean table and one report per step that drops rows."""

    interactions: pd.DataFrame
    reports: list[StepReport] = field(default_factory=list)


def preprocess(
    frame: pd.DataFrame,
    *,
    implicit_threshold: float | None = None,
    dedup: str = "exact",
    min_user_events: int = 5,
    min_item_events: int = 5,
    tie_break: str = "input_order",
) -> Preprocessed:
    """The book's cleaning pipeline: implicit -> deduplicate -> k-core -> chronological order.

    Args:
        frame: the interaction schema.
        implicit_threshold: see :func:`to_implicit` (``None`` keeps all events).
        dedup: a policy of :func:`deduplicate`.
        min_user_events: see :func:`k_core` (1 disables the user filter).
        min_item_events: see :func:`k_core` (1 disables the item filter).
        tie_break: see :func:`sort_chronologically`.

    Returns:
        :class:`Preprocessed` with the table sorted by ``(user_id, timestamp, tie-break)``.
    """
    reports = []
    if "rating" in frame.columns or implicit_threshold is not None:
        frame, report = to_implicit(frame, implicit_threshold)
        reports.append(report)
    frame, report = deduplicate(frame, dedup)
    reports.append(report)
    frame, report = k_core(frame, min_user_events, min_item_events)
    reports.append(report)
    return Preprocessed(sort_chronologically(frame, tie_break), reports)
