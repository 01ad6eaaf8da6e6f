"""Training suite: images per second of training/train.py's own loop, per network variant.

Runs `training.train.train` on generated photos and a generated painting (throughput does not depend on
what the pictures show) and reads the images/s it reports for each window of steps; windows include data
loading, so the figure is what a real run gets. CUDA: 256 px, batch 8, bf16, channels_last; CPU: batch 2.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks import BenchContext, Measurement, peak_rss_bytes
from training.train import Progress, TrainConfig, train

SIZE = 256
WINDOW_STEPS = {"cuda": 50, "cpu": 3}
BATCH = {"cuda": 8, "cpu": 2}
PHOTOS = 64


def _pictures(folder: Path, count: int, shape: tuple[int, int]) -> list[Path]:
    """`count` smooth random colour JPEGs of `shape` (width, height)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        base = Image.fromarray(rng.uniform(0, 255, size=(6, 8, 3)).astype(np.uint8))
        paths.append(folder / f"{index}.jpg")
        base.resize(shape, Image.Resampling.BICUBIC).save(paths[-1], quality=90)
    return paths


def run(ctx: BenchContext) -> list[Measurement]:
    """One row per variant: seconds per training image (median over windows), images/s in the notes."""

    kind = ctx.device.type
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        photos = root / "photos"
        _pictures(photos, PHOTOS, (342, 256))
        style = _pictures(root / "style", 1, (320, 256))[0]
        for variant in ("standard", "cpu"):
            reports: list[Progress] = []
            config = TrainConfig(
                style=style,
                data=photos,
                out=root / variant,
                size=SIZE,
                batch_size=BATCH[kind],
                steps=(ctx.warmup + ctx.repeats) * WINDOW_STEPS[kind],
                variant=variant,
                precision="bf16",
                channels_last=kind == "cuda",
                num_workers=4 if kind == "cuda" else 0,
                preview_every=10**9,
                checkpoint_every=10**9,
                log_every=WINDOW_STEPS[kind],
                device=str(ctx.device),
            )
            if kind == "cuda":
                torch.cuda.reset_peak_memory_stats(ctx.device)
            train(config, reports.append)
            rates = [r.images_per_s for r in reports[ctx.warmup :]]
            peak = torch.cuda.max_memory_allocated(ctx.device) if kind == "cuda" else peak_rss_bytes()
            median_rate = sorted(rates)[len(rates) // 2]
            layout = ", channels_last" if config.channels_last else ""
            rows.append(
                Measurement(
                    f"train {variant}, {SIZE}×{SIZE}, batch {config.batch_size}",
                    [1 / rate for rate in rates],
                    unit="s/image",
                    peak_mem_bytes=peak,
                    notes=f"{median_rate:.1f} images/s; bf16{layout}; "
                    f"windows of {WINDOW_STEPS[kind]} steps incl. data loading",
                )
            )
    return rows
