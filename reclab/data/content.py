r"""Item content: what a catalogue says about each item, as arrays a model can embed.

A recommender that knows items only by their ids cannot rank an item nobody has clicked yet. The
catalogue knows more: MovieLens lists each film's title (with its year) and genres; the synthetic
shop's items have a category from the generating process. :func:`item_content` turns a catalogue
table (``item_id``, ``title``, ``genres``, the schema of :class:`reclab.data.MovieLens` and
:class:`reclab.data.SyntheticShop`) into three aligned arrays, one row per encoded item id
(row 0 is padding):

- ``title_tokens`` ``(N + 1, T)``: the title's words as token ids, learned here by Keras'
  ``TextVectorization`` on the catalogue's own titles (nothing downloaded; 0 pads, 1 is an
  out-of-vocabulary word), the year removed;
- ``genres`` ``(N + 1, G)``: a multi-hot row over the catalogue's genres (``|``-separated);
- ``year_bucket`` ``(N + 1,)``: the year in the title's trailing ``(YYYY)`` in 5-year buckets
  ``1..``, 0 where the title has none.

:class:`reclab.models.ItemContentTower` maps these rows to item vectors. The vocabulary is
fitted on the whole catalogue, including items without events: a catalogue's text is known
before anyone buys, so this leaks nothing about behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclab.data.idmap import IdMapping

__all__ = ["ItemContent", "item_content"]

#: Years before this are bucket 1, and the buckets are ``YEAR_STEP`` years wide.
FIRST_YEAR, YEAR_STEP, YEAR_BUCKETS = 1900, 5, 25
_YEAR = re.compile(r"\((\d{4})\)\s*$")
_NO_GENRE = {"", "(no genres listed)"}


@dataclass(frozen=True)
class ItemContent:
    """Content arrays aligned with encoded item ids ``0..N`` (see the module docstring).

    Attributes:
        title_tokens: ``(N + 1, T)`` int32 token ids of each title (0 pads, 1 is unknown).
        genres: ``(N + 1, G)`` float32 multi-hot genres.
        year_bucket: ``(N + 1,)`` int32 year bucket, 0 for no year.
        vocabulary: the title tokens, index ``k`` is token id ``k`` (``""`` and ``"[UNK]"``
            first).
        genre_names: the genre of each column of :attr:`genres`.
    """

    title_tokens: np.ndarray
    genres: np.ndarray
    year_bucket: np.ndarray
    vocabulary: tuple[str, ...]
    genre_names: tuple[str, ...]

    @property
    def num_items(self) -> int:
        """:math:`N` (rows minus the padding row)."""
        return len(self.year_bucket) - 1

    def shape(self) -> dict[str, int]:
        """The sizes a content tower is built from (saved in a model's configuration)."""
        return {
            "num_ids": len(self.year_bucket),
            "title_length": int(self.title_tokens.shape[1]),
            "vocabulary_size": len(self.vocabulary),
            "num_genres": len(self.genre_names),
            "year_buckets": YEAR_BUCKETS + 1,
        }

    def describe(self, item: int) -> str:
        """The content of encoded item ``item`` in words (for checking what a model reads)."""
        words = [self.vocabulary[t] for t in self.title_tokens[item] if t > 0]
        genres = [g for g, on in zip(self.genre_names, self.genres[item], strict=True) if on]
        bucket = int(self.year_bucket[item])
        year = "no year"
        if bucket:
            start = FIRST_YEAR + (bucket - 1) * YEAR_STEP
            year = f"{start}-{start + YEAR_STEP - 1}" if bucket > 1 else f"before {FIRST_YEAR + 5}"
        return f"title {' '.join(words)!r}; genres {', '.join(genres) or 'none'}; {year}"


def _year_bucket(titles: pd.Series) -> np.ndarray:
    years = titles.str.extract(_YEAR, expand=False).astype("float64")
    bucket = 1 + np.clip((years - FIRST_YEAR) // YEAR_STEP, 0, YEAR_BUCKETS - 1)
    return bucket.fillna(0).to_numpy(np.int32)


def _genre_lists(column: pd.Series) -> list[list[str]]:
    return [[g for g in str(text).split("|") if g not in _NO_GENRE] for text in column]


def _title_words(titles: pd.Series) -> list[str]:
    return titles.str.replace(_YEAR, "", regex=True).str.strip().tolist()


def item_content(
    items: pd.DataFrame,
    mapping: IdMapping,
    *,
    max_tokens: int = 5000,
    title_length: int = 8,
    min_titles: int = 2,
    fit_on: pd.DataFrame | None = None,
) -> ItemContent:
    """Content arrays for every item of ``mapping``, from a catalogue table.

    Args:
        items: one row per raw item id with ``item_id``, ``title`` and ``genres`` (``|``
            between genres), e.g. :attr:`reclab.data.MovieLens.items` or the ``items`` table of
            :class:`reclab.data.SyntheticShop`.
        mapping: the item id mapping of the experiment (row ``k`` of the result is encoded
            id ``k``).
        max_tokens: the largest title vocabulary (the most frequent words; the rest are "unknown").
        title_length: :math:`T`, words kept per title (longer titles are cut).
        min_titles: a word must occur in at least this many titles to be kept (default 2). A
            word of one title only ("Grumpier", of "Grumpier Old Men") is an item id in
            disguise: a model learns it for that item and it tells nothing about any other, so
            it is dropped from the title (its item keeps its id row, genres, year and other
            words).
        fit_on: the catalogue table the vocabulary and the genre list are learned from
            (default: the rows of ``mapping``'s items). Two domains whose content is built with
            the same ``fit_on`` (e.g. the whole catalogue, :func:`reclab.data.two_domains`)
            share token and genre ids, so a content tower trained on one reads the other
            (:func:`reclab.training.transfer_weights`).

    Raises:
        ValueError: a column is missing, an item of ``mapping`` has no catalogue row (its
            raw id is named), or it has a genre that ``fit_on`` does not list.

    Example:
        >>> catalogue = pd.DataFrame({"item_id": [10, 20],
        ...                           "title": ["Heat (1995)", "Heat 2 (2009)"],
        ...                           "genres": ["Action|Crime", "Animation"]})
        >>> c = item_content(catalogue, IdMapping.fit([10, 20]))
        >>> c.genre_names, c.genres[1].tolist(), c.year_bucket.tolist()
        (('Action', 'Animation', 'Crime'), [1.0, 0.0, 1.0], [0, 20, 22])
        >>> c.describe(2)
        "title 'heat'; genres Animation; 2005-2009"
    """
    for name, frame in (("catalogue", items), ("fit_on", fit_on)):
        missing = [c for c in ("item_id", "title", "genres") if frame is not None
                   and c not in frame.columns]  # fmt: skip
        if missing:
            raise ValueError(f"item_content: the {name} table has no column {missing[0]!r}")
    table = items.drop_duplicates("item_id").set_index("item_id")
    raw = mapping.raw_ids
    absent = ~np.isin(raw, table.index.to_numpy())
    if absent.any():
        raise ValueError(
            f"item_content: {int(absent.sum())} items of the mapping have no catalogue row "
            f"(first raw item_id {int(raw[absent][0])})"
        )
    rows = table.loc[raw]
    basis = rows if fit_on is None else fit_on.drop_duplicates("item_id")
    titles = rows["title"].astype(str)
    genre_lists = _genre_lists(rows["genres"])
    genre_names = tuple(sorted({g for genres in _genre_lists(basis["genres"]) for g in genres}))
    column = {g: k for k, g in enumerate(genre_names)}
    genres = np.zeros((len(raw) + 1, len(genre_names)), np.float32)
    for row, names in enumerate(genre_lists, start=1):
        unknown = [g for g in names if g not in column]
        if unknown:
            raise ValueError(
                f"item_content: item_id {int(raw[row - 1])} has genre {unknown[0]!r}, which "
                "the fit_on table does not list"
            )
        genres[row, [column[g] for g in names]] = 1.0

    import keras  # TensorFlow only when content is built (reclab.data stays light)

    words = _title_words(titles)
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=title_length, name="title_words"
    )
    basis_words = _title_words(basis["title"].astype(str))
    vectorizer.adapt(basis_words)
    titles_with = np.zeros(len(vectorizer.get_vocabulary()), np.int64)
    for row in np.asarray(vectorizer(basis_words), dtype=np.int32):  # counted on the basis
        titles_with[np.unique(row[row > 1])] += 1
    found = np.asarray(vectorizer(words), dtype=np.int32)  # (N, T), the full vocabulary
    full = vectorizer.get_vocabulary()
    vocabulary = [w for k, w in enumerate(full) if k < 2 or titles_with[k] >= min_titles]
    old_to_new = np.zeros(len(titles_with), np.int32)
    kept = np.flatnonzero((np.arange(len(titles_with)) >= 2) & (titles_with >= min_titles))
    old_to_new[kept] = np.arange(2, 2 + len(kept), dtype=np.int32)
    tokens = np.zeros((len(raw) + 1, title_length), np.int32)
    for row, ids in enumerate(found, start=1):  # rare words removed, the rest left-aligned
        ids = old_to_new[ids[ids > 1]]
        ids = ids[ids > 0][:title_length]
        tokens[row, : len(ids)] = ids
    year = np.concatenate([[0], _year_bucket(titles)]).astype(np.int32)
    return ItemContent(
        title_tokens=tokens,
        genres=genres,
        year_bucket=year,
        vocabulary=tuple(str(w) for w in vocabulary),
        genre_names=genre_names,
    )
