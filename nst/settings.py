"""Every default of the library in one place: typed settings dataclasses and where files come from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nst.options import option

# --- Hugging Face Hub ---------------------------------------------------------------------------
HUB_ORG = "nst-studio"
VGG_REPO_ID = f"{HUB_ORG}/vgg19-caffe-features"
VGG_FILENAME = "vgg19-caffe-features.fp16.safetensors"
VGG_REVISION: str | None = None  # pin a commit sha here once the repo is published
HUB_PROBE_TIMEOUT_S = 1.5  # how long one reachability check of the Hub may take
# torchvision's ImageNet VGG19 (VGG19_Weights.IMAGENET1K_V1), the loss network's fallback: the file name torch
# hub caches it under (the URL's last part; tests check it against torchvision) and its size.
TORCHVISION_VGG_FILE = "vgg19-dcbb9e9d.pth"
TORCHVISION_VGG_MB = 548
HUB_PROBE_TTL_S = 60.0  # how long a reachability answer is trusted before the Hub is probed again
HUB_ETAG_TIMEOUT_S = 5.0  # a download's metadata request (it runs inside a web request)
HUB_DOWNLOAD_TIMEOUT_S = 10  # a download's read timeout (between bytes, not for the whole file)
HUB_REVISION_PATTERN = r"[0-9a-f]{40}"  # pinned revisions are full commit shas, never branch names

# --- environment variables --------------------------------------------------------------------------
ENV_VGG_WEIGHTS = "NST_VGG_WEIGHTS"  # path to the loss-network safetensors file
ENV_STYLES_DIR = "NST_STYLES_DIR"  # folder holding the presets' paintings
ENV_PHOTOS_DIR = "NST_PHOTOS_DIR"  # photos offered as examples in the app (default: examples/)
ENV_CACHE_DIR = "NST_CACHE_DIR"  # files made once on this machine (default: ~/.cache/nst-studio)
ENV_TRUSTED_PROXIES = "NST_TRUSTED_PROXIES"  # reverse proxies that append to X-Forwarded-For (app)

REPO_ROOT = Path(__file__).resolve().parent.parent
STYLES_ROOT = REPO_ROOT / "styles"  # bundled checkpoints and paintings, and the preset registry
EXAMPLES_DIR = REPO_ROOT / "examples"  # example photos that ship with the app (scripts/make_examples.py)


SHARED_DIR = Path(os.environ.get("NST_SHARED_DIR", REPO_ROOT.parent / "shared"))  # the development data
VGG_SHARED_PATH = Path("weights") / VGG_FILENAME


def use_local_data() -> None:
    """Point unset data variables at ../shared when it exists, so a checkout works offline as it is."""
    if not (SHARED_DIR / "weights").is_dir():
        return
    os.environ.setdefault(ENV_VGG_WEIGHTS, str(SHARED_DIR / VGG_SHARED_PATH))
    os.environ.setdefault(ENV_STYLES_DIR, str(SHARED_DIR / "styles"))


def cache_dir() -> Path:
    """Our folder in the user's cache: $NST_CACHE_DIR, else $XDG_CACHE_HOME/nst-studio, else ~/.cache/..."""
    explicit = env_path(ENV_CACHE_DIR)
    if explicit is not None:
        return explicit
    base = env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return base / "nst-studio"


