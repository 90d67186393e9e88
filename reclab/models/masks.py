r"""Attention masks: boolean, True = attend, combined with ``&``.

A mask :math:`\mathbf{M}` says which keys each query may look at. RecLab's masks are boolean
tensors with **True = attend** (the convention of ``keras.layers.MultiHeadAttention``), named for
what they keep, and combined with ``&``:

* :func:`padding_mask` ``(B, L)``: True at real items, False at the padding on the left.
* :func:`causal_mask` ``(L, L)``: True where key :math:`j` is not in the future of query
  :math:`t`, i.e. :math:`j \le t`.
* :func:`attention_mask` ``(B, L, L)``: the two combined,
  :math:`M_{tj} = \mathbb{1}[j \le t] \wedge m_j`.

Example, a history of three items left-padded to :math:`L = 4`::

    >>> import numpy as np
    >>> ids = np.array([[0, 7, 3, 9]])          # 0 is the padding id
    >>> padding_mask(ids).numpy().astype(int)
    array([[0, 1, 1, 1]])
    >>> causal_mask(4).numpy().astype(int)
    array([[1, 0, 0, 0],
           [1, 1, 0, 0],
           [1, 1, 1, 0],
           [1, 1, 1, 1]])
    >>> attention_mask(padding_mask(ids), causal=True).numpy().astype(int)[0]
    array([[0, 0, 0, 0],
           [0, 1, 0, 0],
           [0, 1, 1, 0],
           [0, 1, 1, 1]])

Row :math:`t` is query position :math:`t`, column :math:`j` key position :math:`j`. The first row
(a padded query) attends to nothing: RecLab's attention gives such a row zero weights and a zero
output, and :class:`~reclab.models.TransformerBlock` zeroes the outputs at padded positions anyway.
"""

from __future__ import annotations

from typing import Any

from keras import ops

from reclab.checks import positive_int
from reclab.formulas import implements

__all__ = ["attention_mask", "causal_mask", "padding_mask"]


def padding_mask(item_ids: Any, padding_id: int = 0) -> Any:
    """True at real items, False at padding: :math:`m_t = [s_t \\ne \\text{padding id}]`.

    Args:
        item_ids: integer item ids, shape ``(B, L)``, padded on the left with ``padding_id``.
        padding_id: the id used for padding (RecLab's data pipeline uses 0).

    Returns:
        A boolean tensor of shape ``(B, L)``.

    Example:
        >>> padding_mask([[0, 0, 5, 2]]).numpy().tolist()
        [[False, False, True, True]]
    """
    item_ids = ops.convert_to_tensor(item_ids)
    return ops.not_equal(item_ids, padding_id)  # (B, L)


@implements("eq-causal-mask")
def causal_mask(length: int) -> Any:
    r"""The causal mask :math:`C_{tj} = \mathbb{1}[j \le t]`: no query attends to its future.

    Args:
        length: the sequence length :math:`L`, a positive integer.

    Returns:
        A boolean lower-triangular tensor of shape ``(L, L)`` (row = query, column = key).

    Example:
        >>> causal_mask(3).numpy().astype(int)
        array([[1, 0, 0],
               [1, 1, 0],
               [1, 1, 1]])
    """
    positive_int(length, "length", "causal_mask")
    rows = ops.expand_dims(ops.arange(length), 1)  # (L, 1): query t
    cols = ops.expand_dims(ops.arange(length), 0)  # (1, L): key j
    return ops.greater_equal(rows, cols)  # (L, L)


@implements("eq-causal-mask")
def attention_mask(padding: Any | None = None, *, causal: bool = False, length: int | None = None):
    r"""Combine a padding mask and (optionally) the causal mask: :math:`M_{tj} = C_{tj} \wedge m_j`.

    The padding mask masks *keys* (columns): no query attends to a padded position. Queries at
    padded positions keep their rows; with left padding and ``causal=True`` those rows are all
    False, and RecLab's attention returns zeros there.

    Args:
        padding: boolean padding mask ``(B, L)`` (True = real item), or ``None`` for no padding.
        causal: also forbid attention to later positions.
        length: the length :math:`L`; needed only when ``padding`` is ``None``.

    Returns:
        A boolean tensor of shape ``(B, L, L)``, or ``(1, L, L)`` when ``padding`` is ``None``.

    Example:
        >>> attention_mask([[False, True, True]]).numpy().astype(int)[0]
        array([[0, 1, 1],
               [0, 1, 1],
               [0, 1, 1]])
    """
    if padding is None:
        if length is None:
            raise ValueError("attention_mask: pass a padding mask (B, L) or a length L")
        mask = ops.ones((1, 1, length), dtype="bool")  # (1, 1, L)
    else:
        padding = ops.cast(ops.convert_to_tensor(padding), "bool")
        if len(padding.shape) != 2:
            raise ValueError(
                f"attention_mask: padding must have shape (B, L), got shape {tuple(padding.shape)}"
            )
        if length is not None and padding.shape[1] is not None and padding.shape[1] != length:
            raise ValueError(
                f"attention_mask: length={length} but the padding mask has length "
                f"{padding.shape[1]}"
            )
        length = padding.shape[1]
        mask = ops.expand_dims(padding, 1)  # (B, 1, L): mask keys j
    if causal:
        rule = ops.expand_dims(causal_mask(length), 0)  # (1, L, L)
    else:
        rule = ops.ones((1, length, length), dtype="bool")  # (1, L, L)
    return ops.logical_and(mask, rule)  # (B, L, L)
