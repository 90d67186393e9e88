from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclab.data import PADDING_ID, IdMapping, encode_interactions


def test_fit_encode_decode() -> None:
    m = IdMapping.fit([30, 10, 30, 20])
    assert PADDING_ID == 0 and m.num_items == 3 and m.num_ids == 4
    assert m.encode([10, 20, 30]).tolist() == [1, 2, 3]
    assert m.encode(np.array([[30], [10]])).shape == (2, 1)
    assert m.decode([3, 1]).tolist() == [30, 10]
    assert m.contains([10, 11, 40]).tolist() == [True, False, False]


def test_unknown_and_padding_errors() -> None:
    m = IdMapping.fit([5, 7])
    with pytest.raises(KeyError, match=r"e\.g\. 6"):
        m.encode([5, 6])
    with pytest.raises(ValueError, match=r"id 0 is outside 1\.\.2"):
        m.decode([0, 1])
    assert IdMapping.fit([]).contains([1]).tolist() == [False]


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=50))
def test_round_trip_and_contiguity(values) -> None:
    m = IdMapping.fit(values)
    encoded = m.encode(values)
    assert sorted(set(encoded.tolist())) == list(range(1, m.num_items + 1))
    assert m.decode(encoded).tolist() == values


def test_encode_interactions_drop_and_raise() -> None:
    train = pd.DataFrame({"user_id": [1, 2], "item_id": [10, 30], "timestamp": [0, 1]})
    test = pd.DataFrame({"user_id": [1, 3, 2], "item_id": [30, 10, 99], "timestamp": [2, 3, 4]})
    items, users = IdMapping.fit(train.item_id), IdMapping.fit(train.user_id)
    out, report = encode_interactions(test, items, users)
    assert out.to_dict("list") == {"user_id": [1], "item_id": [2], "timestamp": [2]}
    assert report.details == {"unknown_items": 1, "unknown_users": 1}
    with pytest.raises(KeyError, match="1 event\\(s\\) with unknown items"):
        encode_interactions(test, items, unknown="raise")
    with pytest.raises(ValueError, match="unknown='skip'"):
        encode_interactions(test, items, unknown="skip")
