r"""An item tower that builds item vectors from content, so an item needs no clicks to be ranked.

For item :math:`i` with title words :math:`w(i)`, genres :math:`g(i)` and year bucket
:math:`y(i)` (:func:`reclab.data.item_content`), the tower averages learned word and genre
vectors, looks up a year vector, and passes the three through a two-layer network:

.. math::

    \mathbf{c}_i = \Bigl[\tfrac{1}{|w(i)|}\textstyle\sum_{w \in w(i)} \mathbf{t}_w \,;\;
    \tfrac{1}{|g(i)|}\sum_{g \in g(i)} \mathbf{u}_g \,;\; \mathbf{y}_{y(i)}\Bigr], \qquad
    \mathbf{e}^{\text{content}}_i = \mathbf{W}_2 \operatorname{ReLU}(\mathbf{W}_1 \mathbf{c}_i
    + \mathbf{b}_1) + \mathbf{b}_2 ,

(an empty average is the zero vector). A model reads :math:`\mathbf{e}^{\text{content}}_i` in
place of the id row :math:`\mathbf{e}_i` (``items="content"``), or adds the two
(``items="hybrid"``),

.. math::

    \mathbf{e}_i = m_i\,\mathbf{e}^{\text{id}}_i + \mathbf{e}^{\text{content}}_i ,

where :math:`m_i = 1` if item :math:`i` has training events and 0 otherwise: an item nobody has
clicked has no trained id row, so it is represented by its content alone (the id row of such an
item would otherwise be whatever the softmax pushed it to, which is far below every trained
item). The content arrays are stored in the layer as non-trainable weights, so a saved model
carries the catalogue it was trained on.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from reclab.formulas import implements

__all__ = ["ITEM_FEATURES", "ItemContentTower"]

#: What a sequence model embeds items with: the id table, the content tower, or their sum.
ITEM_FEATURES = ("id", "content", "hybrid")

_SHAPE_KEYS = ("num_ids", "title_length", "vocabulary_size", "num_genres", "year_buckets")


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-content-tower")
class ItemContentTower(keras.layers.Layer):
    r"""Item vectors :math:`\mathbf{e}^{\text{content}}` ``(N + 1, d)`` from content arrays.

    Args:
        shape: the sizes of the content arrays, :meth:`reclab.data.ItemContent.shape`.
        dim: :math:`d`.
        content: optional :class:`reclab.data.ItemContent` to store now (a loaded model gets
            its arrays from the saved weights instead).

    :meth:`table` returns the item vectors; the layer has no other input.

    Example:
        >>> import pandas as pd
        >>> from reclab.data import IdMapping, item_content
        >>> c = item_content(pd.DataFrame({"item_id": [1, 2], "title": ["A (1990)", "B"],
        ...                                "genres": ["X", "X|Y"]}), IdMapping.fit([1, 2]))
        >>> tower = ItemContentTower(c.shape(), dim=4, content=c)
        >>> tuple(tower.table().shape)
        (3, 4)
    """

    def __init__(self, shape: dict[str, int], dim: int, content: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        missing = [k for k in _SHAPE_KEYS if k not in shape]
        if missing:
            raise ValueError(f"ItemContentTower: shape has no {missing[0]!r}")
        self.content_shape = {k: int(shape[k]) for k in _SHAPE_KEYS}
        self.dim = int(dim)
        n, s = self.content_shape["num_ids"], self.content_shape
        self.title_tokens = self.add_weight(
            shape=(n, s["title_length"]), dtype="int32", initializer="zeros",
            trainable=False, name="title_tokens",
        )  # fmt: skip
        self.genres = self.add_weight(
            shape=(n, s["num_genres"]), initializer="zeros", trainable=False, name="genres"
        )
        self.year_bucket = self.add_weight(
            shape=(n,), dtype="int32", initializer="zeros", trainable=False, name="year_bucket"
        )
        init = keras.initializers.RandomNormal(stddev=dim**-0.5)
        self.words = self.add_weight(  # zeros: a word no trained item has stays silent
            shape=(s["vocabulary_size"], dim), initializer="zeros", name="word_vectors"
        )
        self.genre_vectors = self.add_weight(
            shape=(max(1, s["num_genres"]), dim), initializer=init, name="genre_vectors"
        )
        self.years = self.add_weight(
            shape=(s["year_buckets"], dim), initializer=init, name="year_vectors"
        )
        with keras.name_scope(self.name):  # paths content_tower/hidden/..., not hidden/...
            self.hidden = keras.layers.Dense(dim, activation="relu", name="hidden")
            self.hidden.build((None, 3 * dim))
            self.out = keras.layers.Dense(dim, name="out")
            self.out.build((None, dim))
        self.built = True
        if content is not None:
            self.set_content(content)

    def set_content(self, content: Any) -> None:
        """Store the arrays of a :class:`reclab.data.ItemContent` (shapes must match)."""
        if content.shape() != self.content_shape:
            raise ValueError(
                f"ItemContentTower.set_content: content of shape {content.shape()} does not "
                f"fit a tower built for {self.content_shape}"
            )
        self.title_tokens.assign(content.title_tokens.astype(np.int32))
        self.genres.assign(content.genres.astype(np.float32))
        self.year_bucket.assign(content.year_bucket.astype(np.int32))

    def catalogue_weights(self) -> list[Any]:
        """The content arrays: one row per item of this catalogue (never transferred)."""
        return [self.title_tokens, self.genres, self.year_bucket]

    def vocabulary_weights(self) -> list[Any]:
        """The word and genre vectors, indexed by this catalogue's vocabulary and genre list."""
        return [self.words, self.genre_vectors]

    def table(self) -> Any:
        """The item vectors ``(N + 1, d)``; row 0 (padding) is zero."""
        tokens = ops.convert_to_tensor(self.title_tokens)  # (N + 1, T)
        present = ops.cast(ops.greater(tokens, 0), "float32")  # (N + 1, T)
        words = ops.take(self.words, tokens, axis=0) * present[..., None]  # (N + 1, T, d)
        title = ops.sum(words, axis=1) / ops.maximum(ops.sum(present, 1, keepdims=True), 1.0)
        genres = ops.convert_to_tensor(self.genres)  # (N + 1, G)
        genre = ops.matmul(genres, self.genre_vectors[: genres.shape[1]])  # (N + 1, d)
        genre = genre / ops.maximum(ops.sum(genres, axis=1, keepdims=True), 1.0)
        year = ops.take(self.years, self.year_bucket, axis=0)  # (N + 1, d)
        c = ops.concatenate([title, genre, year], axis=-1)  # (N + 1, 3d)
        table = self.out(self.hidden(c))  # (N + 1, d)
        not_padding = ops.cast(ops.arange(ops.shape(table)[0]) > 0, table.dtype)[:, None]
        return table * not_padding

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "shape": self.content_shape, "dim": self.dim}
