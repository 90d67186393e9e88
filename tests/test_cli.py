"""python -m reclab: the happy path, and one clean line for every bad argument."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reclab.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


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
            "--epochs",
            "2",
            "--max-len",
            "8",
            "--dim",
            "8",
            "--seed",
            "1",
            "--no-xla",
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
    assert metrics["timings"]["train_seconds"] > 0
    assert metrics["training"]["best_epoch"] >= 1
    config = json.loads((sasrec_run / "config.json").read_text())
    assert config["architecture"]["max_len"] == 8 and config["training"]["seed"] == 1


@pytest.mark.slow
def test_evaluate_reproduces_the_test_metrics(sasrec_run, capsys):
    status, out, err = run(capsys, "evaluate", str(sasrec_run))
    assert status == 0 and err == ""
    saved = json.loads((sasrec_run / "metrics.json").read_text())["test"]
    assert json.loads(out)["test"]["NDCG@10"] == pytest.approx(saved["NDCG@10"], abs=1e-6)


@pytest.mark.slow
def test_recommend_lists_unseen_items(sasrec_run, capsys):
    status, out, err = run(capsys, "recommend", str(sasrec_run), "--user", "5", "-k", "4")
    assert status == 0 and err == ""
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["rank", "item_id", "score"] and len(lines) == 5


def test_count_baselines_train_evaluate_and_recommend(tmp_path, capsys):
    for model in ("pop", "markov"):
        out = tmp_path / model
        status, stdout, _ = run(
            capsys, "train", "--model", model, "--dataset", "synthetic-toy", "--out", str(out)
        )
        assert status == 0 and "test HR@10" in stdout
        assert (out / "metrics.json").exists() and not (out / "model.keras").exists()
        assert run(capsys, "evaluate", str(out), "--split", "validation")[0] == 0
        assert run(capsys, "recommend", str(out), "--user", "1")[0] == 0


@pytest.mark.slow
def test_matrix_factorisation_round_trip(tmp_path, capsys):
    out = tmp_path / "mf"
    status, stdout, err = run(
        capsys,
        "train",
        "--model",
        "mf",
        "--dataset",
        "synthetic-toy",
        "--epochs",
        "1",
        "--out",
        str(out),
    )
    assert status == 0, err
    assert (out / "model.keras").exists()
    status, stdout, err = run(capsys, "evaluate", str(out))
    saved = json.loads((out / "metrics.json").read_text())["test"]
    assert status == 0 and json.loads(stdout)["test"]["NDCG@10"] == pytest.approx(saved["NDCG@10"])
    assert run(capsys, "recommend", str(out), "--user", "3", "-k", "3")[0] == 0


def test_a_csv_file_as_the_dataset(tmp_path, capsys):
    from reclab.data import ShopConfig, SyntheticShop

    path = tmp_path / "log.csv"
    SyntheticShop(ShopConfig.toy(seed=2)).generate().to_csv(path, index=False)
    status, _, err = run(
        capsys, "train", "--model", "pop", "--dataset", str(path), "--out", str(tmp_path / "out")
    )
    assert status == 0, err


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
    "zero epochs": (
        [
            "train",
            "--model",
            "sasrec",
            "--dataset",
            "synthetic-toy",
            "--epochs",
            "0",
            "--out",
            "{tmp}/o",
        ],
        "expected a positive integer, got '0'",
    ),
    "negative seed": (
        [
            "train",
            "--model",
            "pop",
            "--dataset",
            "synthetic-toy",
            "--seed",
            "-1",
            "--out",
            "{tmp}/o",
        ],
        "expected an integer >= 0",
    ),
    "bad loss": (
        [
            "train",
            "--model",
            "sasrec",
            "--dataset",
            "synthetic-toy",
            "--loss",
            "hinge",
            "--out",
            "{tmp}/o",
        ],
        "invalid choice: 'hinge'",
    ),
    "dropout out of range": (
        [
            "train",
            "--model",
            "sasrec",
            "--dataset",
            "synthetic-toy",
            "--dropout",
            "1.5",
            "--out",
            "{tmp}/o",
        ],
        "--dropout must be in",
    ),
    "paper with pop": (
        ["train", "--model", "pop", "--dataset", "synthetic-toy", "--paper", "--out", "{tmp}/o"],
        "--paper applies to --model sasrec",
    ),
    "out is a file": (
        ["train", "--model", "pop", "--dataset", "synthetic-toy", "--out", "{file}"],
        "is not a folder",
    ),
    "missing out": (
        ["train", "--model", "pop", "--dataset", "synthetic-toy"],
        "the following arguments are required: --out",
    ),
    "ml-1m not cached": (
        ["train", "--model", "pop", "--dataset", "ml-1m", "--out", "{tmp}/o"],
        "ml-1m",
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
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reclab: error: "), err
    assert expected in lines[0]
    assert "Traceback" not in err + out


def test_unknown_user_is_one_line(tmp_path, capsys):
    out = tmp_path / "pop"
    assert (
        run(capsys, "train", "--model", "pop", "--dataset", "synthetic-toy", "--out", str(out))[0]
        == 0
    )
    status, _, err = run(capsys, "recommend", str(out), "--user", "999999")
    assert (
        status == 2
        and err.strip() == "reclab: error: --user 999999: no such user in 'synthetic-toy'"
    )


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
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"reclab: error: {bad}: missing column(s) ['timestamp']; found ['user_id', 'item_id']. "
        "Pass columns={'user_id': ..., 'item_id': ..., 'timestamp': ...} to map yours."
    ]