def env_path(name: str) -> Path | None:
    """The path in environment variable `name`, or None when unset/empty."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


# --- image input ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImageLimits:
    """What an input image may be: checked before any pixel is decoded where possible."""

    max_pixels: int = 40_000_000  # decoded pixels; larger images are refused, not resized...
    max_draft_pixels: int = (
        260_000_000  # ...except JPEGs up to this, decoded at 1/2-1/8 scale into max_pixels
    )
    min_side: int = 16
    max_bytes: int = 50 * 1024 * 1024


DEFAULT_LIMITS = ImageLimits()

# --- quality (Gatys et al.) mode -----------------------------------------------------------------
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
DEFAULT_CONTENT_LAYERS = ("relu4_2",)
QUALITY_SIZE_LIMIT = 2048


@dataclass(frozen=True)
class QualitySettings:
    """One quality-mode run. `size` is the output's longest side (the photo is enlarged or shrunk to it);
    `steps` counts optimiser iterations. The options are declared here once (nst.options): the command line,
    the checks and the web app's widgets come from these declarations, in this order (the web API's)."""

    style_strength: float = option(
        1.0, "style strength (0 = the photo, 1 = recommended, more = stronger)", "Style strength",
        low=0.0, web=(0.0, 3.0), step=0.1, flag="--strength", api="strength",
    )  # fmt: skip
    steps: int = option(300, "optimiser steps (100 on a CPU)", "Steps", low=1, step=10)
    size: int = option(
        512, "longest side of the output (256 on a CPU)", "Size", unit="px", low=16, high=QUALITY_SIZE_LIMIT,
        step=32,
    )  # fmt: skip
    preserve_color: bool = option(
        False, "keep the photo's colours (luminance-only transfer)", "Keep my photo's colours", api="preserve"
    )
    style_layers: tuple[str, ...] = option(
        DEFAULT_STYLE_LAYERS, "loss-network layers whose Gram matrices make the style", "Style layers",
        kind="layers",
    )  # fmt: skip
    content_layers: tuple[str, ...] = option(
        DEFAULT_CONTENT_LAYERS, "loss-network layers that keep the photo's content", "Content layers",
        kind="layers",
    )  # fmt: skip
    tv_weight: float = option(
        1.0, "relative total-variation smoothing (0 = off)", "Smoothing", title="Smoothing (TV weight)",
        low=0.0, web=(0.0, 5.0), step=0.1,
    )  # fmt: skip
    optimizer: str = option(
        "lbfgs", "the optimiser", "Optimiser", choices=(("L-BFGS", "lbfgs"), ("Adam", "adam"))
    )
    init: str = option(
        "content", "what the optimisation starts from", "Starting image", title="Start from",
        choices=(("Photo", "content"), ("Noise", "noise")),
    )  # fmt: skip
    seed: int = option(0, "random seed (noise start, Adam)", "Seed", low=0, high=2**32 - 1)
    style_scale: float = option(
        1.0, "style image size relative to the content", "Style scale", low=0.1, high=4.0, web=(0.25, 2.0),
        step=0.05,
    )  # fmt: skip
    coarse_to_fine: bool = option(False, "run at half size first, then refine", "Coarse-to-fine")
    learning_rate: float | None = option(
        None, "learning rate (default: the optimiser's own)", "Learning rate", kind="number", low=0.0,
        flag="--lr", ui=False,
    )  # fmt: skip
    style_layer_weights: tuple[float, ...] | None = None  # None = equal
    style_blend: tuple[float, ...] | None = None  # weights of several style images; None = equal
    preview_every: int = 10
    device: str = "auto"

    @classmethod
    def for_device(cls, device_type: str, **overrides: object) -> QualitySettings:
        """Defaults that suit the hardware: GPUs get 512 px / 300 steps, CPUs a run under two minutes."""
        base = CPU_QUALITY if device_type == "cpu" else GPU_QUALITY
        return cls(**{**base, **overrides})  # type: ignore[arg-type]  # overrides are checked by name and type at the edges


GPU_QUALITY: dict[str, object] = {"size": 512, "steps": 300}
CPU_QUALITY: dict[str, object] = {"size": 256, "steps": 100, "preview_every": 5}
LEARNING_RATES = {"lbfgs": 1.0, "adam": 0.02}
STYLE_WEIGHT = 3e2  # base style weight at strength 1 (content weight 1); both terms are relative errors
TV_WEIGHT = 10.0  # base total-variation weight at tv_weight 1

# --- fast (feed-forward) mode ----------------------------------------------------------------------


BLENDS = (
    "pyramid",
    "oklab",
    "rgb",
)  # how strength < 1 mixes photo and style (nst.fast); the first is the default


@dataclass(frozen=True)
class FastSettings:
    """One fast-mode stylisation. `max_side` shrinks larger inputs (never enlarges)."""

    strength: float = option(
        1.0, "0 = the photo, 1 = full style", "Style strength", low=0.0, high=1.0, step=0.05
    )
    preserve_color: bool = option(
        False, "keep the photo's colours", "Keep my photo's colours", api="preserve"
    )
    max_side: int | None = option(
        None, "shrink inputs so their longest side is at most this", "Output size", title="Output size",
        unit="px", kind="whole", low=16, api="size",
    )  # fmt: skip
    blend: str = option(
        BLENDS[0], "how strength < 1 mixes photo and style", "Blend", choices=tuple((b, b) for b in BLENDS),
        ui=False,
    )  # fmt: skip
    tile_size: int = 1024  # images larger than this (either side) are processed in tiles
    tile_overlap: int = 64
    device: str = "auto"


MODEL_CACHE_SIZE = 8  # fast networks kept in memory


@dataclass(frozen=True)
class BenchSettings:
    """Benchmark harness: warm-up runs are discarded, the rest summarised by median/min/max."""

    warmup: int = 1
    repeats: int = 5
    output: Path = field(default_factory=lambda: REPO_ROOT / "docs" / "benchmarks.md")


MAX_VIDEO_SIDE = 2160  # the largest --max-side accepted

# --- video --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoLimits:
    """What an input video may be: checked on the container's header, and again while frames stream by."""

    max_bytes: int = 2 * 1024**3
    max_seconds: float = 3 * 3600.0
    max_pixels: int = 4096 * 2304  # per frame, as stored (4K UHD and DCI 4K fit)
    max_fps: float = 240.0


@dataclass(frozen=True)
class VideoSettings:
    """One video stylisation. Smoothing blends each frame's instance-norm statistics into a running average
    (`smoothing_keep` = the average's share) and the output with the previous one moved along the optical
    flow (`flow_blend` = its share, 0 = off); both start afresh at a scene cut (earth mover's distance of the
    colour histograms of consecutive frames at least `scene_cut`, see nst.temporal.scene_distance)."""

    strength: float = option(
        1.0, "0 = the video, 1 = full style", "Style strength", low=0.0, high=1.0, step=0.05
    )
    preserve_color: bool = option(
        False, "keep the video's colours", "Keep the video's colours", api="preserve"
    )
    max_side: int = option(
        720, f"longest side of the output in px (never enlarged; at most {MAX_VIDEO_SIDE})", "Output size",
        title="Output size (longest side)", unit="px", low=16, high=MAX_VIDEO_SIDE, api="size",
    )  # fmt: skip  # sides are then made even
    smoothing: bool = option(
        True, "carry statistics across frames (without: colours may flicker)", "Steady colours",
        title="Steady colours (no flicker)",
    )  # fmt: skip
    blend: str = option(
        BLENDS[0], "how strength < 1 mixes", "Blend", choices=tuple((b, b) for b in BLENDS), ui=False
    )
    smoothing_keep: float = 0.8
    # with smoothing: the previous output's share, carried along the optical flow (0.5 left a third more
    # warping error on a pan; above 0.8 textures soften: docs/benchmarks.md)
    flow_blend: float = 0.7
    scene_cut: float = 0.075
    crf: int = 20  # H.264 quality (lower = better, larger)
    x264_preset: str = "veryfast"
    device: str = "auto"


DEFAULT_VIDEO = VideoSettings()
DEFAULT_VIDEO_LIMITS = VideoLimits()
