"""Where the loss network's weights come from, and the one file format nst.vgg reads.

Resolution order (first that works wins; `resolve_weights`):

1. `$NST_VGG_WEIGHTS`, a file in our format (an explicit choice: a missing file is an error at once);
2. the project's Hub repo (`VGG_REPO_ID`): the Hugging Face cache, then a download;
3. torchvision's published ImageNet VGG19 (`VGG19_Weights.IMAGENET1K_V1`): torch hub's own cache
   (`$TORCH_HOME/hub/checkpoints`), then torch hub's download. Only `features` is kept, converted once into
   our fp16 safetensors format in the user's cache (`nst.settings.cache_dir`), with torchvision's input
   convention (RGB, 0-1, ImageNet mean/std) in its metadata.

When none works, one ModelError says what each route lacked. `HF_HUB_OFFLINE=1` turns off every download
(Hub and torchvision), so an offline machine with nothing cached gets that answer without waiting.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from nst import hub
from nst.errors import ModelError, NSTError
from nst.settings import (
    ENV_VGG_WEIGHTS,
    TORCHVISION_VGG_FILE,
    TORCHVISION_VGG_MB,
    VGG_FILENAME,
    VGG_REPO_ID,
    VGG_REVISION,
    cache_dir,
    env_path,
)

log = logging.getLogger(__name__)

CONVENTIONS = {
    "caffe": "BGR, 0-255, mean-subtracted [103.939, 116.779, 123.68]",
    "torchvision": "RGB, 0-1, mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225]",
}
TORCHVISION_SOURCE = "torchvision.models.VGG19_Weights.IMAGENET1K_V1 (ImageNet VGG19, features only)"
CONVERTED_FILE = TORCHVISION_VGG_FILE.removesuffix(".pth") + ".features.fp16.safetensors"
DOWNLOAD_NOTE = f"Downloading the loss network once: {TORCHVISION_VGG_MB} MB. Later runs start at once."
_FEATURE_KEY = re.compile(r"^(?:module\.|vgg\.|model\.)*(features\.\d+\.(?:weight|bias))$")

Announce = Callable[[str], None]
_lock = threading.Lock()  # one conversion (or download) at a time per process
_resolved: dict[tuple[str, ...], Path] = {}  # where each environment's network was found, remembered


# --- the file format ----------------------------------------------------------------------------------


def read_state(path: Path) -> dict[str, Tensor]:
    """A state dict from .safetensors or a (weights-only) torch .pth/.pt file."""
    if path.suffix == ".safetensors":
        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ModelError(f"{path} does not hold a state dict")
    return state


def feature_tensors(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The `features.N.weight/bias` entries as contiguous fp16 tensors (classifier and others dropped)."""
    kept = {}
    for key, value in state.items():
        match = _FEATURE_KEY.match(key)
        if match and isinstance(value, Tensor):
            kept[match.group(1)] = value.detach().to(torch.float16).contiguous()
    if not kept:
        raise ModelError(
            "No 'features.N.weight' / 'features.N.bias' tensors found: is this a VGG state dict?"
        )
    return kept


def write_features(
    tensors: dict[str, Tensor], target: Path, convention: str, origin: str, **extra: str
) -> dict[str, str]:
    """Save `tensors` in our format (written beside, then renamed: never a half file); returns the metadata.
    `convention`: a CONVENTIONS key or a description such as CONVENTIONS["caffe"]."""
    metadata = {
        "architecture": "vgg19.features",
        "source": origin,
        "precision": "float16",
        "stored_dtype": "float16",
        "input": CONVENTIONS.get(convention, convention),
        **extra,
    }
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    save_file(tensors, str(partial), metadata=metadata)
    os.replace(partial, target)
    return metadata


# --- resolution -------------------------------------------------------------------------------------------


def torch_hub_file() -> Path:
    """Where torch hub keeps (or would download) torchvision's VGG19 file: $TORCH_HOME/hub/checkpoints."""
    return Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_VGG_FILE


def converted_file() -> Path:
    """Where the features of torchvision's VGG19 are kept in our format, once converted."""
    return cache_dir() / CONVERTED_FILE


