"""The cold-start protocol: cold items never reach training, their test targets are all kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reclab.data import ShopConfig, SyntheticShop, prepare_next_item_data
from reclab.evaluation import cold_start_split


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return SyntheticShop(ShopConfig.toy(seed=3)).generate()


@pytest.mark.parametrize("strategy", ["newest", "random"])
def test_cold_items_occur_only_as_test_targets(events, strategy):
    cs = cold_start_split(events, share=0.2, strategy=strategy, seed=1)
    data = cs.data
    assert len(cs.cold_items) == round(0.2 * events["item_id"].nunique())
    assert not cs.is_cold(data.train.items).any()
    assert not cs.is_cold(data.validation.targets).any()
    assert not cs.is_cold(data.test.histories).any()  # nor in the histories the models read
    cold_targets = cs.is_cold(data.test.targets)
    assert cold_targets.sum() == cs.report.details["cold_test_targets"] > 0
    assert len(cs.test("cold")) + len(cs.test("warm")) == len(cs.test("all"))
    assert cs.is_cold(cs.test("cold").targets).all()
    assert not cs.is_cold(cs.test("warm").targets).any()
    # The catalogue keeps the cold items (so every model scores them); they have no events.
    catalogue = set(data.items.raw_ids.tolist())
    trained = set(data.items.decode(data.train.items).tolist())
    assert catalogue == trained | set(data.items.decode(cs.cold_items).tolist())
    assert (data.item_counts()[cs.cold_items] == 0).all()


def test_newest_items_are_the_latest_to_appear(events):
    cs = cold_start_split(events, share=0.1)
    first = events.groupby("item_id")["timestamp"].min()
    cold_raw = cs.data.items.decode(cs.cold_items)
    assert first.loc[cold_raw].min() >= first.drop(cold_raw).max()


def test_warm_targets_and_histories_match_the_plain_protocol_without_cold_items(events):
    cs = cold_start_split(events, share=0.0)
    plain = prepare_next_item_data(events)
    assert len(cs.cold_items) == 0
    assert np.array_equal(cs.data.train.items, plain.train.items)
    assert np.array_equal(cs.data.test.targets, plain.test.targets)


def test_random_choice_is_seeded(events):
    a = cold_start_split(events, strategy="random", seed=5).cold_items
    assert np.array_equal(a, cold_start_split(events, strategy="random", seed=5).cold_items)
    assert not np.array_equal(a, cold_start_split(events, strategy="random", seed=6).cold_items)


def test_bad_arguments_say_what_was_wrong(events):
    with pytest.raises(ValueError, match="share"):
        cold_start_split(events, share=1.0)
    with pytest.raises(ValueError, match="strategy"):
        cold_start_split(events, strategy="oldest")
    with pytest.raises(ValueError, match="targets"):
        cold_start_split(events).test("lukewarm")


def test_a_shelf_ranks_only_its_items_and_random_ranking_hits_k_over_its_size(events):
    from reclab.evaluation import Shelf, evaluate_model
    from reclab.models import Popularity

    cs = cold_start_split(events, share=0.3)
    model = Popularity(cs.data.num_items).fit(cs.data.train)
    shelf = Shelf(model, cs.cold_items)
    scores = shelf.score(cs.test("cold").histories)
    assert np.isneginf(np.delete(scores, cs.cold_items, axis=1)).all()
    # Popularity gives every cold item a count of 0: with pessimistic ties, rank = shelf size.
    table = evaluate_model(shelf, cs.test("cold")).set_index("metric")["value"]
    assert table["HR@10"] == (0.0 if len(cs.cold_items) > 10 else 1.0)
    with pytest.raises(ValueError, match="non-empty set of ids"):
        Shelf(model, [])


def test_evaluate_and_compare_measure_warm_cold_and_the_shelf(events):
    from reclab.evaluation import COLD_START_PARTS, Shelf, compare_models, evaluate_model
    from reclab.models import MarkovChain, Popularity

    cs = cold_start_split(events, share=0.2, strategy="random", seed=1)
    pop = Popularity(cs.data.num_items).fit(cs.data.train)
    markov = MarkovChain(cs.data.num_items).fit(cs.data.train)
    parts = cs.evaluate(markov)
    assert tuple(parts) == COLD_START_PARTS
    shelf = evaluate_model(Shelf(markov, cs.cold_items), cs.test("cold")).set_index("metric")
    assert parts["cold_shelf"]["HR@10"] == shelf.loc["HR@10", "value"]
    assert parts["warm"]["users"] == len(cs.test("warm"))
    assert parts["cold"]["users"] == parts["cold_shelf"]["users"] == len(cs.test("cold"))
    assert parts["cold"]["HR@10"] == 0.0  # trained on none of them, Markov never ranks them up
    paired = cs.compare(markov, pop, "cold_shelf", names=("markov", "pop"))
    direct = compare_models(
        Shelf(markov, cs.cold_items), Shelf(pop, cs.cold_items), cs.test("cold"),
        names=("markov", "pop"),
    )  # fmt: skip
    assert paired == direct
    with pytest.raises(ValueError, match="where"):
        cs.part(markov, "shelf")
