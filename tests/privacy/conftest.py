"""A tiny synthetic shop, prepared once for all training tests."""

from __future__ import annotations

import pytest

from reclab.data import ShopConfig, SyntheticShop, prepare_next_item_data, preprocess


@pytest.fixture(scope="session")
def shop_data():
    frame = SyntheticShop(ShopConfig.toy(seed=1)).generate()
    return prepare_next_item_data(
        preprocess(frame, min_user_events=3, min_item_events=2).interactions
    )
