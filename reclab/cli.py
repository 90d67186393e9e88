"""The command line: ``python -m reclab {train,evaluate,recommend} ...``.

Examples::

    python -m reclab train --model sasrec --dataset ml-latest-small --out runs/sasrec
    python -m reclab evaluate runs/sasrec
    python -m reclab recommend runs/sasrec --user 1 -k 10

``train`` writes ``config.json`` (what was trained on what), ``model.keras`` (trained Keras
models; count baselines are refitted from the data, which takes seconds) and ``metrics.json``
(validation and test full-ranking metrics with bootstrap intervals, and timings). ``evaluate``
and ``recommend`` read the data set named in ``config.json`` again, with the same preprocessing.

Bad arguments and files end with one line on stderr (``reclab: error: ...``) and exit status 2;
no traceback. TensorFlow is imported only once the arguments have been checked.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["DATASETS", "MODELS", "main"]

MODELS = ("pop", "markov", "mf", "gru4rec", "sasrec")
#: Named data sets; anything else is a path to a file.
DATASETS = ("ml-latest-small", "ml-100k", "ml-1m", "synthetic-toy", "synthetic-ml-1m")
FORMATS = ("csv", "tsv", "parquet", "pairs")
LOSS_CHOICES = ("bce", "softmax", "sampled-softmax", "gbce")
KERAS_MODELS = ("mf", "gru4rec", "sasrec")


class CliError(Exception):
    """A problem the user can fix; reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (``python -m reclab --help``)."""
    parser = _Parser(prog="python -m reclab", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model and write it with its metrics")
    train.add_argument("--model", required=True, choices=MODELS)
    train.add_argument(
        "--dataset",
        required=True,
        help=f"one of {', '.join(DATASETS)}, or a path to an interaction file",
    )
    train.add_argument(
        "--format",
        choices=FORMATS,
        help="file format of a --dataset path (default: from its suffix; 'pairs' = "
        "'user item' lines in time order)",
    )
    train.add_argument(
        "--loss",
        choices=LOSS_CHOICES,
        default=None,
        help="training objective (default: softmax; bce with --paper)",
    )
    train.add_argument("--epochs", type=_positive_int, default=200)
    train.add_argument("--seed", type=_non_negative_int, default=0)
    train.add_argument("--max-len", type=_positive_int, default=None)
    train.add_argument("--dim", type=_positive_int, default=None)
    train.add_argument("--dropout", type=float, default=None)
    train.add_argument("--learning-rate", type=_positive_float, default=None)
    train.add_argument("--batch-size", type=_positive_int, default=128)
    train.add_argument("--patience", type=_positive_int, default=10)
    train.add_argument("--max-seconds", type=_positive_float, default=None)
    train.add_argument(
        "--paper", action="store_true", help="SASRec's published hyper-parameters (ML-1M)"
    )
    train.add_argument("--progress", action="store_true", help="show Keras' progress bar")
    train.add_argument(
        "--no-xla", action="store_true", help="do not compile the training step with XLA"
    )
    train.add_argument("--out", required=True, help="output folder (created)")

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
    return parser


# -- data -----------------------------------------------------------------------------------
def _check_dataset(dataset: str, file_format: str | None) -> None:
    if dataset in DATASETS:
        if file_format is not None:
            raise CliError(
                f"--format applies to a file path, not to the named data set {dataset!r}"
            )
        return
    path = Path(dataset)
    if not path.exists():
        raise CliError(
            f"--dataset {dataset!r} is neither a known data set ({', '.join(DATASETS)}) nor an "
            "existing file"
        )
    if not path.is_file():
        raise CliError(f"--dataset {dataset!r} is not a file")
    if file_format is None and path.suffix.lower() not in (
        ".csv",
        ".tsv",
        ".tab",
        ".parquet",
        ".pq",
        ".txt",
    ):
        raise CliError(
            f"--dataset {dataset!r}: cannot tell the format from the suffix {path.suffix!r}; "
            f"pass --format {{{','.join(FORMATS)}}}"
        )


def load_dataset(dataset: str, file_format: str | None = None) -> tuple[Any, Any]:
    """``(clean interactions, items table or None)`` for a named data set or a file."""
    from reclab import data

    items = None
    if dataset.startswith("synthetic-"):
        config = (
            data.ShopConfig.toy()
            if dataset == "synthetic-toy"
            else data.ShopConfig.movielens_1m_like()
        )
        frame = data.SyntheticShop(config).generate()
    elif dataset in DATASETS:
        movielens = data.load_movielens(dataset, download=False)
        frame, items = movielens.interactions, movielens.items
    else:
        path = Path(dataset)
        if file_format == "pairs" or (file_format is None and path.suffix.lower() == ".txt"):
            frame = data.load_user_item_pairs(path)
        else:
            frame = data.load_interactions(path, file_format=file_format)
    return data.preprocess(frame).interactions, items


# -- models ---------------------------------------------------------------------------------
def _training_config(args: argparse.Namespace, model: str) -> Any:
    from reclab.training import TrainingConfig

    base = TrainingConfig.paper() if args.paper else TrainingConfig()
    changes: dict[str, Any] = {
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "patience": args.patience,
        "max_seconds": args.max_seconds,
        "verbose": 1 if args.progress else 0,
        "jit_compile": False if args.no_xla else None,
    }
    if args.loss is not None:
        changes["loss"] = args.loss
    if args.learning_rate is not None:
        changes["learning_rate"] = args.learning_rate
    from dataclasses import replace

    config = replace(base, **changes)
    config.validate()
    return config


def _architecture(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import asdict

    from reclab.models import GRU4RecConfig, SASRecConfig

    if args.model == "sasrec":
        base = SASRecConfig.paper("ml-1m") if args.paper else SASRecConfig()
    elif args.model == "gru4rec":
        base = GRU4RecConfig()
    else:
        return {"dim": args.dim or 64}
    fields = asdict(base)
    for name, value in (("max_len", args.max_len), ("dim", args.dim), ("dropout", args.dropout)):
        if value is not None:
            fields[name] = value
    return fields


def _build(kind: str, num_items: int, architecture: dict[str, Any], num_users: int = 0) -> Any:
    from reclab import models

    if kind == "pop":
        return models.Popularity(num_items)
    if kind == "markov":
        return models.MarkovChain(num_items, popularity_weight=0.5)
    if kind == "sasrec":
        return models.SASRec(num_items, models.SASRecConfig(**architecture))
    if kind == "gru4rec":
        return models.GRU4Rec(num_items, models.GRU4RecConfig(**architecture))
    return models.MatrixFactorization(
        models.MatrixFactorizationConfig(
            num_users=num_users, num_items=num_items, embedding_dim=architecture["dim"]
        )
    )


def _user_mapping(prepared: Any) -> Any:
    from reclab.data import IdMapping

    return IdMapping.fit(prepared.split.train["user_id"])


def _train_mf(model: Any, prepared: Any, config: Any) -> dict[str, Any]:
    import keras
    import numpy as np

    from reclab.losses import SampledBinaryCrossEntropy
    from reclab.models import candidate_dataset
    from reclab.seeding import set_seed

    set_seed(config.seed)
    users = _user_mapping(prepared).encode(prepared.split.train["user_id"])
    items = prepared.split.train["item_id"].to_numpy(np.int64)
    dataset = candidate_dataset(
        users,
        items,
        num_items=prepared.num_items,
        num_negatives=4,
        batch_size=1024,
        seed=config.seed,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate), loss=SampledBinaryCrossEntropy()
    )
    epochs = min(config.epochs, 20)
    history = model.fit(dataset, epochs=epochs, verbose=config.verbose, shuffle=False)
    return {"epochs": epochs, "loss": [float(x) for x in history.history["loss"]]}


def _evaluation_users(prepared: Any, evaluation_set: Any, kind: str) -> Any:
    if kind != "mf":
        return evaluation_set
    from reclab.training import EvaluationSet

    mapping = _user_mapping(prepared)
    return EvaluationSet(
        evaluation_set.histories, evaluation_set.targets, mapping.encode(evaluation_set.users)
    )


def _metrics(model: Any, prepared: Any, kind: str, split: str) -> dict[str, Any]:
    from reclab.evaluation import evaluate_model

    data_set = prepared.validation if split == "validation" else prepared.test
    table = evaluate_model(
        model,
        _evaluation_users(prepared, data_set, kind),
        split=split,
        name=kind,
        metrics=("hr", "ndcg", "mrr"),
        ks=(10,),
    )
    out: dict[str, Any] = {"users": int(table["users"].iloc[0])}
    for row in table.itertuples():
        out[row.metric] = row.value
        out[f"{row.metric}_ci"] = [row.ci_low, row.ci_high]
    return out


def _prepare(dataset: str, file_format: str | None) -> tuple[Any, Any]:
    from reclab.training import prepare_next_item_data

    frame, items = load_dataset(dataset, file_format)
    if len(frame) == 0:
        raise CliError(f"--dataset {dataset!r}: no events left after preprocessing")
    return prepare_next_item_data(frame), items


def _fitted(kind: str, prepared: Any, architecture: dict[str, Any]) -> Any:
    return _build(kind, prepared.num_items, architecture).fit(prepared.train)


def cmd_train(args: argparse.Namespace) -> int:
    _check_dataset(args.dataset, args.format)
    if args.dropout is not None and not 0 <= args.dropout < 1:
        raise CliError(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.paper and args.model != "sasrec":
        raise CliError("--paper applies to --model sasrec only")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {args.out!r} exists and is not a folder")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    prepared, _ = _prepare(args.dataset, args.format)
    timings["load_seconds"] = time.perf_counter() - start
    architecture = _architecture(args)
    config = _training_config(args, args.model)
    start = time.perf_counter()
    training: dict[str, Any] = {}
    if args.model in ("pop", "markov"):
        model = _fitted(args.model, prepared, architecture)
    elif args.model == "mf":
        model = _build("mf", prepared.num_items, architecture, len(_user_mapping(prepared).raw_ids))
        training = _train_mf(model, prepared, config)
    else:
        from reclab.training import fit

        model = _build(args.model, prepared.num_items, architecture)
        history = fit(model, prepared, config, backup_dir=out / "backup")
        training = history.to_dict()
        timings["seconds_per_epoch"] = history.seconds_per_epoch()
    timings["train_seconds"] = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    if args.model in KERAS_MODELS:
        from reclab.recommend import save_model

        save_model(model, out / "model.keras", item_mapping=prepared.items)
    start = time.perf_counter()
    metrics = {
        split: _metrics(model, prepared, args.model, split) for split in ("validation", "test")
    }
    timings["evaluate_seconds"] = time.perf_counter() - start
    from dataclasses import asdict

    import reclab

    run = {
        "model": args.model,
        "dataset": args.dataset,
        "format": args.format,
        "architecture": architecture,
        "training": asdict(config),
        "num_items": prepared.num_items,
        "reclab_version": reclab.__version__,
    }
    (out / "config.json").write_text(json.dumps(run, indent=2) + "\n")
    summary = {**metrics, "timings": timings, "training": training}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    test = metrics["test"]
    print(
        f"{args.model} on {args.dataset}: test HR@10 {test['HR@10']:.4f}, NDCG@10 "
        f"{test['NDCG@10']:.4f} ({test['users']} users); wrote {out}"
    )
    return 0


def _read_run(folder: str) -> dict[str, Any]:
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
        raise CliError(f"{config_path}: unknown model {run['model']!r}; expected one of {MODELS}")
    if run["model"] in KERAS_MODELS and not (path / "model.keras").is_file():
        raise CliError(f"{folder!r} has no model.keras")
    return run


def _load_run(folder: str) -> tuple[dict[str, Any], Any, Any, Any]:
    run = _read_run(folder)
    _check_dataset(run["dataset"], run.get("format"))
    prepared, items = _prepare(run["dataset"], run.get("format"))
    if run["model"] in KERAS_MODELS:
        from reclab.recommend import load_model

        model = load_model(
            Path(folder) / "model.keras", item_mapping=prepared.items, num_items=prepared.num_items
        )
    else:
        model = _fitted(run["model"], prepared, run["architecture"])
    return run, prepared, items, model


def cmd_evaluate(args: argparse.Namespace) -> int:
    run, prepared, _, model = _load_run(args.run)
    result = _metrics(model, prepared, run["model"], args.split)
    print(json.dumps({args.split: result}, indent=2))
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    run = _read_run(args.run)
    _, prepared, items, model = _load_run(args.run)
    split = prepared.split
    events = pd.concat([split.train, split.validation, split.test], ignore_index=True)
    mine = events[events["user_id"] == args.user]
    if mine.empty:
        raise CliError(f"--user {args.user}: no such user in {run['dataset']!r}")
    history = mine["item_id"].to_numpy(np.int64)
    user = None
    if run["model"] == "mf":
        mapping = _user_mapping(prepared)
        if not mapping.contains([args.user])[0]:
            raise CliError(f"--user {args.user}: not in the training data of this model")
        user = int(mapping.encode([args.user])[0])
    from reclab.recommend import recommend

    table = recommend(
        model,
        history,
        args.k,
        exclude_seen=not args.include_seen,
        user=user,
        item_mapping=prepared.items,
        items=items,
    )
    with pd.option_context("display.width", 120, "display.max_colwidth", 60):
        print(table.to_string(index=False))
    return 0


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up banner (stderr) sent to /dev/null."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        args = build_parser().parse_args(argv)
        _import_tensorflow_quietly()
        command = {"train": cmd_train, "evaluate": cmd_evaluate, "recommend": cmd_recommend}
        return command[args.command](args)
    except CliError as error:
        print(f"reclab: error: {error}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, KeyError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"reclab: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reclab: interrupted", file=sys.stderr)
        return 130
