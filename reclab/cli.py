"""The command line: ``python -m reclab {train,evaluate,recommend} ...``.

Examples::

    python -m reclab train --model sasrec --dataset ml-latest-small --out runs/sasrec
    python -m reclab evaluate runs/sasrec
    python -m reclab recommend runs/sasrec --user 1 -k 10

``train`` writes ``config.json`` (what was trained on what), ``model.keras`` (trained Keras
models; count baselines are refitted from the data, which takes seconds) and ``metrics.json``
(validation and test full-ranking metrics with bootstrap intervals, what preprocessing dropped,
and timings), both strict JSON: a value that is not a finite number, such as the unbounded
epsilon of clipping without noise, is ``null``. ``evaluate`` and ``recommend`` read the data set
named in ``config.json`` again, with the same preprocessing. Every model of
``reclab.models.MODELS`` and every objective of ``reclab.training.OBJECTIVES`` is available by
name.

A run folder is never overwritten silently: ``train`` writes into a new or empty folder, resumes
an interrupted run in its own folder when the arguments and the data are the same (and says so),
and replaces a finished run only with ``--overwrite``; it never deletes or changes a file it did
not write. Progress is shown on standard error: a progress bar on a terminal, and one line per
epoch. Bad arguments and files end with ``reclab: error: ...`` and exit status 2, no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["DATASETS", "main"]

#: Named data sets; anything else is a path to a file.
DATASETS = ("ml-latest-small", "ml-100k", "ml-1m", "synthetic-toy", "synthetic-ml-1m")
FORMATS = ("csv", "tsv", "parquet", "pairs")
SUFFIXES = (".csv", ".tsv", ".tab", ".parquet", ".pq", ".txt")
#: What ``train`` writes into its folder (it touches nothing else there).
RUN_FILES = ("config.json", "metrics.json", "model.keras")
#: Marks a ``config.json`` as written by this command line.
WRITTEN_BY = "python -m reclab train"
#: The strategies of ``train --distribute``.
DISTRIBUTE = ("mirrored", "multi-worker")
#: Library argument names in error messages, and the flags that set them here.
FLAG_HINTS = {
    "columns=": "--user-column, --item-column, --timestamp-column",
    "timestamp_unit=": "--timestamp-unit",
    "encoding=": "--encoding",
}


class CliError(Exception):
    """A problem the user can fix; reported without a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def _number(kind: type, low: float, strict: bool, expected: str) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        if value < low or (strict and value == low):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, 1, False, "a positive integer")
_non_negative_int = _number(int, 0, False, "an integer >= 0")
_positive_float = _number(float, 0.0, True, "a positive finite number")
_non_negative_float = _number(float, 0.0, False, "a finite number >= 0")


