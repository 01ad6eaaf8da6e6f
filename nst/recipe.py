"""The recipe: what made an output (mode, settings, network, size, time, device, versions), stored as JSON in
every PNG the studio writes and printed by the command lines' --json.

One type for the three modes and every writer (quality runs, the fast and video command lines, the web app),
one way to write it into a picture (`Recipe.attach`, or `nst.images.save_png(image, path, recipe.as_dict())`),
and one reader (`Recipe.read`) that also understands the flat recipes written before this type existed.
"""

from __future__ import annotations

import dataclasses
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from PIL import Image

import nst
from nst.images import RECIPE_KEY, ImageSource, read_recipe

# Settings that older recipes kept at the top level (fast and video), next to "size" (the output's size).
_FLAT_SETTINGS = ("strength", "preserve_color", "blend", "max_side", "smoothing")
_FIELDS = ("mode", "preset", "model", "settings", "output_size", "seconds", "device", "versions")


def versions() -> dict[str, str]:
    """The versions that made an output: this library, PyTorch and Python."""
    return {"nst": nst.__version__, "torch": torch.__version__, "python": platform.python_version()}


@dataclass(frozen=True)
class Recipe:
    """What made one output. `settings` holds the mode's settings (FastSettings, QualitySettings or
    VideoSettings as a dict); `details` the facts of this run that are not settings (steps done, tiles,
    frames, the input's name, the preset mix, ...), written beside the fixed fields."""

    mode: str  # "fast" | "quality" | "video"
    settings: dict[str, Any]
    output_size: tuple[int, int] | None
    seconds: float
    device: str
    preset: str | None = None
    model: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=versions)

    @classmethod
    def of(
        cls,
        mode: str,
        settings: object,
        output_size: tuple[int, int] | None,
        seconds: float,
        device: str,
        *,
        preset: str | None = None,
        model: str | None = None,
        **details: Any,
    ) -> Recipe:
        """A recipe from a settings dataclass (or a dict of settings) and this run's facts."""
        values = (
            dataclasses.asdict(settings)  # type: ignore[arg-type]  # is_dataclass also admits the class itself
            if dataclasses.is_dataclass(settings)
            else dict(cast(Mapping[str, Any], settings))
        )
        size = None if output_size is None else (int(output_size[0]), int(output_size[1]))
        return cls(mode, values, size, round(seconds, 3), device, preset, model, details)

    def as_dict(self) -> dict[str, Any]:
        """The recipe as stored: the fixed fields, then the details, then the versions (JSON-ready)."""
        size = None if self.output_size is None else list(self.output_size)
        fixed = {"mode": self.mode, "preset": self.preset, "model": self.model, "settings": self.settings}
        return {
            **fixed,
            "output_size": size,
            "seconds": self.seconds,
            "device": self.device,
            **self.details,
            "versions": self.versions,
        }

    def attach(self, image: Image.Image) -> Image.Image:
        """`image` carrying the recipe as PNG text: what Gradio writes into the PNG files it serves (and
        nst.images.encode_png writes the same JSON)."""
        image.info[RECIPE_KEY] = json.dumps(self.as_dict(), ensure_ascii=False, default=str)
        return image

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        """A stored recipe, in this format or the older flat ones (fast and video settings at the top level,
        "size" for the output's size)."""
        rest = {key: value for key, value in data.items() if key not in _FIELDS}
        settings = dict(data.get("settings") or {})
        for key in _FLAT_SETTINGS:
            if key in rest:
                settings.setdefault(key, rest.pop(key))
        size = data.get("output_size") or rest.pop("size", None)
        return cls(
            mode=str(data.get("mode", "")),
            settings=settings,
            output_size=None if size is None else (int(size[0]), int(size[1])),
            seconds=float(data.get("seconds", 0.0)),
            device=str(data.get("device", "")),
            preset=data.get("preset"),
            model=data.get("model"),
            details=rest,
            versions=dict(data.get("versions") or {}),
        )

    @classmethod
    def read(cls, source: ImageSource) -> Recipe | None:
        """The recipe stored in a PNG (path, bytes or opened image); None when it has none."""
        data = read_recipe(source)  # type: ignore[arg-type]  # the sources read_recipe takes
        return None if data is None else cls.from_dict(data)
