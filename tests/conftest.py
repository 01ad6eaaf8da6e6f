"""Shared fixtures. Tests that need ../shared fail (not skip) under CI=true when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nst.settings import ENV_STYLES_DIR, ENV_VGG_WEIGHTS, REPO_ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the network


def _shared_dir() -> Path | None:
    candidate = Path(os.environ.get("NST_SHARED_DIR", REPO_ROOT.parent / "shared"))
    return candidate if (candidate / "weights").is_dir() else None


def _need(path: Path | None, what: str) -> Path:
    if path is not None and path.exists():
        return path
    message = f"{what} not found: set {ENV_VGG_WEIGHTS}/{ENV_STYLES_DIR} or put ../shared beside the checkout"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need(_shared_dir(), "../shared")


@pytest.fixture(scope="session")
def vgg_weights(shared_dir: Path) -> Path:
    env = os.environ.get(ENV_VGG_WEIGHTS)
    path = Path(env) if env else shared_dir / "weights" / "vgg19-caffe-features.fp16.safetensors"
    return _need(path, "VGG19 weights")


@pytest.fixture(scope="session", autouse=True)
def _shared_env() -> None:
    """Point the library at ../shared when the variables are unset (tests find it by themselves)."""
    shared = _shared_dir()
    if shared is None:
        return
    os.environ.setdefault(ENV_VGG_WEIGHTS, str(shared / "weights" / "vgg19-caffe-features.fp16.safetensors"))
    os.environ.setdefault(ENV_STYLES_DIR, str(shared / "styles"))


@pytest.fixture(scope="session")
def styles_dir(shared_dir: Path) -> Path:
    return _need(shared_dir / "styles", "paintings folder")


@pytest.fixture(scope="session")
def photos_dir(shared_dir: Path) -> Path:
    return _need(shared_dir / "photos", "photos folder")
