"""Benchmark suite `video`: video files end to end, and how much smoothing calms the flicker.

The clip is made here: a 640×360 camera pan across a photo (../shared/photos/tubingen.jpg, or a synthetic
picture without it) with a random ±5 % brightness jitter per frame and a sine tone, H.264 at 30 fps.

Rows: seconds per frame of `stylize_video` (decode + stylise + encode + mux, sound copied) for the CPU-fast
variant (and the standard one on a GPU; on a CPU the video variant too, untrained until its students are
bundled), with frames per second and each stage's share of the time; then the flicker ratio (mean
|out[t+1] - out[t]| over mean |in[t+1] - in[t]|, 1 = as steady as the input) with and without smoothing of
the normalisation statistics, over the bundled presets of the CPU-fast and (once bundled) video variants,
with Lai et al.'s warping error.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks import BenchContext, Measurement, peak_rss_bytes
from benchmarks.clips import write_clip
from nst.checkpoints import on_disk
from nst.fast import load_model
from nst.images import load_image, resize_max_side
from nst.presets import list_presets, model_id
from nst.settings import SHARED_DIR, VideoSettings
from nst.temporal import FrameStylizer, flicker_ratio, warped_error
from nst.transformer import build_transformer, save_checkpoint
from nst.video import stylize_video

SIZE = (640, 360)
FRAMES = 48
FPS = 30
JITTER = 0.05
PAN_PX = 4  # camera motion per frame
SHARP = {"crf": "18"}  # x264 near lossless: the stylisation is measured, not the encoder's artefacts


def _scene(width: int, height: int, frames: int) -> Image.Image:
    """The picture the camera pans across in `frames` steps: a real photo when ../shared has one."""
    photo = SHARED_DIR / "photos" / "tubingen.jpg"
    side = width + PAN_PX * frames
    if photo.is_file():
        image = load_image(photo)
        scale = max(side / image.width, height / image.height)
        return resize_max_side(image, round(max(image.size) * scale) + 1)
    rng = np.random.default_rng(0)
    coarse = rng.random((6, 12, 3)) * 255
    return Image.fromarray(coarse.astype(np.uint8)).resize((side, height), Image.Resampling.BICUBIC)


def clip_frames(size: tuple[int, int] = SIZE, frames: int = FRAMES) -> list[np.ndarray]:
    """The test clip's frames (uint8 HxWx3): a pan with brightness jitter."""
    width, height = size
    scene = np.asarray(_scene(width, height, frames), dtype=np.float32)
    rng = np.random.default_rng(1)
    top = (scene.shape[0] - height) // 2
    out = []
    for index in range(frames):
        left = index * PAN_PX
        crop = scene[top : top + height, left : left + width] * (1.0 + rng.uniform(-JITTER, JITTER))
        out.append(crop.clip(0, 255).astype(np.uint8))
    return out


def _end_to_end(ctx: BenchContext, clip: Path, model: str, label: str) -> Measurement:
    """Seconds per frame of the whole pipeline with `model` (id or folder), and each stage's share."""
    load_model(model, ctx.device)
    settings = VideoSettings(max_side=max(SIZE), device=str(ctx.device))
    per_frame, shares = [], []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(ctx.warmup + ctx.repeats):
            result = list(stylize_video(clip, Path(folder) / "out.mp4", model, settings))[-1].result
            assert result is not None and result.frames == FRAMES
            if run >= ctx.warmup:
                per_frame.append(result.seconds / result.frames)
                shares.append({stage: t / result.seconds for stage, t in result.timings.items()})
    share = {stage: statistics.median(s[stage] for s in shares) for stage in shares[0]}
    overhead = statistics.median(s["decode"] + s["encode"] for s in shares)
    fps = 1.0 / statistics.median(per_frame)
    return Measurement(
        f"video {SIZE[0]}×{SIZE[1]}, {label}, end to end",
        per_frame,
        unit="s/frame",
        peak_mem_bytes=peak_rss_bytes() if ctx.device.type == "cpu" else torch.cuda.max_memory_allocated(),
        notes=f"**{fps:.1f} fps** (target ≥ 15 on CPU); decode {share['decode']:.0%}, stylise "
        f"{share['stylise']:.0%}, encode {share['encode']:.0%}: decode+encode **{overhead:.0%}** "
        "(target ≤ 20 %); "
        f"{FRAMES} frames, sound copied",
    )


