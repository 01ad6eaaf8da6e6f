"""pyproject.toml: the `nst` console script resolves, the wheel holds the packages, and the dependencies agree
with requirements.txt (the pinned CI and Spaces install)."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import nst.cli
from nst.settings import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DEV_ONLY = {"playwright", "pytest", "ruff", "mypy"}  # requirements.txt pins them for CI; not runtime needs


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_console_script_resolves_to_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    module, _, attribute = PYPROJECT["project"]["scripts"]["nst"].partition(":")
    main = getattr(importlib.import_module(module), attribute)
    assert main is nst.cli.main
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "quality" in capsys.readouterr().out


def test_runtime_dependencies_match_the_pins() -> None:
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            pins[_name(name)] = version
    declared = {_name(req): req for req in PYPROJECT["project"]["dependencies"]}
    assert set(declared) == set(pins) - DEV_ONLY
    for name, requirement in declared.items():
        assert requirement == f"{name}>={pins[name]}", requirement


def test_the_wheel_holds_the_packages_and_the_entry_point(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy2(REPO_ROOT / "pyproject.toml", source)
    skip = shutil.ignore_patterns("__pycache__", "state")
    for package in ("nst", "training", "benchmarks", "studio"):
        if (REPO_ROOT / package).is_dir():
            shutil.copytree(REPO_ROOT / package, source / package, ignore=skip)
    build = "from setuptools import build_meta; print(build_meta.build_wheel('dist'))"
    done = subprocess.run(
        [sys.executable, "-c", build], cwd=source, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with zipfile.ZipFile(source / "dist" / done.stdout.strip().splitlines()[-1]) as wheel:
        names = wheel.namelist()
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "nst = nst.cli:main" in wheel.read(entry_points).decode()
    tops = {name.split("/", 1)[0] for name in names if name.endswith(".py")}
    assert {"nst", "training", "benchmarks"} <= tops <= {"nst", "training", "benchmarks", "studio"}
    assert "nst/cli/__init__.py" in names and "benchmarks/__main__.py" in names
