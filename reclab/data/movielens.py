"""The MovieLens family: pinned official archives, verified cache, parsers of the upstream formats.

=================  =========================================================  ==================
name               files read (format)                                        per-file hashes
=================  =========================================================  ==================
ml-latest-small    ``ratings.csv``, ``movies.csv`` (CSV, header, CRLF, UTF-8)  pinned (published)
ml-100k            ``u.data`` (tab-separated), ``u.item`` (``|``, latin-1)      recorded on extract
ml-1m              ``ratings.dat``, ``movies.dat`` (``::``, latin-1)            recorded on extract
=================  =========================================================  ==================

The default real data set of the book is ``ml-latest-small``. GroupLens asks users of MovieLens
data to cite Harper and Konstan (2015) (``harper2015movielens``); the book also cites the data
set's README (``grouplens2018mlsmall``). See :mod:`reclab.data.cache` for how files are verified.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reclab.data.cache import DatasetSpec, fetch_dataset
from reclab.data.validation import validate_interactions

__all__ = ["MOVIELENS", "MovieLens", "fetch_movielens", "load_movielens"]

logger = logging.getLogger(__name__)

_BASE = "https://files.grouplens.org/datasets/movielens"
_LICENCE = (
    "GroupLens research licence: research use, cite Harper & Konstan (2015), no endorsement, "
    "non-commercial; see the data set's README"
)

#: The supported data sets, by name.
MOVIELENS: dict[str, DatasetSpec] = {
    "ml-latest-small": DatasetSpec(
        name="ml-latest-small",
        url=f"{_BASE}/ml-latest-small.zip",
        archive_sha256="696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        files={
            "ratings.csv": "aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646",
            "movies.csv": "5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07",
        },
        citation=("harper2015movielens", "grouplens2018mlsmall"),
        licence=_LICENCE,
    ),
    "ml-100k": DatasetSpec(
        name="ml-100k",
        url=f"{_BASE}/ml-100k.zip",
        archive_sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        files={"u.data": None, "u.item": None},
        citation=("harper2015movielens",),
        licence=_LICENCE,
    ),
    "ml-1m": DatasetSpec(
        name="ml-1m",
        url=f"{_BASE}/ml-1m.zip",
        archive_sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        files={"ratings.dat": None, "movies.dat": None},
        citation=("harper2015movielens",),
        licence=_LICENCE,
    ),
}

#: The 19 genre flags of ml-100k's ``u.item``, in file order (as listed in ``u.genre``).
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)  # fmt: skip


@dataclass(frozen=True)
class MovieLens:
    """A loaded MovieLens data set.

    Attributes:
        name: e.g. ``"ml-latest-small"``.
        interactions: the interaction schema (``user_id``, ``item_id``, ``timestamp`` int64;
            ``rating`` float32 on the data set's 0.5-5 or 1-5 star scale), in file order.
        items: one row per movie: ``item_id`` (int64, the raw ``movieId``), ``title`` (str),
            ``genres`` (str, ``|``-separated), ``category`` (str, the first listed genre).
        path: the folder the verified files were read from.
        citation: bibliography keys to cite when using the data.
    """

    name: str
    interactions: pd.DataFrame
    items: pd.DataFrame
    path: Path
    citation: tuple[str, ...]

    def titles(self, item_ids: Any, *, width: int | None = None) -> list[str]:
        """The titles of raw ``movieId`` s, in order; cut to ``width`` characters with "…".

        Example:
            >>> ml = MovieLens("demo", pd.DataFrame(), pd.DataFrame(
            ...     {"item_id": [1, 2], "title": ["Toy Story (1995)", "Jumanji (1995)"]}),
            ...     Path("."), ())
            >>> ml.titles([2, 1], width=10)
            ['Jumanji (…', 'Toy Story…']
        """
        lookup = self.items.drop_duplicates("item_id").set_index("item_id")["title"]
        missing = [int(i) for i in item_ids if i not in lookup.index]
        if missing:
            raise KeyError(f"MovieLens.titles: no movie with item_id {missing[0]} in {self.name}")
        titles = [str(t) for t in lookup.loc[list(item_ids)]]
        if width is None:
            return titles
        return [t if len(t) <= width else t[: width - 1] + "…" for t in titles]


def fetch_movielens(
    name: str = "ml-latest-small",
    *,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = True,
    downloader: Callable[..., Any] | None = None,
) -> Path:
    """Make sure a MovieLens data set is in the cache, verified, and return its folder.

    See :func:`reclab.data.fetch_dataset` for the order of attempts; ``download=False`` never
    touches the network.

    Raises:
        ValueError: an unknown ``name``.
        DatasetNotAvailableError: offline (``download=False``) with no verified copy; the message
            names the data set, the URL, the folder to put the files in and the expected hashes.
    """
    return fetch_dataset(_spec(name), home=data_home, download=download, downloader=downloader)


def load_movielens(
    name: str = "ml-latest-small",
    *,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = True,
    downloader: Callable[..., Any] | None = None,
) -> MovieLens:
    """Load a MovieLens data set (ratings and movie titles/genres) from verified files.

    Args:
        name: ``"ml-latest-small"`` (default), ``"ml-100k"`` or ``"ml-1m"``.
        data_home: the cache folder (default ``$RECLAB_DATA``, else ``pooch.os_cache("reclab")``).
        download: allow a download when no verified copy is cached.
        downloader: passed to :func:`pooch.retrieve`.

    Returns:
        A :class:`MovieLens` with ``interactions`` and ``items``.

    Example:
        >>> ml = load_movielens("ml-latest-small", download=False)  # doctest: +SKIP
        >>> ml.interactions.shape, ml.items.shape  # doctest: +SKIP
        ((100836, 4), (9742, 4))
    """
    spec = _spec(name)
    folder = fetch_dataset(spec, home=data_home, download=download, downloader=downloader)
    interactions, items = _PARSERS[spec.name](folder)
    logger.info(
        "%s: %d ratings by %d users on %d movies",
        spec.name,
        len(interactions),
        interactions["user_id"].nunique(),
        len(items),
    )
    return MovieLens(spec.name, interactions, items, folder, spec.citation)


def _spec(name: str) -> DatasetSpec:
    if name not in MOVIELENS:
        known = sorted(MOVIELENS)
        raise ValueError(f"unknown MovieLens data set {name!r}; expected one of {known}")
    return MOVIELENS[name]


def _items_frame(item_id: Any, title: Any, genres: pd.Series) -> pd.DataFrame:
    genres = genres.astype(str)
    return pd.DataFrame(
        {
            "item_id": pd.Series(item_id).astype("int64").to_numpy(),
            "title": pd.Series(title).astype(str).to_numpy(),
            "genres": genres.to_numpy(),
            "category": genres.str.split("|").str[0].to_numpy(),
        }
    )


def _parse_latest_small(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    # CRLF line endings, a header, titles with commas quoted: pandas' C parser reads all three.
    ratings_path = folder / "ratings.csv"
    ratings = pd.read_csv(ratings_path, dtype=str, keep_default_na=False, na_values=[""])
    interactions = validate_interactions(
        ratings,
        source=str(ratings_path),
        columns={"user_id": "userId", "item_id": "movieId", "rating": "rating"},
        line_unit="line",
        first_line=2,
    )
    movies = pd.read_csv(folder / "movies.csv", dtype=str, keep_default_na=False)
    return interactions, _items_frame(movies["movieId"], movies["title"], movies["genres"])


def _parse_100k(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    data_path = folder / "u.data"
    ratings = pd.read_csv(
        data_path,
        sep="\t",
        header=None,
        names=["user_id", "item_id", "rating", "timestamp"],
        dtype=str,
    )
    interactions = validate_interactions(ratings, source=str(data_path), line_unit="line")
    names = ["item_id", "title", "release", "video_release", "url", *ML100K_GENRES]
    movies = pd.read_csv(
        folder / "u.item", sep="|", header=None, names=names, encoding="latin-1", dtype=str
    )
    flags = movies[list(ML100K_GENRES)].astype(int)
    genres = flags.dot(pd.Index([f"{g}|" for g in ML100K_GENRES])).str.rstrip("|")
    return interactions, _items_frame(movies["item_id"], movies["title"], genres)


def _parse_1m(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ratings_path = folder / "ratings.dat"
    # "1::1193::5::978300760": splitting on ":" leaves empty fields between the values, which
    # lets pandas' fast C parser read the file (the python engine is needed for "::" itself).
    ratings = pd.read_csv(
        ratings_path,
        sep=":",
        header=None,
        usecols=[0, 2, 4, 6],
        names=["user_id", "e1", "item_id", "e2", "rating", "e3", "timestamp"],
        dtype=str,
    )
    interactions = validate_interactions(ratings, source=str(ratings_path), line_unit="line")
    movies = pd.read_csv(
        folder / "movies.dat",
        sep="::",
        engine="python",
        header=None,
        names=["item_id", "title", "genres"],
        encoding="latin-1",
        dtype=str,
    )
    return interactions, _items_frame(movies["item_id"], movies["title"], movies["genres"])


_PARSERS: dict[str, Callable[[Path], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "ml-latest-small": _parse_latest_small,
    "ml-100k": _parse_100k,
    "ml-1m": _parse_1m,
}
