"""Exporting a trained model for serving: a TensorFlow SavedModel or a LiteRT flatbuffer.

Both formats hold one signature, ``serve``: it takes left-padded histories ``(B, T)`` of
encoded item ids (the model reads the latest ``max_len``) and returns the top-``k`` item ids
and their scores, best first, with padding and (by default) every item of each history removed,
exactly as :func:`reclab.recommend.top_k` lists them. Nothing else is needed at serving time:
no Python class of RecLab, no Keras.

An export folder holds the model (``saved_model/`` or ``model.tflite``), ``serving.json`` (what
the signature takes and returns, the catalogue fingerprint, the quantisation) and, when the item
mapping is given, ``items.csv`` (encoded id → raw id and title), so a service can translate.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

import reclab
from reclab.checks import id_matrix, positive_int
from reclab.environment import native_stderr_to_log
from reclab.models.next_item import NextItemModel

__all__ = [
    "FORMATS",
    "QUANTIZATIONS",
    "ExportedRecommender",
    "export_model",
    "exportable",
    "load_exported",
    "serving_function",
]

#: The export formats: a TensorFlow SavedModel folder, or one LiteRT (TFLite) flatbuffer file.
FORMATS = ("saved_model", "litert")
#: LiteRT weight quantisations: ``None`` (float32) or ``"int8"`` (dynamic range).
QUANTIZATIONS = (None, "int8")
#: The file that describes an export folder.
SERVING_FILE = "serving.json"
MODEL_FILES = {"saved_model": "saved_model", "litert": "model.tflite"}

_log = logging.getLogger(__name__)


def exportable(model_class: type) -> bool:
    """Whether models of ``model_class`` have a top-k serving signature: a sequence model that
    scores the whole catalogue with one product (not a count baseline, not TIGER's beam search).

    Example:
        >>> from reclab.models import SASRec, TIGER, Popularity
        >>> exportable(SASRec), exportable(TIGER), exportable(Popularity)
        (True, False, False)
    """
    return (
        isinstance(model_class, type)
        and issubclass(model_class, NextItemModel)
        and model_class.score is NextItemModel.score
    )


def _servable(model: Any, where: str) -> NextItemModel:
    if not isinstance(model, NextItemModel):
        raise TypeError(
            f"{where}: only the sequence models (SASRec, BERT4Rec, GRU4Rec) can be exported, got "
            f"{type(model).__name__}; count baselines need no model file"
        )
    if not exportable(type(model)):
        raise TypeError(
            f"{where}: {type(model).__name__} does not score the catalogue with one product "
            "(it generates ids by beam search), so it has no top-k serving signature"
        )
    if not model.built:
        model.build()
    return model


def serving_function(model: NextItemModel, k: int = 10, *, exclude_seen: bool = True) -> Any:
    r"""The graph function behind the ``serve`` signature: histories → top-``k`` ids and scores.

    For left-padded histories :math:`S` ``(B, T)`` of any length ``T`` it computes, from the
    latest ``max_len`` items (left-padded when shorter), the scores of every item after the
    latest position, :math:`s(i) = \mathbf{h}_L^\top \mathbf{e}_i (+ b_i)`, sets padding
    (id 0) and, with ``exclude_seen``, every item of :math:`S` to :math:`-\infty`, and keeps the
    ``k`` best (ties to the lower id). Slots left without an item (a catalogue smaller than
    ``k`` plus the history) get id 0 and score :math:`-\infty`, as in
    :func:`reclab.recommend.top_k`, and the lists always have ``k`` columns (a fixed output
    shape for a service), where :func:`~reclab.recommend.top_k` stops at ``N``.

    Returns:
        A function of an int32 tensor ``(B, T)``, traceable by :func:`tf.function`, that
        returns a dict of ``item_ids`` (int32) and ``scores`` (float32), each ``(B, k)``.

    Example:
        >>> import keras, numpy as np
        >>> from reclab.models import SASRec, SASRecConfig
        >>> keras.utils.set_random_seed(0)
        >>> model = SASRec(6, SASRecConfig(max_len=3, dim=4, num_blocks=1))
        >>> out = serving_function(model, k=2)(np.array([[0, 1, 2]], np.int32))
        >>> sorted(out), {1, 2} & set(out["item_ids"].numpy()[0].tolist())
        (['item_ids', 'scores'], set())
    """
    model = _servable(model, "serving_function")
    k = positive_int(k, "k", "serving_function")
    width = model.num_items + 1

    def serve(histories: Any) -> dict[str, Any]:
        histories = tf.cast(histories, tf.int32)  # (B, T), any T
        window = tf.pad(histories, [[0, 0], [model.max_len, 0]])[:, -model.max_len :]  # (B, L)
        logits = model._last_logits(model.model_inputs(window))  # (B, N + 1)
        logits = tf.cast(logits, tf.float32)
        batch = tf.shape(histories)[0]
        if exclude_seen:  # count every id of each history into its row: (B, N + 1)
            rows = tf.repeat(tf.range(batch), tf.shape(histories)[1])
            index = tf.stack([rows, tf.reshape(histories, [-1])], axis=1)
            counts = tf.scatter_nd(index, tf.ones_like(rows, tf.float32), [batch, width])
            removed = counts > 0.0
        else:
            removed = tf.zeros([batch, width], tf.bool)
        padding = tf.one_hot(tf.zeros([batch], tf.int32), width, on_value=True, off_value=False)
        removed = tf.logical_or(removed, padding)
        logits = tf.where(removed, tf.fill(tf.shape(logits), -np.inf), logits)
        scores, ids = tf.math.top_k(logits, k=min(k, width))
        ids = tf.where(tf.math.is_inf(scores), tf.zeros_like(ids), ids)
        if k > width:  # more slots than items: pad as reclab.recommend.top_k does
            ids = tf.pad(ids, [[0, 0], [0, k - width]])
            scores = tf.pad(scores, [[0, 0], [0, k - width]], constant_values=-np.inf)
        return {"item_ids": ids, "scores": scores}

    return serve


def _write_saved_model(model: NextItemModel, path: Path, k: int, exclude_seen: bool) -> None:
    archive = keras.export.ExportArchive()
    archive.track(model)
    signature = tf.TensorSpec([None, None], tf.int32, name="histories")
    archive.add_endpoint(
        "serve", serving_function(model, k, exclude_seen=exclude_seen), input_signature=[signature]
    )
    logger = tf.get_logger()  # SavedModel writing logs "Assets written to ..." at INFO
    level = logger.level
    logger.setLevel("ERROR")
    try:
        archive.write_out(str(path), verbose=False)
    finally:
        logger.setLevel(level)


def _litert_flatbuffer(saved_model: Path, quantize: str | None) -> bytes:
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=["serve"])
    if quantize == "int8":  # dynamic range: int8 weights, float activations
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        # One scale per tensor, not per output channel: the item table then has one int8 copy,
        # shared by the input lookup and the output product (per-channel scales make the
        # converter store it twice, and the file only halves instead of quartering).
        if not hasattr(converter, "_experimental_disable_per_channel"):
            raise RuntimeError(
                "export_model: this TensorFlow's TFLiteConverter lacks "
                "_experimental_disable_per_channel; int8 export needs TensorFlow 2.16-2.21"
            )
        converter._experimental_disable_per_channel = True
    with native_stderr_to_log(_log):
        return converter.convert()


def _item_table(item_mapping: Any, items: pd.DataFrame | None) -> pd.DataFrame:
    ids = np.arange(1, item_mapping.num_items + 1)
    table = pd.DataFrame({"item_id": ids, "raw_item_id": item_mapping.decode(ids)})
    if items is not None and "title" in items:
        titles = items.drop_duplicates("item_id").set_index("item_id")["title"]
        table["title"] = table["raw_item_id"].map(titles)
    return table


def export_model(
    model: NextItemModel,
    out: str | os.PathLike[str],
    *,
    format: str = "saved_model",
    k: int = 10,
    exclude_seen: bool = True,
    quantize: str | None = None,
    item_mapping: Any = None,
    items: pd.DataFrame | None = None,
) -> Path:
    """Write ``model`` with a top-``k`` serving signature to the new or empty folder ``out``.

    Args:
        model: a trained sequence model (:class:`~reclab.models.SASRec`,
            :class:`~reclab.models.BERT4Rec`, :class:`~reclab.models.GRU4Rec`).
        out: the export folder; it must not exist or be empty (nothing is overwritten).
        format: ``"saved_model"`` (TensorFlow Serving, ``tf.saved_model.load``) or
            ``"litert"`` (one ``model.tflite`` for the LiteRT interpreter, phones included).
        k: the length of the lists the signature returns.
        exclude_seen: remove each history's items from its list (the book's protocol).
        quantize: ``"int8"`` stores LiteRT weights as 8-bit integers with one float scale per
            tensor (:math:`w \\approx s\\,q`, :math:`q \\in \\{-127..127\\}`); activations stay
            float. Only with ``format="litert"``.
        item_mapping: the training :class:`~reclab.data.IdMapping` of items: written to
            ``items.csv`` and fingerprinted in ``serving.json``.
        items: the item table (with ``title``), for the titles in ``items.csv``.

    Returns:
        The export folder.

    Raises:
        TypeError: a model with no single-product scores (count baselines, TIGER).
        ValueError: an unknown format or quantisation, or ``quantize`` with a SavedModel.
        FileExistsError: ``out`` is a file or a folder that is not empty.
    """
    where = "export_model"
    model = _servable(model, where)
    if format not in FORMATS:
        raise ValueError(f"{where}: format={format!r}; choose one of {', '.join(FORMATS)}")
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"{where}: quantize={quantize!r}; choose None or 'int8'")
    if quantize is not None and format != "litert":
        raise ValueError(f"{where}: quantize={quantize!r} needs format='litert'")
    k = positive_int(k, "k", where)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{where}: {str(out)!r} exists and is not an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    if format == "saved_model":
        _write_saved_model(model, out / MODEL_FILES[format], k, exclude_seen)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            _write_saved_model(model, Path(tmp) / "saved_model", k, exclude_seen)
            blob = _litert_flatbuffer(Path(tmp) / "saved_model", quantize)
        (out / MODEL_FILES[format]).write_bytes(blob)
    info = {
        "format": format,
        "model_file": MODEL_FILES[format],
        "signature": "serve",
        "inputs": {"histories": {"shape": [None, None], "dtype": "int32"}},
        "outputs": {"item_ids": [None, k], "scores": [None, k]},
        "k": k,
        "max_len": model.max_len,
        "num_items": model.num_items,
        "exclude_seen": exclude_seen,
        "quantize": quantize,
        "model": type(model).__name__,
        "catalogue": item_mapping.fingerprint() if item_mapping is not None else model.catalogue,
        "reclab_version": reclab.__version__,
    }
    (out / SERVING_FILE).write_text(json.dumps(info, indent=2) + "\n")
    if item_mapping is not None:
        _item_table(item_mapping, items).to_csv(out / "items.csv", index=False)
    return out


class ExportedRecommender:
    """An export folder loaded for serving, in either format, with one method, :meth:`top_k`.

    It needs TensorFlow (SavedModel) or ``ai-edge-litert`` (LiteRT), not the Keras model.

    Attributes:
        info: the folder's ``serving.json``.
        items: ``items.csv`` as a DataFrame, or ``None`` when the export has no mapping.
    """

    def __init__(self, folder: str | os.PathLike[str], *, num_threads: int | None = None) -> None:
        self.folder = Path(folder)
        described = self.folder / SERVING_FILE
        if not described.is_file():
            raise FileNotFoundError(
                f"load_exported: {str(self.folder)!r} has no {SERVING_FILE}; pass a folder "
                "written by export_model or 'python -m reclab export'"
            )
        self.info = json.loads(described.read_text())
        items = self.folder / "items.csv"
        self.items = pd.read_csv(items) if items.is_file() else None
        model_path = self.folder / self.info["model_file"]
        if self.info["format"] == "saved_model":
            self._loaded = tf.saved_model.load(str(model_path))  # keep the module alive
            serve = self._loaded.serve
            self._run = lambda h: {key: v.numpy() for key, v in serve(tf.constant(h)).items()}
        else:
            from ai_edge_litert.interpreter import Interpreter

            # The first call applies the XNNPACK delegate, which prints "Created TensorFlow
            # Lite XNNPACK delegate for CPU."; make it here, once, with that line held.
            with native_stderr_to_log(_log):
                interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads)
                runner = interpreter.get_signature_runner("serve")
                runner(histories=np.zeros((1, self.info["max_len"]), np.int32))
            self._run = lambda h: runner(histories=h)

    def top_k(self, histories: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, scores)``, ``(B, k)`` each, for histories ``(B, T)`` of encoded ids.

        The model reads the latest ``max_len`` items, as
        :meth:`reclab.models.NextItemModel.score` does; every item of the history is excluded
        from the list (when the export excludes seen items), older ones included.
        """
        h = id_matrix(histories, "histories", "ExportedRecommender.top_k")
        width, num_items = self.info["max_len"], self.info["num_items"]
        if h.size and h.max() > num_items:
            raise ValueError(
                f"ExportedRecommender.top_k: histories hold id {int(h.max())} > num_items="
                f"{num_items}; encode them with the training id mapping (items.csv)"
            )
        h = np.pad(h, [(0, 0), (max(width - h.shape[1], 0), 0)]).astype(np.int32)
        out = self._run(h)
        return np.asarray(out["item_ids"], np.int64), np.asarray(out["scores"], np.float32)

    def score(self, histories: Any, users: Any = None) -> np.ndarray:
        """Scores ``(B, N + 1)``: each listed item its score, every other id ``-inf``.

        The :class:`~reclab.models.Scorer` protocol, so :func:`reclab.evaluation.evaluate_model`
        measures an export under the book's protocol; metrics at a cut-off up to ``k`` are
        exact (an item below the list cannot count at ``K <= k``). ``users`` is ignored.
        """
        ids, scores = self.top_k(histories)
        out = np.full((len(ids), self.info["num_items"] + 1), -np.inf, np.float32)
        rows = np.repeat(np.arange(len(ids)), ids.shape[1])
        listed = ids.ravel() > 0
        out[rows[listed], ids.ravel()[listed]] = scores.ravel()[listed]
        return out

    def model_bytes(self) -> int:
        """The size of the model on disk, in bytes (the folder's files for a SavedModel)."""
        path = self.folder / self.info["model_file"]
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def load_exported(
    folder: str | os.PathLike[str], *, num_threads: int | None = None
) -> ExportedRecommender:
    """Load an export folder written by :func:`export_model` (either format).

    Args:
        folder: the export folder.
        num_threads: LiteRT interpreter threads (``None``: its default).

    Example:
        >>> import keras, numpy as np, tempfile
        >>> from reclab.models import SASRec, SASRecConfig
        >>> keras.utils.set_random_seed(0)
        >>> model = SASRec(8, SASRecConfig(max_len=4, dim=4, num_blocks=1))
        >>> folder = export_model(model, tempfile.mkdtemp() + "/m", k=3)
        >>> ids, scores = load_exported(folder).top_k([[1, 2]])
        >>> ids.shape, bool({1, 2} & set(ids[0].tolist()))
        ((1, 3), False)
    """
    return ExportedRecommender(folder, num_threads=num_threads)
