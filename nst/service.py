"""The engine behind the web app: one per process, shared by every session, returning plain values.

It decodes uploads only through nst.images (bombs and non-images are refused from the header), guards request
sizes, runs fast, quality and compare requests on the process's device, lets each session stop its own runs
(nst.runs), and retries at a smaller size after a CUDA out-of-memory error. Networks and the loss network
load lazily on first use and stay cached (nst.fast.load_model, nst.vgg.load_encoder). The functions that
touch the GPU are module-level, take picklable arguments only and are decorated with `spaces.GPU`: ZeroGPU
Spaces run them in a forked worker; everywhere else the decorator returns them unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import platform
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spaces
import torch
from PIL import Image

import nst
from nst.checkpoints import CHECKPOINT_FILES, model_source
from nst.device import pick_device
from nst.errors import ImageError, NSTError, PresetError
from nst.fast import FastResult, stylize
from nst.hub import cached_file
from nst.images import RECIPE_KEY, load_image, resize_max_side
from nst.metrics import Scorer
from nst.presets import (
    Preset,
    bundled_folder,
    get_preset,
    list_presets,
    model_id,
    style_image_path,
)
from nst.quality import QualityEvent, run_quality, validate
from nst.runs import PeakMemory, StopFlag, StopRegistry, format_duration, thinned
from nst.serving import BLEND, FAST_STRENGTH, STRENGTH, STYLE_SCALE, TV_WEIGHT, Span, layer_list
from nst.settings import (
    DEFAULT_LIMITS,
    ENV_PHOTOS_DIR,
    EXAMPLES_DIR,
    ImageLimits,
    QualitySettings,
)
from nst.turns import Deadline, Gate, RunPolicy, Turn
from nst.vgg_weights import download_pending, resolve_weights

PhotoInput = str | os.PathLike[str] | bytes | None  # what the UI hands over: an upload's path (or bytes)
ModelResolver = Callable[[str, torch.device], str]  # preset id, device -> model id or checkpoint folder

# --- serving policy -------------------------------------------------------------------------------------
RUN_POLICY = RunPolicy()  # deadlines, the duration model's band, the waiting line of long runs
GPU_QUEUE = "gpu"  # concurrency id of quality and compare events; the engine's Gate runs one at a time
# Gradio workers for quality/compare events: the running one, those waiting in the Gate, and as many again
# to refuse extra requests at once (so they never sit in Gradio's queue, which fast requests share).
GPU_WORKERS = 2 * (RUN_POLICY.waiting + 1)
FAST_QUEUE = "fast"
FAST_CONCURRENCY = {"cpu": 1, "cuda": 4}  # simultaneous fast requests (CPU: one uses every core)
FAST_MAX_S = 60  # a generous bound on one fast request (1024 px on a busy CPU takes a few seconds)
QUEUE_SIZE = 32  # requests waiting beyond this are refused at once ("queue full") instead of timing out
# An upload must outlive the longest wait of the request that names it: a full fast queue, or a long run's
# wait for its turn (long runs decode their photo before they wait, so this is a second line of defence).
LONGEST_WAIT_S = int(QUEUE_SIZE * FAST_MAX_S + RUN_POLICY.longest_wait_s())
UPLOAD_LIFETIME_S = LONGEST_WAIT_S + 600
DELETE_CACHE = (600, UPLOAD_LIFETIME_S)  # every 10 min, delete Gradio's files older than that
MAX_UPLOAD_BYTES = DEFAULT_LIMITS.max_bytes

FAST_SIZES = {"cpu": (256, 512, 1024), "cuda": (512, 1024, 2048)}  # output size choices (longest side)
FAST_DEFAULT_SIZE = {"cpu": 512, "cuda": 1024}
QUALITY_MAX_SIZE = {"cpu": 512, "cuda": 1024}
QUALITY_MAX_STEPS = {"cpu": 300, "cuda": 1000}
MIN_SIDE = 64  # smallest output size offered
# Duration model of a quality run: overhead + steps x megapixels x rate, refined by every finished run.
SECONDS_PER_MEGAPIXEL_STEP = {"cpu": 14.0, "cuda": 0.12}
RUN_OVERHEAD_S = {"cpu": 4.0, "cuda": 3.0}
PREVIEWS_PER_RUN = 20  # previews streamed per quality run
STATUS_INTERVAL_S = 0.25  # step/ETA/loss updates between previews are sent at most this often
OOM_SHRINK = 0.7  # after a CUDA out-of-memory error, retry with the longest side times this
MIN_OOM_SIDE = 128
THUMBNAIL_SIDE = 320


# --- presets and models ---------------------------------------------------------------------------------


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


# --- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FastOutput:
    """A fast-mode result: the image (carrying its recipe as PNG text), a line for people, and the recipe."""

    image: Image.Image
    info: str
    recipe: dict[str, Any]
    note: str | None = None  # e.g. the out-of-memory retry


@dataclass(frozen=True)
class QualityUpdate:
    """One step of a quality run as the UI shows it; `image` is a new preview or the final image, or None."""

    image: Image.Image | None
    event: QualityEvent
    note: str | None = None


@dataclass(frozen=True)
class CompareRow:
    """One method's line of the comparison table."""

    method: str
    seconds: float
    peak_bytes: int | None  # GPU allocator peak, or resident-memory growth on a CPU; None if unknown
    content: float
    style: float
    ssim: float


