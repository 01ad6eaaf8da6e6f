"""Preview photos during training: which photos (held out from the data), loaded at their size, and the
network's output for each, so every run leaves pictures to look at beside its numbers.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from nst.errors import NSTError
from nst.images import image_to_tensor, load_image, tensor_to_image
from training.data import find_images


def preview_sources(
    data: Path, preview_photos: list[Path], seed: int, batch_size: int
) -> tuple[list[Path], list[Path]]:
    """(training photos, preview photos): given preview photos, or 4 fixed ones held out from the data."""
    photos = find_images(data)
    if preview_photos:
        previews: list[Path] = []
        for path in preview_photos:
            previews += find_images(path)[:4] if path.is_dir() else [path]
        return photos, previews
    held_out = random.Random(seed).sample(photos, min(4, max(0, len(photos) - batch_size)))
    return [p for p in photos if p not in set(held_out)], held_out


def preview_path(out: Path, step: int) -> Path:
    """OUT/previews/step-<n>.png (the folder made on first use)."""
    folder = out / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"step-{step:06d}.png"


def load_previews(paths: list[Path], size: int) -> list[Image.Image]:
    """The preview photos at `size` longest side (unreadable ones are left out)."""
    images = []
    for path in paths:
        with contextlib.suppress(NSTError):
            images.append(load_image(path, max_side=size))
    return images


@torch.no_grad()
def stylise_all(model: nn.Module, images: list[Image.Image], device: torch.device) -> list[Image.Image]:
    """The network's output for each image, one at a time (sizes differ)."""
    was_training = model.training
    model.eval()
    outputs = [tensor_to_image(model(image_to_tensor(image, device))) for image in images]
    model.train(was_training)
    return outputs
