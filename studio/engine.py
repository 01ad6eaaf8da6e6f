"""The engine behind the web app: one per process, shared by every session, returning plain values.

The three operations have one shape, `op(photo, style, [stop, turn,] **values)`: `values` are the mode's
declared options by field name (nst.settings; hostile until checked against the declarations and this
hardware's limits), and fast, one short call, takes no Stop flag and no turn in the line. Uploads are
decoded only through nst.images. Every GPU call goes through one out-of-memory policy (`_shrinking`: free
the cache, retry smaller, say so) and the functions of studio.gpu. Long runs wait for their turn in a Gate
(studio.turns) and run under a deadline.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
from PIL import Image

from nst.device import pick_device
from nst.errors import ImageError, NSTError, PresetError
from nst.humanize import format_duration
from nst.images import load_image, resize_max_side
from nst.options import parse, parse_all
from nst.presets import MULTI_MODEL_ID, get_preset, list_presets, style_image_path
from nst.quality import QualityEvent, validate
from nst.recipe import Recipe
from nst.settings import DEFAULT_LIMITS, FastSettings, ImageLimits, QualitySettings
from nst.vgg_weights import download_pending, resolve_weights
from studio import gpu, text
from studio.duration import DurationModel
from studio.limits import (
    FAST_DEFAULT_SIZE,
    FAST_SIZES,
    MIN_OOM_SIDE,
    MIN_SIDE,
    OOM_SHRINK,
    PREVIEWS_PER_RUN,
    QUALITY_MAX_SIZE,
    QUALITY_MAX_STEPS,
    RUN_POLICY,
    STATUS_INTERVAL_S,
    THUMBNAIL_SIDE,
    thinned,
)
from studio.mixing import BLEND, preset_mix
from studio.models import PresetCard, bundled_model, model_on_disk
from studio.results import CompareUpdate, FastOutput, QualityUpdate
from studio.stops import StopFlag, StopRegistry
from studio.turns import Deadline, Gate, RunPolicy, Turn

PhotoInput = str | os.PathLike[str] | bytes | None  # what the UI hands over: an upload's path (or bytes)
ModelResolver = Callable[[str, torch.device, bool], str]  # preset id, device, frames -> model id or folder
T = TypeVar("T")


@dataclass(frozen=True)
class Styles:
    """The painting(s) of a quality run: each is (preset id, upload), an upload winning over its preset;
    with two, `blend` is the second one's share."""

    first: tuple[str | None, PhotoInput]
    second: tuple[str | None, PhotoInput] = (None, None)
    blend: object = 0.5


def _shrinking(attempt: Callable[[int], Iterator[T]], side: int) -> Iterator[tuple[T, str | None]]:
    """The one out-of-memory policy: run `attempt(side)`; after a CUDA out-of-memory error, free the cached
    memory and run it again with the longest side times OOM_SHRINK, with a note for the person, until the
    side would be too small to be worth it (then an NSTError)."""
    note: str | None = None
    while True:
        try:
            for item in attempt(side):
                yield item, note
            return
        except torch.OutOfMemoryError:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            smaller = int(side * OOM_SHRINK)
            if smaller < MIN_OOM_SIDE:
                raise NSTError(text.GPU_BUSY) from None
            side, note = smaller, text.smaller_note(side, smaller)


