"""python -m reclab: the happy path, what a user's files and runs survive, and clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from reclab.cli import main


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


TINY_SASREC = ["--epochs", "2", "--max-len", "8", "--dim", "8", "--no-xla"]


def train_toy_sasrec(capsys, out, *flags):
    """Train the tiny SASRec on the toy shop through the command line: ``(status, stderr)``."""
    argv = ["train", "--model", "sasrec", "--dataset", "synthetic-toy", *TINY_SASREC, *flags]
    status, _, err = run(capsys, *argv, "--out", out)
    return status, err


@pytest.fixture(scope="module")
def sasrec_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sasrec"
    status = main(
        [
            "train",
            "--model",
            "sasrec",
            "--dataset",
            "synthetic-toy",
            *TINY_SASREC,
            "--seed",
            "1",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    return out


@pytest.mark.slow
def test_train_writes_model_config_and_metrics(sasrec_run):
    assert {p.name for p in sasrec_run.iterdir()} == {"config.json", "metrics.json", "model.keras"}
    metrics = json.loads((sasrec_run / "metrics.json").read_text())
    for split in ("validation", "test"):
        assert 0.0 <= metrics[split]["NDCG@10"] <= 1.0
        low, high = metrics[split]["NDCG@10_ci"]
        assert low <= metrics[split]["NDCG@10"] <= high
        assert sum(metrics[split]["targets"].values()) == metrics[split]["users"]
    assert metrics["timings"]["train_seconds"] > 0
    assert metrics["training"]["best_epoch"] >= 1
    config = json.loads((sasrec_run / "config.json").read_text())
    assert config["architecture"]["max_len"] == 8 and config["training"]["seed"] == 1
    assert config["status"] == "done"


@pytest.mark.slow
def test_evaluate_reproduces_the_test_metrics(sasrec_run, capsys):
    status, out, err = run(capsys, "evaluate", sasrec_run)
    assert status == 0 and err == ""
    saved = json.loads((sasrec_run / "metrics.json").read_text())["test"]
    assert json.loads(out)["test"]["NDCG@10"] == pytest.approx(saved["NDCG@10"], abs=1e-6)


@pytest.mark.slow
def test_recommend_lists_unseen_items(sasrec_run, capsys):
    status, out, err = run(capsys, "recommend", sasrec_run, "--user", "5", "-k", "4")
    assert status == 0 and err == ""
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["rank", "item_id"] and len(lines) == 5


def test_count_baselines_train_evaluate_and_recommend(tmp_path, capsys):
    for model in ("pop", "markov"):
        out = tmp_path / model
        status, stdout, _ = run(
            capsys, "train", "--model", model, "--dataset", "synthetic-toy", "--out", out
        )
        assert status == 0 and "test HR@10" in stdout
        assert (out / "metrics.json").exists() and not (out / "model.keras").exists()
        assert run(capsys, "evaluate", out, "--split", "validation")[0] == 0
        assert run(capsys, "recommend", out, "--user", "1")[0] == 0


@pytest.mark.slow
def test_bert4rec_trains_evaluates_and_recommends(tmp_path, capsys):
    out = tmp_path / "bert4rec"
    argv = ["train", "--model", "bert4rec", "--dataset", "synthetic-toy", *TINY_SASREC]
    status, stdout, err = run(capsys, *argv, "--mask-prob", "0.3", "--out", out)
    assert status == 0 and "bert4rec on synthetic-toy: test HR@10" in stdout, err
    config = json.loads((out / "config.json").read_text())
    assert config["architecture"]["mask_prob"] == 0.3 and config["architecture"]["max_len"] == 8
    status, stdout, err = run(capsys, "evaluate", out)
    saved = json.loads((out / "metrics.json").read_text())["test"]
    assert status == 0 and json.loads(stdout)["test"]["NDCG@10"] == pytest.approx(
        saved["NDCG@10"], abs=1e-6
    )
    status, stdout, err = run(capsys, "recommend", out, "--user", "5", "-k", "4")
    assert status == 0 and len(stdout.strip().splitlines()) == 5, err


def architecture_of(run_folder):
    return json.loads((run_folder / "config.json").read_text())["architecture"]


def assert_evaluate_reproduces(capsys, run_folder):
    """``evaluate`` on a saved run gives the test NDCG@10 that ``train`` wrote."""
    status, stdout, err = run(capsys, "evaluate", run_folder)
    saved = json.loads((run_folder / "metrics.json").read_text())["test"]
    assert status == 0, err
    assert json.loads(stdout)["test"]["NDCG@10"] == pytest.approx(saved["NDCG@10"], abs=1e-6)


@pytest.mark.slow
def test_hstu_trains_and_reloads_with_its_blocks(tmp_path, capsys):
    out = tmp_path / "hstu"
    argv = ["train", "--model", "hstu", "--dataset", "synthetic-toy", *TINY_SASREC]
    status, stdout, err = run(capsys, *argv, "--out", out)
    assert status == 0 and "hstu on synthetic-toy: test HR@10" in stdout, err
    assert architecture_of(out)["block"] == "hstu"
    assert_evaluate_reproduces(capsys, out)


def test_hybrid_items_train_from_the_catalogue_and_reload(tmp_path, capsys):
    out = tmp_path / "hybrid"
    status, err = train_toy_sasrec(capsys, out, "--items", "hybrid")
    assert status == 0, err
    assert architecture_of(out)["items"] == "hybrid"
    assert_evaluate_reproduces(capsys, out)


def test_tiger_learns_its_codes_from_the_catalogue_and_reloads_them(tmp_path, capsys):
    out = tmp_path / "tiger"
    argv = ["train", "--model", "tiger", "--dataset", "synthetic-toy", *TINY_SASREC]
    status, stdout, err = run(capsys, *argv, "--items", "hybrid", "--out", out)
    assert status == 0 and "tiger on synthetic-toy: test HR@10" in stdout, err
    assert architecture_of(out)["items"] == "hybrid"
    assert_evaluate_reproduces(capsys, out)
    status, stdout, err = run(capsys, "recommend", out, "--user", "1", "-k", "5")
    assert status == 0, err


def test_content_items_need_a_catalogue_and_a_model_that_reads_it(tmp_path, capsys):
    log = tmp_path / "log.csv"
    pd.DataFrame(
        {"user_id": np.repeat(np.arange(20), 6), "item_id": np.tile(np.arange(6), 20),
         "timestamp": np.arange(120)}
    ).to_csv(log, index=False)  # fmt: skip
    argv = ["train", "--model", "sasrec", "--dataset", log, *TINY_SASREC, "--items", "content"]
    status, _, err = run(capsys, *argv, "--out", tmp_path / "a", "--min-item-events", "1")
    assert status == 2 and "needs a catalogue with titles and genres" in err
    argv = ["train", "--model", "gru4rec", "--dataset", "synthetic-toy", "--items", "content"]
    status, _, err = run(capsys, *argv, "--out", tmp_path / "b")
    assert status == 2 and "--items does not apply to --model gru4rec" in err


def test_paper_settings_are_each_models_own():
    from reclab.cli import _model_config, _training_config, build_parser
    from reclab.models import BERT4RecConfig, model_spec

    def settings(model):
        argv = ["train", "--model", model, "--dataset", "synthetic-toy", "--paper", "--out", "o"]
        args = build_parser().parse_args(argv)
        args.show_bar = False
        spec = model_spec(model)
        return _model_config(args, spec), _training_config(args, spec)

    architecture, training = settings("bert4rec")
    assert architecture == BERT4RecConfig.paper()
    assert (training.loss, training.learning_rate, training.beta_2, training.batch_size) == (
        "softmax",
        1e-4,
        0.999,
        256,
    )
    assert settings("sasrec")[1].loss == "bce"


def test_bert4rec_trains_with_its_own_defaults_and_flags_still_win():
    from reclab.cli import _training_config, build_parser
    from reclab.models import model_spec

    def training(*flags):
        argv = ["train", "--model", "bert4rec", "--dataset", "synthetic-toy", *flags, "--out", "o"]
        args = build_parser().parse_args(argv)
        args.show_bar = False
        return _training_config(args, model_spec("bert4rec"))

    assert (training().batch_size, training().learning_rate, training().patience) == (32, 2e-3, 30)
    assert training("--batch-size", "64").batch_size == 64
    assert training("--paper").batch_size == 256


@pytest.mark.slow
def test_matrix_factorisation_uses_every_flag_and_the_seed(tmp_path, capsys):
    # Regression: --model mf ignored --batch-size, --loss, --max-seconds and --patience, capped
    # --epochs at 20 while config.json recorded the flags, and changed from run to run.
    flags = [
        "--model",
        "mf",
        "--dataset",
        "synthetic-toy",
        "--epochs",
        "3",
        "--loss",
        "bpr",
        "--batch-size",
        "256",
        "--patience",
        "2",
        "--max-seconds",
        "60",
        "--dim",
        "8",
    ]
    results = []
    for name in ("a", "b"):
        status, _, err = run(capsys, "train", *flags, "--out", tmp_path / name)
        assert status == 0, err
        results.append(json.loads((tmp_path / name / "metrics.json").read_text()))
    assert results[0]["test"]["NDCG@10"] == results[1]["test"]["NDCG@10"]
    learned = [[(r["loss"], r["val_NDCG@10"]) for r in m["training"]["records"]] for m in results]
    assert learned[0] == learned[1]
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert (config["training"]["loss"], config["training"]["batch_size"]) == ("bpr", 256)
    assert len(results[0]["training"]["records"]) <= 3
    status, out, _ = run(capsys, "evaluate", tmp_path / "a")
    assert status == 0
    assert json.loads(out)["test"]["NDCG@10"] == pytest.approx(results[0]["test"]["NDCG@10"])
    assert run(capsys, "recommend", tmp_path / "a", "--user", "3", "-k", "3")[0] == 0


def _hashed_log(path, offset=0):
    """A CSV log whose user and item ids are 64-bit hashes (beyond float64's 2**53)."""
    from reclab.data import ShopConfig, SyntheticShop

    frame = SyntheticShop(ShopConfig.toy(seed=2)).generate()
    rng = np.random.default_rng(0)
    user_ids = rng.integers(2**53, 2**63 - 1, size=frame.user_id.max() + 1, dtype=np.int64)
    item_ids = rng.integers(2**53, 2**63 - 1, size=frame.item_id.max() + 1, dtype=np.int64)
    frame = frame.assign(user_id=user_ids[frame.user_id], item_id=item_ids[frame.item_id])
    frame.to_csv(path, index=False)
    return frame


def test_64_bit_ids_survive_the_command_line(tmp_path, capsys):
    # Regression: ids above 2**53 went through float64 and merged (25 items became 13).
    log = tmp_path / "log.csv"
    frame = _hashed_log(log)
    out = tmp_path / "pop"
    status, _, err = run(capsys, "train", "--model", "pop", "--dataset", log, "--out", out)
    assert status == 0, err
    from reclab.data import prepare_next_item_data, preprocess

    expected = prepare_next_item_data(preprocess(frame).interactions)  # ids never in a file
    config = json.loads((out / "config.json").read_text())
    assert (config["num_items"], config["num_users"]) == (expected.num_items, expected.num_users)
    user = int(frame.user_id.iloc[0])
    status, text, err = run(capsys, "recommend", out, "--user", user, "-k", "3")
    assert status == 0, err
    listed = [int(line.split()[1]) for line in text.strip().splitlines()[1:]]
    assert set(listed) <= set(frame.item_id.tolist())  # raw 64-bit ids, not internal ones


def test_preprocessing_is_shown_stored_and_configurable(tmp_path, capsys):
    # Regression: rows dropped by deduplication and k-core were never shown or recorded, the
    # k-core limits could not be changed, and a removed user was "no such user".
    log = tmp_path / "log.csv"
    frame = pd.DataFrame(
        {
            "user_id": [1] * 6 + [2] * 6 + [3] * 2,
            "item_id": [1, 2, 3, 4, 5, 1] * 2 + [1, 2],
            "timestamp": list(range(14)),
        }
    )
    frame.to_csv(log, index=False)
    out = tmp_path / "pop"
    status, _, err = run(
        capsys,
        "train",
        "--model",
        "pop",
        "--dataset",
        log,
        "--out",
        out,
        "--min-user-events",
        "4",
        "--min-item-events",
        "2",
    )
    assert status == 0, err
    assert "k_core: 14 -> 12 rows" in err and "3 -> 2 users" in err
    steps = json.loads((out / "metrics.json").read_text())["data"]["preprocessing"]
    k_core = next(step for step in steps if step["step"] == "k_core")
    assert (k_core["rows_in"], k_core["rows_out"], k_core["users_out"]) == (14, 12, 2)
    status, _, err = run(capsys, "recommend", out, "--user", "3")
    assert status == 2 and "has 2 events" in err and "--min-user-events" in err
    status, _, err = run(capsys, "recommend", out, "--user", "77")
    assert status == 2 and "no such user" in err


def test_a_folder_the_program_did_not_write_is_never_touched(tmp_path, capsys):
    # Regression: --out on an existing folder deleted DIR/backup/ and overwrote config.json,
    # metrics.json and model.keras without a word.
    mine = tmp_path / "mine"
    (mine / "backup").mkdir(parents=True)
    (mine / "backup" / "notes.txt").write_text("keep")
    (mine / "config.json").write_text('{"my": "settings"}')
    status, _, err = run(
        capsys,
        "train",
        "--model",
        "pop",
        "--dataset",
        "synthetic-toy",
        "--out",
        mine,
        "--overwrite",
    )
    assert status == 2 and "not a run folder" in err
    assert (mine / "backup" / "notes.txt").read_text() == "keep"
    assert (mine / "config.json").read_text() == '{"my": "settings"}'


def test_a_finished_run_is_replaced_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        run(capsys, "train", "--model", "pop", "--dataset", "synthetic-toy", "--out", out)[0] == 0
    )
    (out / "my-notes.md").write_text("notes")
    before = (out / "metrics.json").read_text()
    status, _, err = run(
        capsys, "train", "--model", "markov", "--dataset", "synthetic-toy", "--out", out
    )
    assert status == 2 and "--overwrite" in err and (out / "metrics.json").read_text() == before
    status, _, _ = run(
        capsys,
        "train",
        "--model",
        "markov",
        "--dataset",
        "synthetic-toy",
        "--out",
        out,
        "--overwrite",
    )
    assert status == 0 and json.loads((out / "config.json").read_text())["model"] == "markov"
    assert (out / "my-notes.md").read_text() == "notes"  # what train did not write stays


