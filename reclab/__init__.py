"""RecLab: the companion package of *Deep Learning for Sequential Recommendation*.

The package follows the path the data takes::

    data -> models -> losses -> training -> metrics / evaluation -> recommend -> serving
                                                   plotting (figures for the book)

Submodules are imported on first use, so ``import reclab`` is cheap and
``reclab.losses.bpr`` works without importing ``reclab.losses`` first.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

# The public submodules, in the order the data flows through them.
_SUBMODULES = (
    "data",
    "models",
    "losses",
    "metrics",
    "training",
    "evaluation",
    "recommend",
    "serving",
    "privacy",
    "plotting",
    "reference",
    "benchmark_results",
    "environment",
    "seeding",
    "formulas",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'reclab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
