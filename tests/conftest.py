"""Shared fixtures. Tests that need ../shared or Chromium fail (not skip) under CI=true when it is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import torch

from nst.settings import ENV_STYLES_DIR, ENV_VGG_WEIGHTS, SHARED_DIR, VGG_SHARED_PATH, use_local_data

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the network


def _shared_dir() -> Path | None:
    return SHARED_DIR if (SHARED_DIR / "weights").is_dir() else None


def _missing(message: str) -> NoReturn:
    """Something the tests need is not on this machine: a failure under CI=true (CI provides everything, so a
    skip there would hide a broken setup), a skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _need(path: Path | None, what: str) -> Path:
    if path is not None and path.exists():
        return path
    _missing(f"{what} not found: set {ENV_VGG_WEIGHTS}/{ENV_STYLES_DIR} or put ../shared beside the checkout")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need(_shared_dir(), "../shared")


@pytest.fixture(scope="session")
def vgg_weights(shared_dir: Path) -> Path:
    env = os.environ.get(ENV_VGG_WEIGHTS)
    path = Path(env) if env else shared_dir / VGG_SHARED_PATH
    return _need(path, "VGG19 weights")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny tensors run faster (and steadier on a busy machine) on one thread; restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session", autouse=True)
def _shared_env() -> None:
    """Point the library at ../shared when the variables are unset (tests find it by themselves)."""
    use_local_data()


@pytest.fixture(scope="session")
def styles_dir(shared_dir: Path) -> Path:
    return _need(shared_dir / "styles", "paintings folder")


@pytest.fixture(scope="session")
def photos_dir(shared_dir: Path) -> Path:
    return _need(shared_dir / "photos", "photos folder")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The system Chromium, for the browser tests (benchmarks/browser.py drives it)."""
    from benchmarks.browser import chromium_path  # Playwright is loaded only by the tests that use it

    path = chromium_path()
    if path is None:
        _missing("Chromium is not installed: apt-get install chromium (.ci/run does)")
    return path
