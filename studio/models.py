"""Which network serves a preset on this hardware, whether it is on disk, and the presets as the app shows
them. (The lead points `bundled_model` and `model_on_disk` at nst.checkpoints' resolver when it lands.)"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from nst.hub import CHECKPOINT_FILES, cached_file
from nst.presets import Preset, bundled_folder, model_id, model_source
from nst.settings import ENV_PHOTOS_DIR, EXAMPLES_DIR


def bundled_model(preset_id: str, device: torch.device) -> str:
    """The preset's network for this hardware: the CPU variant on a CPU, the standard one on a GPU; the other
    variant when only that one is bundled; else the preferred id (nst.fast then tries the Hub)."""
    order = ("cpu", "standard") if device.type == "cpu" else ("standard", "cpu")
    ids = [model_id(preset_id, variant) for variant in order]
    for candidate in ids:
        if _complete(bundled_folder(candidate)):
            return candidate
    return ids[0]


def _complete(folder: Path) -> bool:
    """Whether `folder` holds a whole checkpoint (config and weights)."""
    return all((folder / name).is_file() for name in CHECKPOINT_FILES)


def model_on_disk(model: str) -> bool:
    """Whether a model id or checkpoint folder can load without the network (bundled or in the Hub cache)."""
    if Path(model).is_dir():
        return _complete(Path(model))
    source = model_source(model)
    if source.bundled is not None and _complete(source.bundled):
        return True
    return all(cached_file(source.repo_id, name, revision=source.revision) for name in CHECKPOINT_FILES)


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
    """Photos for the examples: the JPEG/PNG files in $NST_PHOTOS_DIR, else those shipped in examples/."""
    folder = Path(os.environ.get(ENV_PHOTOS_DIR, "").strip() or EXAMPLES_DIR)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
