"""The teacher's paintings of the training photos, computed once and kept on disk for distillation.

A distillation step spends most of its time in the teacher's forward pass (measured at 256 px, batch 4, one
thread: teacher 3.1 s, the student's whole step 1.3 s). The student trains for several epochs over the same
photos, so each photo is painted once: one fixed crop per photo (`random_crop` seeded by the photo's index),
stored with the teacher's output as uint8 arrays (memory-mapped `.npy`, ~0.2 MB a 256 px crop). A key (the
teacher's weights, the crop size, the photo list) makes a stale cache start afresh; the teacher's outputs
are written in chunks with a progress count, so an interrupted build continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.lib.format import open_memmap
from torch import Tensor

from nst.images import load_image
from nst.transformer import TransformerNet
from training.data import random_crop

CROPS = "crops"  # crops.npy + crops.json; each teacher style's outputs are <name>.npy + <name>.json
CHUNK = 8  # photos painted in one batch, between progress marks (~0.5 GB at 256 px)


@dataclass(frozen=True)
class PairCache:
    """Photo crops and the teacher's paintings of them: (N, 3, S, S) uint8 arrays, row for row."""

    crops: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.crops)

    def batch(self, indices: Sequence[int], device: torch.device) -> tuple[Tensor, Tensor]:
        """(photos, targets) as float tensors in [0,1] on `device`."""
        order = sorted(indices)  # memory-mapped rows read in file order

        def rows(array: np.ndarray) -> Tensor:
            return torch.from_numpy(np.ascontiguousarray(array[order])).to(device).float().div_(255)

        return rows(self.crops), rows(self.targets)


def fingerprint(net: TransformerNet) -> str:
    """A digest of the network's weights: a changed teacher must not reuse the old teacher's paintings."""
    digest = hashlib.sha256()
    for name, tensor in sorted(net.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def _key_of(paths: Sequence[Path], size: int) -> str:
    return hashlib.sha256(json.dumps([size, *map(str, paths)]).encode()).hexdigest()[:16]


def read_json(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: dict[str, object]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value), encoding="utf-8")
    os.replace(partial, path)


def pairs(
    folder: Path,
    paths: Sequence[Path],
    size: int,
    teacher: TransformerNet,
    name: str,
    device: torch.device,
    on_progress: Callable[[int, int], None] | None = None,
) -> PairCache:
    """The cache in `folder` for these photos at `size` and this teacher (`name`: which of its styles),
    built or completed first where needed."""
    folder.mkdir(parents=True, exist_ok=True)
    key = _key_of(paths, size)
    crops = photo_crops(folder, paths, size, key)
    teacher_key = f"{fingerprint(teacher)}-{key}"
    targets = teacher_targets(folder / name, crops, teacher, teacher_key, device, on_progress)
    return PairCache(crops, targets)


def photo_crops(folder: Path, paths: Sequence[Path], size: int, key: str) -> np.ndarray:
    """The fixed crop of every photo, (N, 3, size, size) uint8, built once (~30 s for 3,000 photos)."""
    array_path, record = folder / f"{CROPS}.npy", folder / f"{CROPS}.json"
    if read_json(record).get("key") != key or not array_path.is_file():
        partial = folder / f"{CROPS}.partial.npy"
        crops = open_memmap(partial, mode="w+", dtype=np.uint8, shape=(len(paths), 3, size, size))
        for index, path in enumerate(paths):
            crop = random_crop(load_image(path), size, random.Random(index), native=True)
            crops[index] = np.asarray(crop, dtype=np.uint8).transpose(2, 0, 1)
        crops.flush()
        del crops
        os.replace(partial, array_path)
        write_json(record, {"key": key, "photos": len(paths), "size": size})
    return np.load(array_path, mmap_mode="r")


def teacher_targets(
    stem: Path,
    crops: np.ndarray,
    teacher: TransformerNet,
    key: str,
    device: torch.device,
    on_progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """The teacher's painting of every crop, (N, 3, S, S) uint8, in STEM.npy (progress in STEM.json);
    continues an interrupted build of the same `key`."""
    array_path, record = stem.with_suffix(".npy"), stem.with_suffix(".json")
    progress = read_json(record)
    count = progress.get("done")
    done = count if isinstance(count, int) and progress.get("key") == key and array_path.is_file() else 0
    targets = _reopen(array_path, crops.shape) if done else None
    if targets is None:
        targets, done = open_memmap(array_path, mode="w+", dtype=np.uint8, shape=crops.shape), 0
    with torch.inference_mode():
        for start in range(done, len(crops), CHUNK):
            stop = min(start + CHUNK, len(crops))
            photos = torch.from_numpy(np.array(crops[start:stop])).to(device).float().div_(255)
            painted = teacher(photos)  # instance norm is per image: a batch paints each as if alone
            targets[start:stop] = painted.mul(255).round_().clamp_(0, 255).to(torch.uint8).cpu().numpy()
            targets.flush()
            write_json(record, {"key": key, "done": stop})
            if on_progress is not None:
                on_progress(stop, len(crops))
    del targets
    return np.load(array_path, mmap_mode="r")


def _reopen(path: Path, shape: tuple[int, ...]) -> np.memmap | None:
    """The half-built array at `path` for writing on, or None when it is not one of `shape`."""
    try:
        array = open_memmap(path, mode="r+")
    except (OSError, ValueError):
        return None
    return array if array.shape == shape and array.dtype == np.uint8 else None
