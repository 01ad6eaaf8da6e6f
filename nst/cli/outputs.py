"""Where the command-line tools write: distinct names for inputs that would collide, no existing file or input
replaced unless asked, and a writable folder checked before a long run starts rather than after it."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from nst.errors import NSTError


def _ext(path: Path) -> str:
    return path.suffix.lstrip(".").lower() or "file"


# Ever longer names for an input, used only as far as needed to tell colliding inputs apart:
# a.jpg -> a, then a-jpg (a.jpg beside a.png), then d1-a-jpg (d1/a.jpg beside d2/a.jpg).
_NAMINGS: tuple[Callable[[Path], str], ...] = (
    lambda p: p.stem,
    lambda p: f"{p.stem}-{_ext(p)}",
    lambda p: f"{p.absolute().parent.name}-{p.stem}-{_ext(p)}",
)


def distinct_stems(paths: Sequence[Path]) -> list[str]:
    """One output stem per input, distinct even on a case-insensitive disk; the plain stem where unique."""
    chosen = [_NAMINGS[0](p) for p in paths]
    for naming in _NAMINGS[1:]:
        counts = Counter(name.casefold() for name in chosen)
        chosen = [naming(p) if counts[c.casefold()] > 1 else c for p, c in zip(paths, chosen, strict=True)]
    counts, seen = Counter(name.casefold() for name in chosen), Counter[str]()
    numbered = []
    for name in chosen:  # the same file name in two folders of the same name: number them
        key = name.casefold()
        if counts[key] > 1:
            seen[key] += 1
            name = f"{name}-{seen[key]}"
        numbered.append(name)
    return numbered


def writable_folder(folder: Path) -> None:
    """Create `folder` (and parents) and prove a file can be written there; an NSTError otherwise."""
    if folder.exists() and not folder.is_dir():
        raise NSTError(f"{folder} is a file, not a folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".nst-write-test-"):
            pass
    except OSError as exc:
        raise NSTError(f"Cannot write to {folder}: {exc.strerror or exc}.") from None


def check_outputs(outputs: Iterable[Path], inputs: Iterable[Path], overwrite: bool) -> None:
    """Refuse an output that is one of the inputs (always), a folder, or an existing file (unless
    `overwrite`): before anything runs, so a long run never ends in a refusal."""
    sources = {_identity(p) for p in inputs}
    for output in outputs:
        if _identity(output) in sources:
            raise NSTError(f"The output {output} is one of the inputs: choose another name or folder.")
        if output.is_dir():
            raise NSTError(f"The output {output} is a folder: give a file name.")
        if output.exists() and not overwrite:
            raise NSTError(f"{output} already exists: use --overwrite to replace it, or another name.")


def _identity(path: Path) -> tuple[int, int] | str:
    """What makes two paths the same file: device and inode when it exists (links, case), else the path."""
    try:
        info = os.stat(path)
    except OSError:
        return str(path.resolve())
    return (info.st_dev, info.st_ino)
