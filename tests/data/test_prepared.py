"""The book's protocol object: every held-out user kept, ids from training, the exclusion rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reclab.data import (
    UNKNOWN_ITEM,
    ShopConfig,
    SyntheticShop,
    has_repeats,
    leave_last_out,
    prepare_next_item_data,
    preprocess,
)


def test_every_user_with_a_held_out_event_is_evaluated():
    # Regression: users whose test item never occurs in training were dropped (ML latest-small
    # without k-core: 610 -> 586 test users), an easier subset than other libraries report.
    config = ShopConfig(
        num_users=150, num_items=3000, num_categories=5, mean_events_per_user=10, seed=3
    )  # a long tail: some items are first seen in a held-out event
    frame = SyntheticShop(config).generate()
    clean = preprocess(frame, min_user_events=3, min_item_events=1).interactions
    prepared = prepare_next_item_data(clean)
    users_with_3 = int((clean.groupby("user_id").size() >= 3).sum())
    assert len(prepared.test) == len(prepared.validation) == users_with_3
    unknown = prepared.test.targets == UNKNOWN_ITEM
    assert unknown.sum() == prepared.test.target_counts()["unknown"]
    split = leave_last_out(clean)
    expected = ~np.isin(split.test.item_id, split.train.item_id)
    assert int(unknown.sum()) == int(expected.sum()) > 0
    assert prepared.reports[-1].details["test_unknown"] == int(unknown.sum())


def test_ids_are_fitted_on_training_events_and_users_are_encoded():
    df = pd.DataFrame(
        {"user_id": [70] * 4 + [9] * 4, "item_id": [1, 2, 3, 2, 3, 2, 1, 5],
         "timestamp": range(8)}
    )  # fmt: skip
    prepared = prepare_next_item_data(df)
    assert prepared.users.raw_ids.tolist() == [9, 70] and prepared.num_users == 2
    assert prepared.test.users.tolist() == [1, 2]  # encoded, in user order
    assert prepared.test.targets.tolist() == [UNKNOWN_ITEM, 2]  # user 9's item 5: unknown
    assert prepared.train.users.tolist() == [1, 2]
    # the test history holds training and validation events: user 70 saw 1, 2 and 3
    assert prepared.test.histories[1][prepared.test.histories[1] > 0].tolist() == [1, 2, 3]


def test_seen_items_are_excluded_only_without_repeat_consumption():
    once = pd.DataFrame({"user_id": [1] * 5, "item_id": [1, 2, 3, 4, 5], "timestamp": range(5)})
    again = pd.DataFrame({"user_id": [1] * 5, "item_id": [1, 2, 1, 4, 5], "timestamp": range(5)})
    assert prepare_next_item_data(once).test.exclude_seen
    prepared = prepare_next_item_data(again)
    assert prepared.repeats and not prepared.test.exclude_seen
    assert has_repeats(prepared.train)


def test_the_fingerprint_changes_with_the_data():
    frame = SyntheticShop(ShopConfig.toy(seed=3)).generate()
    a = prepare_next_item_data(frame).fingerprint()
    assert a == prepare_next_item_data(frame).fingerprint()
    changed = frame.copy()
    changed.loc[0, "item_id"] = changed.item_id.max()
    assert prepare_next_item_data(changed).fingerprint() != a
    relabelled = frame.assign(user_id=frame.user_id.max() + 1 - frame.user_id)
    assert prepare_next_item_data(relabelled).fingerprint() != a
