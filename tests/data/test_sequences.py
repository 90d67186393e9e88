from __future__ import annotations

import numpy as np
import pandas as pd

from reclab.data import Sequences


def test_from_interactions_groups_users_in_time_order() -> None:
    df = pd.DataFrame({"user_id": [5, 2, 5, 2, 5], "item_id": [1, 2, 3, 4, 9],
                       "timestamp": [30, 20, 10, 10, 30]})  # fmt: skip
    seqs = Sequences.from_interactions(df)
    assert seqs.users.tolist() == [2, 5] and len(seqs) == 2
    assert seqs.offsets.tolist() == [0, 2, 5]
    assert seqs.lengths.tolist() == [2, 3]
    assert seqs[0].tolist() == [4, 2]
    assert seqs[1].tolist() == [3, 1, 9]  # tie at t=30: input order (1 before 9)
    assert [s.tolist() for s in seqs.to_list()] == [[4, 2], [3, 1, 9]]
    assert seqs.timestamps.tolist() == [10, 20, 10, 30, 30]
    tie = Sequences.from_interactions(df.assign(item_id=[9, 2, 3, 4, 1]), tie_break="item_id")
    assert tie[1].tolist() == [3, 1, 9]


def test_empty() -> None:
    seqs = Sequences.from_interactions(
        pd.DataFrame({"user_id": [], "item_id": [], "timestamp": []}, dtype=np.int64)
    )
    assert len(seqs) == 0 and seqs.offsets.tolist() == [0]
