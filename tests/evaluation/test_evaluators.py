"""Full and sampled evaluators over a scoring function."""

from __future__ import annotations

import numpy as np
import pytest

from reclab import evaluation, metrics

N_IDS = 30  # ids 1..29, 0 = padding


def _data(seed=0, users=23, length=6):
    rng = np.random.default_rng(seed)
    histories = rng.integers(1, N_IDS, size=(users, length))
    histories[:3, :2] = 0  # left padding
    targets = rng.integers(1, N_IDS, size=users)
    targets[5] = 0  # a user without a held-out item
    user_scores = rng.normal(size=(users, N_IDS)).round(1)  # rounding makes ties
    return rng, histories, targets, user_scores


def _score_fn(user_scores):
    """Scores per user, looked up by user id (the inputs are user ids)."""
    return lambda ids: user_scores[ids]


@pytest.mark.formula("eq-hr-at-k")
@pytest.mark.formula("eq-ndcg-at-k")
@pytest.mark.parametrize("batch_size", [1, 4, 100])
@pytest.mark.parametrize("ties", ["pessimistic", "expected"])
def test_full_ranking_equals_the_metric_functions(batch_size, ties):
    _, histories, targets, user_scores = _data()
    got = evaluation.evaluate_full_ranking(
        _score_fn(user_scores),
        np.arange(len(targets)),
        targets,
        ks=(1, 5),
        metrics=["hr", "ndcg", "recall", "mrr", "auc"],
        ties=ties,
        seen=histories,
        batch_size=batch_size,
    )
    for k in (1, 5):
        assert got[f"HR@{k}"] == pytest.approx(
            metrics.hit_rate_at_k(user_scores, targets, k, ties=ties, exclude=histories)
        )
        assert got[f"NDCG@{k}"] == pytest.approx(
            metrics.ndcg_at_k(user_scores, targets, k, ties=ties, exclude=histories)
        )
    assert got["MRR"] == pytest.approx(
        metrics.mrr(user_scores, targets, ties=ties, exclude=histories)
    )
    assert got["AUC"] == pytest.approx(
        metrics.auc(user_scores, targets, ties=ties, exclude=histories)
    )
    assert got["users"] == len(targets) - 1  # the user without a held-out item is skipped


def test_exclude_seen_is_an_explicit_choice():
    _, histories, targets, user_scores = _data()
    fn, ids = _score_fn(user_scores), np.arange(len(targets))
    kept = evaluation.evaluate_full_ranking(fn, ids, targets, exclude_seen=False)
    assert kept["HR@10"] == pytest.approx(metrics.hit_rate_at_k(user_scores, targets, 10))
    with pytest.raises(ValueError, match="exclude_seen=True needs the seen items"):
        evaluation.evaluate_full_ranking(fn, ids, targets)  # user ids: what was seen?
    # histories as inputs are their own seen items
    by_history = evaluation.evaluate_full_ranking(
        lambda h: user_scores[: len(h)] if len(h) == len(targets) else None,
        histories,
        targets,
        batch_size=len(targets),
    )
    assert by_history["HR@10"] == pytest.approx(
        metrics.hit_rate_at_k(user_scores, targets, 10, exclude=histories)
    )


@pytest.mark.formula("eq-catalogue-coverage")
@pytest.mark.formula("eq-popularity-bias")
def test_list_metrics_in_the_full_evaluator():
    _, histories, targets, user_scores = _data()
    phi = np.linspace(0, 1, N_IDS)
    got = evaluation.evaluate_full_ranking(
        _score_fn(user_scores),
        np.arange(len(targets)),
        targets,
        ks=(3,),
        metrics=["coverage", "arp"],
        seen=histories,
        item_popularity=phi,
        batch_size=7,
    )
    # reference lists: sort by score (ties by lower id), skip seen items and padding
    lists = []
    for u, row in enumerate(user_scores):
        order = [j for j in np.argsort(-row, kind="stable") if j != 0 and j not in histories[u]]
        lists.append(order[:3])
    lists = np.array(lists)
    assert got["Coverage@3"] == pytest.approx(metrics.catalogue_coverage(lists, N_IDS - 1))
    assert got["ARP@3"] == pytest.approx(metrics.popularity_bias(lists, phi))


