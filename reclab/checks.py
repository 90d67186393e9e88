"""Argument checks at the boundary: one function per kind of value, one message style.

Each check returns the value in its canonical type (``int``, ``float``) or raises ``ValueError``
naming where the value came from, the argument, the value received and what was expected, e.g.
``SASRecConfig: dim must be a positive integer, got 0``. Configurations call them in
``__post_init__``, so an invalid configuration cannot be constructed.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np

__all__ = [
    "fraction",
    "id_matrix",
    "integer_at_least",
    "non_negative_int",
    "number_at_least",
    "one_of",
    "positive_int",
    "positive_number",
]


def integer_at_least(value: Any, low: int, name: str, where: str) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) and ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        expected = {0: "an integer >= 0", 1: "a positive integer"}.get(low, f"an integer >= {low}")
        raise ValueError(f"{where}: {name} must be {expected}, got {value!r}")
    return int(value)


def positive_int(value: Any, name: str, where: str) -> int:
    """``value`` as an ``int`` if it is an integer ``>= 1``.

    Example:
        >>> positive_int(3, "dim", "Config")
        3
        >>> positive_int(True, "dim", "Config")
        Traceback (most recent call last):
        ...
        ValueError: Config: dim must be a positive integer, got True
    """
    return integer_at_least(value, 1, name, where)


def non_negative_int(value: Any, name: str, where: str) -> int:
    """``value`` as an ``int`` if it is an integer ``>= 0``."""
    return integer_at_least(value, 0, name, where)


def number_at_least(
    value: Any, low: float, name: str, where: str, *, strict: bool = False
) -> float:
    """``value`` as a finite ``float`` that is ``>= low`` (``> low`` with ``strict``)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        value_f = float(value)
        ok = math.isfinite(value_f) and (value_f > low if strict else value_f >= low)
    if not ok:
        relation = ">" if strict else ">="
        raise ValueError(
            f"{where}: {name} must be a finite number {relation} {low:g}, got {value!r}"
        )
    return float(value)


def positive_number(value: Any, name: str, where: str) -> float:
    """``value`` as a finite ``float > 0`` (``inf`` and ``nan`` are refused).

    Example:
        >>> positive_number(float("inf"), "learning_rate", "TrainingConfig")
        Traceback (most recent call last):
        ...
        ValueError: TrainingConfig: learning_rate must be a finite number > 0, got inf
    """
    return number_at_least(value, 0.0, name, where, strict=True)


def fraction(value: Any, name: str, where: str, *, include_one: bool = False) -> float:
    """``value`` as a ``float`` in ``[0, 1)`` (``[0, 1]`` with ``include_one``): a dropout rate."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        ok = 0.0 <= float(value) <= 1.0 if include_one else 0.0 <= float(value) < 1.0
    if not ok:
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{where}: {name} must be a number in {interval}, got {value!r}")
    return float(value)


def one_of(value: Any, choices: Collection[Any], name: str, where: str) -> Any:
    """``value`` if it is one of ``choices``.

    Example:
        >>> one_of("cosine", ("constant", "cosine"), "lr_schedule", "TrainingConfig")
        'cosine'
    """
    if value not in choices:
        raise ValueError(f"{where}: {name}={value!r}; expected one of {tuple(choices)}")
    return value


def id_matrix(
    value: Any, name: str, where: str, *, shape: str = "(B, L)", layout: str = "left-padded with 0"
) -> np.ndarray:
    """``value`` as a 2-D integer NumPy array of item ids (empty allowed) with no negative id.

    ``shape`` and ``layout`` only word the message, e.g. ``"(B, K)"`` and ``"0 = empty slot"``.

    Example:
        >>> id_matrix([[0, 3]], "histories", "Popularity.score").shape
        (1, 2)
        >>> id_matrix([1, 2], "histories", "Popularity.score")
        Traceback (most recent call last):
        ...
        ValueError: Popularity.score: histories must be a (B, L) integer array left-padded with 0, got shape (2,) and dtype int64
    """  # noqa: E501
    array = np.asarray(value)
    if array.ndim != 2 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(
            f"{where}: {name} must be a {shape} integer array {layout}, got shape "
            f"{array.shape} and dtype {array.dtype}"
        )
    if array.size and array.min() < 0:
        raise ValueError(f"{where}: {name} hold a negative id {int(array.min())}")
    return array
