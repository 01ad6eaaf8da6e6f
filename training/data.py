"""Training photos: every image under a folder (recursively), as random square crops with random flips.

Files are checked once when the dataset is built (a reduced-scale decode through `nst.images.load_image`,
which handles hostile input); unreadable ones are skipped with one warning each, never a crash.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset, Sampler

from nst.errors import ImageError, NSTError
from nst.images import IMAGE_SUFFIXES, image_to_tensor, load_image

CROP_SCALE = (0.5, 1.0)  # crop side as a fraction of the photo's short side
PROBE_SIDE = 64  # longest side of the check decode (JPEGs decode at 1/8 scale: fast)


class DatasetError(NSTError):
    """The training photos cannot make a single batch (missing folder, too few readable images)."""


def find_images(root: Path) -> list[Path]:
    """Every file under `root` (recursively) with an image suffix, sorted for reproducibility."""
    if not root.is_dir():
        raise DatasetError(f"The photo folder {root} does not exist.")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def usable_images(paths: list[Path]) -> list[Path]:
    """The paths that decode; each one that does not gets a single warning."""
    usable = []
    for path in paths:
        try:
            load_image(path, max_side=PROBE_SIDE)
        except ImageError as exc:
            warnings.warn(f"Skipping unreadable training image {path}: {exc}", stacklevel=2)
        else:
            usable.append(path)
    return usable


def spread(paths: list[Path], count: int) -> list[Path]:
    """At most `count` of `paths`, evenly spaced through the sorted list: every source folder keeps its share
    (0 or more than there are: all of them)."""
    if count <= 0 or count >= len(paths):
        return paths
    return [paths[index * len(paths) // count] for index in range(count)]


def random_crop(image: Image.Image, size: int, rng: random.Random, native: bool = False) -> Image.Image:
    """A random square of CROP_SCALE × the short side, resized to `size`, flipped half the time.

    `native`: a `size` square at the photo's own scale instead (no resizing unless the photo is smaller),
    so a small crop costs less without shrinking what it shows relative to the painting's motifs.
    """
    short = min(image.size)
    side = min(size, short) if native else max(1, round(short * rng.uniform(*CROP_SCALE)))
    left, top = rng.randint(0, image.width - side), rng.randint(0, image.height - side)
    crop = image.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side))
    return crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else crop


class PhotoDataset(Dataset[Tensor]):
    """The readable ones of `paths`, indexed by (photo index, crop seed) pairs from `InfiniteSampler`."""

    def __init__(self, paths: list[Path], size: int, min_count: int = 1, native: bool = False) -> None:
        self.size, self.native = size, native
        self.paths = usable_images(paths)
        if len(self.paths) < min_count:
            raise DatasetError(
                f"Only {len(self.paths)} readable training image(s) were found; "
                f"at least {min_count} (one batch) are needed."
            )

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, key: tuple[int, int]) -> Tensor:
        index, seed = key
        image = load_image(self.paths[index])
        return image_to_tensor(random_crop(image, self.size, random.Random(seed), self.native))[0]


class InfiniteSampler(Sampler[tuple[int, int]]):
    """Endless shuffled epochs, sharded over `world` ranks, starting after `skip` samples (for resume).

    Yields (index, crop seed); epoch e's order depends only on (seed, e), so every rank agrees on it.
    """

    def __init__(self, count: int, seed: int, rank: int = 0, world: int = 1, skip: int = 0) -> None:
        self.count, self.seed, self.rank, self.world, self.skip = count, seed, rank, world, skip

    def __iter__(self) -> Iterator[tuple[int, int]]:
        per_rank = self.count // self.world  # equal shards: ranks stay in step
        epoch, offset = divmod(self.skip, per_rank)
        while True:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            order = torch.randperm(self.count, generator=generator)[: per_rank * self.world]
            shard = order[self.rank :: self.world].tolist()
            for position in range(offset, per_rank):
                yield shard[position], hash((self.seed, epoch, self.rank, position)) & 0x7FFFFFFF
            epoch, offset = epoch + 1, 0
