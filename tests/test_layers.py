"""The package layers: nst is a library with no Gradio and no ZeroGPU in it, and it never imports the web app
(studio). Checked in a fresh interpreter, so nothing another test imported can hide an import."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import nst

REPO_ROOT = Path(__file__).resolve().parent.parent
# Packages inside nst/ allowed above the library (none: the benchmarks live in benchmarks/).
ABOVE_THE_LIBRARY: tuple[str, ...] = ()

CHILD = """
import importlib, json, pkgutil, sys
import nst
names = sorted(m.name for m in pkgutil.walk_packages(nst.__path__, "nst."))
skip = tuple(sys.argv[1:])
for name in names:
    if not name.startswith(skip) and not name.endswith("__main__"):  # __main__ runs the command line
        importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in
      ("gradio", "spaces", "studio"))}))
"""


def _library_modules() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.walk_packages(nst.__path__, "nst.")
        if not module.name.startswith(ABOVE_THE_LIBRARY)
    )


def test_importing_every_nst_module_loads_no_gradio_spaces_or_studio() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *ABOVE_THE_LIBRARY],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300, check=True,
    )  # fmt: skip
    report = json.loads(proc.stdout)
    assert "nst.settings" in report["modules"] and "nst.options" in report["modules"]
    assert report["loaded"] == []


def test_no_nst_module_names_studio_gradio_or_spaces() -> None:
    """Also imports inside functions: the library never reaches up, even lazily."""
    for name in _library_modules():
        path = REPO_ROOT / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = path.with_suffix("") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module]
            else:
                continue
            for target in targets:
                assert target.split(".")[0] not in ("gradio", "spaces", "studio", "app"), (name, target)
