"""Masks: boolean, True = attend, combined with &."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.models import attention_mask, causal_mask, padding_mask
from reclab.reference import attention as ref


def test_padding_mask_marks_real_items():
    ids = np.array([[0, 0, 4, 2], [0, 9, 9, 1]])
    assert padding_mask(ids).numpy().tolist() == [
        [False, False, True, True],
        [False, True, True, True],
    ]
    assert padding_mask(ids, padding_id=9).numpy()[1].tolist() == [True, False, False, True]


@pytest.mark.formula("eq-causal-mask")
def test_causal_mask_is_lower_triangular_by_hand():
    # C[t, j] = [j <= t]: row t may see columns 0..t.
    expected = [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert causal_mask(3).numpy().astype(int).tolist() == expected


@pytest.mark.formula("eq-causal-mask")
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("length", [1, 4, 7])
def test_attention_mask_matches_reference(causal, length):
    rng = np.random.default_rng(length)
    n_pad = rng.integers(0, length + 1, size=3)
    padding = np.arange(length)[None, :] >= n_pad[:, None]  # left padding, (3, L)
    got = attention_mask(padding, causal=causal).numpy()
    np.testing.assert_array_equal(got, ref.attention_mask(padding, causal))
    if causal:
        np.testing.assert_array_equal(ref.causal_mask(length), causal_mask(length).numpy())


@pytest.mark.formula("eq-causal-mask")
def test_attention_mask_combines_with_and_as_documented():
    mask = attention_mask(padding_mask([[0, 7, 3, 9]]), causal=True).numpy().astype(int)[0]
    assert mask.tolist() == [[0, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0], [0, 1, 1, 1]]
    no_padding = attention_mask(None, causal=True, length=3).numpy()
    assert no_padding.shape == (1, 3, 3)
    np.testing.assert_array_equal(no_padding[0], causal_mask(3).numpy())


def test_masks_reject_bad_input():
    with pytest.raises(ValueError, match="length"):
        causal_mask(0)
    with pytest.raises(ValueError, match="padding mask"):
        attention_mask(None)
    with pytest.raises(ValueError, match=r"shape \(B, L\)"):
        attention_mask(np.ones((2, 3, 3), bool))
    with pytest.raises(ValueError, match="length=4"):
        attention_mask(np.ones((2, 3), bool), length=4)
