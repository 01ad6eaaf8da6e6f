"""Quality-mode suite: seconds per L-BFGS step (CPU); 300-step runs and time to first preview (GPU)."""

from __future__ import annotations

import itertools
import math
import time

import torch
from PIL import Image

from benchmarks import BenchContext, Measurement, peak_rss_bytes
from nst.quality import run_quality
from nst.settings import QualitySettings

CPU_SIZES = (256,)
GPU_SIZES = (512, 1024)
GPU_STEPS = 300
CPU_STEPS = 10


def _square(size: int, seed: int) -> Image.Image:
    """A deterministic textured test image (a smooth gradient plus noise), so the suite needs no files."""
    g = torch.Generator().manual_seed(seed)
    base = torch.nn.functional.interpolate(
        torch.rand(1, 3, 8, 8, generator=g), size=(size, size), mode="bicubic"
    )
    pixels = (base + 0.1 * torch.rand(1, 3, size, size, generator=g)).clamp(0, 1)[0].permute(1, 2, 0)
    return Image.fromarray((pixels * 255).round().byte().numpy())


def _step_times(ctx: BenchContext, size: int, steps: int) -> tuple[list[float], float, float]:
    """Per-step durations of one run, the time to the first preview and the whole run's time."""
    settings = QualitySettings(size=size, steps=steps, device=str(ctx.device), preview_every=10)
    start = time.perf_counter()
    stamps, first_preview = [], float("nan")
    for event in run_quality(_square(size, 0), [_square(size, 1)], settings):
        if ctx.device.type == "cuda":
            torch.cuda.synchronize(ctx.device)
        stamps.append(time.perf_counter())
        if event.preview is not None and math.isnan(first_preview):
            first_preview = stamps[-1] - start
    durations = [b - a for a, b in itertools.pairwise(stamps)]
    return durations, first_preview, stamps[-1] - start


def run(ctx: BenchContext) -> list[Measurement]:
    rows: list[Measurement] = []
    if ctx.device.type == "cpu":
        for size in ctx.sizes or CPU_SIZES:
            for _ in range(ctx.warmup):
                _step_times(ctx, size, 3)
            per_step: list[float] = []
            for _ in range(ctx.repeats):
                per_step += _step_times(ctx, size, CPU_STEPS + 1)[0]
            rows.append(
                Measurement(
                    f"L-BFGS step, {size}×{size}, 5 style + 1 content layers",
                    per_step,
                    unit="s/step",
                    peak_mem_bytes=peak_rss_bytes(),
                    notes=f"{ctx.repeats}×{CPU_STEPS} steps; target ≤ 3.0 s",
                )
            )
        return rows
    for size in ctx.sizes or GPU_SIZES:
        for _ in range(ctx.warmup):
            _step_times(ctx, size, 5)
        torch.cuda.reset_peak_memory_stats(ctx.device)
        totals, previews = [], []
        for _ in range(ctx.repeats):
            _, first, total = _step_times(ctx, size, GPU_STEPS)
            totals.append(total)
            previews.append(first)
        previews.sort()
        rows.append(
            Measurement(
                f"{GPU_STEPS} L-BFGS steps, {size}×{size}",
                totals,
                peak_mem_bytes=torch.cuda.max_memory_allocated(ctx.device),
                notes=f"first preview after {previews[len(previews) // 2]:.2f} s (median)",
            )
        )
    return rows