@dataclass(frozen=True)
class CompareUpdate:
    """Progress of a comparison: the fast image first, then quality previews, then both scored."""

    fast: Image.Image | None  # None only while the loss network is being fetched (event.step 0, a note)
    quality: Image.Image | None
    event: QualityEvent | None
    rows: tuple[CompareRow, ...] = ()
    note: str | None = None


def with_recipe(image: Image.Image, recipe: dict[str, Any]) -> Image.Image:
    """`image` carrying `recipe` as PNG text (Gradio writes text info into the PNG files it serves)."""
    image.info[RECIPE_KEY] = json.dumps(recipe, default=str)
    return image


def _versions() -> dict[str, str]:
    return {"nst": nst.__version__, "torch": torch.__version__, "python": platform.python_version()}


# --- duration, memory, out-of-memory ----------------------------------------------------------------------


def _work_units(settings: QualitySettings) -> float:
    """Steps x megapixels of a run (square worst case); coarse-to-fine spends half its steps at a quarter."""
    megapixels = settings.size**2 / 1e6
    factor = 0.625 if settings.coarse_to_fine and settings.steps >= 2 else 1.0
    return settings.steps * megapixels * factor


def estimate_seconds(settings: QualitySettings, device_type: str, rate: float | None = None) -> float:
    """Expected duration of a quality run on `device_type` (the seconds per megapixel-step may be given)."""
    rate = SECONDS_PER_MEGAPIXEL_STEP[device_type] if rate is None else rate
    return RUN_OVERHEAD_S[device_type] + rate * _work_units(settings)


