r"""The cold-start protocol: items held out of training entirely, seen only as test targets.

A shop adds items every day; a model is useful for them only if it can rank an item before anyone
has clicked it. :func:`cold_start_split` builds that situation from an interaction log:

1. the book's leave-last-out split (:func:`reclab.data.leave_last_out`);
2. a share of the catalogue is declared **cold**: by default the items that appeared last in the
   log (``strategy="newest"``, the new arrivals), or a seeded random sample (``"random"``);
3. every event of a cold item is removed from the training and validation splits and from the
   test histories; the **test targets are all kept**, so a cold item occurs only as the item a
   test user chose next.

The item id mapping covers the whole catalogue, cold items included (a shop knows what it sells),
so models score cold items like any other; an id-only model has never trained their rows, while a
content model (:class:`reclab.models.ItemContentTower`) can place them by what they are.
:meth:`ColdStartData.test` gives the test users whose target is cold, warm, or all of them, for
the same evaluators as every other chapter. Users whose every training event was on a cold item
have no history left and are dropped (counted in the report).

Ranked against the whole catalogue, a cold item competes with every item that has a history of
clicks, and popularity gives it a count of zero. A shop also shows new items on a shelf of their
own ("new arrivals"); :class:`Shelf` ranks only a given set of items, so a model can be measured
on that shelf too, where choosing at random puts the target in the top :math:`K` with
probability :math:`K / |\text{shelf}|`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reclab.checks import fraction as check_fraction
from reclab.checks import one_of
from reclab.data import (
    EvaluationSet,
    IdMapping,
    NextItemData,
    Split,
    StepReport,
    leave_last_out,
    next_item_data_from_split,
)
from reclab.evaluation.report import compare_models, evaluate_model

__all__ = ["COLD_START_PARTS", "COLD_STRATEGIES", "ColdStartData", "Shelf", "cold_start_split"]

#: How :func:`cold_start_split` chooses cold items: the latest to appear, or at random.
COLD_STRATEGIES = ("newest", "random")
#: The three ways :meth:`ColdStartData.evaluate` measures a model: warm targets and cold targets
#: against the whole catalogue, and cold targets on the new-arrivals shelf.
COLD_START_PARTS = ("warm", "cold", "cold_shelf")


@dataclass(frozen=True)
class ColdStartData:
    """A :class:`~reclab.data.NextItemData` whose cold items occur only as test targets.

    Attributes:
        data: the prepared data (its item mapping includes the cold items; its training and
            validation events and its test histories contain none of them).
        cold_items: encoded ids of the cold items, sorted.
        report: how many items were made cold, and the events and users removed.
    """

    data: NextItemData
    cold_items: np.ndarray
    report: StepReport

    def is_cold(self, items: np.ndarray) -> np.ndarray:
        """Whether each encoded item id is cold."""
        return np.isin(np.asarray(items), self.cold_items)

    def test(self, targets: str = "all") -> EvaluationSet:
        """The test users whose target is ``"cold"``, ``"warm"`` (any other) or ``"all"``."""
        one_of(targets, ("all", "cold", "warm"), "targets", "ColdStartData.test")
        test = self.data.test
        if targets == "all":
            return test
        cold = self.is_cold(test.targets)
        return test.subset(cold if targets == "cold" else ~cold)

    def part(self, model: Any, where: str) -> tuple[Any, EvaluationSet]:
        """``(scorer, users)`` of one of ``COLD_START_PARTS``: the model on
        the warm or the cold test users against the whole catalogue, or (``"cold_shelf"``) the
        cold test users with only the cold items ranked (:class:`Shelf`)."""
        one_of(where, COLD_START_PARTS, "where", "ColdStartData.part")
        if where == "warm":
            return model, self.test("warm")
        if where == "cold":
            return model, self.test("cold")
        return Shelf(model, self.cold_items), self.test("cold")

    def evaluate(
        self, model: Any, metrics: tuple[str, ...] = ("HR@10", "NDCG@10")
    ) -> dict[str, dict[str, float]]:
        """``metrics`` of ``model`` on each of ``COLD_START_PARTS`` (and
        ``"users"``: how many test users each part has), by
        :func:`reclab.evaluation.evaluate_model`."""
        out = {}
        for where in COLD_START_PARTS:
            table = evaluate_model(*self.part(model, where)).set_index("metric")
            values = {key: float(table.loc[key, "value"]) for key in metrics}
            out[where] = values | {"users": int(table["users"].iloc[0])}
        return out

    def compare(self, model_a: Any, model_b: Any, where: str, **options: Any) -> dict[str, Any]:
        """:func:`reclab.evaluation.compare_models` of two models on one of
        ``COLD_START_PARTS`` (on the shelf, both rank only the cold
        items)."""
        scorer_a, users = self.part(model_a, where)
        scorer_b, _ = self.part(model_b, where)
        return compare_models(scorer_a, scorer_b, users, **options)


class Shelf:
    """A model that ranks only ``items``: every other item scores ``-inf``.

    Args:
        model: a :class:`~reclab.models.Scorer`.
        items: the encoded ids on the shelf (e.g. :attr:`ColdStartData.cold_items`).

    Example:
        >>> from reclab.models import Popularity
        >>> shelf = Shelf(Popularity(4).fit(np.array([[1, 1, 2, 4, 4, 4]])), [2, 4])
        >>> shelf.score(np.array([[1]])).tolist()
        [[-inf, -inf, 1.0, -inf, 3.0]]
    """

    def __init__(self, model: Any, items: Any) -> None:
        self.model = model
        self.num_items = int(model.num_items)
        self.items = np.unique(np.asarray(items, dtype=np.int64))
        if self.items.size == 0 or self.items.min() < 1 or self.items.max() > self.num_items:
            raise ValueError(f"Shelf: items must be a non-empty set of ids in 1..{self.num_items}")
        self._off = np.ones(self.num_items + 1, bool)
        self._off[self.items] = False

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """The model's scores with every item off the shelf at ``-inf``."""
        scores = np.array(self.model.score(histories, users), dtype=np.float64)
        scores[:, self._off] = -np.inf
        return scores


