r"""Position information: learned and sinusoidal position embeddings added to item embeddings.

Attention treats its input as a *set*: permute the history and the outputs permute with it. A
sequence model adds a vector :math:`\mathbf{p}_t` per position to the item embedding,

.. math::

    \mathbf{x}_t = \mathbf{e}_{s_t} + \mathbf{p}_t ,

either learned (a table :math:`\mathbf{P} \in \mathbb{R}^{L \times d}`, as SASRec and BERT4Rec)
or fixed sinusoids (Vaswani et al., 2017, §3.5).

Positions are **right-aligned**: the most recent item (the last column of a left-padded batch)
always gets row :math:`L - 1` of :math:`\mathbf{P}`, whatever the input length :math:`T \le L`.
For inputs of the full length :math:`L` this is SASRec's numbering; for shorter inputs it means
that adding left padding does not move the real items' positions.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.checks import positive_int
from reclab.formulas import implements

__all__ = ["LearnedPositionEmbedding", "SinusoidalPositionEmbedding", "sinusoidal_positions"]


@implements("eq-sinusoidal-position")
def sinusoidal_positions(length: int, dim: int, base: float = 10000.0) -> Any:
    r"""The fixed sinusoidal position table of Vaswani et al. (2017).

    .. math::

        P_{t,2k} = \sin\!\left(\frac{t}{\text{base}^{2k/d}}\right),\qquad
        P_{t,2k+1} = \cos\!\left(\frac{t}{\text{base}^{2k/d}}\right)

    Args:
        length: number of positions :math:`L`.
        dim: embedding size :math:`d` (odd sizes drop the last cosine column).
        base: the wavelength scale, 10000 in the paper.

    Returns:
        A float32 tensor of shape ``(L, d)``.

    Example:
        >>> import numpy as np
        >>> np.round(sinusoidal_positions(2, 4).numpy().astype(float), 3).tolist()  # t = 0, 1
        [[0.0, 1.0, 0.0, 1.0], [0.841, 0.54, 0.01, 1.0]]
    """
    for name, value in (("length", length), ("dim", dim)):
        positive_int(value, name, "sinusoidal_positions")
    half = (dim + 1) // 2
    t = ops.cast(ops.arange(length), "float32")[:, None]  # (L, 1)
    k = ops.cast(ops.arange(half), "float32")[None, :]  # (1, ceil(d/2))
    angles = t / ops.power(float(base), 2.0 * k / dim)  # (L, ceil(d/2))
    table = ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1)  # (L, ceil(d/2), 2)
    return ops.reshape(table, (length, 2 * half))[:, :dim]  # (L, d): sin, cos interleaved


class _PositionEmbedding(keras.layers.Layer):
    """Shared part: check the length and add the right-aligned rows of a table."""

    def __init__(self, max_length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = positive_int(max_length, "max_length", type(self).__name__)

    def _check_length(self, input_shape: tuple) -> None:
        if len(input_shape) != 3:
            raise ValueError(
                f"{type(self).__name__}: inputs must have shape (B, T, d), got {input_shape}"
            )
        length = input_shape[1]
        if length is not None and length > self.max_length:
            raise ValueError(
                f"{type(self).__name__}: input length T={length} exceeds "
                f"max_length={self.max_length}; truncate histories to their most recent "
                "max_length items or build the layer with a larger max_length"
            )

    def _add(self, inputs: Any, table: Any) -> Any:
        length = ops.shape(inputs)[1]
        rows = table[self.max_length - length :]  # (T, d): right-aligned
        return inputs + ops.cast(rows, inputs.dtype)[None]  # (B, T, d)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["max_length"] = self.max_length
        return config


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-position-input")
class LearnedPositionEmbedding(_PositionEmbedding):
    r"""Add a learned position table: :math:`\mathbf{x}_t = \mathbf{e}_{s_t} + \mathbf{p}_t`.

    Args:
        max_length: :math:`L`, the number of rows of :math:`\mathbf{P} \in \mathbb{R}^{L\times d}`.
        embeddings_initializer: initializer of :math:`\mathbf{P}`.

    Call: ``(B, T, d) -> (B, T, d)`` with :math:`T \le L`; input position :math:`t` gets row
    :math:`L - T + t` (right-aligned, see the module docstring).

    Example:
        >>> import numpy as np
        >>> layer = LearnedPositionEmbedding(max_length=5, embeddings_initializer="ones")
        >>> layer(np.zeros((1, 3, 2))).numpy().tolist()
        [[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]]
    """

    def __init__(
        self, max_length: int, embeddings_initializer: Any = "glorot_uniform", **kwargs: Any
    ) -> None:
        super().__init__(max_length, **kwargs)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape: tuple) -> None:
        self._check_length(tuple(input_shape))
        self.positions = self.add_weight(
            name="positions",
            shape=(self.max_length, input_shape[-1]),
            initializer=self.embeddings_initializer,
        )

    def call(self, inputs: Any) -> Any:
        return self._add(inputs, self.positions)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["embeddings_initializer"] = keras.initializers.serialize(self.embeddings_initializer)
        return config


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-position-input", "eq-sinusoidal-position")
class SinusoidalPositionEmbedding(_PositionEmbedding):
    r"""Add the fixed sinusoidal table of :func:`sinusoidal_positions` (no weights).

    Args:
        max_length: :math:`L`, the number of positions.
        base: wavelength scale, 10000 in Vaswani et al. (2017).

    Call: ``(B, T, d) -> (B, T, d)``, right-aligned like :class:`LearnedPositionEmbedding`.
    """

    def __init__(self, max_length: int, base: float = 10000.0, **kwargs: Any) -> None:
        super().__init__(max_length, **kwargs)
        self.base = float(base)

    def build(self, input_shape: tuple) -> None:
        self._check_length(tuple(input_shape))
        self._dim = int(input_shape[-1])

    def call(self, inputs: Any) -> Any:
        table = sinusoidal_positions(self.max_length, self._dim, self.base)  # (L, d)
        return self._add(inputs, table)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["base"] = self.base
        return config