def _interrupt_training(monkeypatch, after_epochs):
    """Make training raise KeyboardInterrupt at the start of epoch ``after_epochs + 1``."""
    import keras

    import reclab.cli

    class Stop(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == after_epochs:
                raise KeyboardInterrupt

    monkeypatch.setattr(reclab.cli.EpochLines, "make", staticmethod(lambda epochs: Stop()))


@pytest.mark.slow
def test_an_interrupted_run_resumes_only_with_the_same_arguments(tmp_path, capsys, monkeypatch):
    # Regression: a seed-1 run silently continued seed 0's first epochs and reported seed 1.
    out = tmp_path / "run"
    args = [
        "train",
        "--model",
        "sasrec",
        "--dataset",
        "synthetic-toy",
        *TINY_SASREC,
        "--epochs",
        "3",
        "--out",
        out,
    ]
    with monkeypatch.context() as patch:
        _interrupt_training(patch, after_epochs=1)
        status, _, err = run(capsys, *args)
    assert status == 130 and "resume" in err
    assert json.loads((out / "config.json").read_text())["status"] == "training"
    status, _, err = run(capsys, *args, "--seed", "1")
    assert status == 2 and "training.seed: 0 then, 1 now" in err
    status, _, err = run(capsys, *args)
    assert status == 0, err
    assert "resumed the interrupted run" in err and "from epoch 2" in err
    records = json.loads((out / "metrics.json").read_text())["training"]["records"]
    assert [r["epoch"] for r in records] == [1, 2, 3]


@pytest.mark.slow
def test_progress_is_one_line_per_epoch_off_a_terminal(sasrec_run, tmp_path, capsys):
    # Regression: long training printed nothing for minutes unless --progress was given.
    out = tmp_path / "run"
    status, _, err = run(
        capsys,
        "train",
        "--model",
        "sasrec",
        "--dataset",
        "synthetic-toy",
        *TINY_SASREC,
        "--out",
        out,
    )
    assert status == 0
    epochs = [line for line in err.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 2 and "val NDCG@10" in epochs[0] and epochs[0].endswith(" s")


def test_a_relative_dataset_path_works_from_another_folder(tmp_path, capsys, monkeypatch):
    # Regression: a relative --dataset was stored as typed, so evaluate from elsewhere failed.
    from reclab.data import ShopConfig, SyntheticShop

    (tmp_path / "data").mkdir()
    SyntheticShop(ShopConfig.toy(seed=2)).generate().to_csv(tmp_path / "data" / "log.csv")
    monkeypatch.chdir(tmp_path / "data")
    assert (
        run(capsys, "train", "--model", "pop", "--dataset", "log.csv", "--out", tmp_path / "run")[0]
        == 0
    )
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "evaluate", tmp_path / "run")
    assert status == 0, err


def test_a_named_data_set_is_downloaded_when_allowed(tmp_path, capsys, monkeypatch):
    # Regression: named data sets were loaded with download=False hard-coded, and only the
    # first line of the loader's reason was printed.
    import reclab.data.cache as cache

    calls = []

    def offline(url, **kwargs):
        calls.append(url)
        raise ConnectionError("no route to host")

    monkeypatch.setenv("RECLAB_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(cache.pooch, "retrieve", offline)
    argv = ["train", "--model", "pop", "--dataset", "ml-latest-small", "--out", tmp_path / "o"]
    status, _, err = run(capsys, *argv)
    assert status == 2 and calls == [
        "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
    ]
    lines = err.strip().splitlines()
    assert lines[0].startswith("reclab: error: Data set 'ml-latest-small' is not available")
    assert any("sha256" in line for line in lines[1:]) and "Traceback" not in err
    status, _, err = run(capsys, *argv, "--offline")
    assert status == 2 and len(calls) == 1 and "download=False" in err


@pytest.fixture
def files(tmp_path):
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("user,thing\n1,2\n")
    weird = tmp_path / "log.xyz"
    weird.write_text("1 2\n")
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    broken_run = tmp_path / "broken"
    broken_run.mkdir()
    (broken_run / "config.json").write_text("{not json")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    return {
        "bad_csv": bad_csv,
        "weird": weird,
        "empty": not_a_run,
        "broken": broken_run,
        "file": a_file,
        "tmp": tmp_path,
    }


def _train(*extra):
    return ["train", "--model", "sasrec", "--dataset", "synthetic-toy", *extra, "--out", "{tmp}/o"]


BAD = {
    "unknown model": (
        ["train", "--model", "bert", "--dataset", "synthetic-toy", "--out", "{tmp}/o"],
        "invalid choice: 'bert'",
    ),
    "unknown dataset": (
        ["train", "--model", "pop", "--dataset", "nope", "--out", "{tmp}/o"],
        "neither a known data set",
    ),
    "format with a named dataset": (
        [
            "train",
            "--model",
            "pop",
            "--dataset",
            "synthetic-toy",
            "--format",
            "csv",
            "--out",
            "{tmp}/o",
        ],
        "--format applies to a file path",
    ),
    "unknown suffix": (
        ["train", "--model", "pop", "--dataset", "{weird}", "--out", "{tmp}/o"],
        "pass --format",
    ),
    "missing column": (
        ["train", "--model", "pop", "--dataset", "{bad_csv}", "--out", "{tmp}/o"],
        "bad.csv",
    ),
    "zero epochs": (_train("--epochs", "0"), "expected a positive integer, got '0'"),
    "negative seed": (_train("--seed", "-1"), "expected an integer >= 0"),
    "bad loss": (_train("--loss", "hinge"), "invalid choice: 'hinge'"),
    "dropout out of range": (_train("--dropout", "1.5"), "--dropout must be in"),
    "mask probability for a causal model": (
        _train("--mask-prob", "0.3"),
        "--mask-prob does not apply to --model sasrec",
    ),
    "infinite learning rate": (
        _train("--learning-rate", "inf"),
        "expected a positive finite number, got 'inf'",
    ),
    "flag that does not apply": (
        [
            "train",
            "--model",
            "mf",
            "--dataset",
            "synthetic-toy",
            "--max-len",
            "5",
            "--out",
            "{tmp}/o",
        ],
        "--max-len does not apply to --model mf",
    ),
    "training flag on a count model": (
        [
            "train",
            "--model",
            "pop",
            "--dataset",
            "synthetic-toy",
            "--loss",
            "bce",
            "--out",
            "{tmp}/o",
        ],
        "--loss does not apply to --model pop",
    ),
    "full softmax for neumf": (
        [
            "train",
            "--model",
            "neumf",
            "--dataset",
            "synthetic-toy",
            "--epochs",
            "1",
            "--out",
            "{tmp}/o",
        ],
        "cannot train with loss='softmax'",
    ),
    "shared negatives for the full softmax": (
        _train("--negative-sharing", "shared"),
        "negative_sharing='shared' applies to a sampled loss",
    ),
    "shared negatives for matrix factorisation": (
        [
            "train",
            "--model",
            "mf",
            "--dataset",
            "synthetic-toy",
            "--loss",
            "bce",
            "--negative-sharing",
            "in-batch",
            "--epochs",
            "1",
            "--out",
            "{tmp}/o",
        ],
        "applies to sequence models",
    ),
    "an embedding that does not fit in memory": (
        _train("--dim", "100000"),
        "training would need about",
    ),
    "an absurd batch size": (_train("--batch-size", "10000000000"), "training would need about"),
    "paper with pop": (
        ["train", "--model", "pop", "--dataset", "synthetic-toy", "--paper", "--out", "{tmp}/o"],
        "--paper applies to --model bert4rec, sasrec only",
    ),
    "out is a file": (
        ["train", "--model", "pop", "--dataset", "synthetic-toy", "--out", "{file}"],
        "is not a folder",
    ),
    "missing out": (
        ["train", "--model", "pop", "--dataset", "synthetic-toy"],
        "the following arguments are required: --out",
    ),
    "DP-SGD with a sampled loss": (
        _train("--dp-noise", "1", "--loss", "bce"),
        "privacy needs loss='softmax'",
    ),
    "DP clipping bound without noise": (
        _train("--dp-clip", "2"),
        "--dp-clip sets up DP-SGD, which needs --dp-noise or --dp-epsilon",
    ),
    "DP noise and budget together": (
        _train("--dp-noise", "1", "--dp-epsilon", "4"),
        "not allowed with argument",
    ),
    "negative DP noise": (_train("--dp-noise", "-1"), "expected a finite number >= 0"),
    "DP-SGD for a count model": (
        [
            "train",
            "--model",
            "pop",
            "--dataset",
            "synthetic-toy",
            "--dp-noise",
            "1",
            "--out",
            "{tmp}/o",
        ],
        "--dp-noise/--dp-epsilon apply to trained models, not to --model pop",
    ),
    "DP-SGD for a cloze model": (
        [
            "train",
            "--model",
            "bert4rec",
            "--dataset",
            "synthetic-toy",
            "--dp-noise",
            "1",
            "--epochs",
            "1",
            "--out",
            "{tmp}/o",
        ],
        "privacy trains sequence models that predict the next item",
    ),
    "distillation settings without a teacher": (
        _train("--distill-weight", "0.3"),
        "--distill-weight needs --distill-from RUN",
    ),
    "distillation weight out of range": (
        _train("--distill-from", "{empty}", "--distill-weight", "2"),
        "expected a number in [0, 1]",
    ),
    "a teacher that is not a run": (
        _train("--distill-from", "{empty}"),
        "has no config.json",
    ),
    "no such run": (["evaluate", "{tmp}/missing"], "is not a folder written by"),
    "run without config": (["evaluate", "{empty}"], "has no config.json"),
    "broken config": (["evaluate", "{broken}"], "not valid JSON"),
    "zero k": (["recommend", "{empty}", "--user", "1", "-k", "0"], "expected a positive integer"),
    "no command": ([], "required: command"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments_give_one_line_and_status_2(case, files, capsys, monkeypatch):
    monkeypatch.setenv("RECLAB_DATA", str(files["tmp"] / "no-data-here"))
    argv, expected = BAD[case]
    argv = [a.format(**files) for a in argv]
    status, out, err = run(capsys, *argv)
    assert status == 2 and "reclab: error: " in err, err
    lines = err[err.index("reclab: error: ") :].strip().splitlines()  # after any progress lines
    assert expected in "\n".join(lines)
    assert all(line.startswith("  ") for line in lines[1:]), err  # a reason, continued
    assert "Traceback" not in err + out


def test_a_damaged_model_file_is_one_line(sasrec_run, tmp_path, capsys):
    # Regression: a model file with flipped bytes ended in a BadZipFile traceback.
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(sasrec_run, copy)
    raw = bytearray((copy / "model.keras").read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(b ^ 0xFF for b in raw[middle : middle + 64])
    (copy / "model.keras").write_bytes(bytes(raw))
    status, _, err = run(capsys, "evaluate", copy)
    assert status == 2 and err.startswith("reclab: error: ") and "Traceback" not in err


@pytest.mark.slow
def test_python_dash_m_entry_point(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,item_id\n1,2\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reclab",
            "train",
            "--model",
            "pop",
            "--dataset",
            str(bad),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"reclab: error: {bad}: missing column(s) ['timestamp']; found ['user_id', 'item_id']. "
        "Pass columns={'user_id': ..., 'item_id': ..., 'timestamp': ...} to map yours.",
        "  (on the command line: --user-column, --item-column, --timestamp-column)",
    ]


@pytest.mark.slow
def test_a_registered_loss_trains_through_the_command_line(tmp_path, capsys):
    # Adding a loss is one file (the loss) and one registry line; the CLI offers it at once.
    from keras import ops

    from reclab.losses import CandidateLoss
    from reclab.training import OBJECTIVES, Objective, register_objective

    class Hinge(CandidateLoss):
        def candidate_losses(self, positive_logits, negative_logits, candidate_ids):
            margins = 1.0 - positive_logits[..., None] + negative_logits
            return ops.sum(ops.relu(margins), axis=-1)

    register_objective(Objective("toy-hinge", lambda n, q: Hinge(), "a test's hinge", negatives=4))
    try:
        status, err = train_toy_sasrec(capsys, tmp_path / "run", "--loss", "toy-hinge")
    finally:
        del OBJECTIVES["toy-hinge"]
    assert status == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["training"]["negatives"] == 4 and np.isfinite(
        metrics["training"]["records"][0]["loss"]
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("loss", "sharing"),
    [("sampled-softmax", "shared"), ("gbce", "shared"), ("bce", "in-batch")],
)
def test_sampled_losses_train_with_shared_negatives_from_the_command_line(
    tmp_path, capsys, loss, sharing
):
    status, err = train_toy_sasrec(
        capsys, tmp_path / "run", "--loss", loss, "--negatives", 16, "--negative-sharing", sharing
    )
    assert status == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    training = metrics["training"]
    assert (training["negatives"], training["sharing"]) == (16, sharing)
    assert all(np.isfinite(r["loss"]) for r in training["records"])
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["training"]["negative_sharing"] == sharing


def test_init_from_fine_tunes_a_pretrained_run_on_another_catalogue(sasrec_run, tmp_path, capsys):
    log = tmp_path / "other_shop.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {"user_id": np.repeat(np.arange(40), 8), "item_id": rng.integers(100, 130, 320),
         "timestamp": np.arange(320)}
    ).to_csv(log, index=False)  # fmt: skip
    argv = ["train", "--model", "sasrec", "--dataset", log, "--epochs", "2", "--no-xla"]
    out = tmp_path / "fine-tuned"
    status, _, err = run(capsys, *argv, "--init-from", sasrec_run, "--out", out)
    assert status == 0, err
    assert "transfer: 35 weights copied" in err and "1 weight (catalogue)" in err
    assert architecture_of(out)["dim"] == architecture_of(sasrec_run)["dim"] == 8
    config = json.loads((out / "config.json").read_text())
    assert config["init_from"] == str(sasrec_run.resolve())
    transfer = json.loads((out / "metrics.json").read_text())["transfer"]
    assert transfer["kept"] == {"item_embedding/embeddings": "catalogue"}
    assert_evaluate_reproduces(capsys, out)
    status, _, err = run(capsys, *argv, "--init-from", sasrec_run, "--dim", "16",
                         "--out", tmp_path / "wider")  # fmt: skip
    assert status == 2 and "positions/positions has shape (8, 8) in the source" in err
    status, _, err = run(capsys, "train", "--model", "gru4rec", "--dataset", log,
                         "--init-from", sasrec_run, "--out", tmp_path / "gru")  # fmt: skip
    assert status == 2 and "holds a sasrec run" in err


def test_export_serves_the_lists_of_the_trained_model(sasrec_run, tmp_path, capsys):
    from reclab.recommend import load_model, top_k
    from reclab.serving import load_exported

    model = load_model(sasrec_run / "model.keras")
    histories = np.random.default_rng(0).integers(1, model.num_items + 1, size=(20, 8))
    for fmt in ("saved_model", "litert"):
        out = tmp_path / fmt
        status, stdout, err = run(capsys, "export", sasrec_run, "--format", fmt, "-k", "5",
                                  "--out", out)  # fmt: skip
        assert status == 0, err
        assert f"wrote {fmt}" in stdout and "(B, 5)" in stdout
        exported = load_exported(out)
        want, _ = top_k(model, histories, k=5, exclude_seen=exported.info["exclude_seen"])
        np.testing.assert_array_equal(exported.top_k(histories)[0], want)
        assert len(exported.items) == model.num_items  # encoded id -> raw id, for a service
    status, _, err = run(capsys, "export", sasrec_run, "--format", "litert", "--quantize",
                         "int8", "--out", tmp_path / "int8")  # fmt: skip
    assert status == 0, err and load_exported(tmp_path / "int8").info["quantize"] == "int8"


def test_export_refuses_with_one_line(sasrec_run, tmp_path, capsys):
    status, _, err = run(
        capsys, "export", sasrec_run, "--quantize", "int8", "--out", tmp_path / "a"
    )
    assert status == 2 and "--quantize int8 needs --format litert" in err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    status, _, err = run(capsys, "export", sasrec_run, "--out", tmp_path / "full")
    assert status == 2 and "is not empty" in err
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"
    pop = tmp_path / "pop"
    assert (
        run(capsys, "train", "--model", "pop", "--dataset", "synthetic-toy", "--out", pop)[0] == 0
    )
    status, _, err = run(capsys, "export", pop, "--out", tmp_path / "b")
    assert status == 2 and "'pop' model, which cannot be exported" in err


def test_recommend_explains_its_first_item(sasrec_run, capsys):
    status, out, err = run(capsys, "recommend", sasrec_run, "--user", "5", "-k", "3", "--explain")
    assert status == 0, err
    listed, why = out.split("\nwhy ")
    first = listed.strip().splitlines()[1]  # rank 1: its raw item id and title
    assert why.split(":")[0] in first
    header = why.splitlines()[1].split()
    assert header[:2] == ["position", "item_id"]
    assert {"deletion", "gradient_x_input", "attention"} <= set(header)


def test_recommend_reranks_for_diversity_or_calibration(sasrec_run, capsys):
    def listed(*flags):
        status, out, err = run(capsys, "recommend", sasrec_run, "--user", "5", "-k", "5", *flags)
        assert status == 0, err
        return [line.split()[1] for line in out.strip().splitlines()[1:]]

    plain = listed()
    assert listed("--rerank", "mmr", "--trade-off", "1") == plain  # lambda = 1: the top-k
    assert listed("--rerank", "calibration", "--trade-off", "0") == plain
    for flags in (("--rerank", "mmr", "--trade-off", "0.2"), ("--rerank", "calibration")):
        ids = listed(*flags)
        assert len(ids) == len(set(ids)) == 5
    status, _, err = run(capsys, "recommend", sasrec_run, "--user", "5", "--trade-off", "0.5")
    assert status == 2 and "--trade-off needs --rerank" in err
    status, _, err = run(capsys, "recommend", sasrec_run, "--user", "5", "--rerank", "mmr",
                         "--trade-off", "2")  # fmt: skip
    assert status == 2 and "expected a number in [0, 1], got '2'" in err


@pytest.mark.slow
def test_dp_sgd_trains_within_the_budget_and_reports_epsilon(tmp_path, capsys):
    out = tmp_path / "private"
    status, err = train_toy_sasrec(capsys, out, "--dp-epsilon", "8", "--batch-size", "16")
    assert status == 0, err
    assert "DP-SGD: noise multiplier" in err and "within epsilon 8" in err
    config = json.loads((out / "config.json").read_text())["training"]
    guarantee = json.loads((out / "metrics.json").read_text())["training"]["privacy"]
    assert config["windows"] is False and config["privacy"]["clip_norm"] == 1.0
    sigma = config["privacy"]["noise_multiplier"]
    assert guarantee["noise_multiplier"] == sigma > 0
    # the smallest sigma within the budget: epsilon just under 8 for the steps actually taken
    assert guarantee["steps"] == 2 * -(-guarantee["users"] // 16)
    assert 7.9 < guarantee["epsilon"] <= 8.0
    assert_evaluate_reproduces(capsys, out)


def test_dp_noise_sets_sigma_and_clipping_only_has_no_budget(tmp_path, capsys):
    out = tmp_path / "clipped"
    status, err = train_toy_sasrec(
        capsys, out, "--dp-noise", "0", "--dp-clip", "0.5", "--dp-delta", "1e-4",
        "--batch-size", "16", "--epochs", "1",
    )  # fmt: skip
    assert status == 0, err
    text = (out / "metrics.json").read_text()
    guarantee = json.loads(text, parse_constant=_refuse_non_json)["training"]["privacy"]
    assert guarantee["noise_multiplier"] == 0.0 and guarantee["clip_norm"] == 0.5
    assert guarantee["delta"] == 1e-4 and guarantee["epsilon"] is None  # no bound: null


def _refuse_non_json(name):
    # json.loads accepts Infinity and NaN, which strict JSON readers (jq, JavaScript) do not
    raise AssertionError(f"metrics.json holds {name}, which is not JSON")


@pytest.mark.slow
def test_distill_from_trains_a_small_student_on_a_teacher_run(sasrec_run, tmp_path, capsys):
    out = tmp_path / "student"
    status, err = train_toy_sasrec(
        capsys, out, "--dim", "4", "--distill-from", sasrec_run, "--distill-temperature", "3"
    )
    assert status == 0, err
    settings = json.loads((out / "config.json").read_text())["distillation"]
    assert settings == {"teacher": str(sasrec_run.resolve()), "temperature": 3.0, "weight": 0.5}
    assert architecture_of(out)["dim"] == 4 and architecture_of(sasrec_run)["dim"] == 8
    assert_evaluate_reproduces(capsys, out)


def test_distill_from_refuses_a_teacher_of_other_data_or_window(sasrec_run, tmp_path, capsys):
    status, err = train_toy_sasrec(
        capsys, tmp_path / "a", "--distill-from", sasrec_run, "--min-item-events", "40"
    )
    assert status == 2 and "was trained on other data or another split" in err
    status, _, err = run(
        capsys, "train", "--model", "sasrec", "--dataset", "synthetic-toy", "--max-len", "6",
        "--epochs", "1", "--distill-from", sasrec_run, "--out", tmp_path / "b",
    )  # fmt: skip
    assert status == 2 and "pass --max-len 8" in err
    status, _, err = run(
        capsys, "train", "--model", "mf", "--dataset", "synthetic-toy", "--distill-from",
        sasrec_run, "--out", tmp_path / "c",
    )  # fmt: skip
    assert status == 2 and "not --model mf" in err


def _train_in_a_new_process(out, *flags):
    """``python -m reclab train`` on the toy shop in a fresh process (TensorFlow not started)."""
    argv = ["train", "--model", "sasrec", "--dataset", "synthetic-toy", *TINY_SASREC]
    command = [sys.executable, "-m", "reclab", *argv, "--dropout", "0", *flags, "--out", out]
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_distribute_trains_one_model_on_two_devices_or_two_workers(tmp_path):
    runs = {}
    for name, flags in {
        "one": (),
        "mirrored": ("--distribute", "mirrored"),
        "workers": ("--distribute", "multi-worker", "--workers", "2"),
    }.items():
        done = _train_in_a_new_process(tmp_path / name, *flags)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[name] = json.loads((tmp_path / name / "metrics.json").read_text())
    assert "starting 2 workers on 127.0.0.1" in done.stderr
    assert [runs[n]["training"]["replicas"] for n in runs] == [1, 2, 2]
    config = json.loads((tmp_path / "workers" / "config.json").read_text())
    assert config["distribute"] == {"strategy": "multi-worker", "replicas": 2}
    losses = {n: [r["loss"] for r in run["training"]["records"]] for n, run in runs.items()}
    np.testing.assert_allclose(losses["mirrored"], losses["one"], rtol=1e-4)
    np.testing.assert_allclose(losses["workers"], losses["one"], rtol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mirrored", "one", "workers"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--replicas", "2"), "--replicas needs --distribute"),
        (("--distribute", "mirrored", "--workers", "2"), "--workers does not apply"),
        (("--distribute", "multi-worker"), "needs TF_CONFIG"),
        (("--distribute", "multi-worker", "--workers", "2", "--max-seconds", "9"), "own clock"),
        (("--distribute", "mirrored", "--dp-noise", "1"), "--dp-noise trains on one replica"),
    ],
)
def test_distribute_refuses_in_one_line(tmp_path, capsys, flags, message):
    status, err = train_toy_sasrec(capsys, tmp_path / "run", *flags)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_distribute_mirrored_after_tensorflow_started_says_so(tmp_path, capsys):
    import tensorflow as tf

    tf.constant(0)  # this test process started TensorFlow long ago
    status, err = train_toy_sasrec(capsys, tmp_path / "run", "--distribute", "mirrored")
    assert status == 2 and "TensorFlow has already started" in err