def _retry_side(side: int) -> tuple[int, str]:
    """After a CUDA out-of-memory error: free the cached memory and choose the longest side to retry at, with
    a note for the person; an NSTError when that would be too small to be worth it."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    smaller = int(side * OOM_SHRINK)
    if smaller < MIN_OOM_SIDE:
        raise NSTError(
            "The GPU is out of memory right now (it is busy with other work). Try again in a moment."
        )
    return smaller, f"The GPU ran out of memory at {side} px, so this result was made at {smaller} px."


# --- the GPU functions (module-level, picklable arguments: ZeroGPU runs them in a worker process) -------


def _fast_gpu_seconds(
    photo: Image.Image, model: str, strength: float, preserve_color: bool, device: str
) -> int:
    """ZeroGPU reservation of a fast request: loading the network, then a pass that grows with the picture."""
    return 15 + round(2.5 * photo.width * photo.height / 1e6)


@spaces.GPU(duration=_fast_gpu_seconds)
def _stylize_on_device(
    photo: Image.Image, model: str, strength: float, preserve_color: bool, device: str
) -> FastResult:
    """One fast-mode pass (the photo is already at the output size)."""
    return stylize(photo, model, strength=strength, preserve_color=preserve_color, device=device)


def _quality_gpu_seconds(
    photo: Image.Image, styles: list[Image.Image], settings: QualitySettings, stop: StopFlag
) -> int:
    """ZeroGPU reservation of a quality run: its GPU estimate with a margin."""
    return int(1.5 * estimate_seconds(settings, "cuda")) + 15


@spaces.GPU(duration=_quality_gpu_seconds)
def _quality_on_device(
    photo: Image.Image, styles: list[Image.Image], settings: QualitySettings, stop: StopFlag
) -> Iterator[QualityEvent]:
    """A quality run's events (see nst.quality.run_quality)."""
    yield from run_quality(photo, styles, settings, stop=stop)  # type: ignore[arg-type]  # StopFlag is an Event


def _compare_gpu_seconds(
    photo: Image.Image, painting: Image.Image, model: str, settings: QualitySettings, stop: StopFlag
) -> int:
    """ZeroGPU reservation of a comparison: the quality run's plus the fast pass and the scoring."""
    return _quality_gpu_seconds(photo, [painting], settings, stop) + 20


@spaces.GPU(duration=_compare_gpu_seconds)
def _compare_on_device(
    photo: Image.Image, painting: Image.Image, model: str, settings: QualitySettings, stop: StopFlag
) -> Iterator[CompareUpdate]:
    """Fast pass, then a quality run (streamed), then both scored with the fixed protocol of nst.metrics."""
    device = pick_device(settings.device)
    stylize(photo, model, device=device)  # warm-up: loading and kernel selection are not the method's time
    with PeakMemory(device) as fast_memory:
        started = time.perf_counter()
        fast = stylize(photo, model, device=device).image
        fast_seconds = time.perf_counter() - started
    yield CompareUpdate(fast, None, None)
    event: QualityEvent | None = None
    with PeakMemory(device) as quality_memory:
        for event in run_quality(photo, [painting], settings, stop=stop):  # type: ignore[arg-type]
            if not event.done:
                yield CompareUpdate(fast, event.preview, event)
    assert event is not None and event.image is not None
    scorer = Scorer(painting, max(photo.size), device)
    fast_scores, quality_scores = scorer.score(fast, photo), scorer.score(event.image, photo)
    steps = f"{event.step} steps" + (" (stopped)" if event.stopped else "")
    rows = (
        CompareRow("Fast (network)", fast_seconds, fast_memory.peak_bytes, **_terms(fast_scores)),
        CompareRow(
            f"Quality ({steps})",
            event.elapsed,
            quality_memory.peak_bytes,
            **_terms(quality_scores),
        ),
    )
    yield CompareUpdate(fast, event.image, event, rows)


def _terms(scores: dict[str, float]) -> dict[str, float]:
    return {"content": scores["content"], "style": scores["style"], "ssim": scores["ssim"]}


# --- the engine -----------------------------------------------------------------------------------------