def test_sampled_is_seeded_batch_independent_and_samples_only_unseen_items():
    _, histories, targets, user_scores = _data()
    ids = np.arange(len(targets))
    run = lambda **kw: evaluation.evaluate_sampled_ranking(  # noqa: E731
        _score_fn(user_scores), ids, targets, seen=histories, num_negatives=5, **kw
    )
    a, b = run(rng=7, batch_size=4), run(rng=7, batch_size=50)
    assert a == b
    assert run(rng=np.random.default_rng(7)) == a
    assert run(rng=8) != a
    # more negatives than eligible items: every unseen item is drawn -> the full ranking
    everything = evaluation.evaluate_sampled_ranking(
        _score_fn(user_scores), ids, targets, seen=histories, num_negatives=10_000
    )
    full = evaluation.evaluate_full_ranking(_score_fn(user_scores), ids, targets, seen=histories)
    assert everything == pytest.approx(full)


def test_sample_negatives_respects_eligibility_and_popularity():
    rng = np.random.default_rng(0)
    eligible = np.ones((2000, 6), bool)
    eligible[:, 0] = False
    eligible[:, 3] = False
    drawn = evaluation.sample_candidates(rng, eligible, 2, probabilities=[0, 8, 1, 1, 1, 1])
    assert np.all(drawn.sum(axis=1) == 2) and not drawn[:, [0, 3]].any()
    frequency = drawn.mean(axis=0)
    assert frequency[1] > 0.9 and frequency[2] < 0.5  # the popular item is almost always drawn
    uniform = evaluation.sample_candidates(rng, eligible, 2)
    np.testing.assert_allclose(uniform.mean(axis=0)[[1, 2, 4, 5]], 0.5, atol=0.05)


@pytest.mark.formula("eq-hr-at-k")
def test_constant_model_gets_chance_not_one_even_when_sampled():
    _, histories, targets, _ = _data()
    histories = np.where(histories == targets[:, None], 0, histories)  # no repeats here
    constant = lambda x: np.zeros((len(x), N_IDS))  # noqa: E731
    ids = np.arange(len(targets))
    sampled = evaluation.evaluate_sampled_ranking(
        constant, ids, targets, seen=histories, num_negatives=20, ks=(10,)
    )
    assert sampled["HR@10"] == 0.0  # pessimistic ties: the held-out item comes last
    expected = evaluation.evaluate_sampled_ranking(
        constant, ids, targets, seen=histories, num_negatives=20, ks=(10,), ties="expected"
    )
    assert expected["HR@10"] == pytest.approx(10 / 21)  # 10 slots, 21 candidates


def test_evaluators_report_bad_input_clearly():
    _, histories, targets, user_scores = _data()
    ids = np.arange(len(targets))
    bad = user_scores.copy()
    bad[9, 4] = np.nan
    with pytest.raises(ValueError, match=r"users 8\.\.11: target_ranks: scores hold NaN in row 1"):
        evaluation.evaluate_full_ranking(_score_fn(bad), ids, targets, seen=histories, batch_size=4)
    with pytest.raises(ValueError, match=r"score_fn returned shape \(4,\)"):
        evaluation.evaluate_full_ranking(
            lambda x: np.zeros(len(x)), ids, targets, seen=histories, batch_size=4
        )
    with pytest.raises(ValueError, match="unknown metric 'coverage'"):
        evaluation.evaluate_sampled_ranking(
            _score_fn(user_scores), ids, targets, seen=histories, metrics=["coverage"]
        )
    with pytest.raises(ValueError, match="'arp' needs item_popularity"):
        evaluation.evaluate_full_ranking(
            _score_fn(user_scores), ids, targets, seen=histories, metrics=["arp"]
        )
    with pytest.raises(ValueError, match="sampling='zipf'"):
        evaluation.evaluate_sampled_ranking(
            _score_fn(user_scores), ids, targets, seen=histories, sampling="zipf"
        )
    with pytest.raises(ValueError, match="no user has a held-out item"):
        evaluation.evaluate_full_ranking(
            _score_fn(user_scores), ids, np.zeros_like(targets), seen=histories
        )
