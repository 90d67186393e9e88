"""Does a trained model give away whose history it learned from?

A loss-threshold membership-inference attack (Yeom et al. 2018): a model fits the users it
was trained on better than users it never saw, so an attacker who can query it guesses
"member" when a user's loss is below a threshold. Its *advantage*, the largest true-positive
rate minus false-positive rate over all thresholds, is 0 for a model that reveals nothing and
is bounded by :math:`(e^\\varepsilon - 1 + 2\\delta) / (e^\\varepsilon + 1)` for an
:math:`(\\varepsilon, \\delta)`-DP one (Humphries et al. 2023; the looser
:math:`e^\\varepsilon - 1` is Yeom et al.'s).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from reclab.checks import fraction, non_negative_int, number_at_least
from reclab.data.batching import causal_arrays
from reclab.data.sequences import Sequences
from reclab.losses.full_softmax import full_softmax_cross_entropy

__all__ = ["advantage_bound", "membership_inference", "user_losses"]

#: Users per forward pass of :func:`user_losses`.
LOSS_BATCH = 256


def user_losses(model: Any, sequences: Sequences) -> np.ndarray:
    """Every user's mean next-item cross-entropy on their own sequence, as the model sees it.

    The attacker's signal: for each user with 2 or more events, the latest ``max_len + 1``
    items are fed as in training and the full-softmax loss is averaged over the positions
    (inference mode: no dropout).

    Returns:
        Shape ``(U',)`` float64, one loss per user with a next item, in the order of
        ``sequences``.
    """
    arrays = causal_arrays(sequences, model.max_len)
    out = []
    for start in range(0, len(arrays["inputs"]), LOSS_BATCH):
        x = arrays["inputs"][start : start + LOSS_BATCH]
        y = arrays["targets"][start : start + LOSS_BATCH]
        logits = model(tf.constant(x), training=False)
        losses = full_softmax_cross_entropy(tf.constant(y), logits, reduction="none").numpy()
        real = y > 0  # positions with a next item (padding has target 0)
        out.append(np.where(real, losses, 0.0).sum(axis=1) / real.sum(axis=1))
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def _auc_and_advantage(members: np.ndarray, others: np.ndarray) -> tuple[float, float, float]:
    """AUC of "a lower loss means a member", the best TPR - FPR and its threshold."""
    losses = np.concatenate([members, others])
    is_member = np.r_[np.ones(len(members), bool), np.zeros(len(others), bool)]
    order = np.argsort(losses, kind="stable")
    losses, is_member = losses[order], is_member[order]
    # guess "member" for loss <= threshold; thresholds at each distinct loss (ties together)
    last_of_tie = np.r_[losses[1:] != losses[:-1], True]
    gaps = (np.cumsum(is_member) / len(members) - np.cumsum(~is_member) / len(others))[last_of_tie]
    best = int(np.argmax(gaps))
    advantage = max(0.0, float(gaps[best]))
    threshold = float(losses[last_of_tie][best]) if advantage > 0 else -np.inf
    # AUC = P(a member's loss < a non-member's) + P(tie) / 2, from mid-ranks (Mann-Whitney)
    _, inverse, counts = np.unique(np.r_[members, others], return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # 1-based, ties get their mean
    larger = ranks[len(members) :].sum() - len(others) * (len(others) + 1) / 2
    return float(larger / (len(members) * len(others))), advantage, threshold


def membership_inference(
    member_losses: Any, non_member_losses: Any, *, n_bootstrap: int = 0, seed: int = 0
) -> dict[str, float]:
    r"""The loss-threshold attack's success, from the losses of members and non-members.

    Args:
        member_losses: :func:`user_losses` of users the model was trained on.
        non_member_losses: the same for users it never saw (drawn like the members).
        n_bootstrap: resample both groups this many times for 95 % intervals of the AUC and
            the advantage (0: none).
        seed: seeds the resampling.

    Returns:
        ``auc`` (0.5: no better than a coin), ``advantage`` (:math:`\max_\tau` TPR - FPR),
        ``threshold`` (the loss :math:`\tau` at which it is reached), and with
        ``n_bootstrap``, 95 % intervals ``auc_ci_low``, ``auc_ci_high``,
        ``advantage_ci_low`` and ``advantage_ci_high``.

    Example:
        >>> r = membership_inference([0.1, 0.2, 0.9], [0.3, 0.8, 1.0])
        >>> round(r["auc"], 3), round(r["advantage"], 3), r["threshold"]
        (0.778, 0.667, 0.2)
    """
    where = "membership_inference"
    members = np.asarray(member_losses, dtype=np.float64).ravel()
    others = np.asarray(non_member_losses, dtype=np.float64).ravel()
    for name, values in (("member_losses", members), ("non_member_losses", others)):
        if len(values) == 0:
            raise ValueError(f"{where}: {name} is empty")
        if not np.isfinite(values).all():
            raise ValueError(f"{where}: {name} holds a NaN or infinite loss")
    n_bootstrap = non_negative_int(n_bootstrap, "n_bootstrap", where)
    auc, advantage, threshold = _auc_and_advantage(members, others)
    out = {"auc": auc, "advantage": advantage, "threshold": threshold}
    if n_bootstrap:
        rng = np.random.default_rng(seed)
        draws = np.array(
            [
                _auc_and_advantage(
                    rng.choice(members, len(members)), rng.choice(others, len(others))
                )[:2]
                for _ in range(n_bootstrap)
            ]
        )  # (n_bootstrap, 2): auc, advantage
        for column, name in enumerate(("auc", "advantage")):
            low, high = np.percentile(draws[:, column], [2.5, 97.5])
            out[f"{name}_ci_low"], out[f"{name}_ci_high"] = float(low), float(high)
    return out


def advantage_bound(epsilon: float, delta: float) -> float:
    r"""The largest membership advantage that an :math:`(\varepsilon, \delta)`-DP training allows.

    .. math::
        \mathrm{Adv} \le \frac{e^\varepsilon - 1 + 2\delta}{e^\varepsilon + 1}

    Any test of "was this user in the training set" has a true-positive rate of at most
    :math:`e^\varepsilon \mathrm{FPR} + \delta`, and so has its complement (the
    hypothesis-testing view of DP, Kairouz et al. 2015); the best TPR - FPR under both lines is
    the bound. It is 1 (vacuous) for :math:`\varepsilon = \infty`.

    Example:
        >>> round(advantage_bound(1.0, 1e-5), 3), advantage_bound(0.0, 0.01)
        (0.462, 0.01)
    """
    where = "advantage_bound"
    if isinstance(epsilon, (int, float)) and epsilon == math.inf:
        return 1.0  # no guarantee (no noise)
    epsilon = number_at_least(epsilon, 0.0, "epsilon", where)
    delta = fraction(delta, "delta", where, include_one=True)
    return min(1.0, (math.expm1(epsilon) + 2 * delta) / (math.exp(epsilon) + 1))
