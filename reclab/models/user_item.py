"""What the models with a vector per user share: sizes, configuration, building and saving.

:class:`~reclab.models.MatrixFactorization` and :class:`~reclab.models.NeuMF` score (user, item)
pairs. A subclass sets :attr:`UserItemModel.config_class` and implements ``build_layers`` (create
the layers; it runs after :func:`reclab.seeding.set_seed` in :func:`reclab.training.fit`, so the
initial weights depend on the seed only), ``call`` and ``score``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
import numpy as np

from reclab.checks import positive_int
from reclab.models.base import coerce_config

__all__ = ["UserItemModel", "check_user_ids"]


def check_user_ids(users: Any, num_users: int, where: str) -> np.ndarray:
    """``users`` as a ``(B,)`` int array of ids in ``0..num_users``, or a ``ValueError``."""
    if users is None:
        raise ValueError(
            f"{where}: users is required (a (B,) array of user ids): this model has a vector "
            "per user; evaluate it on an EvaluationSet, which carries the user ids"
        )
    users = np.asarray(users).astype(np.int64).reshape(-1)
    if users.size and (users.min() < 0 or users.max() > num_users):
        raise ValueError(f"{where}: user ids must be in [0, {num_users}]")
    return users


class UserItemModel(keras.Model):
    """Base class of the models with user vectors: ``(num_users, num_items, config)``.

    Args:
        num_users: :math:`U`; user ids are ``1..U`` (0 is unused).
        num_items: :math:`N`; item ids are ``1..N``, 0 is padding.
        config: the subclass's configuration, a dict of its fields, or ``None`` (defaults).
    """

    #: The frozen dataclass that configures a subclass.
    config_class: type = object
    #: Learns from (user, item) events (see :class:`~reclab.models.Scorer`).
    reads = "users"

    def __init__(self, num_users: int, num_items: int, config: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.config = coerce_config(self.config_class, config, name)
        self.num_users = positive_int(num_users, "num_users", name)
        self.num_items = positive_int(num_items, "num_items", name)

    def build_layers(self) -> None:
        """Create and build every layer (called once by :meth:`build`)."""
        raise NotImplementedError

    def build(self, input_shape: Any = None) -> None:
        if not self.built:
            self.build_layers()
            self.built = True

    def check_users(self, histories: Any, users: Any) -> np.ndarray:
        """The ``users`` of a ``score(histories, users)`` call, checked (and the model built)."""
        where = f"{type(self).__name__}.score"
        users = check_user_ids(users, self.num_users, where)
        if histories is not None and len(histories) != len(users):
            raise ValueError(f"{where}: {len(histories)} histories but {len(users)} users")
        self.build()
        return users

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "num_users": self.num_users,
            "num_items": self.num_items,
            "config": dataclasses.asdict(self.config),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> UserItemModel:
        return cls(**config)

    def get_build_config(self) -> dict[str, Any]:
        return {"input_shape": None}

    def build_from_config(self, config: dict[str, Any]) -> None:
        self.build()
