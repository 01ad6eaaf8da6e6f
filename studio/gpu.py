"""The functions that touch the GPU, decorated with `spaces.GPU`: on a ZeroGPU Space they run in a forked
worker that holds a GPU for the declared seconds; everywhere else the decorator returns them unchanged.

They are module-level and take picklable arguments only (images, strings, settings, file-based Stop flags),
and the engine calls them through this module, so a test can replace one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import numpy as np
import spaces
import torch
from PIL import Image

from nst.blend import PresetMix, mixed_network
from nst.device import pick_device
from nst.fast import FastResult, load_model, stylize
from nst.memory import PeakMemory
from nst.metrics import Scorer
from nst.quality import QualityEvent, run_quality
from nst.settings import QualitySettings, VideoLimits, VideoSettings
from nst.temporal import FrameStylizer, SmoothingState
from nst.video import VideoProgress, stylize_video
from studio.duration import estimate_seconds
from studio.limits import GPU_FRAMES_PER_S
from studio.results import CompareRow, CompareUpdate
from studio.stops import StopFlag


def fast_gpu_seconds(photo: Image.Image, *_: object, **__: object) -> int:
    """ZeroGPU reservation of a fast request: loading the network, then a pass that grows with the picture
    (the other arguments of fast_on_device, which ZeroGPU passes on too, do not change it)."""
    return 15 + round(2.5 * photo.width * photo.height / 1e6)


@spaces.GPU(duration=fast_gpu_seconds)
def fast_on_device(
    photo: Image.Image,
    model: str,
    strength: float,
    preserve_color: bool,
    device: str,
    mix: PresetMix | None = None,
) -> FastResult:
    """One fast-mode pass (the photo is already at the output size); with a `mix`, `model` is the multi-style
    network and the pass runs on the mix exported from it (the export is made here, on the device)."""
    if mix is None:
        return stylize(photo, model, strength=strength, preserve_color=preserve_color, device=device)
    network = mixed_network(mix, device, model=model)
    result = stylize(photo, network, strength=strength, preserve_color=preserve_color, device=device)
    return dataclasses.replace(result, model_id=model)


def quality_gpu_seconds(
    photo: Image.Image, styles: list[Image.Image], settings: QualitySettings, stop: StopFlag
) -> int:
    """ZeroGPU reservation of a quality run: its GPU estimate with a margin."""
    return int(1.5 * estimate_seconds(settings, "cuda")) + 15


@spaces.GPU(duration=quality_gpu_seconds)
def quality_on_device(
    photo: Image.Image, styles: list[Image.Image], settings: QualitySettings, stop: StopFlag
) -> Iterator[QualityEvent]:
    """A quality run's events (see nst.quality.run_quality)."""
    yield from run_quality(photo, styles, settings, stop=stop)


def compare_gpu_seconds(
    photo: Image.Image, painting: Image.Image, model: str, settings: QualitySettings, stop: StopFlag
) -> int:
    """ZeroGPU reservation of a comparison: the quality run's plus the fast pass and the scoring."""
    return quality_gpu_seconds(photo, [painting], settings, stop) + 20


@spaces.GPU(duration=compare_gpu_seconds)
def compare_on_device(
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
        for event in run_quality(photo, [painting], settings, stop=stop):
            if not event.done:
                yield CompareUpdate(fast, event.preview, event)
    assert event is not None and event.image is not None
    scorer = Scorer(painting, max(photo.size), device)
    fast_scores, quality_scores = scorer.score(fast, photo), scorer.score(event.image, photo)
    steps = f"{event.step} steps" + (" (stopped)" if event.stopped else "")
    rows = (
        CompareRow("Fast (network)", fast_seconds, fast_memory.peak_bytes, **_terms(fast_scores)),
        CompareRow(f"Quality ({steps})", event.elapsed, quality_memory.peak_bytes, **_terms(quality_scores)),
    )
    yield CompareUpdate(fast, event.image, event, rows)


def _terms(scores: dict[str, float]) -> dict[str, float]:
    return {"content": scores["content"], "style": scores["style"], "ssim": scores["ssim"]}


def video_gpu_seconds(
    source: str, target: str, model: str, settings: VideoSettings, limits: VideoLimits, stop: StopFlag
) -> int:
    """ZeroGPU reservation of a video run: the longest clip the limits allow at GPU_FRAMES_PER_S."""
    return 30 + int(limits.max_seconds * limits.max_fps / GPU_FRAMES_PER_S)


@spaces.GPU(duration=video_gpu_seconds)
def video_on_device(
    source: str, target: str, model: str, settings: VideoSettings, limits: VideoLimits, stop: StopFlag
) -> Iterator[VideoProgress]:
    """A video run's progress events (see nst.video.stylize_video)."""
    yield from stylize_video(source, target, model, settings, limits=limits, stop=stop.is_set)


@spaces.GPU(duration=10)
def live_on_device(
    frame: np.ndarray, model: str, settings: VideoSettings, state: SmoothingState
) -> tuple[np.ndarray, SmoothingState]:
    """One webcam frame (HxWx3 uint8) stylised with the session's smoothing state; the state comes back."""
    net = load_model(model, settings.device)
    stylizer = FrameStylizer(net, settings, state)
    device = next(net.parameters()).device
    tensor = torch.from_numpy(frame).to(device).permute(2, 0, 1)[None].float().div_(255)
    styled = stylizer(tensor)[0].mul(255).round_().clamp_(0, 255).to(torch.uint8)
    return styled.permute(1, 2, 0).cpu().numpy(), stylizer.state
