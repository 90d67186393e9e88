"""Saving and loading trained models as ``.keras`` files that know their catalogue and version.

A model saved with :func:`save_model` carries ``num_items``, a fingerprint of the catalogue (the
raw item ids behind encoded ids ``1..N``) and the reclab version in its configuration.
:func:`load_model` reads that configuration *before* building anything and refuses, with a
one-line reason, a file from another reclab version or for another catalogue. Loading always uses
``safe_mode=True`` (no arbitrary code from the file).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import keras

import reclab
from reclab.models.next_item import IncompatibleModelError, check_version

#: The file inside a ``.keras`` archive where :func:`save_model` records version and catalogue.
INFO_FILE = "reclab.json"

__all__ = ["IncompatibleModelError", "catalogue_fingerprint", "load_model", "save_model"]


def catalogue_fingerprint(item_mapping: Any) -> str:
    """A short hash of the raw ids behind encoded ids ``1..N`` (``IdMapping.fingerprint()``).

    Example:
        >>> from reclab.data import IdMapping
        >>> catalogue_fingerprint(IdMapping.fit([10, 20])) == catalogue_fingerprint(
        ...     IdMapping.fit([20, 10]))
        True
    """
    return item_mapping.fingerprint()


def save_model(
    model: keras.Model,
    path: str | os.PathLike[str],
    *,
    item_mapping: Any = None,
    user_mapping: Any = None,
) -> Path:
    """Save a RecLab Keras model to ``path`` (``.keras``), with its catalogue fingerprint.

    Args:
        model: a :class:`~reclab.models.SASRec`, :class:`~reclab.models.GRU4Rec` or another
            RecLab model whose config holds ``num_items``.
        path: the file, ending in ``.keras``.
        item_mapping: the training :class:`~reclab.data.IdMapping` of items; its fingerprint
            is stored (and checked by :func:`load_model` when given one).
        user_mapping: the training mapping of users, for a model with user vectors
            (:class:`~reclab.models.MatrixFactorization`): a model whose user ids were assigned
            on other data must not score these users.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"save_model: path must end in '.keras', got {str(path)!r}")
    num_items = getattr(model, "num_items", None)
    if num_items is None:
        raise ValueError(
            f"save_model: the model ({type(model).__name__}) has no num_items; expected a "
            "RecLab model"
        )
    catalogue = None if item_mapping is None else catalogue_fingerprint(item_mapping)
    if catalogue is not None and hasattr(model, "catalogue"):
        model.catalogue = catalogue
    if not model.built:
        model.build()  # RecLab models build from their configuration alone
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    info = {
        "reclab_version": reclab.__version__,
        "num_items": int(num_items),
        "catalogue": catalogue,
        "users": None if user_mapping is None else user_mapping.fingerprint(),
    }
    with zipfile.ZipFile(path, "a") as archive:  # Keras ignores files it does not know
        archive.writestr(INFO_FILE, json.dumps(info))
    return path


def _saved_info(path: Path) -> dict[str, Any]:
    """What :func:`save_model` recorded (or, for a bare ``model.save``, the model's config)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if INFO_FILE in names:
                return json.loads(archive.read(INFO_FILE))
            return json.loads(archive.read("config.json")).get("config", {})
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as error:
        raise ValueError(
            f"load_model: {str(path)!r} is not a .keras model file ({error})"
        ) from error


def load_model(
    path: str | os.PathLike[str],
    *,
    item_mapping: Any = None,
    user_mapping: Any = None,
    num_items: int | None = None,
) -> keras.Model:
    """Load a model saved by :func:`save_model` (``safe_mode=True``) and check it fits.

    Args:
        path: the ``.keras`` file.
        item_mapping: the :class:`~reclab.data.IdMapping` the caller will use; the file must
            have been saved for the same catalogue.
        user_mapping: the user mapping the caller will use; a file saved with another one
            (users relabelled) is refused.
        num_items: the catalogue size the caller expects.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a ``.keras`` file, or a damaged one.
        IncompatibleModelError: saved by another reclab major.minor version, or for another
            catalogue or other users.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_model: no model file at {str(path)!r}")
    config = _saved_info(path)
    check_version(config.get("reclab_version"), f"load_model({str(path)!r})")
    saved_items = config.get("num_items")
    if num_items is not None and saved_items != num_items:
        raise IncompatibleModelError(
            f"load_model: {str(path)!r} scores {saved_items} items, but the catalogue has "
            f"{num_items}; it was trained on other data"
        )
    if item_mapping is not None:
        expected = catalogue_fingerprint(item_mapping)
        if config.get("catalogue") not in (None, expected):
            raise IncompatibleModelError(
                f"load_model: {str(path)!r} was trained on another catalogue (fingerprint "
                f"{config.get('catalogue')}, expected {expected}); use the data it was trained on"
            )
    if user_mapping is not None and config.get("users") not in (None, user_mapping.fingerprint()):
        raise IncompatibleModelError(
            f"load_model: {str(path)!r} was trained with other user ids (fingerprint "
            f"{config.get('users')}, expected {user_mapping.fingerprint()}); its user vectors "
            "would score the wrong users"
        )
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as error:
        if isinstance(error, IncompatibleModelError):
            raise
        raise ValueError(
            f"load_model: {str(path)!r} is damaged or not a model saved by reclab "
            f"({type(error).__name__}: {str(error).strip().splitlines()[0][:200]})"
        ) from error