class Engine:
    """Everything the app does, as plain calls: `fast`, `quality` and `compare`, plus what the UI shows."""

    def __init__(
        self,
        device: str = "auto",
        *,
        resolve_model: ModelResolver = bundled_model,
        limits: ImageLimits = DEFAULT_LIMITS,
        policy: RunPolicy = RUN_POLICY,
    ) -> None:
        self.device = pick_device(device)
        self.kind = "cuda" if self.device.type == "cuda" else "cpu"
        self.limits = limits
        self.policy = policy
        self.gate = Gate(policy.waiting)
        self.stops = StopRegistry()
        self._resolve_model = resolve_model
        self._rate = SECONDS_PER_MEGAPIXEL_STEP[self.kind]
        self._rate_lock = threading.Lock()

    # --- what the UI shows -------------------------------------------------------------------------------

    @functools.cached_property
    def presets(self) -> tuple[PresetCard, ...]:
        """The presets with their paintings (when available) and fast-mode readiness, looked up once."""
        cards = []
        for preset in list_presets():
            try:
                painting: Path | None = style_image_path(preset)
            except PresetError:
                painting = None
            cards.append(PresetCard(preset, painting, model_on_disk(self.model_for(preset.id))))
        return tuple(cards)

    def thumbnail(self, card: PresetCard) -> Image.Image | None:
        """A small copy of the card's painting for the preset gallery, or None when it is unavailable."""
        return None if card.painting is None else load_image(card.painting, max_side=THUMBNAIL_SIDE)

    def hardware(self) -> str:
        """The hardware in words, for the page: GPU name, or CPU and its threads."""
        if self.kind == "cuda":
            return f"GPU ({torch.cuda.get_device_name(self.device)})"
        return f"CPU ({torch.get_num_threads()} threads)"

    def model_for(self, preset_id: str) -> str:
        """The model id or checkpoint folder serving a preset on this engine's device."""
        return self._resolve_model(preset_id, self.device)

    def quality_defaults(self) -> QualitySettings:
        """The hardware's quality defaults: 512 px / 300 steps on a GPU, a run under 2 min on a CPU."""
        return QualitySettings.for_device(self.kind, device=str(self.device))

    def estimate(self, size: float, steps: float, coarse_to_fine: bool = False) -> float:
        """Expected seconds of a quality run of this size and length on this hardware."""
        settings = dataclasses.replace(
            self.quality_defaults(), size=int(size), steps=int(steps), coarse_to_fine=bool(coarse_to_fine)
        )
        with self._rate_lock:
            return estimate_seconds(settings, self.kind, self._rate)

    def _learn_rate(self, settings: QualitySettings, event: QualityEvent) -> None:
        """Refine the duration model from a finished run (moving average, overhead excluded, kept in the
        policy's band around the device's default)."""
        done = dataclasses.replace(settings, steps=max(1, event.step))
        measured = max(0.0, event.elapsed - RUN_OVERHEAD_S[self.kind]) / _work_units(done)
        default = SECONDS_PER_MEGAPIXEL_STEP[self.kind]
        with self._rate_lock:
            self._rate = self.policy.learned_rate(self._rate, measured, default, event.elapsed)

    def admit(self, owners: Sequence[str] = ()) -> Turn:
        """A place in the line of long runs for a client known by `owners` (its session and address): an
        NSTError when it already has one, or when the line is full."""
        return self.gate.admit(owners)

    def _deadline(self, settings: QualitySettings, stop: StopFlag) -> Deadline:
        """The timer that stops a run when it overruns its expected time by far (see RunPolicy)."""
        expected = self.estimate(settings.size, settings.steps, settings.coarse_to_fine)
        return Deadline(self.policy.deadline(expected), stop)

    def _deadline_note(self, deadline: Deadline) -> str:
        return (
            f"This run reached the server's time limit ({format_duration(deadline.seconds)}) and was "
            "stopped: here is its latest image. Try a smaller size or fewer steps."
        )

    # --- input normalisation -----------------------------------------------------------------------------

    def load_photo(self, photo: PhotoInput, max_side: int) -> Image.Image:
        """The uploaded photo as RGB, at most `max_side` px; ImageError with a plain message otherwise."""
        if photo is None or photo == "":
            raise ImageError("Add a photo first: upload one, paste it, or take one with your camera.")
        if isinstance(photo, str | os.PathLike) and not Path(photo).exists():
            raise ImageError(
                "This photo is no longer on the server (uploads are deleted after a while): add it again."
            )
        return load_image(photo, max_side=max_side, limits=self.limits)

    def painting(self, preset_id: str | None, upload: PhotoInput, max_side: int) -> Image.Image | None:
        """A style image: the uploaded painting if any, else the preset's painting, else None."""
        if upload is not None and upload != "":
            return load_image(upload, max_side=max_side, limits=self.limits)
        if not preset_id:
            return None
        return load_image(style_image_path(get_preset(preset_id)), max_side=max_side)

    def fast_size(self, size: float | None) -> int:
        """The requested fast output side, checked against what this hardware offers."""
        side = (
            FAST_DEFAULT_SIZE[self.kind]
            if size is None
            else int(_number(size, "The output size", whole=True))
        )
        largest = max(FAST_SIZES[self.kind])
        if not MIN_SIDE <= side <= largest:
            raise NSTError(f"The output size must be between {MIN_SIDE} and {largest} px here (got {side}).")
        return side

    def quality_settings(
        self,
        *,
        preset: Preset | None = None,
        size: float | None = None,
        steps: float | None = None,
        strength: float | None = None,
        preserve_color: bool | None = None,
        tv_weight: float | None = None,
        style_layers: Sequence[str] | None = None,
        content_layers: Sequence[str] | None = None,
        optimizer: str | None = None,
        init: str | None = None,
        seed: float | None = None,
        style_scale: float | None = None,
        coarse_to_fine: bool | None = None,
    ) -> QualitySettings:
        """Settings for a run from the UI's values (None = the hardware default, or the preset's advice),
        refused with a plain message when they are outside what the UI offers, cannot run, or are expected to
        take longer than the policy allows."""
        given = {
            "size": _maybe(size, "The size", whole=True),
            "steps": _maybe(steps, "The number of steps", whole=True),
            "style_strength": _maybe(strength, "The style strength", span=STRENGTH),
            "preserve_color": None if preserve_color is None else bool(preserve_color),
            "tv_weight": _maybe(tv_weight, "The smoothing", span=TV_WEIGHT),
            "style_layers": None if style_layers is None else layer_list(style_layers, "Style layers"),
            "content_layers": (
                None if content_layers is None else layer_list(content_layers, "Content layers")
            ),
            "optimizer": optimizer or None,
            "init": init or None,
            "seed": _maybe(seed, "The seed", whole=True),
            "style_scale": _maybe(style_scale, "The style scale", span=STYLE_SCALE),
            "coarse_to_fine": None if coarse_to_fine is None else bool(coarse_to_fine),
        }
        if seed is not None and not 0 <= given["seed"] < 2**32:  # type: ignore[operator]
            raise NSTError(f"The seed must be a whole number from 0 to {2**32 - 1}.")
        advice = dict(preset.quality) if preset is not None else {}
        chosen = {name: value for name, value in given.items() if value is not None}
        settings = QualitySettings.for_device(self.kind, **{**advice, **chosen, "device": str(self.device)})
        validate(settings, 1)
        if settings.size > QUALITY_MAX_SIZE[self.kind] or settings.size < MIN_SIDE:
            raise NSTError(
                f"The size must be between {MIN_SIDE} and {QUALITY_MAX_SIZE[self.kind]} px on this "
                f"{self.kind.upper()} (got {settings.size})."
            )
        if settings.steps > QUALITY_MAX_STEPS[self.kind]:
            raise NSTError(f"At most {QUALITY_MAX_STEPS[self.kind]} steps here (got {settings.steps}).")
        expected = self.estimate(settings.size, settings.steps, settings.coarse_to_fine)
        if expected > self.policy.max_expected_s:
            raise NSTError(
                f"This run would take about {format_duration(expected)} here; the limit is "
                f"{format_duration(self.policy.max_expected_s)}. Lower the size or the number of steps."
            )
        return dataclasses.replace(settings, preview_every=max(1, round(settings.steps / PREVIEWS_PER_RUN)))

    def prepare_quality(
        self,
        first: tuple[str | None, PhotoInput],
        second: tuple[str | None, PhotoInput] = (None, None),
        blend: float = 0.5,
        **values: Any,
    ) -> tuple[QualitySettings, list[Image.Image]]:
        """Settings (see quality_settings) and style images of a run: each style is (preset id, upload); an
        upload wins over its preset. With two styles, `blend` is the second one's share."""
        settings = self.quality_settings(**values)
        side = math.ceil(settings.size * settings.style_scale)
        styles = [
            image
            for image in (self.painting(*first, side), self.painting(*second, side))
            if image is not None
        ]
        if not styles:
            raise NSTError("Choose a painting, or upload your own.")
        if len(styles) == 2:
            share = BLEND.check(_number(blend, "The blend"), "The blend")
            settings = dataclasses.replace(settings, style_blend=(1.0 - share, share))
        return settings, styles

    # --- the operations ----------------------------------------------------------------------------------

    def fast(
        self,
        photo: PhotoInput,
        preset_id: str | None,
        strength: float = 1.0,
        preserve_color: bool = False,
        size: float | None = None,
    ) -> FastOutput:
        """Stylise the photo with a preset's network at `size` px (longest side)."""
        if not preset_id:
            raise PresetError("Pick a painting first.")
        preset = get_preset(preset_id)
        strength = FAST_STRENGTH.check(_number(strength, "The style strength"), "The style strength")
        picture = self.load_photo(photo, self.fast_size(size))
        model, note = self.model_for(preset.id), None
        while True:
            try:
                result = _stylize_on_device(picture, model, strength, bool(preserve_color), str(self.device))
                break
            except torch.OutOfMemoryError:
                smaller, note = _retry_side(max(picture.size))
                picture = resize_max_side(picture, smaller)
        recipe = {
            "mode": "fast",
            "preset": preset.id,
            "painting": f"{preset.artist}, {preset.painting} ({preset.year})",
            "model": result.model_id,
            "strength": strength,
            "preserve_color": bool(preserve_color),
            "output_size": list(result.size),
            "seconds": round(result.seconds, 3),
            "device": result.device,
            "versions": _versions(),
        }
        width, height = result.size
        info = (
            f"**{preset.name}** ({preset.artist}, {preset.year}) · {width}×{height} px · "
            f"{result.seconds:.2f} s on {self.kind.upper()}"
        )
        return FastOutput(with_recipe(result.image, recipe), info, recipe, note)

    def quality(
        self,
        photo: PhotoInput,
        styles: Sequence[Image.Image],
        settings: QualitySettings,
        stop: StopFlag,
        turn: Turn | None = None,
    ) -> Iterator[QualityUpdate]:
        """Stream a quality run: a preview every few steps, step/ETA/loss in between (at most every
        STATUS_INTERVAL_S), and the final image (with its recipe) when done or stopped.

        The photo is decoded first, then the run waits for its `turn` (one is taken when not given) and runs
        under a deadline that sets `stop`."""
        picture = self.load_photo(photo, settings.size)
        for waiting, announcement in _fetch_loss_network(settings.steps):
            yield QualityUpdate(None, waiting, announcement)
        with turn or self.admit() as place:
            place.wait(stop)
            with self._deadline(settings, stop) as deadline:
                yield from self._quality_run(picture, styles, settings, stop, deadline)

    def _quality_run(
        self,
        picture: Image.Image,
        styles: Sequence[Image.Image],
        settings: QualitySettings,
        stop: StopFlag,
        deadline: Deadline,
    ) -> Iterator[QualityUpdate]:
        note: str | None = None
        while True:
            try:
                events = _quality_on_device(picture, list(styles), settings, stop)
                for event in thinned(events, lambda e: e.done or e.preview is not None, STATUS_INTERVAL_S):
                    if not event.done:
                        yield QualityUpdate(event.preview, event, note)
                        continue
                    if not event.stopped:
                        self._learn_rate(settings, event)
                    elif deadline.expired:
                        note = self._deadline_note(deadline)
                    assert event.image is not None
                    yield QualityUpdate(with_recipe(event.image, event.recipe), event, note)
                return
            except torch.OutOfMemoryError:
                smaller, note = _retry_side(settings.size)
                settings = dataclasses.replace(settings, size=smaller)
                picture = resize_max_side(picture, smaller)

    def compare(
        self,
        photo: PhotoInput,
        preset_id: str | None,
        stop: StopFlag,
        turn: Turn | None = None,
        **values: Any,
    ) -> Iterator[CompareUpdate]:
        """Fast and quality output of one photo and preset, streamed, then scored. The quality run uses the
        hardware defaults and the preset's advice (`values` override them, see quality_settings). Inputs are
        decoded first, then the run waits for its `turn` and runs under a deadline, as in `quality`."""
        if not preset_id:
            raise PresetError("Pick a painting first.")
        preset = get_preset(preset_id)
        settings = self.quality_settings(preset=preset, **values)
        painting_path = style_image_path(preset)
        picture = self.load_photo(photo, settings.size)
        settings = dataclasses.replace(settings, size=max(picture.size))  # both methods at the photo's size
        painting = load_image(painting_path, max_side=math.ceil(settings.size * settings.style_scale))
        for waiting, announcement in _fetch_loss_network(settings.steps):
            yield CompareUpdate(None, None, waiting, note=announcement)
        with turn or self.admit() as place:
            place.wait(stop)
            with self._deadline(settings, stop) as deadline:
                for update in self._compare_run(picture, painting, preset.id, settings, stop):
                    if update.rows and update.event is not None and update.event.stopped and deadline.expired:
                        update = dataclasses.replace(update, note=self._deadline_note(deadline))
                    yield update

    def _compare_run(
        self, picture: Image.Image, painting: Image.Image, preset_id: str, settings: QualitySettings,
        stop: StopFlag,
    ) -> Iterator[CompareUpdate]:  # fmt: skip
        model, note = self.model_for(preset_id), None
        while True:
            try:
                updates = _compare_on_device(picture, painting, model, settings, stop)
                for update in thinned(
                    updates, lambda u: u.event is None or u.quality is not None or u.rows, STATUS_INTERVAL_S
                ):
                    yield dataclasses.replace(update, note=note)
                return
            except torch.OutOfMemoryError:
                smaller, note = _retry_side(settings.size)
                settings = dataclasses.replace(settings, size=smaller)
                picture = resize_max_side(picture, smaller)


def _fetch_loss_network(steps: int) -> Iterator[tuple[QualityEvent, str]]:
    """Find the loss network before a run (here, not in a GPU worker); when that means a long first download,
    first yield a step-0 event with the note to show meanwhile."""
    pending = download_pending()
    if pending is not None:
        yield QualityEvent(0, steps, {}, 0.0, None), pending
    resolve_weights()


def _number(value: object, what: str, *, whole: bool = False) -> float:
    """A value from the UI (or an API caller) as a finite number (rounded if `whole`), else an NSTError."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise NSTError(f"{what} must be a number (got {value!r}).")
    return round(number) if whole else number


def _maybe(value: object, what: str, *, whole: bool = False, span: Span | None = None) -> float | None:
    """_number (checked against `span` when given), letting None (= use the default) through."""
    if value is None:
        return None
    number = _number(value, what, whole=whole)
    return number if span is None else span.check(number, what)


def example_photos() -> list[Path]:
    """Photos for the examples: the JPEG/PNG files in $NST_PHOTOS_DIR, else those shipped in examples/."""
    folder = Path(os.environ.get(ENV_PHOTOS_DIR, "").strip() or EXAMPLES_DIR)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
