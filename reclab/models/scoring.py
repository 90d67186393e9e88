"""Scoring the catalogue: the dot product between a sequence representation and item embeddings.

:func:`dot_scores` is the output layer of every sequence model
(:class:`~reclab.models.NextItemModel` calls it for the whole catalogue) and of matrix
factorisation's full-catalogue scores.
"""

from __future__ import annotations

from typing import Any

from keras import ops

from reclab.formulas import implements


@implements("eq-dot-score")
def dot_scores(hidden: Any, item_embeddings: Any) -> Any:
    r"""Score every item of the catalogue after each position of a sequence.

    .. math::

        s_t(i) = \mathbf{h}_t^\top \mathbf{e}_i,
        \qquad \text{for all } i \in \mathcal{I},

    where :math:`\mathbf{h}_t \in \mathbb{R}^d` is the hidden state at position
    :math:`t` and :math:`\mathbf{e}_i` row :math:`i` of the item embedding table
    :math:`\mathbf{E} \in \mathbb{R}^{N \times d}`.

    Args:
        hidden: hidden states, shape ``(..., d)``: ``(B, d)`` for one state per user or
            ``(B, T, d)`` for one per position.
        item_embeddings: the table :math:`\mathbf{E}`, shape ``(N, d)``.

    Returns:
        Scores of shape ``(..., N)``: the last axis of ``hidden`` is replaced by the catalogue.

    Raises:
        ValueError: when the embedding sizes ``d`` of the two inputs differ.

    Example:
        >>> import numpy as np
        >>> h = np.array([[1.0, 2.0]])                 # one user, d = 2
        >>> E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # N = 3 items
        >>> ops.convert_to_numpy(dot_scores(h, E)).tolist()  # [1*1+2*0, 1*0+2*1, 1*1+2*1]
        [[1.0, 2.0, 3.0]]
    """
    hidden = ops.convert_to_tensor(hidden)
    item_embeddings = ops.cast(ops.convert_to_tensor(item_embeddings), hidden.dtype)
    if len(item_embeddings.shape) != 2:
        raise ValueError(
            f"dot_scores: item_embeddings must have shape (N, d), got {item_embeddings.shape}"
        )
    d_hidden, d_items = hidden.shape[-1], item_embeddings.shape[-1]
    if d_hidden is not None and d_items is not None and d_hidden != d_items:
        raise ValueError(
            f"dot_scores: hidden states have size d={d_hidden} but item embeddings have "
            f"d={d_items}; both must use the same embedding size"
        )
    # A matmul with the table transposed: (..., d) x (d, N). (An einsum "...d,nd->...n" is
    # the same formula, but TensorFlow may broadcast the table to (..., N, d) first: 6 GB for
    # one SASRec batch on MovieLens, measured.)
    return ops.matmul(hidden, ops.transpose(item_embeddings))  # (..., N)
