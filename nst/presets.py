"""The style presets (styles/presets.toml): paintings, their rights, Hub repos and recommended settings.

A "model id" names one fast network: `<preset>` (standard variant), `<preset>-cpu` (CPU-fast) or
`<preset>-video` (no layer at full resolution, for video frames on a CPU), bundled in styles/<model id>/ once
trained; any other `org/name` is taken as a Hub repo id. Which files serve a model id
is nst.checkpoints' business; this module only knows the registry.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nst.errors import ModelError, PresetError
from nst.hub import fetch_file
from nst.settings import ENV_STYLES_DIR, HUB_REVISION_PATTERN, STYLES_ROOT, QualitySettings, env_path

REGISTRY_PATH = STYLES_ROOT / "presets.toml"
VARIANT_SUFFIXES = {"standard": "", "cpu": "-cpu", "video": "-video"}  # model id = preset id + suffix
MULTI_MODEL_ID = "presets-multi"  # the multi-style network that blends presets (styles/presets-multi/)


@dataclass(frozen=True)
class Preset:
    """One painting and where its networks live."""

    id: str
    name: str
    artist: str
    painting: str
    year: int
    rights: str
    source: str  # where the reproduction came from (provenance)
    notice: str | None  # a rights note shown wherever the painting is offered (Picasso: US only)
    style_file: str  # file name of the original under NST_STYLES_DIR
    repo_id: str  # standard-variant checkpoint, and the painting (the registry's hub_style_file)
    revision: str | None
    cpu_repo_id: str
    cpu_revision: str | None
    video_repo_id: str
    video_revision: str | None
    quality: dict[str, Any]  # recommended QualitySettings overrides

    def hub_repo(self, variant: str) -> tuple[str, str | None]:
        """The Hub repo and pinned revision of this preset's `variant` network."""
        repos = {
            "standard": (self.repo_id, self.revision),
            "cpu": (self.cpu_repo_id, self.cpu_revision),
            "video": (self.video_repo_id, self.video_revision),
        }
        return repos[variant]


@functools.cache
def _registry() -> tuple[str, dict[str, Preset], dict[str, str]]:
    """(Hub style-image file name, presets by id in registry order, the multi-style network's repo), parsed
    once."""
    data = tomllib.loads(REGISTRY_PATH.read_text(encoding="utf-8"))
    quality_fields = {field.name for field in dataclasses.fields(QualitySettings)}
    presets: dict[str, Preset] = {}
    for entry in data["preset"]:
        entry = {"revision": None, "cpu_revision": None, "video_revision": None, "notice": None, **entry}
        unknown = set(entry["quality"]) - quality_fields
        if unknown:
            raise PresetError(
                f"{REGISTRY_PATH.name}: preset '{entry['id']}' has unknown quality settings {unknown}"
            )
        for key in ("revision", "cpu_revision", "video_revision"):
            check_revision(entry[key], f"{REGISTRY_PATH.name}: preset '{entry['id']}' {key}")
        presets[entry["id"]] = Preset(**entry)
    return data["hub_style_file"], presets, dict(data["multi"])


def check_revision(revision: str | None, what: str) -> None:
    """A pinned Hub revision must be a full commit sha: a branch or tag name can be moved under us."""
    if revision is not None and not re.fullmatch(HUB_REVISION_PATTERN, revision):
        raise PresetError(f"{what} must be a 40-character commit sha, not {revision!r}.")


def list_presets() -> list[Preset]:
    """All presets, in registry order."""
    return list(_registry()[1].values())


def get_preset(preset_id: str) -> Preset:
    """The preset called `preset_id`, or a PresetError listing the known ids."""
    presets = _registry()[1]
    if preset_id not in presets:
        raise PresetError(f"Unknown preset '{preset_id}'. Known presets: {', '.join(presets)}.")
    return presets[preset_id]


def model_id(preset_id: str, variant: str = "standard") -> str:
    """The model id of a preset's network variant: "van-gogh", "van-gogh-cpu" or "van-gogh-video"."""
    if variant not in VARIANT_SUFFIXES:
        raise ModelError(
            f"Unknown network variant '{variant}'. Known variants: {', '.join(VARIANT_SUFFIXES)}."
        )
    return get_preset(preset_id).id + VARIANT_SUFFIXES[variant]


def bundled_folder(model_id: str) -> Path:
    """Where a model id's checkpoint is bundled: styles/<model id>/."""
    return STYLES_ROOT / model_id


def multi_repo() -> tuple[str, str | None]:
    """The multi-style network's Hub repo and pinned revision."""
    multi = _registry()[2]
    return multi["repo_id"], multi.get("revision")


def bundled_painting(preset: Preset) -> Path:
    """Where the preset's painting is bundled: styles/<id>/style.jpg, as in its Hub repo."""
    return bundled_folder(preset.id) / _registry()[0]


def style_image_path(preset: Preset) -> Path:
    """The preset's painting: bundled, else $NST_STYLES_DIR/<style_file>, else from its Hub repo; else a
    PresetError."""
    bundled = bundled_painting(preset)
    if bundled.is_file():
        return bundled
    styles_dir = env_path(ENV_STYLES_DIR)
    if styles_dir is not None and (styles_dir / preset.style_file).is_file():
        return styles_dir / preset.style_file
    hub_file = _registry()[0]
    try:
        return fetch_file(preset.repo_id, hub_file, revision=preset.revision)
    except ModelError as exc:
        where = f"{styles_dir}" if styles_dir is not None else f"the folder named by {ENV_STYLES_DIR} (unset)"
        raise PresetError(
            f"The painting for preset '{preset.id}' ({preset.painting}) was not found: it is not bundled as "
            f"{bundled}; put {preset.style_file} in {where}, or connect to the internet to download it. "
            f"Details: {exc}"
        ) from exc
