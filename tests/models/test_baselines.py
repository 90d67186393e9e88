"""Count-based baselines: most-popular and first-order Markov transitions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reclab import data, evaluation, models

N = 29  # item ids 1..29, 0 = padding


def _histories(seed=3, users=23, length=6):
    rng = np.random.default_rng(seed)
    histories = rng.integers(1, N + 1, size=(users, length))
    histories[:3, :2] = 0  # left padding
    return histories


def _sequences(histories):
    """The same events as a reclab.data.Sequences (padding dropped)."""
    rows = [row[row > 0] for row in histories]
    lengths = np.array([len(r) for r in rows])
    offsets = np.r_[0, np.cumsum(lengths)]
    items = np.concatenate(rows)
    return data.Sequences(np.arange(1, len(rows) + 1), offsets, items, np.zeros_like(items))


@pytest.mark.formula("eq-popularity")
def test_popularity_matches_a_loop():
    histories = _histories()
    pop = models.Popularity(N).fit(histories)
    scores = pop.score(histories[:2])
    counts = np.zeros(N + 1)
    for row in histories:
        for i in row:
            counts[i] += 1
    assert scores.shape == (2, N + 1)
    assert np.all(np.isneginf(scores[:, 0]))
    np.testing.assert_array_equal(scores[0, 1:], counts[1:])
    np.testing.assert_array_equal(scores[1], scores[0])  # the same list for everyone
    assert isinstance(pop, models.Scorer)


@pytest.mark.formula("eq-markov-transition")
@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_markov_chain_matches_a_loop(weight):
    histories = _histories()
    scores = models.MarkovChain(N, popularity_weight=weight).fit(histories).score(histories)
    follows = np.zeros((N + 1, N + 1))
    counts = np.zeros(N + 1)
    for row in histories:
        for i in row:
            counts[i] += 1
        for a, b in itertools.pairwise(row):
            if a and b:
                follows[a, b] += 1
    counts[0] = 0
    assert scores.shape == (len(histories), N + 1)
    assert np.all(np.isneginf(scores[:, 0]))
    for u, row in enumerate(histories):
        want = follows[row[-1]] + weight * counts / counts.max()
        np.testing.assert_allclose(scores[u, 1:], want[1:])


def test_sequences_and_padded_arrays_fit_the_same_counts():
    histories = _histories(seed=5)
    seqs = _sequences(histories)
    for model in (models.Popularity, models.MarkovChain):
        a = model(N).fit(histories).score(histories)
        b = model(N).fit(seqs).score(histories)
        np.testing.assert_array_equal(a, b)
    # no transition across two users: the last item of user 1 -> first item of user 2
    mc = models.MarkovChain(N).fit(seqs)
    total = sum(mc.transition_counts(i).sum() for i in range(N + 1))
    assert total == sum(max(len(r[r > 0]) - 1, 0) for r in histories)


def test_padding_only_history_scores_the_prior_only():
    histories = _histories()
    mc = models.MarkovChain(N, popularity_weight=0.5).fit(histories)
    empty = mc.score(np.zeros((1, 4), dtype=int))
    assert empty[0, 1:].max() <= 0.5  # no transition from padding, only the popularity prior


def test_baselines_plug_into_the_evaluator():
    histories = _histories()
    targets = np.random.default_rng(0).integers(1, N + 1, size=len(histories))
    for model in (models.Popularity(N), models.MarkovChain(N)):
        model.fit(histories)
        got = evaluation.evaluate_full_ranking(
            models.score_fn(model), histories, targets, ks=(5,), metrics=["hr"]
        )
        assert 0.0 <= got["HR@5"] <= 1.0


def test_baselines_reject_bad_input():
    with pytest.raises(ValueError, match=r"\(U, L\) integer array"):
        models.MarkovChain(N).fit(np.zeros(3, int))
    with pytest.raises(ValueError, match="outside"):
        models.Popularity(N).fit(np.full((2, 2), N + 1))
    with pytest.raises(ValueError, match="num_items"):
        models.Popularity(0)
    with pytest.raises(ValueError, match="popularity_weight"):
        models.MarkovChain(N, popularity_weight=-1.0)
    with pytest.raises(ValueError, match="not fitted"):
        models.MarkovChain(N).score(np.zeros((1, 2), int))
    with pytest.raises(ValueError, match=r"\(B, L\) integer array"):
        models.Popularity(N).fit(_histories()).score(np.zeros(3))
