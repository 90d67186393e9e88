"""The loss-threshold membership-inference attack: its AUC, advantage and interval."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score, roc_curve

from reclab.data import Sequences
from reclab.data.batching import causal_arrays
from reclab.losses import full_softmax_cross_entropy
from reclab.models import SASRec, SASRecConfig
from reclab.privacy import advantage_bound, membership_inference, user_losses

losses = st.lists(st.integers(0, 8).map(lambda v: v / 4), min_size=1, max_size=30)


@given(losses, losses)
def test_auc_and_advantage_agree_with_sklearn(members, others):
    got = membership_inference(members, others)
    labels = np.r_[np.ones(len(members)), np.zeros(len(others))]
    scores = -np.r_[members, others]  # a lower loss means "member"
    if len(set(labels)) == 2:
        assert got["auc"] == pytest.approx(roc_auc_score(labels, scores))
        fpr, tpr, _ = roc_curve(labels, scores)
        assert got["advantage"] == pytest.approx(max(0.0, np.max(tpr - fpr)))
    guessed = np.r_[members] <= got["threshold"], np.r_[others] <= got["threshold"]
    if got["advantage"] > 0:  # the threshold reaches the advantage it reports
        assert np.mean(guessed[0]) - np.mean(guessed[1]) == pytest.approx(got["advantage"])


def test_identical_groups_give_no_advantage_and_separated_ones_the_most():
    same = membership_inference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same["auc"] == 0.5 and same["advantage"] == 0.0
    apart = membership_inference([0.1, 0.2], [0.5, 0.6, 0.7])
    assert apart["auc"] == 1.0 and apart["advantage"] == 1.0 and apart["threshold"] == 0.2


def test_bootstrap_interval_holds_the_advantage_and_is_repeatable():
    rng = np.random.default_rng(0)
    members, others = rng.normal(0.0, 1.0, 300), rng.normal(0.5, 1.0, 300)
    a = membership_inference(members, others, n_bootstrap=200, seed=3)
    b = membership_inference(members, others, n_bootstrap=200, seed=3)
    assert a == b
    assert a["advantage_ci_low"] <= a["advantage"] <= a["advantage_ci_high"]
    assert 0 < a["advantage_ci_low"]  # a shift of half a standard deviation is visible
    assert a["auc_ci_low"] <= a["auc"] <= a["auc_ci_high"]
    assert a["auc_ci_low"] > 0.5  # members' losses are lower: the attack beats a coin


@pytest.mark.parametrize(
    ("members", "others", "message"),
    [
        ([], [1.0], "member_losses is empty"),
        ([1.0], [np.nan], "non_member_losses holds a NaN"),
    ],
)
def test_bad_losses_are_refused(members, others, message):
    with pytest.raises(ValueError, match=message):
        membership_inference(members, others)


def test_user_losses_are_each_users_mean_over_their_positions():
    keras.utils.set_random_seed(0)
    model = SASRec(12, SASRecConfig(max_len=4, dim=8, num_blocks=1))
    model.build()
    seqs = Sequences.from_lists([[1, 2, 3, 4, 5, 6], [7, 8], [9], [3, 5, 7]])
    got = user_losses(model, seqs)
    assert got.shape == (3,)  # the user with one item has nothing to predict
    arrays = causal_arrays(seqs, 4)
    for u, (x, y) in enumerate(zip(arrays["inputs"], arrays["targets"], strict=True)):
        real = y > 0
        per = full_softmax_cross_entropy(
            tf.constant(y[None]), model(tf.constant(x[None])), reduction="none"
        ).numpy()[0]
        assert got[u] == pytest.approx(per[real].mean(), rel=1e-5)


def test_advantage_bound_is_the_hypothesis_testing_limit():
    # TPR <= e^eps FPR + delta and 1 - FPR <= e^eps (1 - TPR) + delta meet where TPR - FPR
    # is largest: check the closed form against a brute force over FPR on a fine grid
    for epsilon, delta in [(0.5, 0.0), (1.0, 1e-5), (4.0, 1e-3)]:
        fpr = np.linspace(0, 1, 200_001)
        tpr = np.minimum.reduce(
            [
                np.exp(epsilon) * fpr + delta,
                1 - np.exp(-epsilon) * (1 - fpr - delta),
                np.ones_like(fpr),
            ]
        )
        assert advantage_bound(epsilon, delta) == pytest.approx(np.max(tpr - fpr), abs=1e-5)
    assert advantage_bound(float("inf"), 1e-5) == 1.0
    assert advantage_bound(0.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="epsilon must be a finite number >= 0"):
        advantage_bound(-1.0, 1e-5)