def _fraction(text: str) -> float:
    value = _number(float, 0.0, False, "a number in [0, 1]")(text)
    if value > 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (``python -m reclab --help``); choices come from the registries."""
    from reclab.data import NEGATIVE_SHARING
    from reclab.models import ITEM_FEATURES, MODELS
    from reclab.training import OBJECTIVES

    parser = _Parser(prog="python -m reclab", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model and write it with its metrics")
    train.add_argument(
        "--model",
        required=True,
        choices=sorted(MODELS),
        help="; ".join(f"{name}: {spec.summary}" for name, spec in sorted(MODELS.items())),
    )
    _data_arguments(train)
    train.add_argument(
        "--loss",
        choices=sorted(OBJECTIVES),
        default=None,
        help="training objective (default: softmax; with --paper the paper's: bce for sasrec, "
        "softmax for bert4rec); "
        + "; ".join(f"{name}: {o.summary}" for name, o in sorted(OBJECTIVES.items())),
    )
    train.add_argument("--negatives", type=_positive_int, default=None, help="per position")
    train.add_argument(
        "--negative-sharing",
        choices=NEGATIVE_SHARING,
        default=None,
        help="per-position (default): M negatives for every position; shared: one set of M "
        "for the whole batch, one matrix product (much faster); in-batch: that set drawn from "
        "the batch's own targets. Accidental hits are removed",
    )
    train.add_argument(
        "--exclude-user-items",
        action="store_true",
        help="never sample a user's own items as negatives (the papers' rule; --paper sets it)",
    )
    train.add_argument("--epochs", type=_positive_int, default=200)
    train.add_argument("--seed", type=_non_negative_int, default=0)
    train.add_argument("--max-len", type=_positive_int, default=None)
    train.add_argument("--dim", type=_positive_int, default=None)
    train.add_argument("--dropout", type=float, default=None)
    train.add_argument(
        "--mask-prob",
        type=float,
        default=None,
        help="probability of hiding each training item (models trained on hidden items: bert4rec)",
    )
    train.add_argument(
        "--items",
        choices=ITEM_FEATURES,
        default=None,
        help="how items are embedded (sasrec, hstu): id (default, the item table), content "
        "(title words, genres and year of the catalogue) or hybrid (both; an item without "
        "training events uses its content)",
    )
    train.add_argument("--learning-rate", type=_positive_float, default=None)
    train.add_argument("--batch-size", type=_positive_int, default=None)
    train.add_argument("--patience", type=_positive_int, default=None)
    train.add_argument(
        "--max-seconds", type=_positive_float, default=None, help="training-time limit"
    )
    train.add_argument("--paper", action="store_true", help="the paper's hyper-parameters")
    train.add_argument(
        "--init-from",
        metavar="RUN",
        default=None,
        help="fine-tune: start from the weights of a run of the same --model (trained on "
        "any data set) except those tied to its catalogue (item table, content arrays); the "
        "architecture is that run's unless a flag changes it",
    )
    train.add_argument(
        "--no-xla", action="store_true", help="do not compile the training step with XLA"
    )
    teach = train.add_argument_group(
        "distillation",
        "train a (smaller) model on a trained run's scores as well as on the labels: the full "
        "softmax mixed with the KL divergence from the teacher's softened distribution",
    )
    teach.add_argument(
        "--distill-from",
        metavar="RUN",
        default=None,
        help="the teacher: a finished run of a next-item model on the same data, with the same "
        "--max-len",
    )
    teach.add_argument(
        "--distill-temperature", type=_positive_float, default=None, metavar="T",
        help="softens both distributions (default 2)",
    )  # fmt: skip
    teach.add_argument(
        "--distill-weight", type=_fraction, default=None, metavar="W",
        help="the teacher's share of the loss, in [0, 1] (default 0.5)",
    )  # fmt: skip
    private = train.add_argument_group(
        "differential privacy",
        "DP-SGD with one user as the privacy unit (sasrec, gru4rec): one row per user, "
        "Poisson-sampled batches of --batch-size users on average, each user's gradient "
        "clipped, Gaussian noise added; the full softmax, all --epochs epochs (no early "
        "stopping). metrics.json reports epsilon for the steps taken",
    )
    noise = private.add_mutually_exclusive_group()
    noise.add_argument(
        "--dp-noise",
        type=_non_negative_float,
        default=None,
        metavar="SIGMA",
        help="noise multiplier sigma (0: clipping only, no privacy; metrics.json's epsilon: null)",
    )
    noise.add_argument(
        "--dp-epsilon",
        type=_positive_float,
        default=None,
        metavar="EPS",
        help="the privacy budget: sigma is the smallest that keeps the whole run "
        "(--epochs epochs) within it",
    )
    private.add_argument(
        "--dp-clip", type=_positive_float, default=None, metavar="C",
        help="bound on each user's gradient norm (default 1.0)",
    )  # fmt: skip
    private.add_argument(
        "--dp-delta", type=_positive_float, default=None, metavar="DELTA",
        help="delta of (epsilon, delta) (default 1 / (10 x training users))",
    )  # fmt: skip
    many = train.add_argument_group(
        "many devices",
        "data-parallel training with tf.distribute at the same global --batch-size: each "
        "replica takes its share of every batch and the gradients are summed (sequence models)",
    )
    many.add_argument(
        "--distribute",
        choices=DISTRIBUTE,
        default=None,
        help="mirrored: --replicas logical CPU devices of this process; multi-worker: one "
        "worker process of the cluster TF_CONFIG describes, or --workers processes this "
        "command starts on 127.0.0.1",
    )
    many.add_argument(
        "--replicas", type=_positive_int, default=None, help="with mirrored (default 2)"
    )
    many.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="with multi-worker: start this many worker processes on this machine (worker 0 "
        "writes --out), sharing its cores",
    )
    progress = train.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true", help="Keras' progress bar (default on a terminal)"
    )
    progress.add_argument("--no-progress", action="store_true", help="one line per epoch only")
    train.add_argument("--out", required=True, help="output folder (new or empty)")
    train.add_argument("--overwrite", action="store_true", help="replace a finished run in --out")

    evaluate = commands.add_parser("evaluate", help="evaluate a trained model folder")
    evaluate.add_argument("run", help="a folder written by 'train'")
    evaluate.add_argument("--split", choices=("validation", "test"), default="test")

    recommend = commands.add_parser("recommend", help="top-K list for one user")
    recommend.add_argument("run", help="a folder written by 'train'")
    recommend.add_argument("--user", required=True, type=int, help="raw user id")
    recommend.add_argument("-k", type=_positive_int, default=10)
    recommend.add_argument(
        "--include-seen", action="store_true", help="also list items the user already has"
    )
    recommend.add_argument(
        "--rerank",
        choices=("mmr", "calibration"),
        help="re-rank the model's best --pool items: mmr for diversity (genres, or the model's "
        "item vectors), calibration to the user's own head/mid/tail popularity mix",
    )
    recommend.add_argument(
        "--trade-off",
        type=_fraction,
        default=None,
        help="lambda in [0, 1]: mmr's weight of relevance (default 0.7), calibration's weight "
        "of the popularity mix (default 0.5)",
    )
    recommend.add_argument("--pool", type=_positive_int, default=100, help="re-ranking pool")
    recommend.add_argument(
        "--explain",
        action="store_true",
        help="also show which history items the first recommendation rests on (deletion, "
        "gradient x input, attention)",
    )
    export = commands.add_parser(
        "export", help="write a trained model for serving (SavedModel or LiteRT)"
    )
    export.add_argument("run", help="a folder written by 'train'")
    export.add_argument("--format", choices=("saved_model", "litert"), default="saved_model")
    export.add_argument("--out", required=True, help="export folder (new or empty)")
    export.add_argument("-k", type=_positive_int, default=10, help="list length it returns")
    export.add_argument(
        "--quantize", choices=("int8",), help="LiteRT weights as int8 (dynamic range)"
    )
    export.add_argument(
        "--include-seen", action="store_true", help="also list items the history already has"
    )
    return parser


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        required=True,
        help=f"one of {', '.join(DATASETS)}, or a path to an interaction file",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="file format of a --dataset path (default: from its suffix; 'pairs' = "
        "'user item' lines in time order)",
    )
    parser.add_argument("--user-column", default=None, help="column of user ids (user_id)")
    parser.add_argument("--item-column", default=None, help="column of item ids (item_id)")
    parser.add_argument("--timestamp-column", default=None, help="column of times (timestamp)")
    parser.add_argument(
        "--timestamp-unit", choices=("s", "ms", "us", "ns"), default="s", help="of numeric times"
    )
    parser.add_argument("--encoding", default="utf-8", help="text encoding of a CSV/TSV file")
    parser.add_argument(
        "--min-user-events", type=_positive_int, default=5, help="k-core: events per user"
    )
    parser.add_argument(
        "--min-item-events", type=_positive_int, default=5, help="k-core: events per item"
    )
    parser.add_argument("--offline", action="store_true", help="never download a named data set")


# -- data -----------------------------------------------------------------------------------
DATA_KEYS = (
    "dataset",
    "format",
    "user_column",
    "item_column",
    "timestamp_column",
    "timestamp_unit",
    "encoding",
    "min_user_events",
    "min_item_events",
)


def _data_options(args: argparse.Namespace) -> dict[str, Any]:
    """The data arguments, with a file path made absolute (``evaluate`` may run elsewhere)."""
    options = {key: getattr(args, key) for key in DATA_KEYS}
    if options["dataset"] not in DATASETS:
        options["dataset"] = str(Path(options["dataset"]).resolve())
    return options


def _check_dataset(options: dict[str, Any]) -> None:
    dataset, file_format = options["dataset"], options.get("format")
    if dataset in DATASETS:
        given = [
            key
            for key in ("format", "user_column", "item_column", "timestamp_column")
            if options.get(key) is not None
        ]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise CliError(f"{flag} applies to a file path, not to the named data set {dataset!r}")
        return
    path = Path(dataset)
    if not path.exists():
        raise CliError(
            f"--dataset {dataset!r} is neither a known data set ({', '.join(DATASETS)}) nor an "
            "existing file"
        )
    if not path.is_file():
        raise CliError(f"--dataset {dataset!r} is not a file")
    if file_format is None and path.suffix.lower() not in SUFFIXES:
        raise CliError(
            f"--dataset {dataset!r}: cannot tell the format from the suffix {path.suffix!r}; "
            f"pass --format {{{','.join(FORMATS)}}}"
        )


def load_raw(options: dict[str, Any], *, download: bool = True) -> tuple[Any, Any]:
    """``(raw interactions, items table or None)`` for a named data set or a file."""
    from reclab import data

    dataset = options["dataset"]
    if dataset.startswith("synthetic-"):
        config = (
            data.ShopConfig.toy()
            if dataset == "synthetic-toy"
            else data.ShopConfig.movielens_1m_like()
        )
        shop = data.SyntheticShop(config)
        return shop.generate(), shop.items
    if dataset in DATASETS:
        movielens = data.load_movielens(dataset, download=download, downloader=_downloader())
        return movielens.interactions, movielens.items
    path = Path(dataset)
    fmt = options.get("format")
    if fmt == "pairs" or (fmt is None and path.suffix.lower() == ".txt"):
        return data.load_user_item_pairs(path), None
    columns = {
        schema: options[f"{schema.split('_')[0]}_column"]
        for schema in ("user_id", "item_id", "timestamp")
        if options.get(f"{schema.split('_')[0]}_column")
    }
    frame = data.load_interactions(
        path,
        columns=columns or None,
        file_format=fmt,
        timestamp_unit=options.get("timestamp_unit", "s"),
        encoding=options.get("encoding", "utf-8"),
    )
    return frame, None


def _downloader() -> Any:
    import pooch

    return pooch.HTTPDownloader(progressbar=sys.stderr.isatty())


def _prepare(options: dict[str, Any], *, download: bool = True, echo: bool = False) -> Any:
    """Load, clean and split; returns ``(prepared, items table, preprocessing)``."""
    from reclab import data

    raw, items = load_raw(options, download=download)
    clean = data.preprocess(
        raw,
        min_user_events=options.get("min_user_events", 5),
        min_item_events=options.get("min_item_events", 5),
    )
    if echo:
        for report in clean.reports:
            _say(str(report))
    if len(clean.interactions) == 0:
        raise CliError(
            f"--dataset {options['dataset']!r}: no events left after preprocessing (lower "
            "--min-user-events or --min-item-events)"
        )
    prepared = data.prepare_next_item_data(clean.interactions)
    if echo:
        counts = prepared.test.target_counts()
        _say(
            f"split: {prepared.num_users} users, {prepared.num_items} items, "
            f"{len(prepared.split.train)} training events; test targets: "
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + (
                "; seen items excluded"
                if prepared.test.exclude_seen
                else "; repeat consumption in training: seen items are not excluded"
            )
        )
    return prepared, items, clean, raw


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- run folders ----------------------------------------------------------------------------
def _read_config(folder: Path) -> dict[str, Any] | None:
    """The folder's ``config.json`` if this command line wrote it, else ``None``."""
    path = folder / "config.json"
    if not path.is_file():
        return None
    try:
        run = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return run if isinstance(run, dict) and run.get("written_by") == WRITTEN_BY else None


