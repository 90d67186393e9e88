from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reclab.data import (
    dataset_summary,
    item_popularity,
    popularity_share,
    repeat_rate,
    sequence_lengths,
    time_gaps,
)

DF = pd.DataFrame({"user_id": [1, 1, 1, 2, 2], "item_id": [5, 6, 5, 5, 7],
                   "timestamp": [0, 60, 3660, 86_400, 10]})  # fmt: skip


def test_popularity_and_share() -> None:
    counts = item_popularity(DF)
    assert counts.tolist() == [3, 1, 1]
    assert popularity_share(counts, 1 / 3) == pytest.approx(0.6)
    assert popularity_share(counts, 1.0) == 1.0
    with pytest.raises(ValueError, match="top_fraction=0"):
        popularity_share(counts, 0)


def test_lengths_gaps_repeats() -> None:
    assert sequence_lengths(DF).tolist() == [3, 2]
    assert sorted(time_gaps(DF).tolist()) == [60, 3600, 86_390]
    assert repeat_rate(DF) == pytest.approx(1 / 5)
    assert repeat_rate(DF.iloc[:0]) == 0.0


def test_summary() -> None:
    s = dataset_summary(DF)
    assert (s["users"], s["items"], s["events"]) == (2, 3, 5)
    assert s["density"] == pytest.approx(5 / 6)
    assert s["median_length"] == 2.5 and s["max_length"] == 3 and s["min_length"] == 2
    assert s["span_days"] == pytest.approx(1.0)
    empty = dataset_summary(DF.iloc[:0])
    assert empty["users"] == 0 and empty["density"] == 0.0
    assert isinstance(s["repeat_rate"], float) and np.isfinite(s["mean_length"])
