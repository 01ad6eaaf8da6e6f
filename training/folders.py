"""Replacing output folders without losing them: build beside, then swap in with renames.

A run that dies while writing `model/` (or a shipped preset, or a bundle) must leave the previous one whole:
the new folder is written as a hidden sibling first and only renamed into place once complete.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def partial_for(target: Path) -> Path:
    """An empty hidden sibling of `target` to build its replacement in (a leftover of a crash is removed)."""
    partial = target.parent / f".{target.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    return partial


def swap_in(partial: Path, target: Path) -> Path:
    """Put the complete folder `partial` at `target`, replacing what was there; returns `target`.

    Two renames: the old folder steps aside, the new one takes its place, then the old one is deleted. At
    every moment either the old or the new folder is whole under one of the two names."""
    old = target.parent / f".{target.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    partial.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def contains(folder: Path, path: Path) -> bool:
    """Whether `path` is `folder` or lies inside it (both resolved)."""
    folder, path = folder.resolve(), path.resolve()
    return path == folder or folder in path.parents
