"""Quality mode: Gatys et al. image optimisation, as a generator of progress events.

`run_quality(content, styles, settings, stop=...)` yields a `QualityEvent` after every optimiser step
(with a preview image every `preview_every` steps) and a final event carrying the image and its recipe.
Closing the generator or setting `stop` ends the run within one step and frees the device memory.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from nst.color import luminance, match_luminance_stats, transfer_luminance
from nst.device import enable_fast_math, pick_device
from nst.errors import NSTError
from nst.images import ImageSource, image_to_tensor, load_image, tensor_to_image
from nst.losses import PerceptualLoss
from nst.options import check
from nst.recipe import Recipe
from nst.settings import LEARNING_RATES, STYLE_WEIGHT, TV_WEIGHT, QualitySettings
from nst.vgg import load_encoder

COARSE_FRACTION = 0.5  # coarse-to-fine: first level's size relative to the final size


class StopSignal(Protocol):
    """Anything with `is_set()`: a threading.Event, or a flag another process can raise."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class QualityEvent:
    """Progress of a run. `losses` holds the weighted terms of the last step; the final event has `image`."""

    step: int
    total: int
    losses: dict[str, float]
    elapsed: float
    eta: float | None
    preview: Image.Image | None = None
    done: bool = False
    stopped: bool = False
    image: Image.Image | None = None
    recipe: dict[str, object] = field(default_factory=dict)


def validate(settings: QualitySettings, n_styles: int) -> None:
    """Refuse settings that cannot run, with a message that says what is allowed: every declared option
    against its declaration (nst.options), then what ties the settings to the style images."""
    if n_styles < 1:
        raise NSTError("Give at least one style image.")
    check(settings)
    if settings.style_blend is not None and len(settings.style_blend) != n_styles:
        raise NSTError(
            f"Give one blend weight per style image ({n_styles}), got {len(settings.style_blend)}."
        )


def _resize(image: Image.Image, longest: int) -> Image.Image:
    """Resize so the longest side is `longest` (up or down), keeping the aspect ratio."""
    scale = longest / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)


def _grey(image: Tensor) -> Tensor:
    """Luminance replicated to three channels: what a luminance-only transfer optimises."""
    return luminance(image).expand(-1, 3, -1, -1).contiguous()


