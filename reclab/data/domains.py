r"""Two shops cut from one log: disjoint catalogues, disjoint customers, linked only by content.

Transfer learning asks whether what a model learned in one domain helps in another. For a
recommender the hard and honest case is a target shop that shares *nothing* with the source but
the kind of things it sells: other items, other customers. Its id table cannot be transferred
(its items are new), but the sequence encoder (how a history turns into a preference) and a
content tower (how a description turns into an item vector) can.

:func:`two_domains` builds that case from one interaction log. The catalogue is cut in two, by a
rule the caller chooses (a genre group, an era, a seeded random half: ``source_items``), and the
users at random into two disjoint groups. The **source** domain is the source users' events on
source items, the **target** domain the target users' events on the other items; an event of a
source user on a target item (or the reverse) belongs to neither and is dropped (counted in the
report). Each domain then goes through the book's usual pipeline (``preprocess``,
``prepare_next_item_data``); build both domains' content with the same ``fit_on`` table
(:func:`reclab.data.item_content`) so that their title words and genres share ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclab.checks import fraction as check_fraction
from reclab.data.reports import StepReport

__all__ = ["Domains", "two_domains"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Domains:
    """The two interaction tables of :func:`two_domains` (raw ids, the input's columns).

    Attributes:
        source: the source users' events on source items.
        target: the target users' events on target items.
        report: the events dropped (those across the two domains) and the sizes of each part.
    """

    source: pd.DataFrame
    target: pd.DataFrame
    report: StepReport


def two_domains(
    interactions: pd.DataFrame,
    source_items: np.ndarray | list[int],
    *,
    source_users: float = 0.5,
    seed: int = 0,
) -> Domains:
    """Cut a log into a source and a target domain with disjoint items and users.

    Args:
        interactions: an interaction table with ``user_id`` and ``item_id`` (other columns are
            kept).
        source_items: the raw item ids of the source catalogue; every other item of the log is
            the target catalogue.
        source_users: the share of users (drawn with ``seed``) in the source domain, in (0, 1).
        seed: the seed of the user draw.

    Raises:
        ValueError: ``source_users`` is not in (0, 1), or one domain has no events (all
            items on one side, or too few users).

    Example:
        >>> df = pd.DataFrame({"user_id": [1, 1, 2, 2, 3, 3, 4, 4],
        ...                    "item_id": [10, 20, 10, 20, 10, 20, 10, 20]})
        >>> d = two_domains(df, source_items=[10], seed=0)
        >>> d.source.item_id.unique().tolist(), d.target.item_id.unique().tolist()
        ([10], [20])
        >>> set(d.source.user_id) & set(d.target.user_id), len(d.source) + len(d.target)
        (set(), 4)
    """
    where = "two_domains"
    share = check_fraction(source_users, "source_users", where)
    if share == 0:
        raise ValueError(f"{where}: source_users must be in (0, 1), got 0")
    users = np.unique(interactions["user_id"].to_numpy())
    rng = np.random.default_rng(seed)
    chosen = rng.choice(users, size=round(share * len(users)), replace=False)
    in_source_users = interactions["user_id"].isin(chosen).to_numpy()
    in_source_items = interactions["item_id"].isin(np.asarray(source_items)).to_numpy()
    source = interactions[in_source_users & in_source_items]
    target = interactions[~in_source_users & ~in_source_items]
    for name, part in (("source", source), ("target", target)):
        if part.empty:
            raise ValueError(
                f"{where}: the {name} domain has no events ({len(chosen)} of {len(users)} users "
                f"in the source, {int(in_source_items.sum())} of {len(interactions)} events on "
                "source items)"
            )
    kept = len(source) + len(target)
    report = StepReport(
        "two_domains",
        len(interactions),
        kept,
        "events of a source user on a target item, or of a target user on a source item, "
        "belong to neither domain",
        {
            "source_events": len(source),
            "target_events": len(target),
            "source_users": int(source["user_id"].nunique()),
            "target_users": int(target["user_id"].nunique()),
            "source_items": int(source["item_id"].nunique()),
            "target_items": int(target["item_id"].nunique()),
        },
        users_in=len(users),
        users_out=int(source["user_id"].nunique() + target["user_id"].nunique()),
        items_in=int(interactions["item_id"].nunique()),
        items_out=int(source["item_id"].nunique() + target["item_id"].nunique()),
    )
    report.log(logger)
    return Domains(source.reset_index(drop=True), target.reset_index(drop=True), report)
