"""Which network serves a preset on this hardware, whether it is on disk (both answered by nst.checkpoints,
the one resolver), and the presets as the app shows them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from nst.checkpoints import on_disk as model_on_disk
from nst.checkpoints import preferred_model
from nst.images import IMAGE_SUFFIXES
from nst.presets import Preset
from nst.settings import ENV_PHOTOS_DIR, EXAMPLES_DIR

__all__ = ["PresetCard", "bundled_model", "example_photos", "model_on_disk"]


def bundled_model(preset_id: str, device: torch.device, frames: bool = False) -> str:
    """The preset's network for this device, for stills or video `frames` (the engine's resolver signature;
    see preferred_model)."""
    return preferred_model(preset_id, device.type, frames)


@dataclass(frozen=True)
class PresetCard:
    """A preset as the app shows it: its painting file when available, and whether fast mode can run it."""

    preset: Preset
    painting: Path | None
    fast_ready: bool

    @property
    def caption(self) -> str:
        return f"{self.preset.name} · {self.preset.artist}, {self.preset.year}"

    @property
    def short(self) -> str:
        """Gallery caption: name and year (once, for names that already hold it)."""
        year = str(self.preset.year)
        return self.preset.name if year in self.preset.name else f"{self.preset.name}, {year}"


def example_photos() -> list[Path]:
    """Photos for the examples: the image files in $NST_PHOTOS_DIR, else those shipped in examples/."""
    folder = Path(os.environ.get(ENV_PHOTOS_DIR, "").strip() or EXAMPLES_DIR)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