def _level_sizes(settings: QualitySettings) -> list[tuple[int, int]]:
    """(longest side, steps) per pyramid level; coarse-to-fine spends half the steps at half size."""
    if not settings.coarse_to_fine or settings.steps < 2:
        return [(settings.size, settings.steps)]
    coarse = max(16, round(settings.size * COARSE_FRACTION))
    return [(coarse, settings.steps // 2), (settings.size, settings.steps - settings.steps // 2)]


def _upsample(image: Tensor, like: Tensor) -> Tensor:
    """Bicubic resize of `image` to `like`'s height and width (no-op when they match)."""
    if image.shape[-2:] == like.shape[-2:]:
        return image
    return F.interpolate(image, size=like.shape[-2:], mode="bicubic", align_corners=False).clamp(0, 1)


def _optimise(
    loss_fn: PerceptualLoss,
    x: Tensor,
    targets: dict[str, Tensor],
    settings: QualitySettings,
    steps: int,
    stop: StopSignal | None,
) -> Iterator[dict[str, Tensor]]:
    """Run up to `steps` optimiser iterations on `x` in place, yielding the loss terms after each."""
    lr = settings.learning_rate or LEARNING_RATES[settings.optimizer]
    optimizer: torch.optim.Optimizer
    if settings.optimizer == "adam":
        optimizer = torch.optim.Adam([x], lr=lr)
    else:
        optimizer = torch.optim.LBFGS([x], lr=lr, max_iter=1, history_size=50)
    terms: dict[str, Tensor] = {}

    def closure() -> Tensor:
        optimizer.zero_grad(set_to_none=True)
        terms.update(loss_fn(x, targets))
        terms["total"].backward()
        return terms["total"]

    for _ in range(steps):
        if stop is not None and stop.is_set():
            return
        optimizer.step(closure)
        with torch.no_grad():
            x.clamp_(0, 1)
        yield {name: value.detach() for name, value in terms.items()}


def run_quality(
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: QualitySettings | None = None,
    *,
    stop: StopSignal | None = None,
) -> Iterator[QualityEvent]:
    """Optimise an image to match `content`'s features and the (blended) styles' Gram matrices."""
    device = pick_device(settings.device if settings else "auto")
    settings = settings or QualitySettings.for_device(device.type)
    validate(settings, len(styles))
    enable_fast_math()
    content_image = load_image(content, max_side=settings.size)
    style_images = [load_image(style) for style in styles]
    started = time.perf_counter()
    loss_fn = _perceptual_loss(settings, device)
    torch.manual_seed(settings.seed)
    levels = _level_sizes(settings)
    photo_full = image_to_tensor(_resize(content_image, settings.size), device)

    def finish(x: Tensor) -> Image.Image:
        return tensor_to_image(transfer_luminance(x, photo_full) if settings.preserve_color else x)

    step, losses = 0, {}
    x: Tensor | None = None
    style_sizes: list[tuple[int, int]] = []
    try:
        for longest, level_steps in levels:
            photo, style_tensors = _level_inputs(content_image, style_images, longest, settings, device)
            style_sizes = [(t.shape[-1], t.shape[-2]) for t in style_tensors]
            loss_fn.set_style(style_tensors, settings.style_blend)
            targets = loss_fn.content_targets(photo)
            if x is None:
                start = photo if settings.init == "content" else torch.rand_like(photo)
            else:
                start = _upsample(x.detach(), photo)
            x = start.detach().clone().contiguous().requires_grad_(True)
            for terms in _optimise(loss_fn, x, targets, settings, level_steps, stop):
                step += 1
                losses = {name: float(value) for name, value in terms.items()}
                if step < settings.steps:
                    elapsed = time.perf_counter() - started
                    eta = elapsed / step * (settings.steps - step)
                    wants_preview = step == 1 or step % settings.preview_every == 0
                    preview = finish(_upsample(x.detach(), photo_full)) if wants_preview else None
                    yield QualityEvent(step, settings.steps, losses, elapsed, eta, preview=preview)
            if stop is not None and stop.is_set():
                break
        assert x is not None
        final = finish(_upsample(x.detach(), photo_full))  # upsampled if stopped during a coarse level
        elapsed = time.perf_counter() - started
        recipe = _recipe(settings, device, content_image.size, final.size, style_sizes, step, elapsed)
        # which VGG19 weights: the Caffe and torchvision ones paint differently
        recipe.details["loss_network"] = dict(loss_fn.encoder.identity)
        yield QualityEvent(
            step,
            settings.steps,
            losses,
            elapsed,
            0.0,
            preview=final,
            done=True,
            stopped=step < settings.steps,
            image=final,
            recipe=recipe.as_dict(),
        )
    finally:
        del x, loss_fn
        if device.type == "cuda":
            torch.cuda.empty_cache()


def _perceptual_loss(settings: QualitySettings, device: torch.device) -> PerceptualLoss:
    """The loss the image is optimised against, on a loss network with just the layers it uses."""
    encoder = load_encoder((*settings.style_layers, *settings.content_layers), device)
    return PerceptualLoss(
        encoder,
        content_layers=settings.content_layers,
        style_layers=settings.style_layers,
        style_layer_weights=settings.style_layer_weights,
        style_weight=STYLE_WEIGHT * settings.style_strength,
        tv_weight=TV_WEIGHT * settings.tv_weight,
    )


def _level_inputs(
    content_image: Image.Image,
    style_images: Sequence[Image.Image],
    longest: int,
    settings: QualitySettings,
    device: torch.device,
) -> tuple[Tensor, list[Tensor]]:
    """One pyramid level's photo and paintings as tensors. When the photo's colours are kept, both become
    grey and each painting's luminance is matched to the photo's: only texture and tone are transferred."""
    photo = image_to_tensor(_resize(content_image, longest), device)
    style_side = max(16, round(longest * settings.style_scale))
    paintings = [image_to_tensor(_resize(s, style_side), device) for s in style_images]
    if not settings.preserve_color:
        return photo, paintings
    photo_lum = luminance(photo)
    paintings = [
        match_luminance_stats(luminance(s), photo_lum).clamp(0, 1).expand(-1, 3, -1, -1) for s in paintings
    ]
    return _grey(photo), paintings


def _recipe(
    settings: QualitySettings,
    device: torch.device,
    content_size: tuple[int, int],
    output_size: tuple[int, int],
    style_sizes: list[tuple[int, int]],
    steps_done: int,
    seconds: float,
) -> Recipe:
    """Everything needed to reproduce (and credit) a result."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    return Recipe.of(
        "quality", settings, output_size, seconds, name, steps_done=steps_done,
        content_size=list(content_size), style_sizes=[list(s) for s in style_sizes],
    )  # fmt: skip
