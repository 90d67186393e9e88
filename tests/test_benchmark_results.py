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
    with pytest.raises(FileNotFoundError, match="run benchmarks/other.py"):
        load_results("other", folder=tmp_path)


def test_the_checkout_has_its_committed_results(monkeypatch, tmp_path):
    folder = results_folder()
    assert (folder / "sequential.json").is_file()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="clone of the book's repository"):
        results_folder()
