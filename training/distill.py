"""Distil a trained (teacher) network into the CPU-fast architecture, one preset at a time.

    python -m training.distill --teacher training/state/presets-multi --preset hokusai \
        --data ../shared/datasets --out runs/distill/hokusai --minutes 30 --init styles/hokusai-cpu

The student learns to reproduce the teacher's output: L1 on the pixels plus a light relu2_2 feature term
(at half size). No Gram matrices and no deep VGG layers, so a step costs a fraction of a style-loss step; the
student inherits the teacher's look (motif scale, crisp structure) instead of rediscovering it from the
painting. The teacher paints each photo's crop once, into a cache the student then trains on for many epochs
(training/distill_cache.py; shared by the presets' runs, each preset's paintings in a file of its own).
The teacher is a multi-style state folder (with `--preset`) or any single-style checkpoint folder / model id.
Writes OUT/model/ (Hub layout, fp16) through a temporary folder and a rename.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from nst.device import enable_fast_math, pick_device
from nst.errors import NSTError, refusals_to_exit_status
from nst.fast import load_model
from nst.losses import relative_mse
from nst.settings import use_local_data
from nst.transformer import VARIANTS, TransformerNet, build_transformer, load_checkpoint, save_checkpoint
from nst.vgg import VGGEncoder, load_encoder
from training import distill_cache
from training.data import InfiniteSampler, find_images, usable_images
from training.folders import partial_for, swap_in

FEATURE_LAYER = "relu2_2"
FEATURE_SCALE = 0.5


@dataclass(frozen=True)
class DistillConfig:
    """Every setting of a distillation run."""

    teacher: str  # multi-style state folder, checkpoint folder or model id
    data: Path
    out: Path
    preset: str | None = None  # which style of a multi-style teacher
    init: Path | None = None  # start the student from this checkpoint (e.g. today's CPU-fast preset)
    variant: str = "cpu"
    size: int = 256
    batch_size: int = 4
    steps: int = 2000
    minutes: float | None = None
    lr: float = 5e-4
    feature_weight: float = 0.1
    threads: int = 0
    device: str = "auto"
    seed: int = 0
    log_every: int = 20
    cache: Path | None = None  # the teacher's paintings of the crops (default: OUT/../teacher-cache)

    @property
    def cache_folder(self) -> Path:
        return self.cache if self.cache is not None else self.out.parent / "teacher-cache"


@dataclass(frozen=True)
class DistillReport:
    step: int
    total: int
    l1: float
    feature: float
    images_per_s: float


def teacher_network(config: DistillConfig) -> TransformerNet:
    """The teacher as a single-style network (a multi-style one is exported for `--preset`)."""
    folder = Path(config.teacher)
    net = load_checkpoint(folder) if folder.is_dir() else load_model(config.teacher, "cpu")
    if not net.styles:
        if config.preset is not None:
            raise NSTError("--preset applies to a multi-style teacher only")
        return net
    if config.preset not in net.style_names:
        raise NSTError(f"--preset must be one of the teacher's styles: {', '.join(net.style_names)}")
    mix = F.one_hot(torch.tensor(net.style_names.index(config.preset)), net.styles).float()
    return net.export_style(mix)


def student_network(config: DistillConfig) -> TransformerNet:
    if config.variant not in VARIANTS:
        raise NSTError(f"--variant must be one of {', '.join(VARIANTS)}")
    student = build_transformer(config.variant)
    if config.init is not None:
        try:
            student.load_state_dict(load_checkpoint(config.init).state_dict(), strict=True)
        except RuntimeError as exc:
            raise NSTError(f"--init {config.init} is not a {config.variant} network") from exc
    return student


def distill(
    config: DistillConfig,
    on_report: Callable[[DistillReport], None] | None = None,
    on_cache: Callable[[int, int], None] | None = None,
) -> Path:
    """Train the student; returns OUT/model. The teacher first paints every photo's crop once (see
    training.distill_cache; `on_cache(done, total)` follows it), then the student learns from those."""
    if not (32 <= config.size <= 1024 and config.batch_size >= 1 and config.steps >= 1 and config.lr > 0):
        raise NSTError("--size 32..1024, --batch-size >= 1, --steps >= 1, --lr > 0")
    device = pick_device(config.device)
    enable_fast_math()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    teacher = teacher_network(config).to(device).eval().requires_grad_(False)
    student = student_network(config).to(device).train()
    photos = usable_images(find_images(config.data))
    if len(photos) < config.batch_size:
        raise NSTError(f"{len(photos)} readable training photo(s) found; a batch needs {config.batch_size}")
    pairs = distill_cache.pairs(
        config.cache_folder, photos, config.size, teacher, config.preset or "teacher", device, on_cache
    )
    del teacher  # its paintings are on disk now
    order = (index for index, _ in InfiniteSampler(len(pairs), config.seed))
    encoder = load_encoder((FEATURE_LAYER,), device)
    optimizer = torch.optim.Adam(student.parameters(), lr=config.lr)
    started = window = time.perf_counter()
    sums, count = torch.zeros(2), 0
    for step in range(1, config.steps + 1):
        batch, target = pairs.batch([next(order) for _ in range(config.batch_size)], device)
        with torch.no_grad():
            target_features = features(encoder, target)
        output = student(batch)
        l1 = (output - target).abs().mean()
        feature = relative_mse(features(encoder, output), target_features).mean()
        loss = l1 + config.feature_weight * feature
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        sums += torch.stack([l1.detach(), feature.detach()]).cpu()
        count += 1
        done = step == config.steps or (
            config.minutes is not None and time.perf_counter() - started >= 60 * config.minutes
        )
        if on_report and (step % config.log_every == 0 or done):
            rate = count * config.batch_size / (time.perf_counter() - window)
            l1_mean, feature_mean = (sums / count).tolist()
            on_report(DistillReport(step, config.steps, l1_mean, feature_mean, rate))
            sums, count, window = torch.zeros(2), 0, time.perf_counter()
        if done:
            break
    return write_model(student.eval(), config.out)


def features(encoder: VGGEncoder, images: Tensor) -> Tensor:
    """relu2_2 features of `images` shrunk by FEATURE_SCALE: a light term on mid-scale structure, at a quarter
    of the loss network's cost at full size (where it took three quarters of a step)."""
    small = F.interpolate(images, scale_factor=FEATURE_SCALE, mode="area")
    return encoder(small, (FEATURE_LAYER,))[FEATURE_LAYER]