class Engine:
    """Everything the app does, as plain calls: `fast`, `quality` and `compare`, plus what the UI shows."""

    def __init__(
        self,
        device: str = "auto",
        *,
        resolve_model: ModelResolver = bundled_model,
        multi_model: str = MULTI_MODEL_ID,
        limits: ImageLimits = DEFAULT_LIMITS,
        policy: RunPolicy = RUN_POLICY,
    ) -> None:
        self.device = pick_device(device)
        self.kind = "cuda" if self.device.type == "cuda" else "cpu"
        self.limits = limits
        self.policy = policy
        self.gate = Gate(policy.waiting)
        self.stops = StopRegistry()
        self.durations = DurationModel(self.kind, policy)
        self._resolve_model = resolve_model
        self.multi_model = multi_model  # model id or folder of the multi-style network that mixes presets

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

    @functools.cached_property
    def can_mix(self) -> bool:
        """Whether presets can be mixed here without a download: the multi-style network is on disk (a
        folder that is not there answers no, as a missing bundled network does)."""
        try:
            return model_on_disk(self.multi_model)
        except NSTError:
            return False

    def model_for(self, preset_id: str, frames: bool = False) -> str:
        """The model id or checkpoint folder serving a preset on this engine's device, for stills or for
        video `frames` (Video and Live, where a faster variant may serve on a CPU)."""
        return self._resolve_model(preset_id, self.device, frames)

    def quality_defaults(self) -> QualitySettings:
        """The hardware's quality defaults: 512 px / 300 steps on a GPU, a run under 2 min on a CPU."""
        return QualitySettings.for_device(self.kind, device=str(self.device))

    def fast_defaults(self) -> FastSettings:
        return FastSettings(max_side=FAST_DEFAULT_SIZE[self.kind], device=str(self.device))

    def estimate(self, size: float, steps: float, coarse_to_fine: bool = False) -> float:
        """Expected seconds of a quality run of this size and length on this hardware."""
        settings = dataclasses.replace(
            self.quality_defaults(), size=int(size), steps=int(steps), coarse_to_fine=bool(coarse_to_fine)
        )
        return self.durations.estimate(settings)

    def admit(self, owners: Sequence[str] = ()) -> Turn:
        """A place in the line of long runs for a client known by `owners` (its session and address): an
        NSTError when it already has one, or when the line is full."""
        return self.gate.admit(owners)

    # --- a client's values, checked ----------------------------------------------------------------------

    def load_photo(self, photo: PhotoInput, max_side: int) -> Image.Image:
        """The uploaded photo as RGB, at most `max_side` px; ImageError with a plain message otherwise."""
        if photo is None or photo == "":
            raise ImageError(text.ADD_PHOTO)
        if isinstance(photo, str | os.PathLike) and not Path(photo).exists():
            raise ImageError(text.PHOTO_GONE)
        return load_image(photo, max_side=max_side, limits=self.limits)

    def painting(self, preset_id: str | None, upload: PhotoInput, max_side: int) -> Image.Image | None:
        """A style image: the uploaded painting if any, else the preset's painting, else None."""
        if upload is not None and upload != "":
            return load_image(upload, max_side=max_side, limits=self.limits)
        if not preset_id:
            return None
        return load_image(style_image_path(get_preset(preset_id)), max_side=max_side)

    def fast_settings(self, **values: Any) -> FastSettings:
        """Settings of a fast request from a client's values (None = the default), checked against the
        declarations and the output sizes this hardware offers."""
        chosen = {k: v for k, v in parse_all(FastSettings, values, web=True).items() if v is not None}
        settings = dataclasses.replace(self.fast_defaults(), **chosen)
        largest = max(FAST_SIZES[self.kind])
        side = settings.max_side
        if side is None or not MIN_SIDE <= side <= largest:
            raise NSTError(f"The output size must be between {MIN_SIDE} and {largest} px here (got {side}).")
        return settings

    def quality_settings(self, *, preset_id: str | None = None, **values: Any) -> QualitySettings:
        """Settings for a run from a client's values (None = the hardware default, or the preset's advice),
        refused with a plain message when they are outside what the declarations allow a public server, cannot
        run here, or are expected to take longer than the policy allows."""
        chosen = {k: v for k, v in parse_all(QualitySettings, values, web=True).items() if v is not None}
        advice = dict(get_preset(preset_id).quality) if preset_id else {}
        settings = QualitySettings.for_device(self.kind, **{**advice, **chosen, "device": str(self.device)})
        validate(settings, 1)
        if not MIN_SIDE <= settings.size <= QUALITY_MAX_SIZE[self.kind]:
            raise NSTError(
                f"The size must be between {MIN_SIDE} and {QUALITY_MAX_SIZE[self.kind]} px on this "
                f"{self.kind.upper()} (got {settings.size})."
            )
        if settings.steps > QUALITY_MAX_STEPS[self.kind]:
            raise NSTError(f"At most {QUALITY_MAX_STEPS[self.kind]} steps here (got {settings.steps}).")
        expected = self.durations.estimate(settings)
        if expected > self.policy.max_expected_s:
            raise NSTError(
                f"This run would take about {format_duration(expected)} here; the limit is "
                f"{format_duration(self.policy.max_expected_s)}. Lower the size or the number of steps."
            )
        return dataclasses.replace(settings, preview_every=max(1, round(settings.steps / PREVIEWS_PER_RUN)))

    def prepare_quality(self, styles: Styles, **values: Any) -> tuple[QualitySettings, list[Image.Image]]:
        """Settings (see quality_settings) and the style images of a run."""
        settings = self.quality_settings(**values)
        side = math.ceil(settings.size * settings.style_scale)
        images = [self.painting(*choice, side) for choice in (styles.first, styles.second)]
        found = [image for image in images if image is not None]
        if not found:
            raise NSTError(text.CHOOSE_PAINTING)
        if len(found) == 2:
            share = float(parse(BLEND, styles.blend))
            settings = dataclasses.replace(settings, style_blend=(1.0 - share, share))
        return settings, found

    # --- the operations ----------------------------------------------------------------------------------

    def fast(
        self, photo: PhotoInput, preset_id: str | None, second_preset: str | None = None, mix: object = 0.0,
        **values: Any,
    ) -> FastOutput:  # fmt: skip
        """Stylise the photo with a preset's network, its longest side at most `max_side` px; with a second
        preset and a `mix` share above 0, with the two presets mixed on the multi-style network."""
        preset = get_preset(_picked(preset_id))
        settings = self.fast_settings(**values)
        mixed = preset_mix(preset.id, second_preset, mix, lambda: self.can_mix)
        picture = self.load_photo(photo, settings.max_side or max(FAST_SIZES[self.kind]))
        model = self.model_for(mixed.single) if mixed.single else self.multi_model

        def attempt(side: int) -> Iterator[Any]:
            shrunk = resize_max_side(picture, side)
            yield gpu.fast_on_device(
                shrunk, model, settings.strength, settings.preserve_color, str(self.device),
                None if mixed.single else mixed,
            )  # fmt: skip

        result, note = next(_shrinking(attempt, max(picture.size)))
        presets = [get_preset(preset_id) for preset_id, _ in mixed.weights]
        paintings = [f"{p.artist}, {p.painting} ({p.year})" for p in presets]
        recipe = Recipe.of(
            "fast", settings, result.size, result.seconds, result.device, preset=mixed.single,
            model=result.model_id, painting=" + ".join(paintings),
            **({} if mixed.single else {"mix": mixed.as_recipe()}),
        )  # fmt: skip
        info = text.fast_info(mixed.weights, result.size, result.seconds, self.kind)
        return FastOutput(recipe.attach(result.image), info, recipe.as_dict(), note)

    def quality(
        self, photo: PhotoInput, styles: Styles, stop: StopFlag | None = None, turn: Turn | None = None,
        **values: Any,
    ) -> Iterator[QualityUpdate]:  # fmt: skip
        """Stream a quality run: a preview every few steps, step/ETA/loss in between (at most every
        STATUS_INTERVAL_S), and the final image (with its recipe) when done or stopped. Inputs are decoded
        first; then the run waits for its `turn` (one is taken when not given) and runs under a deadline
        that sets `stop`."""
        settings, paintings = self.prepare_quality(styles, **values)
        picture = self.load_photo(photo, settings.size)
        stop = stop or self.stops.loose()
        for waiting, announcement in _fetch_loss_network(settings.steps):
            yield QualityUpdate(None, waiting, announcement)
        with turn or self.admit() as place:
            place.wait(stop)
            with self._deadline(settings, stop) as deadline:

                def attempt(side: int) -> Iterator[QualityEvent]:
                    smaller = dataclasses.replace(settings, size=side)
                    events = gpu.quality_on_device(resize_max_side(picture, side), paintings, smaller, stop)
                    yield from thinned(events, lambda e: e.done or e.preview is not None, STATUS_INTERVAL_S)

                for event, note in _shrinking(attempt, settings.size):
                    if not event.done:
                        yield QualityUpdate(event.preview, event, note)
                        continue
                    if not event.stopped:
                        self.durations.learn(settings, event.step, event.elapsed)
                    elif deadline.expired:
                        note = text.deadline_note(deadline.seconds)
                    assert event.image is not None
                    yield QualityUpdate(Recipe.from_dict(event.recipe).attach(event.image), event, note)

    def compare(
        self, photo: PhotoInput, preset_id: str | None, stop: StopFlag | None = None,
        turn: Turn | None = None, **values: Any,
    ) -> Iterator[CompareUpdate]:  # fmt: skip
        """Fast and quality output of one photo and preset, streamed, then scored. The quality run uses the
        hardware defaults and the preset's advice (`values` override them). Inputs are decoded first, then
        the run waits for its `turn` and runs under a deadline, as in `quality`."""
        preset = get_preset(_picked(preset_id))
        settings = self.quality_settings(preset_id=preset.id, **values)
        painting_path = style_image_path(preset)
        picture = self.load_photo(photo, settings.size)
        settings = dataclasses.replace(settings, size=max(picture.size))  # both methods at the photo's size
        painting = load_image(painting_path, max_side=math.ceil(settings.size * settings.style_scale))
        model, stop = self.model_for(preset.id), stop or self.stops.loose()
        for waiting, announcement in _fetch_loss_network(settings.steps):
            yield CompareUpdate(None, None, waiting, note=announcement)
        with turn or self.admit() as place:
            place.wait(stop)
            with self._deadline(settings, stop) as deadline:

                def attempt(side: int) -> Iterator[CompareUpdate]:
                    smaller = dataclasses.replace(settings, size=side)
                    updates = gpu.compare_on_device(
                        resize_max_side(picture, side), painting, model, smaller, stop
                    )
                    yield from thinned(updates, _compare_milestone, STATUS_INTERVAL_S)

                for update, note in _shrinking(attempt, settings.size):
                    if update.rows and update.event is not None and update.event.stopped and deadline.expired:
                        note = text.deadline_note(deadline.seconds)
                    yield dataclasses.replace(update, note=note)

    def _deadline(self, settings: QualitySettings, stop: StopFlag) -> Deadline:
        """The timer that stops a run when it overruns its expected time by far (see RunPolicy)."""
        return Deadline(self.policy.deadline(self.durations.estimate(settings)), stop)


def _compare_milestone(update: CompareUpdate) -> bool:
    """An update that is always sent: the fast image, a new quality preview, the scores."""
    return update.event is None or update.quality is not None or bool(update.rows)


def _picked(preset_id: str | None) -> str:
    if not preset_id:
        raise PresetError(text.PICK_PAINTING)
    return preset_id


def _fetch_loss_network(steps: int) -> Iterator[tuple[QualityEvent, str]]:
    """Find the loss network before a run (here, not in a GPU worker); when that means a long first download,
    first yield a step-0 event with the note to show meanwhile."""
    pending = download_pending()
    if pending is not None:
        yield QualityEvent(0, steps, {}, 0.0, None), pending
    resolve_weights()
