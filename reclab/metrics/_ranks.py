"""Where the held-out items land in the ranked catalogue: counts of items scoring higher or equal.

Every ranking metric in :mod:`reclab.metrics` is a function of these counts, computed once per
batch of users without sorting: the rank of a held-out item :math:`i` is one plus the number of
candidate items that score strictly higher, plus the tied items that the tie policy puts first.
Nothing here loops over users in Python; rows are processed in chunks to bound memory.

The candidates of a user are decided without looking at the held-out items: all items (or the
sampled ones), minus the excluded ones. A held-out item that is not a candidate (it was excluded,
for example a repeat purchase when seen items are excluded, or it is
:data:`~reclab.data.UNKNOWN_ITEM`, an item the model's catalogue does not have) is never ranked:
it counts as a miss. Exempting it from the exclusion instead would let a model that ranks the
history first hit every repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reclab.checks import positive_int
from reclab.data.idmap import UNKNOWN_ITEM
from reclab.formulas import implements

#: Tie policies: ``pessimistic`` puts every tied item above the held-out one (the default: a
#: constant model gets the worst rank), ``optimistic`` below it, ``expected`` averages the
#: metric over all orders of the tied items (a constant model scores what chance gives).
TIES = ("pessimistic", "optimistic", "expected")

#: Upper bound on ``rows x targets x items`` booleans materialised at once.
_CHUNK_ELEMENTS = 1 << 23


def check_ties(ties: str, where: str) -> str:
    if ties not in TIES:
        raise ValueError(f"{where}: ties={ties!r} is not a tie policy; expected one of {TIES}")
    return ties


def check_k(k: Any, where: str) -> int:
    return positive_int(k, "k", where)


@dataclass(frozen=True)
class TargetRanks:
    """Counts that place each user's held-out items in the ranked list of candidates.

    Shapes: ``B`` users, ``R`` held-out slots per user (padded with id 0). For held-out item
    ``k`` of user ``b``:

    * ``higher_other[b, k]``: candidates that are *not* held out and score strictly higher;
    * ``tied_other[b, k]``: candidates that are not held out and score the same;
    * ``higher_held[b, k]`` / ``tied_held[b, k]``: the same among the user's other ranked
      held-out items;
    * ``order[b, k]``: how many of the user's ranked held-out items come before it (higher
      score, or equal score and an earlier slot). Metrics only depend on the set of positions
      the held-out items occupy, so this canonical order loses nothing.

    ``valid[b, k]`` marks real slots and ``n_relevant[b]`` counts them; ``ranked[b, k]`` marks
    the held-out items that are candidates (the others, excluded or unknown, are misses: their
    position is infinite) and ``n_ranked[b]`` counts them; ``n_candidates[b]`` is the number of
    items that user's list is drawn from (ranked held-out items included).
    """

    valid: np.ndarray
    ranked: np.ndarray
    higher_other: np.ndarray
    tied_other: np.ndarray
    higher_held: np.ndarray
    tied_held: np.ndarray
    order: np.ndarray
    n_relevant: np.ndarray
    n_ranked: np.ndarray
    n_candidates: np.ndarray

    @property
    def n_users(self) -> int:
        return int(self.valid.shape[0])

    @property
    def has_targets(self) -> np.ndarray:
        """``(B,)`` True for users with at least one held-out item (the others are skipped)."""
        return self.n_relevant > 0

    def positions(self, ties: str) -> np.ndarray:
        """1-based list positions of the held-out items, ``(B, R)`` float, NaN in padded slots.

        ``pessimistic``: ``1 + order + higher_other + tied_other``; ``optimistic``:
        ``1 + order + higher_other``; ``expected``: the mean position under a random order of
        ties, ``1 + higher + tied / 2`` (counting all other candidates). A held-out item that
        is not ranked (excluded or unknown) has position ``inf``.
        """
        check_ties(ties, "TargetRanks.positions")
        if ties == "pessimistic":
            pos = 1 + self.order + self.higher_other + self.tied_other
        elif ties == "optimistic":
            pos = 1 + self.order + self.higher_other
        else:
            pos = 1 + self.higher_all + self.tied_all / 2
        pos = np.where(self.ranked, pos.astype(np.float64), np.inf)
        return np.where(self.valid, pos, np.nan)

    @property
    def higher_all(self) -> np.ndarray:
        return self.higher_other + self.higher_held

    @property
    def tied_all(self) -> np.ndarray:
        return self.tied_other + self.tied_held

    def require_single_target(self, where: str) -> None:
        """Raise unless every user has at most one held-out item (for exact expected ties)."""
        if np.any(self.n_relevant > 1):
            raise ValueError(
                f"{where}: ties='expected' is computed exactly for one held-out item per user "
                f"(leave-last-out); {int(np.sum(self.n_relevant > 1))} users have several. "
                "Use ties='pessimistic' or 'optimistic' for several held-out items."
            )


def as_targets(targets: Any, n_rows: int, n_ids: int, where: str) -> np.ndarray:
    """Held-out ids as a ``(B, R)`` int array, 0 = padding, -1 = unknown; checks range, repeats."""
    targets = np.asarray(targets)
    if targets.ndim == 1:
        targets = targets[:, None]
    if targets.ndim != 2 or targets.shape[0] != n_rows:
        raise ValueError(
            f"{where}: targets must have shape (B,) or (B, R) with B = {n_rows} rows like "
            f"scores, got shape {targets.shape}"
        )
    if not np.issubdtype(targets.dtype, np.integer):
        if targets.size and not np.all(np.mod(targets, 1) == 0):
            raise ValueError(f"{where}: targets must hold integer item ids, got {targets.dtype}")
        targets = targets.astype(np.int64)
    bad = (targets < UNKNOWN_ITEM) | (targets >= n_ids)
    if bad.any():
        row = int(np.argwhere(bad)[0, 0])
        raise ValueError(
            f"{where}: targets must be item ids in [1, {n_ids - 1}] (0 = padding, "
            f"{UNKNOWN_ITEM} = an item outside the catalogue), row {row} holds "
            f"{targets[row].tolist()}"
        )
    if targets.shape[1] > 1:
        srt = np.sort(targets, axis=1)
        dup = (srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] > 0)
        if dup.any():
            row = int(np.argwhere(dup)[0, 0])
            raise ValueError(
                f"{where}: row {row} lists a held-out item twice: {targets[row].tolist()}"
            )
    return targets


def id_mask(ids_or_mask: Any, shape: tuple[int, int], name: str, where: str) -> np.ndarray:
    """A ``(B, n_ids)`` boolean mask from a boolean mask or a padded ``(B, S)`` id array."""
    arr = np.asarray(ids_or_mask)
    if arr.dtype == bool:
        if arr.shape != shape:
            raise ValueError(
                f"{where}: boolean {name} must have the shape of scores {shape}, got {arr.shape}"
            )
        return arr
    if arr.ndim != 2 or arr.shape[0] != shape[0]:
        raise ValueError(
            f"{where}: {name} must be a boolean (B, n_ids) mask or (B, S) item ids padded "
            f"with 0, with B = {shape[0]}; got shape {arr.shape}"
        )
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= shape[1]):
        raise ValueError(f"{where}: {name} holds ids outside [0, {shape[1] - 1}]")
    mask = np.zeros(shape, bool)
    np.put_along_axis(mask, arr, True, axis=1)
    mask[:, 0] = False  # 0 is padding, not an item
    return mask


def check_scores(scores: Any, where: str) -> np.ndarray:
    """Scores as a ``(B, n_ids)`` array; raises on NaN, naming the first bad row."""
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise ValueError(
            f"{where}: scores must have shape (B, n_ids) with column 0 for padding and at "
            f"least one item, got shape {scores.shape}"
        )
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    nan_rows = np.flatnonzero(np.isnan(scores[:, 1:]).any(axis=1))
    if nan_rows.size:
        more = f" (and {nan_rows.size - 1} more rows)" if nan_rows.size > 1 else ""
        raise ValueError(
            f"{where}: scores hold NaN in row {int(nan_rows[0])}{more}; a model that outputs "
            "NaN cannot be ranked (check for a diverged model or a 0/0)"
        )
    return scores


def target_ranks(
    scores: Any,
    targets: Any,
    *,
    exclude: Any | None = None,
    candidates: Any | None = None,
) -> TargetRanks:
    r"""Count, for each held-out item, the candidates that score higher or the same.

    The rank of held-out item :math:`i` of user :math:`u` with scores :math:`\hat{r}_{uj}` is

    .. math::

        \operatorname{rank}_u(i) = 1 + \bigl|\{j \in \mathcal{C}_u : \hat{r}_{uj} >
        \hat{r}_{ui}\}\bigr| + \bigl|\{j \in \mathcal{C}_u \setminus \{i\} : \hat{r}_{uj} =
        \hat{r}_{ui}\}\bigr|

    with the pessimistic tie policy (ties counted as ranked above :math:`i`), where
    :math:`\mathcal{C}_u` is the set of candidates: every item (full ranking) or the sampled
    ones plus the held-out items, minus the excluded (already seen) items. The candidates never
    depend on the held-out items otherwise: a held-out item that is excluded (or is
    :data:`~reclab.data.UNKNOWN_ITEM`) is not ranked, and counts as a miss.

    Args:
        scores: ``(B, n_ids)`` scores, column ``j`` for item id ``j``; column 0 (padding)
            is never ranked.
        targets: held-out ids, ``(B,)`` or ``(B, R)`` padded with 0;
            :data:`~reclab.data.UNKNOWN_ITEM` (-1) marks a held-out item outside the catalogue
            (always a miss). A user with no held-out item is counted in ``n_users`` but skipped
            by the metrics.
        exclude: items removed from the candidates (typically the user's history), as
            ``(B, S)`` ids padded with 0 or a ``(B, n_ids)`` boolean mask. ``None`` excludes
            nothing. A held-out item that is excluded is not ranked (a miss).
        candidates: restrict the ranking to these items and the held-out ones (sampled
            evaluation), same forms.

    Returns:
        A :class:`TargetRanks`; ``positions(ties)`` turns it into ranks.

    Raises:
        ValueError: NaN scores (naming the row), targets out of range or repeated,
            malformed masks.

    Example:
        >>> import numpy as np
        >>> scores = np.array([[0.0, 0.9, 0.5, 0.5, 0.1]])  # ids 0 (padding) .. 4
        >>> tr = target_ranks(scores, [2])                   # item 2 ties with item 3
        >>> tr.positions("pessimistic").tolist(), tr.positions("optimistic").tolist()
        ([[3.0]], [[2.0]])
        >>> target_ranks(scores, [2], exclude=[[2]]).positions("pessimistic").tolist()
        [[inf]]
    """
    where = "target_ranks"
    scores = check_scores(scores, where)
    b, n_ids = scores.shape
    targets = as_targets(targets, b, n_ids, where)
    valid = targets != 0
    known = targets > 0
    rankable = np.ones((b, n_ids), bool)
    rankable[:, 0] = False
    if exclude is not None:
        rankable &= ~id_mask(exclude, (b, n_ids), "exclude", where)
    held = np.zeros((b, n_ids), bool)
    np.put_along_axis(held, np.where(known, targets, 0), True, axis=1)
    held[:, 0] = False
    if candidates is not None:  # sampled evaluation: the draw plus the held-out items
        rankable &= id_mask(candidates, (b, n_ids), "candidates", where) | held
    ranked = known & np.take_along_axis(rankable, np.where(known, targets, 0), axis=1)
    other = rankable & ~held

    r = targets.shape[1]
    target_scores = np.take_along_axis(scores, np.where(known, targets, 0), axis=1)  # (B, R)
    higher_other = np.zeros((b, r), np.int64)
    tied_other = np.zeros((b, r), np.int64)
    rows = max(1, _CHUNK_ELEMENTS // max(1, r * n_ids))
    for start in range(0, b, rows):  # chunks of users bound the (rows, R, n_ids) temporaries
        sl = slice(start, start + rows)
        s = scores[sl, None, :]  # (rows, 1, n_ids)
        t = target_scores[sl, :, None]  # (rows, R, 1)
        o = other[sl, None, :]
        higher_other[sl] = np.sum(o & (s > t), axis=2)
        tied_other[sl] = np.sum(o & (s == t), axis=2)

    # among the user's own ranked held-out items: (B, R, R)
    ts_k, ts_l = target_scores[:, :, None], target_scores[:, None, :]
    both = ranked[:, :, None] & ranked[:, None, :] & ~np.eye(r, dtype=bool)[None]
    higher_held = np.sum(both & (ts_l > ts_k), axis=2)
    tied = both & (ts_l == ts_k)
    tied_held = np.sum(tied, axis=2)
    earlier = np.tril(np.ones((r, r), bool), k=-1)[None]  # slot l < slot k
    order = higher_held + np.sum(tied & earlier, axis=2)

    zero = np.zeros((b, r), np.int64)
    return TargetRanks(
        valid=valid,
        ranked=ranked,
        higher_other=np.where(ranked, higher_other, zero),
        tied_other=np.where(ranked, tied_other, zero),
        higher_held=np.where(ranked, higher_held, zero),
        tied_held=np.where(ranked, tied_held, zero),
        order=np.where(ranked, order, zero),
        n_relevant=valid.sum(axis=1),
        n_ranked=ranked.sum(axis=1),
        n_candidates=rankable.sum(axis=1),
    )


@implements("eq-rank")
def ranks(
    scores: Any,
    targets: Any,
    *,
    ties: str = "pessimistic",
    exclude: Any | None = None,
    candidates: Any | None = None,
) -> np.ndarray:
    """1-based ranks of the held-out items, ``(B, R)`` float (NaN in padded slots).

    A shortcut for ``target_ranks(...).positions(ties)``; see :func:`target_ranks`.
    ``ties="expected"`` gives the expected rank under a random order of ties.

    Example:
        >>> import numpy as np
        >>> ranks(np.array([[0.0, 1.0, 1.0, 1.0]]), [3], ties="expected").tolist()  # 1 + 2/2
        [[2.0]]
    """
    check_ties(ties, "ranks")
    return target_ranks(scores, targets, exclude=exclude, candidates=candidates).positions(ties)


def reduce_users(values: np.ndarray, tr: TargetRanks, reduction: str, where: str) -> Any:
    """Mean over users with held-out items, or the per-user values (NaN for the others)."""
    if reduction not in ("mean", "none"):
        raise ValueError(f"{where}: reduction={reduction!r}; expected 'mean' or 'none'")
    values = np.where(tr.has_targets, values, np.nan)
    if reduction == "none":
        return values
    if not tr.has_targets.any():
        raise ValueError(f"{where}: no user has a held-out item; the mean is undefined")
    defined = ~np.isnan(values)
    if not defined.any():
        raise ValueError(f"{where}: the metric is undefined for every user with held-out items")
    return float(np.mean(values[defined]))