def _claim_folder(out: Path, overwrite: bool) -> dict[str, Any] | None:
    """Check that ``train`` may write into ``out``; returns the previous run's config, if any."""
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {str(out)!r} exists and is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return None
    previous = _read_config(out)
    if previous is None:
        raise CliError(
            f"--out {str(out)!r} is not empty and is not a run folder of 'python -m reclab "
            "train'; choose a new or empty folder (nothing in it was changed)"
        )
    if previous.get("status") == "done" and not overwrite:
        raise CliError(
            f"--out {str(out)!r} holds a finished run ({previous.get('model')} on "
            f"{previous.get('dataset')}); pass --overwrite to replace it, or choose a new folder"
        )
    return previous


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(_to_json(value) + "\n")
    temporary.replace(path)


def _to_json(value: Any) -> str:
    """Strict JSON: a number without a finite value (the unbounded epsilon of clipping without
    noise, a metric that was never computed) becomes null, which every JSON reader accepts;
    Python's ``Infinity`` and ``NaN`` are not JSON."""
    return json.dumps(_finite_or_none(value), indent=2, default=_json_default, allow_nan=False)


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(item) for item in value]
    if getattr(value, "ndim", None) == 0:
        value = value.item()  # a NumPy or TensorFlow scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


# -- models ---------------------------------------------------------------------------------
#: Architecture flags (``--max-len`` ...); each model's ``ModelSpec.flags`` says which apply.
MODEL_FLAGS = ("dim", "max_len", "dropout", "mask_prob", "items")


