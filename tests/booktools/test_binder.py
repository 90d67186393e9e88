"""Binder: its environment is the project's, and its postBuild installs the package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from booktools.sources import ROOT

BINDER = ROOT / "binder"


def _environment(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _without_local_install(environment: dict) -> dict:
    """The environment with pip's ``-e .`` (the package itself) taken out of its pip list."""
    dependencies = []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict) and "pip" in entry:
            entry = {"pip": [line for line in entry["pip"] if line.strip() not in ("-e .", ".")]}
        dependencies.append(entry)
    return {**environment, "dependencies": dependencies}


def test_binder_environment_is_a_plain_file() -> None:
    path = BINDER / "environment.yml"
    assert path.is_file() and not path.is_symlink(), "binder/environment.yml must be a copy"


def test_binder_has_the_dependencies_of_environment_yml() -> None:
    """The same channels, packages and bounds, in the same order: copy the root file over."""
    root = _without_local_install(_environment(ROOT / "environment.yml"))
    binder = _environment(BINDER / "environment.yml")
    assert binder == root, (
        "binder/environment.yml differs from environment.yml: copy environment.yml to "
        "binder/environment.yml and delete its `-e .` line"
    )


def test_binder_environment_does_not_install_the_checkout() -> None:
    # repo2docker installs the environment before the repository is copied in: `-e .` fails
    # there. binder/postBuild installs the package instead.
    pip = [
        e["pip"]
        for e in _environment(BINDER / "environment.yml")["dependencies"]
        if isinstance(e, dict)
    ]
    assert all(line.strip() not in ("-e .", ".") for lines in pip for line in lines)


def test_postbuild_installs_the_package_from_the_checkout() -> None:
    path = BINDER / "postBuild"
    assert path.is_file() and os.access(path, os.X_OK), "binder/postBuild must be executable"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!"), "binder/postBuild needs a #! line"
    commands = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert "set -euo pipefail" in commands, "a failed install must fail the Binder build"
    assert any(re.fullmatch(r"python -m pip install (--editable|-e) \.", c) for c in commands)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_postbuild_is_valid_bash() -> None:
    result = subprocess.run(
        ["bash", "-n", str(BINDER / "postBuild")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
