"""evaluate_model: the evaluator's means, seeded bootstrap intervals, a tidy table."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.evaluation import bootstrap_ci, evaluate_full_ranking, evaluate_model, results_table
from reclab.models import MarkovChain, Popularity, score_fn


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    histories = rng.integers(0, 31, size=(300, 12))
    targets = rng.integers(1, 31, size=300)
    model = MarkovChain(30, popularity_weight=0.5).fit(histories)
    return model, histories, targets


def test_means_are_the_full_ranking_evaluators(toy):
    model, histories, targets = toy
    table = evaluate_model(model, (histories, targets), ks=(5, 10), metrics=("hr", "ndcg", "mrr"))
    expected = evaluate_full_ranking(
        score_fn(model), histories, targets, ks=(5, 10), metrics=("hr", "ndcg", "mrr")
    )
    assert table["metric"].tolist() == ["HR@5", "HR@10", "NDCG@5", "NDCG@10", "MRR"]
    for row in table.itertuples():
        assert row.value == pytest.approx(expected[row.metric])
        assert row.ci_low <= row.value <= row.ci_high
        assert row.users == expected["users"]
    assert list(table.columns) == [
        "model",
        "split",
        "targets",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "users",
    ]
    assert table["model"].iloc[0] == "MarkovChain"


def test_intervals_are_seeded_and_shrink_with_users(toy):
    model, histories, targets = toy
    a = evaluate_model(model, (histories, targets), seed=1)
    b = evaluate_model(model, (histories, targets), seed=1)
    assert a.equals(b)
    small = evaluate_model(model, (histories[:60], targets[:60]), seed=1)
    width = lambda t: (t["ci_high"] - t["ci_low"]).to_numpy()  # noqa: E731
    assert (width(small) > width(a)).all()


@pytest.mark.formula("eq-bootstrap-ci")
def test_bootstrap_interval_matches_a_direct_resampling():
    values = np.r_[np.ones(30), np.zeros(70)]
    low, high = bootstrap_ci(values, n_bootstrap=2000, confidence=0.9, seed=0)
    rng = np.random.default_rng(0)
    means = np.concatenate(
        [values[rng.integers(0, 100, size=(100, 100))].mean(1) for _ in range(20)]
    )
    assert (low, high) == pytest.approx(tuple(np.quantile(means, [0.05, 0.95])))
    # the normal approximation: 0.3 +- 1.645 * sqrt(0.3 * 0.7 / 100) = [0.225, 0.375]
    assert low == pytest.approx(0.225, abs=0.02) and high == pytest.approx(0.375, abs=0.02)


def test_scoring_functions_and_seen_items(toy):
    _, histories, targets = toy
    pop = Popularity(30).fit(histories)
    kept = evaluate_model(pop.score, (histories, targets), exclude_seen=False, name="pop")
    removed = evaluate_model(pop, (histories, targets), name="pop")
    assert kept["model"].iloc[0] == "pop"
    assert not np.allclose(kept["value"], removed["value"])


def test_results_table_is_one_row_per_model(toy):
    model, histories, targets = toy
    pop = Popularity(30).fit(histories)
    tables = [
        evaluate_model(m, (histories, targets), name=n)
        for n, m in [("Markov", model), ("Popularity", pop)]
    ]
    wide = results_table(tables, split="test")
    assert wide.index.tolist() == ["Markov", "Popularity"]
    assert wide.columns.tolist() == ["HR@10", "NDCG@10"]
    assert wide.iloc[0, 0].count("[") == 1


def test_bad_inputs_are_named():
    with pytest.raises(TypeError, match="EvaluationSet"):
        evaluate_model(Popularity(3), [1, 2])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(np.ones(3), confidence=1.5)


@pytest.mark.formula("eq-paired-bootstrap")
def test_paired_interval_matches_a_direct_resampling_and_is_narrower(toy):
    from reclab.evaluation import compare_models, paired_bootstrap_ci, per_user_metrics
    from reclab.models import Popularity

    model, histories, targets = toy
    other = Popularity(30).fit(histories)
    data = (histories, targets)
    a = per_user_metrics(model, data, metrics=("ndcg",))["NDCG@10"].to_numpy()
    b = per_user_metrics(other, data, metrics=("ndcg",))["NDCG@10"].to_numpy()
    diff, low, high = paired_bootstrap_ci(a, b, n_bootstrap=500, seed=3)
    rng = np.random.default_rng(3)  # by hand: the same users resampled for both models
    means = [np.mean((a - b)[rng.integers(0, len(a), len(a))]) for _ in range(500)]
    assert diff == pytest.approx(np.mean(a - b))
    assert (low, high) == pytest.approx(tuple(np.quantile(means, [0.025, 0.975])))
    result = compare_models(model, other, data, metric="NDCG@10", n_bootstrap=500, seed=3)
    assert result["difference"] == pytest.approx(diff) and result["users"] == len(a)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((low, high))
    separate = [bootstrap_ci(v, n_bootstrap=500, seed=3) for v in (a, b)]
    assert high - low < (separate[0][1] - separate[0][0]) + (separate[1][1] - separate[1][0])
    assert paired_bootstrap_ci(a, a) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same users"):
        paired_bootstrap_ci(a, b[:-1])


def test_per_user_values_say_what_kind_of_target_each_user_has():
    from reclab.evaluation import per_user_metrics
    from reclab.models import Popularity

    histories = np.array([[0, 1, 2], [0, 3, 4], [1, 2, 3]])
    targets = np.array([2, 5, -1])  # a repeat, a first-time item, an item outside the catalogue
    pop = Popularity(5).fit(histories)
    frame = per_user_metrics(pop, (histories, targets, np.array([7, 8, 9])), metrics=("hr",))
    assert frame["target"].tolist() == ["repeat", "first-time", "unknown"]
    assert frame["user"].tolist() == [7, 8, 9]
    assert frame.loc[0, "HR@10"] == 0.0 and frame.loc[2, "HR@10"] == 0.0  # both misses
    kept = per_user_metrics(pop, (histories, targets), metrics=("hr",), exclude_seen=False)
    assert kept.loc[0, "HR@10"] == 1.0  # without exclusion the repeat can be recommended
