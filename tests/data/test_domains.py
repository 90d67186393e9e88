"""Two domains: disjoint items and users, every event accounted for; shared content vocabulary;
training on a share of the users with the test set unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reclab.data import (
    IdMapping,
    ShopConfig,
    SyntheticShop,
    item_content,
    prepare_next_item_data,
    two_domains,
)


@pytest.fixture(scope="module")
def log():
    return SyntheticShop(ShopConfig.toy(seed=2)).generate()


def test_the_domains_share_no_item_and_no_user_and_drop_only_the_crossing_events(log):
    items = np.unique(log.item_id)
    source_items = items[::2]
    d = two_domains(log, source_items, source_users=0.4, seed=3)
    assert set(d.source.item_id) <= set(source_items)
    assert not set(d.target.item_id) & set(source_items)
    assert not set(d.source.user_id) & set(d.target.user_id)
    source_user = log.user_id.isin(d.source.user_id.unique())
    crossing = (source_user != log.item_id.isin(source_items)).sum()
    assert len(d.source) + len(d.target) + crossing == len(log)
    assert d.report.rows_dropped == crossing
    assert d.report.details["source_users"] == d.source.user_id.nunique()
    users = log.user_id.nunique()
    assert abs(d.source.user_id.nunique() - 0.4 * users) <= 1  # users with an event in it
    again = two_domains(log, source_items, source_users=0.4, seed=3)
    pd.testing.assert_frame_equal(d.target, again.target)


def test_a_domain_without_events_is_refused(log):
    with pytest.raises(ValueError, match="the target domain has no events"):
        two_domains(log, np.unique(log.item_id))
    with pytest.raises(ValueError, match=r"source_users must be in \(0, 1\)"):
        two_domains(log, [1], source_users=0)


CATALOGUE = pd.DataFrame(
    {
        "item_id": [1, 2, 3, 4],
        "title": ["red fox", "red owl", "blue fox", "blue owl"],
        "genres": ["A", "B", "A|C", "B"],
    }
)


def test_content_fitted_on_the_whole_catalogue_gives_two_domains_one_vocabulary():
    a = item_content(CATALOGUE, IdMapping.fit([1, 2]), min_titles=1, fit_on=CATALOGUE)
    b = item_content(CATALOGUE, IdMapping.fit([3, 4]), min_titles=1, fit_on=CATALOGUE)
    assert a.vocabulary == b.vocabulary and a.genre_names == b.genre_names == ("A", "B", "C")
    fox = a.vocabulary.index("fox")
    assert fox in a.title_tokens[1] and fox in b.title_tokens[1]  # "red fox", "blue fox"
    alone = item_content(CATALOGUE, IdMapping.fit([1, 2]), min_titles=1)
    assert "blue" not in alone.vocabulary and alone.genre_names == ("A", "B")
    # min_titles counts titles of the fit_on table: "fox" is in two of its titles
    two = item_content(CATALOGUE, IdMapping.fit([1]), fit_on=CATALOGUE)
    assert two.describe(1).startswith("title 'red fox'")
    with pytest.raises(ValueError, match="item_id 3 has genre 'C'"):
        item_content(CATALOGUE, IdMapping.fit([3]), fit_on=CATALOGUE.iloc[:2])


def test_a_share_of_the_training_users_keeps_the_test_set_and_nests(log):
    data = prepare_next_item_data(log)
    small, large = data.subsample_training(0.25, seed=1), data.subsample_training(0.5, seed=1)
    assert len(small.train) == round(0.25 * len(data.train))
    assert set(small.train.users) <= set(large.train.users)
    assert set(small.validation.users) <= set(small.train.users)
    np.testing.assert_array_equal(small.test.targets, data.test.targets)
    for k, user in enumerate(small.train.users):  # each kept user's events, unchanged
        row = int(np.flatnonzero(data.train.users == user)[0])
        np.testing.assert_array_equal(small.train[k], data.train[row])
    assert small.reports[-1].step == "subsample_training"
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\]"):
        data.subsample_training(0)
