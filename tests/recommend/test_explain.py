"""Explaining one recommendation: deletion, gradient x input and attention, and their agreement."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from reclab.data import IdMapping
from reclab.models import MarkovChain, Popularity, SASRec, SASRecConfig
from reclab.recommend import (
    attention_importance,
    attribution_agreement,
    deletion_importance,
    explain,
    gradient_times_input,
    recommend,
)
from reclab.reference import explain as reference

NUM_ITEMS = 12
CONFIG = SASRecConfig(max_len=5, dim=8, num_blocks=2, num_heads=2, dropout=0.0)
#: Rows of every layout: short, full, one item, and one longer than max_len = 5.
HISTORIES = np.array(
    [
        [0, 0, 0, 3, 7, 1],
        [0, 2, 4, 6, 8, 10],
        [0, 0, 0, 0, 0, 5],
        [9, 11, 3, 3, 12, 2],
    ]
)
ITEMS = np.array([4, 1, 9, 7])


def _sasrec(config: SASRecConfig = CONFIG) -> SASRec:
    keras.utils.set_random_seed(0)
    model = SASRec(NUM_ITEMS, config)
    model.build()
    # Larger weights than the initialiser's, so that every attribution is far from 0.
    rng = np.random.default_rng(0)
    model.set_weights([w + 0.3 * rng.normal(size=w.shape) for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def model() -> SASRec:
    return _sasrec()


class Bag:
    """A bag-of-items linear scorer: ``s(i | S) = sum_t W[s_t, i]``, order ignored."""

    def __init__(self, num_items: int = NUM_ITEMS, seed: int = 0) -> None:
        self.num_items = num_items
        self.weights = np.random.default_rng(seed).normal(size=(num_items + 1, num_items + 1))
        self.weights[0] = 0.0  # padding contributes nothing
        self.calls: list[int] = []

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        self.calls.append(len(histories))
        scores = self.weights[np.asarray(histories)].sum(axis=1)  # (B, N + 1)
        scores[:, 0] = -np.inf
        return scores


# -- against the references -------------------------------------------------------------------
@pytest.mark.formula("eq-deletion-importance")
@pytest.mark.parametrize("which", ["sasrec", "markov", "bag"])
def test_deletion_matches_the_one_call_per_deletion_reference(model, which):
    train = np.array([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [7, 8, 9, 10, 11, 12]])
    scorer = {
        "sasrec": model,
        "markov": MarkovChain(NUM_ITEMS, popularity_weight=0.5).fit(train),
        "bag": Bag(),
    }[which]
    fast = deletion_importance(scorer, HISTORIES, ITEMS)
    slow = reference.deletion_importance(scorer, HISTORIES, ITEMS)
    np.testing.assert_allclose(fast, slow, atol=1e-5, equal_nan=True)


@pytest.mark.formula("eq-deletion-importance")
def test_deletion_is_a_real_deletion_not_a_mask(model):
    """Deleting s_t shifts the older items right; past max_len an older item comes in."""
    h = np.array([[9, 11, 3, 6, 12, 2]])  # max_len = 5: the model reads 11, 3, 6, 12, 2
    delta = deletion_importance(model, h, np.array([7]))[0]
    full = model.score(h)[0, 7]
    assert delta[0] == 0.0  # not read, and deleting it leaves the window unchanged
    brought_in = model.score(np.array([[0, 9, 11, 3, 12, 2]]))[0, 7]  # 6 deleted, 9 comes in
    assert delta[3] == pytest.approx(full - brought_in, abs=1e-5)
    masked = model.score(np.array([[9, 11, 3, 0, 12, 2]]))[0, 7]  # a masking, for contrast
    assert abs(delta[3] - (full - masked)) > 1e-3


@pytest.mark.formula("eq-gradient-input")
@pytest.mark.parametrize("norm_first", [True, False])
def test_gradient_x_input_matches_float64_central_differences(norm_first):
    model = _sasrec(SASRecConfig(**{**CONFIG.__dict__, "norm_first": norm_first}))
    h, items = HISTORIES[:, 1:], ITEMS  # max_len columns, as the reference reads them
    params = reference.sasrec_params(model)
    forward = reference.sasrec_scores(params, params["scale"] * params["table"][h], h != 0, items)
    np.testing.assert_allclose(forward, model.score(h)[np.arange(len(h)), items], atol=1e-5)
    fast = gradient_times_input(model, h, items)
    slow = reference.gradient_times_input(model, h, items)
    assert np.nanmax(np.abs(slow)) > 0.05  # far from a vacuous 0 = 0
    np.testing.assert_allclose(fast, slow, rtol=1e-3, atol=1e-5, equal_nan=True)


@pytest.mark.formula("eq-gradient-input")
def test_gradient_x_input_is_zero_where_the_model_does_not_read(model):
    g = gradient_times_input(model, HISTORIES, ITEMS)
    window = gradient_times_input(model, HISTORIES[:, 1:], ITEMS)
    assert g[3, 0] == 0.0  # older than max_len
    np.testing.assert_allclose(g[:, 1:], window, atol=1e-6, equal_nan=True)
    rows = [0, 2]  # at most 3 items: dropping padding columns leaves the same history
    short = gradient_times_input(model, HISTORIES[rows, 3:], ITEMS[rows])  # T < max_len
    np.testing.assert_allclose(short, window[rows, 2:], atol=1e-6, equal_nan=True)


def test_rollout_matches_the_reference_and_last_is_the_last_block_row(model):
    weights = model.attention(HISTORIES[:, 1:])  # (B, K, H, L, L)
    rollout = attention_importance(model, HISTORIES[:, 1:], method="rollout")
    last = attention_importance(model, HISTORIES[:, 1:], method="last")
    for b, h in enumerate(HISTORIES[:, 1:]):
        real = h != 0
        expected = reference.attention_rollout(weights[b], real)[-1]
        np.testing.assert_allclose(rollout[b][real], expected[real], atol=1e-6)
        np.testing.assert_allclose(last[b][real], weights[b, -1, :, -1, real].mean(-1), atol=1e-6)


def test_agreement_matches_the_reference_loop():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 7)), rng.normal(size=(40, 7))
    a[rng.random(a.shape) < 0.3] = np.nan
    b[:5] = np.round(b[:5])  # ties in the ranks and in the arg max
    a[6] = np.nan  # a history with nothing attributed is left out
    fast, slow = attribution_agreement(a, b), reference.attribution_agreement(a, b)
    assert fast.keys() == slow.keys()
    for key in fast:
        assert fast[key] == pytest.approx(slow[key], abs=1e-12), key
    assert fast["histories"] == 39


# -- properties -------------------------------------------------------------------------------
def test_a_model_that_ignores_the_history_gives_zero_deletion():
    pop = Popularity(NUM_ITEMS).fit(np.array([[1, 2, 2, 3, 5, 5, 5]]))
    delta = deletion_importance(pop, HISTORIES, ITEMS)
    real = HISTORIES != 0
    assert (delta[real] == 0.0).all() and np.isnan(delta[~real]).all()


def test_deletion_of_a_bag_of_items_scorer_is_the_items_contribution():
    bag = Bag()
    delta = deletion_importance(bag, HISTORIES, ITEMS)
    contribution = bag.weights[HISTORIES, ITEMS[:, None]]  # W[s_t, i]
    real = HISTORIES != 0
    np.testing.assert_allclose(delta[real], contribution[real], atol=1e-12)


def test_deletions_are_scored_in_as_few_calls_as_the_batch_allows():
    bag = Bag()
    rows = len(HISTORIES) + int((HISTORIES != 0).sum())  # the histories + one per real item
    deletion_importance(bag, HISTORIES, ITEMS)
    assert bag.calls == [rows]
    bag.calls.clear()
    deletion_importance(bag, HISTORIES, ITEMS, batch_size=8)
    assert bag.calls == [8] * (rows // 8) + ([rows % 8] if rows % 8 else [])


def test_padding_positions_are_nan_in_every_attribution(model):
    padding = HISTORIES == 0
    for values in (
        deletion_importance(model, HISTORIES, ITEMS),
        gradient_times_input(model, HISTORIES, ITEMS),
        attention_importance(model, HISTORIES),
        attention_importance(model, HISTORIES, method="rollout"),
    ):
        assert values.shape == HISTORIES.shape
        assert np.isnan(values[padding]).all() and np.isfinite(values[~padding]).all()


@pytest.mark.parametrize("method", ["last", "rollout"])
def test_attention_rows_are_weights_in_zero_one_summing_to_one(model, method):
    a = attention_importance(model, HISTORIES[:, 1:], method=method)
    real = a[~np.isnan(a)]
    assert (real >= 0).all() and (real <= 1).all()
    np.testing.assert_allclose(np.nansum(a, axis=1), 1.0, atol=1e-5)
    assert np.nansum(a[2]) == pytest.approx(1.0) and a[2, -1] == pytest.approx(1.0)  # one item


def test_explain_has_one_row_per_history_item_and_explains_the_top_unseen_one(model):
    history = [0, 0, 3, 7, 1, 7]
    table = explain(model, history)
    assert list(table.columns) == [
        "position",
        "item_id",
        "deletion",
        "gradient_x_input",
        "attention",
    ]
    assert table["item_id"].tolist() == [3, 7, 1, 7] and table["position"].tolist() == [1, 2, 3, 4]
    top = recommend(model, history, k=1)
    assert (
        table.attrs["item_id"] == int(top["item_id"][0]) and table.attrs["item_id"] not in history
    )
    assert table.attrs["score"] == pytest.approx(float(top["score"][0]), abs=1e-6)
    h, item = np.array([history]), np.array([table.attrs["item_id"]])
    np.testing.assert_allclose(table["deletion"], deletion_importance(model, h, item)[0, 2:])
    np.testing.assert_allclose(
        table["gradient_x_input"], gradient_times_input(model, h, item)[0, 2:]
    )
    np.testing.assert_allclose(table["attention"], attention_importance(model, h)[0, 2:])


def test_explain_adds_raw_ids_and_titles_and_takes_a_chosen_item(model):
    mapping = IdMapping.fit(np.arange(101, 101 + NUM_ITEMS))  # encoded 1..12 -> raw 101..112
    items = pd.DataFrame(
        {"item_id": np.arange(101, 101 + NUM_ITEMS), "title": [f"m{i}" for i in range(NUM_ITEMS)]}
    )
    table = explain(model, [3, 7, 1], 5, item_mapping=mapping, items=items)
    assert list(table.columns)[:4] == ["position", "item_id", "raw_item_id", "title"]
    assert table["raw_item_id"].tolist() == [103, 107, 101]
    assert table["title"].tolist() == ["m2", "m6", "m0"]
    assert table.attrs["item_id"] == 5 and table.attrs["raw_item_id"] == 105
    assert table.attrs["title"] == "m4"
    assert table.attrs["score"] == pytest.approx(float(model.score(np.array([[3, 7, 1]]))[0, 5]))


def test_explain_of_a_model_without_gradients_or_attention_gives_deletion_only():
    bag = Bag()
    table = explain(bag, [0, 2, 5])
    assert len(table) == 2 and table["item_id"].tolist() == [2, 5]
    item = table.attrs["item_id"]
    np.testing.assert_allclose(table["deletion"], bag.weights[[2, 5], item])
    assert table["gradient_x_input"].isna().all() and table["attention"].isna().all()


def test_agreement_of_an_attribution_with_itself_is_perfect():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(10, 6))
    a[:, :2] = np.nan
    result = attribution_agreement(a, a, per_history=True)
    assert result["top1_agreement"] == 1.0 and result["spearman"] == pytest.approx(1.0)
    assert result["top1_chance"] == pytest.approx(0.25)
    assert result["top1_match"].shape == (10,) and result["spearman_per_history"].shape == (10,)


# -- invalid input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "word"),
    [
        (lambda m: deletion_importance(m, [1, 2], [3]), ValueError, "histories"),
        (lambda m: deletion_importance(m, [[1, 2]], [3, 4]), ValueError, "items"),
        (lambda m: deletion_importance(m, [[1, 2]], [0]), ValueError, "items"),
        (lambda m: deletion_importance(m, [[1, 2]], [NUM_ITEMS + 1]), ValueError, "items"),
        (lambda m: deletion_importance(m, [[1, 2]], [1.5]), ValueError, "items"),
        (lambda m: deletion_importance(m, [[1, 2]], [3], batch_size=0), ValueError, "batch_size"),
        (lambda m: deletion_importance(m, [[1, 2]], [3], users=[1, 2]), ValueError, "users"),
        (lambda m: deletion_importance(object(), [[1, 2]], [3]), TypeError, "model"),
        (lambda m: gradient_times_input(Bag(), [[1, 2]], [3]), TypeError, "SASRec"),
        (lambda m: gradient_times_input(m, [[1, -2]], [3]), ValueError, "histories"),
        (lambda m: attention_importance(Bag(), [[1, 2]]), TypeError, "SASRec"),
        (lambda m: attention_importance(m, [[1, 2]], method="mean"), ValueError, "method"),
        (lambda m: explain(m, [[1, 2]]), ValueError, "history"),
        (lambda m: explain(m, [1, 2], 0), ValueError, "item must be item ids"),
        (lambda m: explain(m, [1, 2], "3"), ValueError, "item"),
        (lambda m: explain(m, [1, 2], attention_method="max"), ValueError, "attention_method"),
        (lambda m: explain(m, [1, 2], items=pd.DataFrame()), ValueError, "item_mapping"),
        (lambda m: explain(m, list(range(1, NUM_ITEMS + 1))), ValueError, "unseen"),
        (lambda m: attribution_agreement(np.ones(3), np.ones(3)), ValueError, "a must"),
        (lambda m: attribution_agreement(np.ones((2, 3)), np.ones((3, 2))), ValueError, "b must"),
        (
            lambda m: attribution_agreement(np.full((1, 2), np.nan), np.ones((1, 2))),
            ValueError,
            "NaN",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_argument(model, call, error, word):
    with pytest.raises(error, match=word):
        call(model)


def test_rollout_refuses_hstu_attention():
    keras.utils.set_random_seed(0)
    hstu = SASRec(NUM_ITEMS, SASRecConfig(max_len=4, dim=8, block="hstu", dropout=0.0))
    with pytest.raises(ValueError, match="rollout"):
        attention_importance(hstu, [[1, 2]], method="rollout")
    assert attention_importance(hstu, [[0, 1, 2]]).shape == (1, 3)
