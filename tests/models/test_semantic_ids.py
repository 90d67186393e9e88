"""Semantic ids: residual k-means and the NumPy quantiser, collisions, the trie, item vectors."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.data import Sequences
from reclab.models import (
    SemanticIds,
    content_vectors,
    cooccurrence_vectors,
    quantise,
    residual_kmeans,
)


def structured_vectors(seed: int = 0) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Vectors ``C1[a] + C2[b]`` with coarse C1 and fine C2: their codes are known, ``(a, b)``."""
    rng = np.random.default_rng(seed)
    coarse, fine = 10.0 * rng.normal(size=(4, 3)), rng.normal(size=(3, 3))
    pairs = np.array([(a, b) for a in range(4) for b in range(3)] * 2)  # every code twice
    return coarse[pairs[:, 0]] + fine[pairs[:, 1]], pairs, (coarse, fine)


@pytest.mark.formula("eq-residual-quantisation")
def test_quantise_then_reconstruct_is_a_round_trip_on_quantised_points():
    vectors, pairs, books = structured_vectors()
    assert np.array_equal(quantise(vectors, books), pairs)
    ids = SemanticIds.from_codes(
        np.vstack([[0, 0, 0], np.column_stack([pairs, np.repeat([0, 1], len(pairs) // 2)])]),
        books,
    )
    assert np.allclose(ids.reconstruct(), vectors)


@pytest.mark.formula("eq-residual-quantisation")
def test_residual_kmeans_agrees_with_the_numpy_quantiser_and_refines_level_by_level():
    rng = np.random.default_rng(1)
    x = np.vstack([np.zeros(6), rng.normal(size=(200, 6))])
    errors = []
    for levels in (1, 2, 3):
        ids = residual_kmeans(x, levels=levels, codebook_size=8, seed=0)
        assert np.array_equal(quantise(x[1:], ids.codebooks), ids.codes[1:, :levels])
        errors.append(np.linalg.norm(x[1:] - ids.reconstruct()))
    assert errors[0] > errors[1] > errors[2]


def test_structured_vectors_are_recovered_up_to_the_names_of_the_codes():
    vectors, pairs, _ = structured_vectors()
    ids = residual_kmeans(np.vstack([np.zeros(3), vectors]), levels=2, codebook_size=4, seed=0)
    level1 = {(a, c) for a, c in zip(pairs[:, 0], ids.codes[1:, 0], strict=True)}
    assert len(level1) == 4  # a one-to-one renaming of the coarse clusters


def test_collisions_get_a_last_code_that_tells_them_apart():
    x = np.vstack([np.zeros(2), np.repeat([[0.0, 0.0], [5.0, 5.0]], [3, 1], axis=0)])
    ids = residual_kmeans(x, levels=1, codebook_size=2, seed=0)
    assert ids.codes[1:, 1].tolist() == [0, 1, 2, 0]  # three identical items numbered in id order
    assert ids.sizes == (2, 3) and ids.collision_rate == pytest.approx(0.75)
    assert len({tuple(c) for c in ids.codes[1:]}) == 4


def test_the_trie_leads_every_code_path_to_its_item_and_nowhere_else():
    rng = np.random.default_rng(2)
    ids = residual_kmeans(rng.normal(size=(81, 4)), levels=2, codebook_size=5, seed=3)
    tables, prefixes = ids.trie(), ids.prefixes()
    assert tables[0].shape == (1, 5)
    for item in range(1, 81):
        node = 0
        for j in range(ids.length):
            assert prefixes[item, j] == node
            node = tables[j][node, ids.codes[item, j]]
        assert node == item
    leaves = tables[-1][tables[-1] >= 0]
    assert sorted(leaves.tolist()) == list(range(1, 81))


def test_the_same_seed_gives_the_same_codes():
    x = np.random.default_rng(4).normal(size=(60, 3))
    a, b = (residual_kmeans(x, levels=2, codebook_size=4, seed=7) for _ in range(2))
    assert np.array_equal(a.codes, b.codes)


def test_bad_vectors_and_codes_are_refused():
    with pytest.raises(ValueError, match="finite"):
        residual_kmeans(np.array([[0.0], [np.nan], [1.0]]))
    with pytest.raises(ValueError, match="same codes"):
        SemanticIds.from_codes(np.array([[0, 0], [1, 2], [1, 2]]))


def test_cooccurrence_vectors_place_items_seen_together_close_and_unseen_items_at_zero():
    # items 1-2 always follow each other, as do 3-4; item 5 is never in training
    sequences = Sequences.from_lists([[1, 2, 1, 2, 1, 2], [3, 4, 3, 4, 3, 4], [1, 2, 3, 4]])
    z = cooccurrence_vectors(sequences, num_items=5, dim=2, window=1)
    assert z.shape == (6, 2) and np.allclose(z[[0, 5]], 0.0)
    assert z[1] @ z[2] > z[1] @ z[3]


def test_content_vectors_are_unit_rows_that_share_what_items_share():
    from reclab.data import IdMapping, item_content

    catalogue = __import__("pandas").DataFrame(
        {
            "item_id": [10, 11, 12],
            "title": ["Toy Story (1995)", "Toy Story 2 (1999)", "Heat (1995)"],
            "genres": ["Animation|Children", "Animation|Children", "Action|Crime"],
        }
    )
    content = item_content(catalogue, IdMapping.fit([10, 11, 12]), min_titles=1)
    z = content_vectors(content, dim=2)
    assert z.shape == (4, 2) and np.allclose(np.linalg.norm(z[1:], axis=1), 1.0)
    assert z[1] @ z[2] > z[1] @ z[3]