def _choose_cold(interactions: pd.DataFrame, share: float, strategy: str, seed: int) -> np.ndarray:
    first = interactions.groupby("item_id")["timestamp"].min()
    items = first.index.to_numpy()
    k = round(share * len(items))
    if strategy == "newest":  # latest first appearance; ties by raw id, so the choice is unique
        order = np.lexsort((items, first.to_numpy()))
        return np.sort(items[order[len(items) - k :]])
    return np.sort(np.random.default_rng(seed).choice(items, size=k, replace=False))


def cold_start_split(
    interactions: pd.DataFrame,
    *,
    share: float = 0.2,
    strategy: str = "newest",
    seed: int = 0,
    tie_break: str = "input_order",
) -> ColdStartData:
    """Leave-last-out with a share of the items held out of training (see the module docstring).

    Args:
        interactions: a clean interaction table (``user_id``, ``item_id``, ``timestamp``).
        share: the share of distinct items made cold (0 <= share < 1).
        strategy: ``"newest"`` (the items whose first event is latest) or ``"random"``.
        seed: the seed of ``strategy="random"``.
        tie_break: the order of events with equal timestamps
            (:func:`reclab.data.sort_chronologically`).

    Example:
        >>> df = pd.DataFrame({"user_id": [1] * 4 + [2] * 4, "item_id": [1, 2, 3, 4, 2, 1, 3, 4],
        ...                    "timestamp": [1, 2, 3, 9, 4, 5, 6, 7]})
        >>> cs = cold_start_split(df, share=0.25)       # item 4 appears last: it is cold
        >>> cs.data.items.decode(cs.cold_items).tolist(), cs.data.train.items.tolist()
        ([4], [1, 2, 2, 1])
        >>> cs.data.items.decode(cs.test("cold").targets).tolist(), len(cs.test("warm"))
        ([4, 4], 0)
    """
    where = "cold_start_split"
    check_fraction(share, "share", where)
    if share >= 1:
        raise ValueError(f"{where}: share={share} leaves no item to train on; use share < 1")
    one_of(strategy, COLD_STRATEGIES, "strategy", where)
    split = leave_last_out(interactions, tie_break=tie_break)
    cold_raw = _choose_cold(interactions, share, strategy, seed)
    train = split.train[~split.train["item_id"].isin(cold_raw)]
    validation = split.validation[~split.validation["item_id"].isin(cold_raw)]
    kept_users = train["user_id"].unique()
    test = split.test[split.test["user_id"].isin(kept_users)]
    validation = validation[validation["user_id"].isin(kept_users)]
    report = StepReport(
        "cold_start",
        len(split.train) + len(split.validation),
        len(train) + len(validation),
        f"{len(cold_raw)} items ({strategy}) held out of training: their training and "
        "validation events removed, their test targets kept",
        {
            "cold_items": len(cold_raw),
            "cold_test_targets": int(test["item_id"].isin(cold_raw).sum()),
            "users_without_history": int(len(split.test) - len(test)),
        },
    )
    items = IdMapping.fit(np.concatenate([train["item_id"].to_numpy(), cold_raw]))
    users = IdMapping.fit(train["user_id"])
    data = next_item_data_from_split(
        Split(train, validation, test, split.report), items, users, tie_break=tie_break
    )
    cold = np.sort(items.encode(cold_raw).astype(np.int64))
    return ColdStartData(data, cold, report)
