"""Scoring the catalogue: the dot product between a sequence representation and item embeddings.

:func:`dot_scores` is the output layer of every sequence model
(:class:`~reclab.models.NextItemModel` calls it for the whole catalogue) and of matrix
factorisation's full-catalogue scores; :func:`shared_candidate_logits` scores each position's
positive and one set of negatives shared by the batch (the sampled losses' fast path).
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


@implements("eq-shared-negatives")
def shared_candidate_logits(
    hidden: Any, item_embeddings: Any, bias: Any | None, positives: Any, negatives: Any
) -> Any:
    r"""Logits of each position's positive and of one set of negatives shared by the batch.

    .. math::

        s_t(i^+_t) = \mathbf{h}_t^\top \mathbf{e}_{i^+_t} + b_{i^+_t}, \qquad
        \bigl[s_t(j_1), \dots, s_t(j_M)\bigr] = \mathbf{h}_t^\top \mathbf{E}_J^\top + \mathbf{b}_J,

    with :math:`J = (j_1, \dots, j_M)` the batch's negatives and :math:`\mathbf{E}_J` their rows
    of the table. The negatives cost one ``(B·L, d) × (d, M)`` product and a gather of ``M``
    rows, instead of gathering ``B × L × M`` vectors as per-position negatives do.

    Args:
        hidden: hidden states ``(B, L, d)`` (or ``(B, d)``).
        item_embeddings: the output table :math:`\mathbf{E}`, ``(N + 1, d)``.
        bias: item biases ``(N + 1,)`` or ``None``.
        positives: the positives' ids, ``hidden``'s leading shape.
        negatives: the shared negatives' ids, ``(M,)``.

    Returns:
        Logits ``(..., 1 + M)``: column 0 the positive, then the negatives, the layout of
        :class:`~reclab.losses.CandidateLoss`.

    Example:
        >>> import numpy as np
        >>> E = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # ids 0..3
        >>> h = np.array([[[1.0, 2.0]]])                    # B = 1, L = 1
        >>> ops.convert_to_numpy(shared_candidate_logits(h, E, None, [[3]], [1, 2])).tolist()
        [[[3.0, 1.0, 2.0]]]
    """
    hidden = ops.convert_to_tensor(hidden)
    item_embeddings = ops.cast(ops.convert_to_tensor(item_embeddings), hidden.dtype)
    positives = ops.cast(ops.convert_to_tensor(positives), "int32")
    negatives = ops.cast(ops.convert_to_tensor(negatives), "int32")
    if len(negatives.shape) != 1:
        raise ValueError(
            f"shared_candidate_logits: negatives must have shape (M,), got {negatives.shape}"
        )
    positive_vectors = ops.take(item_embeddings, positives, axis=0)  # (..., d)
    positive = ops.sum(hidden * positive_vectors, axis=-1, keepdims=True)  # (..., 1)
    negative = dot_scores(hidden, ops.take(item_embeddings, negatives, axis=0))  # (..., M)
    if bias is not None:
        bias = ops.cast(ops.convert_to_tensor(bias), hidden.dtype)
        positive = positive + ops.take(bias, positives, axis=0)[..., None]
        negative = negative + ops.take(bias, negatives, axis=0)
    return ops.concatenate([positive, negative], axis=-1)
