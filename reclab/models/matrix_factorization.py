"""Matrix factorisation: a user vector, an item vector, two biases and their dot product.

.. math::
    \\hat{r}_{ui} = \\mu + b_u + b_i + \\mathbf{p}_u^\\top \\mathbf{e}_i

The model of Koren, Bell and Volinsky (2009), "Matrix factorization techniques for
recommender systems" (IEEE Computer 42(8)): eq. (4) and the objective of eq. (5), section
"Adding biases" (the paper writes :math:`\\mathbf{q}_i` where the book writes
:math:`\\mathbf{e}_i`). The same network is trained on explicit ratings (mean squared
error, reported as RMSE) or on implicit feedback (a positive and sampled negatives per row,
with BPR, sampled softmax or sampled binary cross-entropy from :mod:`reclab.losses`).

Deliberate differences from the paper: stochastic gradient descent is replaced by Adam on
mini-batches, and the L2 penalty is applied to the embeddings *of the batch* (the usual
mini-batch form of the paper's :math:`\\lambda(\\lVert \\mathbf{e}_i\\rVert^2 +
\\lVert \\mathbf{p}_u\\rVert^2 + b_u^2 + b_i^2)`), averaged over the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from reclab.checks import number_at_least, positive_int, positive_number
from reclab.formulas import implements
from reclab.models.base import check_scores
from reclab.models.scoring import dot_scores
from reclab.models.user_item import UserItemModel

__all__ = ["MatrixFactorization", "MatrixFactorizationConfig"]


@dataclass(frozen=True)
class MatrixFactorizationConfig:
    """Hyper-parameters of :class:`MatrixFactorization` (the sizes come from the data).

    Attributes:
        dim: :math:`d`, the length of :math:`\\mathbf{p}_u` and :math:`\\mathbf{e}_i`.
            Default 32 (Koren et al. 2009 report 10 to 200 factors; Rendle et al. 2020 use 16
            to 192).
        use_bias: add :math:`\\mu + b_u + b_i`; ``False`` leaves the plain dot product
            (biases do not change a user's ranking except through :math:`b_i`).
        global_mean: :math:`\\mu`, fixed (not trained): the mean training rating for
            explicit feedback, 0 for implicit feedback.
        l2: :math:`\\lambda`, the weight of the L2 penalty on the batch's embeddings and
            biases. Default 0.0; ratings on MovieLens want about 1e-4 to 1e-3 with Adam.
        init_stddev: standard deviation of the normal initialiser of :math:`\\mathbf{P}` and
            :math:`\\mathbf{E}` (biases start at 0). Default 0.1.
    """

    dim: int = 32
    use_bias: bool = True
    global_mean: float = 0.0
    l2: float = 0.0
    init_stddev: float = 0.1

    def __post_init__(self) -> None:
        where = "MatrixFactorizationConfig"
        positive_int(self.dim, "dim", where)
        number_at_least(self.global_mean, -np.inf, "global_mean", where)
        number_at_least(self.l2, 0.0, "l2", where)
        positive_number(self.init_stddev, "init_stddev", where)


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-mf-score", "eq-mf-objective")
class MatrixFactorization(UserItemModel):
    """:math:`\\hat{r}_{ui} = \\mu + b_u + b_i + \\mathbf{p}_u^\\top \\mathbf{e}_i`.

    ``call`` takes a dict of integer ids: ``{"user": (B,), "item": (B,) or (B, C)}`` returns
    scores of the shape of ``item`` (``(B,)`` for ratings, ``(B, C)`` for a positive and ``C - 1``
    sampled negatives, the form of :mod:`reclab.losses`' candidate losses); ``{"user": (B,)}``
    alone returns the scores of every item id, ``(B, N + 1)`` (for a full softmax).
    :meth:`score` implements :class:`reclab.models.Scorer`: it needs ``users`` and ignores the
    histories (matrix factorisation has no notion of order).

    Args:
        num_users: :math:`U`; user ids are ``1..U`` (0 is unused, as for items).
        num_items: :math:`N`; item ids are ``1..N``, 0 is padding.
        config: a :class:`MatrixFactorizationConfig` (or its fields as a dict).

    Example:
        >>> mf = MatrixFactorization(3, 5, MatrixFactorizationConfig(dim=4))
        >>> mf({"user": np.array([1, 2]), "item": np.array([[1, 2, 3], [4, 5, 1]])}).shape
        TensorShape([2, 3])
        >>> mf({"user": np.array([1, 2])}).shape                  # every item id
        TensorShape([2, 6])
        >>> mf.score(np.zeros((2, 1), int), users=np.array([1, 3])).shape
        (2, 6)
    """

    config_class = MatrixFactorizationConfig

    @staticmethod
    def parameter_count(num_items: int, num_users: int, config: MatrixFactorizationConfig) -> int:
        """The number of weights, from the configuration alone."""
        rows = (num_users + 1) + (num_items + 1)
        return rows * config.dim + (rows if config.use_bias else 0)

    def build_layers(self) -> None:
        """Create the tables (done by :func:`reclab.training.fit` after seeding, or on use).

        The initialiser is made here, not in ``__init__``: a Keras initialiser draws its seed
        when it is created, so a model built after :func:`reclab.seeding.set_seed` starts from
        the same weights for the same seed.
        """
        config = self.config
        init = keras.initializers.RandomNormal(stddev=config.init_stddev)
        self.user_embedding = keras.layers.Embedding(
            self.num_users + 1, config.dim, embeddings_initializer=init, name="P"
        )  # P: (U + 1, d)
        self.item_embedding = keras.layers.Embedding(
            self.num_items + 1, config.dim, embeddings_initializer=init, name="Q"
        )  # Q: (N + 1, d)
        tables = [self.user_embedding, self.item_embedding]
        if config.use_bias:
            self.user_bias = keras.layers.Embedding(
                self.num_users + 1, 1, embeddings_initializer="zeros", name="b_user"
            )  # (U + 1, 1)
            self.item_bias = keras.layers.Embedding(
                self.num_items + 1, 1, embeddings_initializer="zeros", name="b_item"
            )  # (N + 1, 1)
            tables += [self.user_bias, self.item_bias]
        for table in tables:
            table.build()

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        users = inputs["user"]
        p = self.user_embedding(users)  # (B, d)
        if "item" not in inputs:  # every item id: (B, N + 1)
            scores = dot_scores(p, self.item_embedding.embeddings)
            if self.config.use_bias:
                b_i = ops.squeeze(self.item_bias.embeddings, -1)  # (N + 1,)
                scores = scores + self.user_bias(users) + b_i + self.config.global_mean
            if training and self.config.l2 > 0:
                self.add_loss(self.config.l2 * ops.mean(ops.sum(ops.square(p), axis=-1)))
            return scores
        items = inputs["item"]
        single = len(items.shape) == 1
        if single:
            items = ops.expand_dims(items, -1)  # (B, 1)
        q = self.item_embedding(items)  # (B, C, d)
        scores = ops.einsum("bd,bcd->bc", p, q)  # (B, C)
        penalty = ops.sum(ops.square(p), axis=-1) + ops.mean(ops.sum(ops.square(q), -1), -1)
        if self.config.use_bias:
            b_u = self.user_bias(users)  # (B, 1)
            b_i = ops.squeeze(self.item_bias(items), -1)  # (B, C)
            scores = scores + b_u + b_i + self.config.global_mean
            penalty = penalty + ops.squeeze(ops.square(b_u), -1) + ops.mean(ops.square(b_i), -1)
        if training and self.config.l2 > 0:
            self.add_loss(self.config.l2 * ops.mean(penalty))
        return ops.squeeze(scores, -1) if single else scores

    def score(self, histories: np.ndarray | None, users: np.ndarray | None = None) -> np.ndarray:
        """``(B, N + 1)``: :math:`\\hat{r}_{ui}` of every item for each user; column 0 ``-inf``.

        ``histories`` is accepted for the :class:`~reclab.models.Scorer` interface and only
        its length is checked against ``users``.
        """
        users = self.check_users(histories, users)
        p = self.user_embedding.embeddings.numpy()[users]  # (B, d)
        q = self.item_embedding.embeddings.numpy()  # (N + 1, d)
        scores = np.array(dot_scores(p, q))  # (B, N + 1), a writable copy
        if self.config.use_bias:
            scores = scores + self.user_bias.embeddings.numpy()[users]  # (B, 1)
            scores = scores + self.item_bias.embeddings.numpy()[:, 0] + self.config.global_mean
        scores[:, 0] = -np.inf
        return check_scores(scores, len(users), self.num_items, "MatrixFactorization.score")

    def item_vectors(self) -> np.ndarray:
        """``(N + 1, d)``: the learned item embeddings :math:`\\mathbf{E}` (row 0 = padding)."""
        self.build()
        return self.item_embedding.embeddings.numpy()