def resolve_weights(announce: Announce | None = None) -> Path:
    """The loss network's file in our format, found (or fetched) in the order of this module's docstring.

    `announce` hears one line before a long download (default: the log); torch shows a progress bar on
    stderr while it runs."""
    local = env_path(ENV_VGG_WEIGHTS)
    if local is not None:
        if not local.is_file():
            raise ModelError(f"{ENV_VGG_WEIGHTS} points to {local}, which does not exist.")
        return local
    key = _environment()
    known = _resolved.get(key)
    if known is not None and known.is_file():
        return known
    problems: list[str] = []
    for route in (_from_hub, _from_torchvision):
        try:
            found = route(announce or log.warning)
        except NSTError as exc:
            problems.append(str(exc))
            continue
        _resolved[key] = found
        return found
    hub_problem, torchvision_problem = (problem.rstrip(".") for problem in problems)
    raise ModelError(
        "The VGG19 loss network is not available. Tried, in order: "
        f"(1) {ENV_VGG_WEIGHTS}: unset; (2) the Hugging Face Hub repo {VGG_REPO_ID}: {hub_problem}; "
        f"(3) torchvision's ImageNet VGG19 ({TORCHVISION_VGG_MB} MB): {torchvision_problem}. Fix one: set "
        f"{ENV_VGG_WEIGHTS} to a {VGG_FILENAME} (training/convert_vgg.py makes one from any VGG19 state "
        f"dict), put torchvision's {TORCHVISION_VGG_FILE} in {torch_hub_file().parent}, or go online once "
        "(without HF_HUB_OFFLINE) so it can be downloaded."
    )


def download_pending() -> str | None:
    """A note for people when resolving would start a long download now (nothing usable on disk), else None.

    Checks local files only: an answer in microseconds, no network."""
    if env_path(ENV_VGG_WEIGHTS) is not None or _resolved.get(_environment()) is not None:
        return None
    if hub.hub_offline() or hub.cached_file(VGG_REPO_ID, VGG_FILENAME, revision=VGG_REVISION) is not None:
        return None
    if converted_file().is_file() or torch_hub_file().is_file():
        return None
    return DOWNLOAD_NOTE


def _environment() -> tuple[str, ...]:
    """What decides where the network is found: the Hugging Face and torch caches and our own cache."""
    return (str(hub.constants.HF_HUB_CACHE), torch.hub.get_dir(), str(cache_dir()))


def _from_hub(announce: Announce) -> Path:
    return hub.fetch_file(VGG_REPO_ID, VGG_FILENAME, revision=VGG_REVISION)


def _from_torchvision(announce: Announce) -> Path:
    """Our converted copy of torchvision's VGG19 features: made once from torch hub's cached (or freshly
    downloaded) file."""
    target = converted_file()
    if target.is_file():
        return target
    with _lock:
        if target.is_file():  # another thread converted it meanwhile
            return target
        source = torch_hub_file()
        if not source.is_file():
            _download(source, announce)
        try:
            tensors = feature_tensors(read_state(source))
        except Exception as exc:  # torch.load raises many types (KeyError, UnpicklingError...) on a bad file
            raise ModelError(
                f"{source} could not be read ({str(exc).splitlines()[0]}); delete it to download it again"
            ) from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        write_features(tensors, target, "torchvision", TORCHVISION_SOURCE, converted_from=source.name)
        log.info("Converted %s into %s", source, target)
        return target


def _download(target: Path, announce: Announce) -> None:
    """torchvision's file through torch hub's download (hash checked, progress bar on stderr)."""
    where = f"not in torch's cache ({target.parent})"
    if hub.hub_offline():
        raise ModelError(f"{where} and downloads are off (HF_HUB_OFFLINE is set)")
    from torchvision.models import VGG19_Weights  # slow to import: only when a download is due

    url = VGG19_Weights.IMAGENET1K_V1.url
    if not hub.url_reachable(url):
        raise ModelError(f"{where} and {url} is unreachable")
    announce(f"{DOWNLOAD_NOTE} ({url})")
    target.parent.mkdir(parents=True, exist_ok=True)
    hash_prefix = re.search(r"-([a-f0-9]+)\.", target.name)
    try:
        torch.hub.download_url_to_file(
            url, str(target), hash_prefix.group(1) if hash_prefix else None, progress=True
        )
    except (OSError, RuntimeError) as exc:  # network errors, a full disk, a hash mismatch
        raise ModelError(f"{where}, and downloading {url} failed: {exc}") from exc
