"""Which files serve a model id, and whether they are complete: the one checkpoint resolver.

A model id is a preset's network (`van-gogh`, `van-gogh-cpu`, `van-gogh-video`), the multi-style network
(`presets-multi`), a Hub repo id (`org/name`), or a checkpoint folder on disk. A checkpoint is a folder
holding `CHECKPOINT_FILES` (config.json + model.safetensors). An id's sources are tried best first: the
folder bundled in styles/<model id>/, the Hugging Face cache, a fresh download (nst.hub decides whether one
may be tried). `load_network` walks them lazily, so a source that is missing or fails to load falls through
to the next, and its error names every source it tried.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from nst.errors import ModelError
from nst.hub import cached_file, download_blocker, download_file
from nst.presets import MULTI_MODEL_ID, VARIANT_SUFFIXES, Preset, bundled_folder, get_preset, model_id
from nst.presets import multi_repo as _multi_repo
from nst.transformer import CONFIG_FILE, WEIGHTS_FILE, TransformerNet, display_path, load_checkpoint

__all__ = [
    "CHECKPOINT_FILES",
    "ModelSource",
    "cached_folder",
    "candidate_folders",
    "is_complete",
    "load_network",
    "model_source",
    "on_disk",
    "preferred_model",
]

log = logging.getLogger(__name__)

CHECKPOINT_FILES = (CONFIG_FILE, WEIGHTS_FILE)


@dataclass(frozen=True)
class ModelSource:
    """Where one model id's checkpoint may come from: its bundled folder (None for a Hub repo id), its Hub
    repo and pinned revision, and the preset and variant it belongs to (None for other networks)."""

    model_id: str
    bundled: Path | None
    repo_id: str
    revision: str | None
    preset: Preset | None
    variant: str | None


def is_complete(folder: Path) -> bool:
    """Whether `folder` holds a whole checkpoint: every file of CHECKPOINT_FILES (loading checks contents)."""
    return all((folder / name).is_file() for name in CHECKPOINT_FILES)


def model_source(model: str) -> ModelSource:
    """Bundled folder, Hub repo and revision of a preset model id, the multi-style id or a Hub repo id."""
    if "/" in model or "\\" in model:
        if model.startswith((".", "/", "~")) or model.count("/") != 1 or Path(model).exists():
            raise ModelError(f"No checkpoint folder at {model} (it needs {', '.join(CHECKPOINT_FILES)}).")
        try:
            validate_repo_id(model)
        except HFValidationError:
            raise ModelError(f"'{model}' is neither a checkpoint folder nor a Hub repo id.") from None
        return ModelSource(model, None, model, None, None, None)
    if model == MULTI_MODEL_ID:
        repo_id, revision = _multi_repo()
        return ModelSource(model, bundled_folder(model), repo_id, revision, None, None)
    variant, preset_id = next(
        (variant, model.removesuffix(suffix))
        for variant, suffix in sorted(VARIANT_SUFFIXES.items(), key=lambda item: -len(item[1]))
        if model.endswith(suffix)
    )  # the longest suffix that matches: "" (standard) matches every id, so it is tried last
    preset = get_preset(preset_id)
    return ModelSource(model, bundled_folder(model), *preset.hub_repo(variant), preset, variant)


def cached_folder(source: ModelSource) -> Path | None:
    """The Hub-cache snapshot that holds both checkpoint files of `source`, or None."""
    cached = [cached_file(source.repo_id, name, revision=source.revision) for name in CHECKPOINT_FILES]
    folders = {path.parent if path else None for path in cached}
    return folders.pop() if len(folders) == 1 else None


def on_disk(model: str) -> bool:
    """Whether a model id or checkpoint folder can load without the network (bundled, or in the Hub cache)."""
    if Path(model).is_dir():
        return is_complete(Path(model))
    source = model_source(model)
    if source.bundled is not None and is_complete(source.bundled):
        return True
    return cached_folder(source) is not None


def preferred_model(preset_id: str, device_type: str, frames: bool = False) -> str:
    """The preset's model id for this hardware: the CPU variant on a CPU (`device_type` "cpu"), the standard
    one elsewhere; the other variant when only that one is bundled; else the preferred id (load_network then
    looks in the Hub cache and downloads). For video `frames` on a CPU the video variant comes first when it
    is bundled: it is optional, so it is never the id left to download."""
    order = ("cpu", "standard") if device_type == "cpu" else ("standard", "cpu")
    ids = [model_id(preset_id, variant) for variant in order]
    video = [model_id(preset_id, "video")] if frames and device_type == "cpu" else []
    return next((candidate for candidate in [*video, *ids] if is_complete(bundled_folder(candidate))), ids[0])


def candidate_folders(source: ModelSource, problems: list[str]) -> Iterator[Path]:
    """Checkpoint folders to try for `source`, best first: bundled, the Hub cache, a fresh download.

    Lazy: a source is only looked at when the caller asks for the next folder (because the previous one was
    missing or failed to load). Each source that has nothing appends a short phrase to `problems`.
    """
    if source.bundled is not None:
        if is_complete(source.bundled):
            yield source.bundled
        else:
            problems.append(f"not bundled in {display_path(source.bundled)}")
    folder = cached_folder(source)
    if folder is not None:
        yield folder
    else:
        problems.append("not in the Hugging Face cache")
    blocker = download_blocker()
    if blocker is not None:
        problems.append(blocker)
        return
    try:  # re-download when the cached copy was there but failed to load
        paths = [
            download_file(source.repo_id, name, revision=source.revision, force=folder is not None)
            for name in CHECKPOINT_FILES
        ]
    except ModelError as exc:
        problems.append(str(exc))
        return
    yield paths[0].parent


def load_network(model: str) -> TransformerNet:
    """The network of a model id or checkpoint folder, from the first source that has a working checkpoint;
    a ModelError naming what each source lacked, and how to get the network, when none has."""
    if Path(model).is_dir():
        return load_checkpoint(Path(model))
    source = model_source(model)
    problems: list[str] = []
    for folder in candidate_folders(source, problems):
        try:
            return load_checkpoint(folder)
        except ModelError as exc:
            log.warning("%s; trying the next source", exc)
            problems.append(str(exc))
    if source.preset is None:
        what, hint = f"model '{model}'", "Check the repo id, or connect to the internet."
    else:
        what = f"preset '{model}'"
        shipped = f" (it ships into {display_path(source.bundled)}/)" if source.bundled else ""
        train = (
            f"python -m training.distill --variant video --preset {source.preset.id} ...` and "
            "`python -m training.ship_multi"
            if source.variant == "video"
            else f"python -m training.train_presets --presets {source.preset.id} --variants {source.variant}"
        )
        hint = (
            f"Train it with `{train} ...`{shipped}, or connect to the internet to download {source.repo_id}."
        )
    raise ModelError(f"No checkpoint for {what}: {_join(problems)}. {hint}")


def _join(phrases: list[str]) -> str:
    """ "a, b, and c" (or "a and b", or "a")."""
    if len(phrases) <= 2:
        return " and ".join(phrases)
    return ", ".join(phrases[:-1]) + ", and " + phrases[-1]