def _model_config(
    args: argparse.Namespace, spec: Any, source: tuple[dict[str, Any], Any] | None = None
) -> Any:
    changes: dict[str, Any] = {} if source is None else dict(source[0]["architecture"])
    if source is not None and args.paper:
        raise CliError("--paper and --init-from: the architecture is the pretrained run's")
    for flag in MODEL_FLAGS:
        value = getattr(args, flag)
        if value is None:
            continue
        if flag not in spec.flags:
            raise CliError(f"--{flag.replace('_', '-')} does not apply to --model {spec.name}")
        changes[spec.flags[flag]] = value
    if args.dropout is not None and not 0 <= args.dropout < 1:
        raise CliError(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.mask_prob is not None and not 0 <= args.mask_prob <= 1:
        raise CliError(f"--mask-prob must be in [0, 1], got {args.mask_prob}")
    if args.paper and spec.paper is None:
        from reclab.models import MODELS

        papers = ", ".join(name for name, m in sorted(MODELS.items()) if m.paper is not None)
        raise CliError(f"--paper applies to --model {papers} only, not to --model {spec.name}")
    return spec.make_config(changes, paper=args.paper)


def _training_config(args: argparse.Namespace, spec: Any) -> Any:
    from dataclasses import replace

    from reclab.training import TrainingConfig

    base = TrainingConfig(**spec.training)
    if args.paper:
        base = (
            TrainingConfig.paper()
            if spec.paper_training is None
            else TrainingConfig(**spec.paper_training)
        )
    changes: dict[str, Any] = {
        "epochs": args.epochs,
        "seed": args.seed,
        "max_seconds": args.max_seconds,
        "verbose": 1 if args.show_bar else 0,
    }
    for flag, field in (
        ("loss", "loss"),
        ("learning_rate", "learning_rate"),
        ("batch_size", "batch_size"),
        ("patience", "patience"),
        ("negatives", "num_negatives"),
        ("negative_sharing", "negative_sharing"),
    ):
        if getattr(args, flag) is not None:
            changes[field] = getattr(args, flag)
    if args.exclude_user_items:
        changes["exclude_user_items"] = True
    if args.no_xla:
        changes["jit_compile"] = False
    changes.update(_privacy_changes(args, spec))
    try:
        config = replace(base, **changes)
    except ValueError as error:
        if "privacy" not in changes:
            raise
        raise CliError(f"--dp-noise/--dp-epsilon: {error}") from None
    if spec.trainable and not getattr(spec.model_class, "supports_full_softmax", True):
        from reclab.training import objective

        if not objective(config.loss).samples_negatives:
            raise CliError(
                f"--model {spec.name} cannot train with loss={config.loss!r}, which scores the "
                "whole catalogue; choose --loss bce, bpr, sampled-softmax or gbce"
            )
    if not spec.trainable:
        used = [
            f
            for f in (
                "loss",
                "learning_rate",
                "batch_size",
                "patience",
                "negatives",
                "negative_sharing",
                "max_seconds",
            )
            if getattr(args, f) is not None
        ]
        if used:
            raise CliError(
                f"--{used[0].replace('_', '-')} does not apply to --model {spec.name}, which is "
                "counted from the data in one pass, not trained"
            )
    return config


def _privacy_changes(args: argparse.Namespace, spec: Any) -> dict[str, Any]:
    """The training settings of ``--dp-*``: DP-SGD, one row per user, no XLA."""
    if args.dp_noise is None and args.dp_epsilon is None:
        given = [f for f in ("dp_clip", "dp_delta") if getattr(args, f) is not None]
        if given:
            raise CliError(
                f"--{given[0].replace('_', '-')} sets up DP-SGD, which needs --dp-noise or "
                "--dp-epsilon as well"
            )
        return {}
    if not spec.trainable:
        raise CliError(
            f"--dp-noise/--dp-epsilon apply to trained models, not to --model {spec.name}"
        )
    from reclab.privacy import PrivacyConfig

    privacy = PrivacyConfig(
        # with --dp-epsilon, sigma is found once the data are read (_resolve_dp_epsilon)
        noise_multiplier=0.0 if args.dp_noise is None else args.dp_noise,
        clip_norm=1.0 if args.dp_clip is None else args.dp_clip,
        delta=args.dp_delta,
    )
    return {"privacy": privacy, "windows": False, "jit_compile": None}


def _resolve_dp_epsilon(args: argparse.Namespace, training: Any, prepared: Any) -> Any:
    """``training`` with the noise that keeps the whole run within ``--dp-epsilon``."""
    if args.dp_epsilon is None:
        return training
    from dataclasses import replace

    import numpy as np

    from reclab.privacy import noise_for_training

    users = int(np.count_nonzero(prepared.train.lengths >= 2))  # whom DP-SGD draws from
    delta = training.privacy.resolved_delta(users)
    try:
        sigma = noise_for_training(
            args.dp_epsilon, users=users, batch_size=training.batch_size,
            epochs=training.epochs, delta=delta,
        )  # fmt: skip
    except ValueError as error:
        raise CliError(f"--dp-epsilon {args.dp_epsilon:g}: {error}") from None
    _say(
        f"DP-SGD: noise multiplier {sigma:.3f} keeps {training.epochs} epochs over {users} users "
        f"(expected batch {training.batch_size}) within epsilon {args.dp_epsilon:g} at delta "
        f"{delta:.3g}"
    )
    return replace(training, privacy=replace(training.privacy, noise_multiplier=sigma))


def _metrics(model: Any, prepared: Any, split: str, name: str) -> dict[str, Any]:
    from reclab.evaluation import evaluate_model

    data_set = prepared.validation if split == "validation" else prepared.test
    table = evaluate_model(
        model, data_set, split=split, name=name, metrics=("hr", "ndcg", "mrr"), by_target=True
    )
    out: dict[str, Any] = {"users": len(data_set), "targets": data_set.target_counts()}
    out["exclude_seen"] = bool(data_set.exclude_seen)
    for row in table[table["targets"] == "all"].itertuples():
        out[row.metric] = row.value
        out[f"{row.metric}_ci"] = [row.ci_low, row.ci_high]
    out["by_target"] = {
        kind: {row.metric: row.value for row in table[table["targets"] == kind].itertuples()}
        for kind in ("first-time", "repeat", "unknown")
        if (table["targets"] == kind).any()
    }
    return out


class EpochLines:
    """One line per epoch on standard error (a Keras callback, built lazily)."""

    @staticmethod
    def make(epochs: int) -> Any:
        import keras

        class _Lines(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                logs = logs or {}
                parts = [
                    f"epoch {epoch + 1}/{epochs}",
                    f"loss {logs.get('loss', float('nan')):.4f}",
                ]
                if "val_NDCG@10" in logs:
                    parts.append(f"val NDCG@10 {logs['val_NDCG@10']:.4f}")
                parts.append(f"{time.perf_counter() - self._start:.1f} s")
                _say(", ".join(parts))

        return _Lines()


def _start_devices(args: argparse.Namespace) -> None:
    """Split the CPU or join the cluster of ``train --distribute``; ``args.strategy`` is the
    ``tf.distribute`` strategy (``None``: one replica, or the launcher of ``--workers``)."""
    import os

    args.strategy = None
    if args.command != "train":
        return
    if args.distribute is None:
        for flag in ("replicas", "workers"):
            if getattr(args, flag) is not None:
                raise CliError(f"--{flag} needs --distribute (mirrored or multi-worker)")
        return
    wrong = {"mirrored": "workers", "multi-worker": "replicas"}[args.distribute]
    if getattr(args, wrong) is not None:
        raise CliError(f"--{wrong} does not apply to --distribute {args.distribute}")
    for flag in ("dp_noise", "dp_epsilon", "distill_from"):
        if getattr(args, flag) is not None:
            name = "--" + flag.replace("_", "-")
            raise CliError(
                f"{name} trains on one replica (its step is not replica-aware); leave out "
                f"--distribute {args.distribute}"
            )
    from reclab.models import model_spec
    from reclab.models.next_item import NextItemModel

    spec = model_spec(args.model)
    model_class = spec.model_class
    if (
        not isinstance(model_class, type)
        or not issubclass(model_class, NextItemModel)
        or model_class.compute_loss is not NextItemModel.compute_loss
    ):
        raise CliError(
            f"--distribute trains the sequence models (sasrec, gru4rec, bert4rec, hstu), not "
            f"--model {spec.name}"
        )
    import tensorflow as tf

    from reclab.training.distribute import mirrored_strategy, split_cpu

    if args.distribute == "mirrored":
        try:
            split_cpu(2 if args.replicas is None else args.replicas)
        except RuntimeError as error:
            raise CliError(str(error)) from None
        args.strategy = mirrored_strategy()
        return
    if args.max_seconds is not None:
        raise CliError(
            "--max-seconds would stop each worker on its own clock, at different epochs; bound "
            "a multi-worker run by --epochs"
        )
    if "TF_CONFIG" not in os.environ:
        if args.workers is None:
            raise CliError(
                "--distribute multi-worker needs TF_CONFIG (the cluster and this worker's index) "
                "or --workers N to start N workers on this machine"
            )
        return  # this process launches the workers (_launch_workers)
    if args.workers is not None:  # a worker started by --workers: its share of the cores
        tf.config.threading.set_intra_op_parallelism_threads(
            max(1, len(os.sched_getaffinity(0)) // args.workers)
        )
    args.strategy = tf.distribute.MultiWorkerMirroredStrategy()


def _worker_index() -> int:
    """This process's index in TF_CONFIG's cluster (0: the chief, or no cluster)."""
    import os

    if "TF_CONFIG" not in os.environ:
        return 0
    try:
        return int(json.loads(os.environ["TF_CONFIG"])["task"]["index"])
    except (ValueError, KeyError, TypeError) as error:
        raise CliError(f"TF_CONFIG: no task index ({error}): {os.environ['TF_CONFIG']!r}") from None


def _launch_workers(args: argparse.Namespace) -> int:
    """Run ``train`` as ``--workers`` processes on 127.0.0.1, worker 0's output shown; the
    first that fails stops the others (a worker left alone would wait for them for ever)."""
    import os
    import subprocess
    import tempfile

    from reclab.training.distribute import loopback_cluster

    _claim_folder(Path(args.out).resolve(), args.overwrite)  # refused here, not in a worker
    _say(f"starting {args.workers} workers on 127.0.0.1 (worker 0 writes {args.out})")
    with tempfile.TemporaryDirectory() as folder:
        workers = []
        for index, tf_config in enumerate(loopback_cluster(args.workers)):
            log = None if index == 0 else open(Path(folder) / f"worker{index}.log", "w")
            env = dict(os.environ, TF_CONFIG=tf_config)
            command = [sys.executable, "-m", "reclab", *args.argv]
            workers.append((subprocess.Popen(command, env=env, stdout=log, stderr=log), log))
        try:
            while True:
                codes = [process.poll() for process, _ in workers]
                failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
                if failed:
                    index = failed[0]
                    if index == 0:
                        return int(codes[0])
                    workers[index][1].close()
                    tail = (Path(folder) / f"worker{index}.log").read_text().strip()
                    last = tail.splitlines()[-1] if tail else f"exit status {codes[index]}"
                    raise CliError(f"worker {index} failed: {last}")
                if all(code == 0 for code in codes):
                    return 0
                time.sleep(0.2)
        finally:
            for process, log in workers:
                process.kill()
                if log is not None:
                    log.close()


def cmd_train(args: argparse.Namespace) -> int:
    from reclab.models import model_spec

    if args.distribute == "multi-worker" and args.strategy is None:
        return _launch_workers(args)
    spec = model_spec(args.model)
    options = _data_options(args)
    _check_dataset(options)
    out = Path(args.out).resolve()
    if _worker_index() != 0:  # another worker: the chief writes the run; this one's is scratch
        import shutil
        import tempfile

        scratch = Path(tempfile.mkdtemp(prefix=f"reclab-worker{_worker_index()}-"))
        try:
            return _cmd_train(args, spec, options, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return _cmd_train(args, spec, options, out)


def _cmd_train(args: argparse.Namespace, spec: Any, options: dict[str, Any], out: Path) -> int:
    previous = _claim_folder(out, args.overwrite)
    args.show_bar = args.progress or (sys.stderr.isatty() and not args.no_progress)
    source = _pretrained(args, spec)
    teacher = _teacher(args, spec)
    model_config = _model_config(args, spec, source)
    training = _training_config(args, spec)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    prepared, catalogue, clean, _ = _prepare(options, download=not args.offline, echo=True)
    timings["load_seconds"] = time.perf_counter() - start
    training = _resolve_dp_epsilon(args, training, prepared)
    if teacher is not None:
        teacher = _check_teacher(args, teacher, prepared, model_config)
    content = _content(model_config, catalogue, prepared, options)
    return _train(
        args, spec, options, out, previous, model_config, training, prepared, clean, timings,
        content, source, teacher,
    )  # fmt: skip


def _pretrained(args: argparse.Namespace, spec: Any) -> tuple[dict[str, Any], Any] | None:
    """``(run, model)`` of ``--init-from``, or ``None`` without it."""
    if args.init_from is None:
        return None
    run = _read_run(args.init_from)
    if run["model"] != spec.name:
        raise CliError(
            f"--init-from {args.init_from!r} holds a {run['model']} run; fine-tuning starts "
            f"a model from one of its own kind (--model {run['model']})"
        )
    if not spec.trainable:
        raise CliError(f"--init-from applies to trained models, not to --model {spec.name}")
    from reclab.recommend import load_model

    return run, load_model(Path(args.init_from) / "model.keras")


def _teacher(args: argparse.Namespace, spec: Any) -> tuple[dict[str, Any], Any] | None:
    """``(run, model)`` of ``--distill-from``, or ``None`` without it."""
    if args.distill_from is None:
        given = [
            f for f in ("distill_temperature", "distill_weight") if getattr(args, f) is not None
        ]
        if given:
            raise CliError(f"--{given[0].replace('_', '-')} needs --distill-from RUN (the teacher)")
        return None
    from reclab.models import MODELS

    if not spec.trainable or getattr(spec.model_class, "task", None) != "next-item":
        raise CliError(
            f"--distill-from trains a next-item sequence model (sasrec, gru4rec, hstu), not "
            f"--model {spec.name}"
        )
    run = _read_run(args.distill_from)
    if getattr(MODELS[run["model"]].model_class, "task", None) != "next-item":
        raise CliError(
            f"--distill-from {args.distill_from!r} holds a {run['model']} run; the teacher must "
            "be a next-item sequence model"
        )
    from reclab.recommend import load_model

    return run, load_model(Path(args.distill_from) / "model.keras")


def _check_teacher(
    args: argparse.Namespace, teacher: tuple[dict[str, Any], Any], prepared: Any, config: Any
) -> tuple[dict[str, Any], Any]:
    """The teacher of ``--distill-from``, once it is known to fit the data and the student."""
    run, model = teacher
    if run.get("data_fingerprint") != prepared.fingerprint():
        raise CliError(
            f"--distill-from {args.distill_from!r} was trained on other data or another split "
            f"(dataset {run.get('dataset')!r}); the teacher must be trained on the same data"
        )
    if model.max_len != config.max_len:
        raise CliError(
            f"--distill-from {args.distill_from!r} reads {model.max_len} items and the student "
            f"{config.max_len}; pass --max-len {model.max_len}"
        )
    return teacher


def _distillation_settings(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "teacher": str(Path(args.distill_from).resolve()),
        "temperature": 2.0 if args.distill_temperature is None else args.distill_temperature,
        "weight": 0.5 if args.distill_weight is None else args.distill_weight,
    }


def _content(model_config: Any, catalogue: Any, prepared: Any, options: dict[str, Any]) -> Any:
    """The catalogue's item content, for a model that embeds it (``--items``), else ``None``."""
    if isinstance(model_config, dict):  # a count model's settings: it embeds nothing
        return None
    if getattr(model_config, "items", "id") == "id":
        return None
    if catalogue is None:
        raise CliError(
            f"--items {model_config.items} needs a catalogue with titles and genres; "
            f"{options['dataset']!r} has none (use a MovieLens data set or the synthetic shop)"
        )
    from reclab.data import item_content

    return item_content(catalogue, prepared.items)


def _train(
    args: argparse.Namespace,
    spec: Any,
    options: dict[str, Any],
    out: Path,
    previous: dict[str, Any] | None,
    model_config: Any,
    training: Any,
    prepared: Any,
    clean: Any,
    timings: dict[str, float],
    content: Any = None,
    source: tuple[dict[str, Any], Any] | None = None,
    teacher: tuple[dict[str, Any], Any] | None = None,
) -> int:
    from dataclasses import asdict, is_dataclass

    import reclab
    from reclab.models import build_model
    from reclab.recommend import save_model
    from reclab.training import BackupMismatchError, fit
    from reclab.training.memory import check_training_memory

    sizes = {"num_items": prepared.num_items, "num_users": prepared.num_users}
    if spec.trainable:
        check_training_memory(spec.model_class, model_config, training, **sizes)
    run = {
        "written_by": WRITTEN_BY,
        "status": "training",
        "model": spec.name,
        **options,
        "architecture": asdict(model_config) if is_dataclass(model_config) else model_config,
        "training": training.to_dict(),
        **sizes,
        "data_fingerprint": prepared.fingerprint(),
        "reclab_version": reclab.__version__,
        "init_from": None if source is None else str(Path(args.init_from).resolve()),
        "distillation": None if teacher is None else _distillation_settings(args),
    }
    if previous is not None and previous.get("status") == "training" and not args.overwrite:
        _check_same_run(out, previous, run)
    out.mkdir(parents=True, exist_ok=True)
    if previous is not None and args.overwrite:  # only what train wrote; nothing else is touched
        from reclab.training import ResumableBackup

        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
        for name in ResumableBackup.FILES:
            (out / "backup" / name).unlink(missing_ok=True)
    _write_json(out / "config.json", run)
    strategy = getattr(args, "strategy", None)
    if strategy is None:
        model = build_model(spec.name, config=model_config, content=content, **sizes)
    else:
        with strategy.scope():  # the weights and the optimiser's slots mirrored
            model = build_model(spec.name, config=model_config, content=content, **sizes)
        run["distribute"] = {
            "strategy": args.distribute,
            "replicas": int(strategy.num_replicas_in_sync),
        }
        _write_json(out / "config.json", run)
    if source is not None:
        from reclab.training import transfer_weights

        try:
            report = transfer_weights(source[1], model, seed=training.seed)
        except (TypeError, ValueError) as error:
            raise CliError(f"--init-from {args.init_from!r}: {error}") from None
        _say(str(report))
    start = time.perf_counter()
    lines = [EpochLines.make(training.epochs)] if spec.trainable else []
    try:
        # DP-SGD's accountant counts the steps of one uninterrupted run: no backup to resume
        backup = None if training.privacy is not None else out / "backup"
        if strategy is not None:  # resuming would need every worker's agreement: start over
            backup = None
        if teacher is None:
            history = fit(model, prepared, training, backup_dir=backup, callbacks=lines)
        else:
            from reclab.training import distill

            settings = run["distillation"]
            history = distill(
                model, teacher[1], prepared, training, callbacks=lines,
                temperature=settings["temperature"], weight=settings["weight"],
            )  # fmt: skip
    except BackupMismatchError as error:
        raise CliError(f"{error}; or pass --overwrite to start over") from None
    if history.resumed_from:
        _say(f"resumed the interrupted run in {out} from epoch {history.resumed_from + 1}")
    timings["train_seconds"] = time.perf_counter() - start
    if spec.trainable:
        timings["seconds_per_epoch"] = history.seconds_per_epoch()
        save_model(
            model, out / "model.keras", item_mapping=prepared.items, user_mapping=prepared.users
        )
    start = time.perf_counter()
    metrics = {
        split: _metrics(model, prepared, split, spec.name) for split in ("validation", "test")
    }
    timings["evaluate_seconds"] = time.perf_counter() - start
    summary = {
        **metrics,
        "data": {
            "preprocessing": [r.to_dict() for r in clean.reports],
            "split": [r.to_dict() for r in prepared.reports],
        },
        "timings": timings,
        "training": history.to_dict(),
    }
    if source is not None:
        summary["transfer"] = report.to_dict()
    _write_json(out / "metrics.json", summary)
    _write_json(out / "config.json", {**run, "status": "done"})
    test = metrics["test"]
    guarantee = history.privacy
    private = (
        ""
        if guarantee is None
        else f"; DP-SGD epsilon {guarantee['epsilon']:.3g} at delta {guarantee['delta']:.3g} "
        f"over {guarantee['steps']} steps"
    )
    print(
        f"{spec.name} on {options['dataset']}: test HR@10 {test['HR@10']:.4f}, NDCG@10 "
        f"{test['NDCG@10']:.4f} ({test['users']} users){private}; wrote {out}"
    )
    return 0


#: Settings that may change between an interrupted run and its resumption.
_RESUMABLE_CHANGES = ("verbose", "max_seconds", "epochs")


def _check_same_run(out: Path, previous: dict[str, Any], run: dict[str, Any]) -> None:
    """Refuse to resume an interrupted run with other arguments or data."""

    def essence(config: dict[str, Any]) -> dict[str, Any]:
        training = {
            k: v for k, v in config.get("training", {}).items() if k not in _RESUMABLE_CHANGES
        }
        kept = {k: v for k, v in config.items() if k not in ("status", "training")}
        return {**kept, "training": training}

    old, new = essence(previous), essence(run)
    changed = sorted(
        k
        for k in set(old) | set(new)
        if json.dumps(old.get(k), default=str) != json.dumps(new.get(k), default=str)
    )
    if changed:
        detail = changed[0]
        if detail == "training":
            keys = set(old["training"]) | set(new["training"])
            detail = next(
                f"training.{k}"
                for k in sorted(keys)
                if old["training"].get(k) != new["training"].get(k)
            )
        raise CliError(
            f"--out {str(out)!r} holds an interrupted run with other settings ({detail}: "
            f"{_setting(previous, detail)} then, {_setting(run, detail)} now); it was not "
            "resumed. Repeat the same command to resume it, pass --overwrite to start over, or "
            "choose another folder"
        )


def _setting(config: dict[str, Any], key: str) -> Any:
    if key.startswith("training."):
        return config.get("training", {}).get(key.split(".", 1)[1])
    return config.get(key)


def _read_run(folder: str) -> dict[str, Any]:
    from reclab.models import MODELS

    path = Path(folder)
    if not path.is_dir():
        raise CliError(f"{folder!r} is not a folder written by 'python -m reclab train'")
    config_path = path / "config.json"
    if not config_path.is_file():
        raise CliError(f"{folder!r} has no config.json; is it a folder written by 'train'?")
    try:
        run = json.loads(config_path.read_text())
    except json.JSONDecodeError as error:
        raise CliError(
            f"{config_path}: not valid JSON ({error.msg}, line {error.lineno})"
        ) from None
    for key in ("model", "dataset", "architecture"):
        if key not in run:
            raise CliError(f"{config_path}: missing the key {key!r}")
    if run["model"] not in MODELS:
        raise CliError(
            f"{config_path}: unknown model {run['model']!r}; expected one of {sorted(MODELS)}"
        )
    if run.get("status") != "done":
        raise CliError(f"{folder!r} holds a run that did not finish; train it again to resume")
    if MODELS[run["model"]].trainable and not (path / "model.keras").is_file():
        raise CliError(f"{folder!r} has no model.keras")
    return run


def _load_run(folder: str) -> tuple[dict[str, Any], Any, Any, Any, Any]:
    from reclab.models import build_model, model_spec

    run = _read_run(folder)
    options = {key: run.get(key) for key in DATA_KEYS}
    options = {k: v for k, v in options.items() if v is not None or k == "format"}
    _check_dataset(options)
    prepared, items, _, raw = _prepare(options)
    if prepared.fingerprint() != run.get("data_fingerprint", prepared.fingerprint()):
        raise CliError(
            f"{folder!r} was trained on other data than {run['dataset']!r} gives now (the file "
            "changed?); train it again"
        )
    spec = model_spec(run["model"])
    if spec.trainable:
        from reclab.recommend import load_model

        model = load_model(
            Path(folder) / "model.keras",
            item_mapping=prepared.items,
            user_mapping=prepared.users,
            num_items=prepared.num_items,
        )
    else:
        model = build_model(spec.name, num_items=prepared.num_items, config=run["architecture"])
        model.fit(prepared.train)
    return run, prepared, items, model, raw


def cmd_evaluate(args: argparse.Namespace) -> int:
    run, prepared, _, model, _ = _load_run(args.run)
    result = _metrics(model, prepared, args.split, run["model"])
    print(_to_json({args.split: result}))
    return 0


def _unknown_user(user: int, run: dict[str, Any], raw: Any) -> str:
    events = int((raw["user_id"] == user).sum())
    if events == 0:
        return f"--user {user}: no such user in {run['dataset']!r}"
    return (
        f"--user {user}: the user has {events} events in {run['dataset']!r}, but preprocessing "
        f"removed them (the k-core filter keeps users with at least {run.get('min_user_events')} "
        f"events on items with at least {run.get('min_item_events')} events); train with lower "
        "--min-user-events / --min-item-events to keep them"
    )


def cmd_recommend(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from reclab.recommend import recommend

    run, prepared, items, model, raw = _load_run(args.run)
    if not prepared.users.contains([args.user])[0]:
        raise CliError(_unknown_user(args.user, run, raw))
    user = int(prepared.users.encode([args.user])[0])
    split = prepared.split
    events = pd.concat([split.train, split.validation, split.test], ignore_index=True)
    mine = events[(events["user_id"] == user) & (events["item_id"] > 0)]
    history = mine.sort_values("timestamp", kind="stable")["item_id"].to_numpy(np.int64)
    exclude = prepared.test.exclude_seen and not args.include_seen
    if args.trade_off is not None and not args.rerank:
        raise CliError("--trade-off needs --rerank mmr or --rerank calibration")
    table = recommend(
        model,
        history,
        args.k,
        exclude_seen=exclude,
        user=user,
        item_mapping=prepared.items,
        items=items,
        reranker=_reranker(args, model, prepared, items) if args.rerank else None,
        pool=args.pool,
    )
    table = table.drop(columns="item_id").rename(columns={"raw_item_id": "item_id"})
    columns = ["rank", "item_id"] + (["title"] if "title" in table else []) + ["score"]
    with pd.option_context("display.width", 120, "display.max_colwidth", 60):
        print(table[columns].to_string(index=False))
        if args.explain:
            print(_explanation(model, history, table, prepared, items, user))
    return 0


def _reranker(args: argparse.Namespace, model: Any, prepared: Any, items: Any) -> Any:
    import numpy as np

    from reclab import recommend

    if args.rerank == "calibration":
        groups = recommend.popularity_groups(prepared.item_counts())
        trade_off = 0.5 if args.trade_off is None else args.trade_off
        return recommend.calibration_reranker(groups, trade_off=trade_off, num_groups=3)
    trade_off = 0.7 if args.trade_off is None else args.trade_off
    if items is not None and "genres" in items:
        from reclab.data import item_content

        vectors = item_content(items, prepared.items).genres.astype(np.float64)
    elif hasattr(model, "output_table"):
        vectors = np.asarray(model.output_table()[0], np.float64)
    else:
        raise CliError(
            "--rerank mmr needs item vectors: the data has no genres and this model has no "
            "item table; use --rerank calibration"
        )
    return recommend.mmr_reranker(vectors, trade_off=trade_off)


def _explanation(model: Any, history: Any, table: Any, prepared: Any, items: Any, user: int) -> str:
    from reclab.recommend import explain

    first = int(prepared.items.encode([table["item_id"].iloc[0]])[0])
    why = explain(model, history, first, user=user, item_mapping=prepared.items, items=items)
    why = why.drop(columns="item_id").rename(columns={"raw_item_id": "item_id"})
    why = why.sort_values("deletion", ascending=False, kind="stable").head(10)
    name = table["title"].iloc[0] if "title" in table else table["item_id"].iloc[0]
    return (
        f"\nwhy {name!s}: the history items whose deletion lowers its score most "
        "(deletion = score drop when the item is removed)\n" + why.to_string(index=False)
    )


def cmd_export(args: argparse.Namespace) -> int:
    from reclab.serving import export_model, exportable, load_exported

    if args.quantize and args.format != "litert":
        raise CliError("--quantize int8 needs --format litert (a SavedModel keeps float32)")
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CliError(f"--out {args.out!r} exists and is not empty; choose a new folder")
    from reclab.models import model_spec

    kind = _read_run(args.run)["model"]
    if not exportable(model_spec(kind).model_class):
        raise CliError(
            f"{args.run!r} holds a {kind!r} model, which cannot be exported: only the sequence "
            "models that score the whole catalogue (sasrec, hstu, bert4rec, gru4rec) have a "
            "top-k serving signature"
        )
    _, prepared, items, model, _ = _load_run(args.run)
    export_model(
        model,
        out,
        format=args.format,
        k=args.k,
        exclude_seen=prepared.test.exclude_seen and not args.include_seen,
        quantize=args.quantize,
        item_mapping=prepared.items,
        items=items,
    )
    size = load_exported(out).model_bytes()
    print(
        f"wrote {args.format} ({size / 1e6:.2f} MB) to {str(out)!r}: signature 'serve', "
        f"histories (B, T) int32 (reads the latest {model.max_len}) -> item_ids, scores "
        f"(B, {args.k})"
    )
    return 0


def _with_flag_hints(message: str) -> str:
    hints = [f"{flag}" for keyword, flag in FLAG_HINTS.items() if keyword in message]
    if not hints:
        return message
    return message + "\n  (on the command line: " + "; ".join(hints) + ")"


def _report(message: str) -> int:
    text = message.strip() or "unknown error"
    first, *rest = text.splitlines()
    print(f"reclab: error: {first}", file=sys.stderr)
    for line in rest:
        print(f"  {line.strip()}" if line.strip() else "", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from reclab.environment import quiet_tensorflow

    try:
        quiet_tensorflow(warm_up=False)
        args = build_parser().parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)
        _start_devices(args)  # before TensorFlow starts: its devices and cluster are fixed then
        quiet_tensorflow()
        command = {
            "train": cmd_train,
            "evaluate": cmd_evaluate,
            "recommend": cmd_recommend,
            "export": cmd_export,
        }
        return command[args.command](args)
    except CliError as error:
        return _report(str(error))
    except KeyboardInterrupt:
        print(
            "reclab: interrupted (train again with the same arguments to resume)", file=sys.stderr
        )
        return 130
    except MemoryError as error:
        return _report(f"out of memory: {error}" if str(error) else "out of memory")
    except (ValueError, TypeError, OSError, KeyError, FloatingPointError) as error:
        return _report(_with_flag_hints(str(error)) or type(error).__name__)
    except Exception as error:  # TensorFlow's errors (e.g. ResourceExhaustedError), by name
        if type(error).__module__.startswith("tensorflow"):
            return _report(f"TensorFlow: {type(error).__name__}: {error}".splitlines()[0])
        raise