def write_model(model: TransformerNet, out: Path) -> Path:
    """OUT/model, built beside it and swapped in: an interrupted write never leaves a broken model/."""
    folder = out / "model"
    partial = partial_for(folder)
    save_checkpoint(model, partial)
    return swap_in(partial, folder)


def parse_args(argv: list[str] | None = None) -> DistillConfig:
    d = DistillConfig("", Path(), Path())
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--teacher", required=True, help="multi-style state folder, checkpoint folder or model id")
    p.add_argument("--preset", default=None, help="the style to distil from a multi-style teacher")
    p.add_argument("--data", type=Path, required=True, help="folder of training photos (recursive)")
    p.add_argument("--out", type=Path, required=True, help="the student is written to OUT/model")
    p.add_argument("--init", type=Path, default=None, help="start the student from this checkpoint")
    p.add_argument("--variant", default=d.variant, choices=list(VARIANTS))
    p.add_argument("--size", type=int, default=d.size, help="crop side (photos' own scale)")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--minutes", type=float, default=None)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--feature-weight", type=float, default=d.feature_weight)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--device", default=d.device)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--log-every", type=int, default=d.log_every)
    p.add_argument("--cache", type=Path, default=None, help="default OUT/../teacher-cache")
    return DistillConfig(**vars(p.parse_args(argv)))


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    use_local_data()

    def report(r: DistillReport) -> None:
        print(
            f"step {r.step}/{r.total} l1 {r.l1:.4f} feature {r.feature:.4f} | {r.images_per_s:.2f} img/s",
            file=sys.stderr,
            flush=True,
        )

    def cache(done: int, total: int) -> None:
        if done == total or done % 400 < distill_cache.CHUNK:
            print(f"teacher painted {done}/{total} crops", file=sys.stderr, flush=True)

    folder = distill(parse_args(argv), report, cache)
    print(f"model written to {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