def _flicker(ctx: BenchContext, frames: list[np.ndarray], variant: str) -> list[Measurement]:
    """Flicker ratio and warping error per preset, smoothing on and off."""
    tensors = [torch.from_numpy(f).permute(2, 0, 1)[None].float().div(255).to(ctx.device) for f in frames]
    rows = []
    for smoothing in (True, False):
        ratios, warps, names = [], [], []
        for preset_id in available(variant):
            net = load_model(model_id(preset_id, variant), ctx.device)
            stylizer = FrameStylizer(net, VideoSettings(smoothing=smoothing))
            outputs = [
                stylizer(t)[0].mul(255).round().clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
                for t in tensors
            ]
            ratios.append(flicker_ratio(frames, outputs))
            warps.append(warped_error(frames, outputs))
            names.append(f"{preset_id} {ratios[-1]:.2f}")
        state = "on" if smoothing else "off"
        target = "; target ≤ 1.3" if smoothing else ""
        rows.append(
            Measurement(
                f"flicker ratio, {variant} variant, smoothing {state}",
                ratios,
                unit="ratio",
                notes=f"per preset: {', '.join(names)}; warping error (Lai et al., DIS flow) median "
                f"{statistics.median(warps):.4f}{target}",
            )
        )
    return rows


def _floor(ctx: BenchContext, frames: list[np.ndarray], variant: str) -> Measurement:
    """The flicker ratio of a video with no flicker at all: the panorama the camera pans across, stylised
    once, cut into the clip's frames. On a pan the ratio also counts painted texture sliding past, so this is
    the lowest a stylisation that keeps its contrast can score without softening it."""
    height, width = frames[0].shape[:2]
    scene = np.asarray(_scene(width, height, len(frames)))
    top = (scene.shape[0] - height) // 2
    strip = torch.from_numpy(scene[top : top + height, : width + PAN_PX * len(frames)].copy())
    ratios, names = [], []
    for preset_id in available(variant):
        net = load_model(model_id(preset_id, variant), ctx.device)
        with torch.inference_mode():
            painted = net(strip.permute(2, 0, 1)[None].float().div(255).to(ctx.device))[0]
        pixels = painted.mul(255).round().clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
        crops = [pixels[:, i * PAN_PX : i * PAN_PX + width] for i in range(len(frames))]
        ratios.append(flicker_ratio(frames, crops))
        names.append(f"{preset_id} {ratios[-1]:.2f}")
    return Measurement(
        f"flicker ratio floor (one stylised panorama, panned), {variant} variant",
        ratios,
        unit="ratio",
        notes=f"per preset: {', '.join(names)}",
    )


def available(variant: str) -> list[str]:
    """The presets whose `variant` network is on disk (the video variant's may not all be trained yet)."""
    return [preset.id for preset in list_presets() if on_disk(model_id(preset.id, variant))]


def run(ctx: BenchContext) -> list[Measurement]:
    frames = clip_frames()
    preset = list_presets()[0].id
    variants = ("cpu", "standard") if ctx.device.type == "cuda" else ("cpu",)
    video = available("video")
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "pan.mp4"
        write_clip(clip, frames, fps=FPS, options=SHARP)
        rows = [
            _end_to_end(ctx, clip, model_id(preset, variant), f"{variant} variant ({preset})")
            for variant in variants
        ]
        if ctx.device.type == "cpu" and video:  # what Video and Live use on a CPU once it is bundled
            rows.append(_end_to_end(ctx, clip, model_id(video[0], "video"), f"video variant ({video[0]})"))
        elif ctx.device.type == "cpu":  # no trained video network: its speed, untrained
            untrained = save_checkpoint(build_transformer("video"), Path(folder) / "video-net")
            rows.append(_end_to_end(ctx, clip, str(untrained), "video variant (random weights)"))
    for variant in ("cpu", "video") if video else ("cpu",):
        rows += _flicker(ctx, frames, variant)
        rows.append(_floor(ctx, frames, variant))
    return rows
