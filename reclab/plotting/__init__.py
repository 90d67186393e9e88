"""Figures for the book: every function takes data and returns a Matplotlib figure or axes.

No computation happens here: a figure function receives what it draws. The book's look (seaborn
theme, figure sizes per kind of plot) comes from :func:`use_book_style`.

Each topic lives in its own module (``reclab.plotting.data``, ``reclab.plotting.losses`` ...);
their public names are re-exported here, so a notebook writes ``reclab.plotting.<name>``.
"""

from __future__ import annotations

import importlib

_TOPICS = (
    "style",
    "checks",
    "scores",
    "data",
    "losses",
    "metrics",
    "attention",
    "embeddings",
    "training",
    "scaling",
)

__all__: list[str] = []
for _topic in _TOPICS:
    try:
        _module = importlib.import_module(f"{__name__}.{_topic}")
    except ModuleNotFoundError as _error:
        if _error.name != f"{__name__}.{_topic}":
            raise
        continue
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
del _topic, _module
