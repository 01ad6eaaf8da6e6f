"""Checks on a safetensors file before its tensors are read: its size, and the name and shape of every tensor
against what the network expects (from the header, which costs nothing). A file from the Hub, a cache or a
user's folder is never trusted to be what it should be."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from pathlib import Path

from safetensors import safe_open

from nst.errors import ModelError

Shape = tuple[int, ...]


def check_tensor_file(
    path: Path,
    max_bytes: int,
    expected: Callable[[str], Shape | None],
    what: str = "weights file",
    fits: Callable[[Shape, Shape], bool] = operator.eq,
) -> None:
    """ModelError unless `path` is at most `max_bytes` and every tensor's shape `fits` (default: equals)
    `expected(name)` (None: a tensor that does not belong there)."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise ModelError(f"The {what} {path} cannot be read ({exc.strerror}).") from None
    if size > max_bytes:
        raise ModelError(f"The {what} {path} is {size / 2**20:.0f} MiB; at most {max_bytes / 2**20:.0f} MiB.")
    try:
        with safe_open(str(path), framework="pt") as handle:
            shapes = {name: tuple(handle.get_slice(name).get_shape()) for name in handle.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises several types for corrupt headers
        raise ModelError(f"Cannot read the {what} {path}: it is corrupt ({type(exc).__name__}).") from exc
    for name, shape in shapes.items():
        wanted = expected(name)
        if wanted is None or not fits(shape, wanted):
            found = "x".join(map(str, shape))
            raise ModelError(
                f"The {what} {path} does not match the network: it holds {name} of shape {found}."
            )
