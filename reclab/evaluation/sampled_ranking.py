"""Sampled evaluation: the held-out item against a few sampled negatives (to show why it misleads).

Krichene & Rendle (KDD 2020) showed that metrics over, say, 100 sampled negatives are not
consistent with the same metrics over the full catalogue: two models can swap places. This
evaluator exists so the book can show it; :func:`evaluate_full_ranking` is the protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from reclab.checks import positive_int
from reclab.evaluation.core import RankingProtocol, ScoreFn, score_users
from reclab.metrics._ranks import as_targets, id_mask
from reclab.seeding import as_generator

SAMPLING = ("uniform", "popularity")


def sample_candidates(
    rng: np.random.Generator,
    eligible: np.ndarray,
    num_negatives: int,
    probabilities: np.ndarray | None = None,
) -> np.ndarray:
    """Draw ``num_negatives`` distinct items per row among the ``eligible`` ones, as a mask.

    (Not to be confused with :func:`reclab.data.sample_negatives`, which draws training
    negatives as ids, with replacement.)

    Sampling without replacement, vectorised with random keys: uniform keys for uniform
    sampling, ``log p + Gumbel`` keys for sampling proportional to ``probabilities`` (the
    Gumbel-top-k trick); the ``num_negatives`` largest keys win. A row with fewer eligible
    items gets all of them.

    Args:
        rng: the generator that makes the draw repeatable.
        eligible: ``(B, n_ids)`` boolean, True where an item may be drawn.
        num_negatives: items per row, ``>= 1``.
        probabilities: ``(n_ids,)`` non-negative weights, or ``None`` for uniform.

    Returns:
        ``(B, n_ids)`` boolean mask of the drawn items.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> eligible = np.array([[False, True, True, False, True]])
        >>> drawn = sample_candidates(rng, eligible, 2)
        >>> int(drawn.sum()), bool(np.all(eligible[drawn]))
        (2, True)
    """
    eligible = np.asarray(eligible, bool)
    positive_int(num_negatives, "num_negatives", "sample_candidates")
    m = min(int(num_negatives), eligible.shape[1])
    if probabilities is None:
        keys = rng.random(eligible.shape)
    else:
        p = np.asarray(probabilities, np.float64)
        if p.shape != (eligible.shape[1],) or np.any(p < 0) or not np.isfinite(p).all():
            raise ValueError(
                "sample_candidates: probabilities must be non-negative, one per item id "
                f"(shape ({eligible.shape[1]},)), got shape {p.shape}"
            )
        with np.errstate(divide="ignore"):
            keys = np.log(p)[None, :] + rng.gumbel(size=eligible.shape)
        eligible = eligible & (p > 0)[None, :]
    keys = np.where(eligible, keys, -np.inf)
    top = np.argpartition(-keys, m - 1, axis=1)[:, :m]
    drawn = np.zeros(eligible.shape, bool)
    np.put_along_axis(drawn, top, True, axis=1)
    return drawn & eligible


def evaluate_sampled_ranking(
    score_fn: ScoreFn,
    inputs: Any,
    targets: Any,
    *,
    num_negatives: int = 100,
    sampling: str = "uniform",
    item_popularity: Any | None = None,
    rng: np.random.Generator | int = 0,
    ks: Sequence[int] = (10,),
    metrics: Iterable[str] = ("hr", "ndcg", "mrr"),
    ties: str = "pessimistic",
    exclude_seen: bool = True,
    seen: Any | None = None,
    batch_size: int = 256,
) -> dict[str, float]:
    """Rank each user's held-out items against ``num_negatives`` sampled items only.

    The negatives are drawn per user, without replacement, among the items that are neither
    held out nor (with ``exclude_seen``) seen, uniformly or proportionally to
    ``item_popularity``. Other arguments as in :func:`evaluate_full_ranking`; list metrics
    (coverage, ARP) are not defined here.

    Args:
        num_negatives: sampled negatives per user (100 in many papers).
        sampling: ``"uniform"`` or ``"popularity"``.
        item_popularity: sampling weights per item id, needed for ``"popularity"``.
        rng: a ``numpy.random.Generator`` or a seed; same seed, same negatives (whatever
            the batch size).

    Example:
        >>> histories = np.array([[0, 1], [1, 2]])
        >>> score_fn = lambda h: np.tile([0.0, 3.0, 2.0, 1.0, 0.5], (len(h), 1))
        >>> evaluate_sampled_ranking(score_fn, histories, [2, 3], num_negatives=1,
        ...                          ks=(1,), metrics=["hr"], rng=0)["users"]
        2
    """
    where = "evaluate_sampled_ranking"
    if sampling not in SAMPLING:
        raise ValueError(f"{where}: sampling={sampling!r}; expected one of {SAMPLING}")
    if sampling == "popularity" and item_popularity is None:
        raise ValueError(f"{where}: sampling='popularity' needs item_popularity")
    positive_int(num_negatives, "num_negatives", where)
    generator = as_generator(rng)
    weights = None if sampling == "uniform" else np.asarray(item_popularity, np.float64)

    def sample(shape: tuple[int, int], batch_targets: Any, exclude: Any) -> np.ndarray:
        held = as_targets(batch_targets, shape[0], shape[1], where).clip(0)  # -1: no id
        eligible = ~id_mask(held, shape, "targets", where)
        if exclude is not None:
            eligible &= ~id_mask(exclude, shape, "seen", where)
        eligible[:, 0] = False
        return sample_candidates(generator, eligible, num_negatives, weights)

    protocol = RankingProtocol(ks, metrics, ties, exclude_seen, batch_size)
    result = score_users(
        score_fn, inputs, targets, protocol, seen=seen, where=where, sample_candidates=sample
    )
    return result.means()
