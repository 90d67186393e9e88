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

import dataclasses
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from reclab.formulas import implements
from reclab.models.base import check_scores

__all__ = ["MatrixFactorization", "MatrixFactorizationConfig"]


def _positive_int(value: Any, name: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class MatrixFactorizationConfig:
    """Hyper-parameters of :class:`MatrixFactorization`.

    Attributes:
        num_users: :math:`U`; user ids are ``1..U`` (0 unused, as for items).
        num_items: :math:`N`; item ids are ``1..N``, 0 is padding.
        embedding_dim: :math:`d`, the length of :math:`\\mathbf{p}_u` and
            :math:`\\mathbf{e}_i`. Default 32 (Koren et al. 2009 report 10 to 200 factors;
            Rendle et al. 2020 use 16 to 192).
        use_bias: add :math:`\\mu + b_u + b_i`; ``False`` leaves the plain dot product
            (biases do not change a user's ranking except through :math:`b_i`).
        global_mean: :math:`\\mu`, fixed (not trained): the mean training rating for
            explicit feedback, 0 for implicit feedback.
        l2: :math:`\\lambda`, the weight of the L2 penalty on the batch's embeddings and
            biases. Default 0.0; ratings on MovieLens want about 1e-4 to 1e-3 with Adam.
        init_stddev: standard deviation of the normal initialiser of :math:`\\mathbf{P}` and
            :math:`\\mathbf{E}` (biases start at 0). Default 0.1 (Rendle et al. 2020 use
            :math:`1/\\sqrt{d}`-scaled small normals).
    """

    num_users: int
    num_items: int
    embedding_dim: int = 32
    use_bias: bool = True
    global_mean: float = 0.0
    l2: float = 0.0
    init_stddev: float = 0.1

    def __post_init__(self) -> None:
        where = "MatrixFactorizationConfig"
        _positive_int(self.num_users, "num_users", where)
        _positive_int(self.num_items, "num_items", where)
        _positive_int(self.embedding_dim, "embedding_dim", where)
        if not np.isfinite(self.global_mean):
            raise ValueError(f"{where}: global_mean must be finite, got {self.global_mean!r}")
        if not (np.isfinite(self.l2) and self.l2 >= 0):
            raise ValueError(f"{where}: l2 must be a finite number >= 0, got {self.l2!r}")
        if not (np.isfinite(self.init_stddev) and self.init_stddev > 0):
            raise ValueError(f"{where}: init_stddev must be > 0, got {self.init_stddev!r}")


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-mf-score", "eq-mf-objective")
class MatrixFactorization(keras.Model):
    """:math:`\\hat{r}_{ui} = \\mu + b_u + b_i + \\mathbf{p}_u^\\top \\mathbf{e}_i`.

    ``call`` takes a dict ``{"user": (B,), "item": (B,) or (B, C)}`` of integer ids and returns
    scores of the same shape as ``item``: ``(B,)`` for ratings, ``(B, C)`` for a positive and
    ``C - 1`` sampled negatives (the form :mod:`reclab.losses`' candidate losses take).
    :meth:`score` implements :class:`reclab.models.Scorer`: it needs ``users`` and ignores the
    histories (matrix factorisation has no notion of order).

    Args:
        config: a :class:`MatrixFactorizationConfig`, or ``None`` with the same fields as
            keyword arguments.

    Example:
        >>> mf = MatrixFactorization(MatrixFactorizationConfig(num_users=3, num_items=5,
        ...                                                     embedding_dim=4))
        >>> mf({"user": np.array([1, 2]), "item": np.array([[1, 2, 3], [4, 5, 1]])}).shape
        TensorShape([2, 3])
        >>> mf.score(np.zeros((2, 1), int), users=np.array([1, 3])).shape
        (2, 6)
    """

    def __init__(
        self, config: MatrixFactorizationConfig | dict | None = None, **kwargs: Any
    ) -> None:
        base_kwargs = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype") if k in kwargs}
        if config is None:
            config = MatrixFactorizationConfig(**kwargs)
        elif isinstance(config, dict):
            config = MatrixFactorizationConfig(**config)
        elif kwargs:
            raise TypeError(f"MatrixFactorization: unexpected arguments {sorted(kwargs)}")
        super().__init__(**base_kwargs)
        self.config = config
        self.num_items = config.num_items
        init = keras.initializers.RandomNormal(stddev=config.init_stddev)
        self.user_embedding = keras.layers.Embedding(
            config.num_users + 1, config.embedding_dim, embeddings_initializer=init, name="P"
        )  # P: (U + 1, d)
        self.item_embedding = keras.layers.Embedding(
            config.num_items + 1, config.embedding_dim, embeddings_initializer=init, name="Q"
        )  # Q: (N + 1, d)
        self.user_embedding.build()
        self.item_embedding.build()
        if config.use_bias:
            self.user_bias = keras.layers.Embedding(
                config.num_users + 1, 1, embeddings_initializer="zeros", name="b_user"
            )  # (U + 1, 1)
            self.item_bias = keras.layers.Embedding(
                config.num_items + 1, 1, embeddings_initializer="zeros", name="b_item"
            )  # (N + 1, 1)
            self.user_bias.build()
            self.item_bias.build()

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        users, items = inputs["user"], inputs["item"]
        single = len(items.shape) == 1
        if single:
            items = ops.expand_dims(items, -1)  # (B, 1)
        p = self.user_embedding(users)  # (B, d)
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
        if users is None:
            raise ValueError(
                "MatrixFactorization.score: users is required (a (B,) array of user ids); "
                "use reclab.models.score_fn(model, with_users=True) with the evaluators"
            )
        users = np.asarray(users).astype(np.int64).reshape(-1)
        if histories is not None and len(histories) != len(users):
            raise ValueError(
                f"MatrixFactorization.score: {len(histories)} histories but {len(users)} users"
            )
        if users.size and (users.min() < 0 or users.max() > self.config.num_users):
            raise ValueError(
                f"MatrixFactorization.score: user ids must be in [0, {self.config.num_users}]"
            )
        p = self.user_embedding.embeddings.numpy()[users]  # (B, d)
        q = self.item_embedding.embeddings.numpy()  # (N + 1, d)
        scores = p @ q.T  # (B, N + 1)
        if self.config.use_bias:
            scores += self.user_bias.embeddings.numpy()[users]  # (B, 1)
            scores += self.item_bias.embeddings.numpy()[:, 0] + self.config.global_mean
        scores[:, 0] = -np.inf
        return check_scores(scores, len(users), self.num_items, "MatrixFactorization.score")

    def item_vectors(self) -> np.ndarray:
        """``(N + 1, d)``: the learned item embeddings :math:`\\mathbf{E}` (row 0 = padding)."""
        return self.item_embedding.embeddings.numpy()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "config": dataclasses.asdict(self.config)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MatrixFactorization:
        return cls(**config)
