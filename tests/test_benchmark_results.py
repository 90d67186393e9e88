"""Reading the committed benchmark results: values by path, clear errors."""

from __future__ import annotations

import json

import pytest

from reclab.benchmark_results import load_results, results_folder


def test_values_by_path_and_missing_keys_named(tmp_path):
    (tmp_path / "demo.json").write_text(json.dumps({"speed": {"xla": {"seconds": 0.7}}}))
    results = load_results("demo", folder=tmp_path)
    assert results.value("speed", "xla", "seconds") == 0.7
    with pytest.raises(KeyError, match="no 'nope' under speed; there is \\['xla'\\]"):
        results.value("speed", "nope")
    with pytest.raises(FileNotFoundError, match=r"run benchmarks/other\.py"):
        load_results("other", folder=tmp_path)


def test_the_checkout_has_its_committed_results(monkeypatch, tmp_path):
    folder = results_folder()
    assert (folder / "sequential.json").is_file()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="clone of the book's repository"):
        results_folder()


def test_the_package_defaults_are_the_validation_winner():
    """Issue 11.2: the defaults once kept lr 0.003 / dropout 0.3 because of a *test* number,
    although another setting won on validation. They must be the setting that
    ``benchmarks/select_defaults.py`` ranks first on validation NDCG@10."""
    from reclab.models import SASRecConfig
    from reclab.training import TrainingConfig

    selection = load_results("select_defaults")
    best = selection.value("ranking", 0)
    means = [row["mean_val_NDCG@10"] for row in selection.value("ranking")]
    assert means == sorted(means, reverse=True)
    assert selection.value("selected")["learning_rate"] == best["learning_rate"]
    assert TrainingConfig().learning_rate == best["learning_rate"]
    assert SASRecConfig().dropout == best["dropout"]
    runs = selection.value("runs")
    assert {(r["learning_rate"], r["dropout"]) for r in runs} == {
        (row["learning_rate"], row["dropout"]) for row in selection.value("ranking")
    }
    assert all(not any(key.startswith("test") for key in run) for run in runs)


def test_the_selection_script_never_evaluates_the_test_split():
    source = (results_folder().parent / "select_defaults.py").read_text()
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    assert ".test" not in code and '"test"' not in code and "'test'" not in code


def test_the_privacy_curve_meets_its_bar_and_respects_the_bound():
    """Issue 16's privacy bar, on the committed ``benchmarks/privacy.py`` results: a run without
    DP and at least three budgets, each budget met by the accountant, and the attack's advantage
    lower under DP than without it, lowest at the smallest epsilon, never above the bound."""
    from reclab.privacy import advantage_bound

    results = load_results("privacy")
    runs = {run["run"]: run for run in results.value("runs")}
    delta = results.value("setting", "delta")
    targets = results.value("setting", "target_epsilons")
    assert len(targets) >= 3 and "no DP" in runs and "clipping only" in runs
    plain = runs["no DP"]["membership_inference"]
    private = [runs[f"epsilon {target:g}"] for target in targets]
    for run, target in zip(private, targets, strict=True):
        assert run["epsilon"] <= target and run["steps"] == results.value("setting", "steps")
        attack = run["membership_inference"]
        assert attack["advantage"] < plain["advantage_ci_low"]
        assert run["advantage_bound"] == pytest.approx(advantage_bound(run["epsilon"], delta))
        assert attack["advantage_ci_low"] <= run["advantage_bound"]
        assert {"members", "non_members"} <= set(run["test"])
    smallest = min(private, key=lambda run: run["epsilon"])
    assert smallest["membership_inference"]["advantage"] == min(
        run["membership_inference"]["advantage"] for run in private
    )


def test_two_workers_reach_the_single_process_quality():
    """Issue 16's many-machines bar, on the committed ``benchmarks/distribute.py`` results:
    two worker processes on loopback, at the single process's global batch and step count,
    reach a best validation NDCG@10 inside the single process's bootstrap interval."""
    results = load_results("distribute")
    runs = {run["mode"]: run for run in results.value("runs")}
    single, workers = runs["single"], runs["two workers"]
    assert single["replicas"] == 1 and workers["replicas"] == runs["mirrored"]["replicas"] == 2
    assert workers["steps_per_epoch"] == single["steps_per_epoch"]
    assert workers["epochs"] == single["epochs"] == results.value("settings", "epochs")
    low, high = results.value("single_validation_interval")
    assert (low, high) == (
        single["validation"]["NDCG@10"]["ci_low"],
        single["validation"]["NDCG@10"]["ci_high"],
    )
    assert low <= workers["validation"]["NDCG@10"]["value"] <= high
    assert results.value("within_single_interval", "two workers") is True
