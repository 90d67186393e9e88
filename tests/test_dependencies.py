"""pyproject.toml and environment.yml declare the same dependencies with the same lower bounds."""

from __future__ import annotations

from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent

#: Conda-only entries of environment.yml that have no counterpart in pyproject.toml.
CONDA_ONLY = {"python", "pip"}


def _key(requirement: Requirement) -> tuple[str, str]:
    name = requirement.name.lower().replace("_", "-")
    return name, str(requirement.marker or "")


def pyproject_requirements() -> dict[tuple[str, str], Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return {_key(r): r for r in map(Requirement, lines)}


def environment_requirements() -> dict[tuple[str, str], Requirement]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    lines: list[str] = []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):  # the pip: section
            lines += [line for line in entry["pip"] if not line.startswith("-")]
        else:
            lines.append(entry)  # conda accepts the same "name>=version" form as pip
    requirements = [Requirement(line) for line in lines]
    return {_key(r): r for r in requirements if r.name not in CONDA_ONLY}


def test_same_names() -> None:
    pyproject, environment = pyproject_requirements(), environment_requirements()
    assert sorted(set(pyproject) - set(environment)) == [], "in pyproject.toml only"
    assert sorted(set(environment) - set(pyproject)) == [], "in environment.yml only"


def test_same_version_bounds() -> None:
    pyproject, environment = pyproject_requirements(), environment_requirements()
    different = {
        key: (str(pyproject[key].specifier), str(environment[key].specifier))
        for key in set(pyproject) & set(environment)
        if pyproject[key].specifier != environment[key].specifier
    }
    assert different == {}, "version bounds differ (pyproject, environment.yml)"


def test_every_dependency_has_a_lower_bound() -> None:
    missing = [
        str(r)
        for r in pyproject_requirements().values()
        if not any(spec.operator in (">=", "==", "~=") for spec in r.specifier)
    ]
    assert missing == []


def test_python_version_agrees() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pythons = [
        e for e in environment["dependencies"] if isinstance(e, str) and e.startswith("python")
    ]
    assert pythons, "environment.yml pins no python"
    assert requires.lstrip(">=") in pythons[0], (requires, pythons[0])
