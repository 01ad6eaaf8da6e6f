"""Distil a trained (teacher) network into the CPU-fast architecture, one preset at a time.

    python -m training.distill --teacher training/state/presets-multi --preset hokusai \
        --data ../shared/datasets --out runs/distill/hokusai --minutes 30 --init styles/hokusai-cpu

The student learns to reproduce the teacher's output: L1 on the pixels plus a light relu2_2 feature term
(at half size). No Gram matrices and no deep VGG layers, so a step costs a fraction of a style-loss step; the
student inherits the teacher's look (motif scale, crisp structure) instead of rediscovering it from the
painting. The teacher paints each photo's crop once, into a cache the student then trains on for many epochs
(training/distill_cache.py; shared by the presets' runs, each preset's paintings in a file of its own).
The teacher is a multi-style state folder (with `--preset`) or any single-style checkpoint folder / model id.

A student takes hours on a CPU, so a run survives interruptions the way the long run does: OUT/model/ (Hub
layout, fp16, written through a temporary folder and a rename) and OUT/distill.json (step, seconds, what was
distilled from what) are written every `--save-every` minutes, at the end and on SIGTERM/SIGINT; the same
command continues from them (fresh optimiser moments, the learning rate warmed up again on its cosine). A
student of another teacher, preset, variant or crop size is not continued: start it with `--init` instead.
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

from nst.blend import export_preset
from nst.checkpoints import is_complete
from nst.device import enable_fast_math, pick_device
from nst.errors import NSTError, refusals_to_exit_status
from nst.fast import load_model
from nst.losses import relative_mse
from nst.settings import use_local_data
from nst.transformer import VARIANTS, TransformerNet, build_transformer, load_checkpoint, save_checkpoint
from nst.vgg import VGGEncoder, load_encoder
from training import distill_cache
from training.data import InfiniteSampler, find_images, spread, usable_images
from training.folders import partial_for, swap_in
from training.schedule import cosine_lr, stop_on_signal
from training.spectra import detail_spectrum, peak_share

FEATURE_LAYER = "relu2_2"
FEATURE_SCALE = 0.5
PROGRESS_FILE = "distill.json"


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
    photos: int = 0  # paint and learn from at most this many training photos, evenly spread (0: all)
    batch_size: int = 4
    steps: int = 2000
    minutes: float | None = None
    lr: float = 5e-4
    feature_weight: float = 0.1
    detail_weight: float = 0.0  # the detail-spectrum term (see detail_spectrum); 0 leaves it out
    peak_weight: float = 0.0  # the excess of the stripe measure over the teacher's (see peak_share)
    threads: int = 0
    device: str = "auto"
    seed: int = 0
    log_every: int = 20
    cache: Path | None = None  # the teacher's paintings of the crops (default: OUT/../teacher-cache)
    warmup: int = 50  # steps of linear warm-up at every (re)start
    final_lr_fraction: float = 0.05  # the cosine's floor
    save_every: float = 10.0  # minutes between writes of OUT/model and OUT/distill.json

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
    detail: float = 0.0
    peak: float = 0.0  # the student's stripe measure minus the teacher's, on the crops


def teacher_network(config: DistillConfig) -> TransformerNet:
    """The teacher as a single-style network (a multi-style one is exported for `--preset`)."""
    folder = Path(config.teacher)
    net = load_checkpoint(folder) if folder.is_dir() else load_model(config.teacher, "cpu")
    if not net.styles:
        if config.preset is not None:
            raise NSTError("--preset applies to a multi-style teacher only")
        return net
    if config.preset is None:
        raise NSTError(f"--preset is needed: the teacher holds {', '.join(net.style_names)}")
    return export_preset(net, config.preset)


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


def _identity(config: DistillConfig, teacher: TransformerNet) -> dict[str, object]:
    """What a student was distilled from and into: a run continues only a student with the same identity."""
    return {
        "teacher": distill_cache.fingerprint(teacher),
        "preset": config.preset,
        "variant": config.variant,
        "size": config.size,
    }


def _progress(
    config: DistillConfig, identity: dict[str, object], step: int, seconds: float
) -> dict[str, object]:
    """OUT/distill.json: the identity, how far the student is, and the recipe it was trained with (shipping
    checks the first two and copies the lot into the student's training record)."""
    recipe = {
        "steps": config.steps,
        "photos": config.photos,
        "lr": config.lr,
        "batch_size": config.batch_size,
        "feature_weight": config.feature_weight,
        "detail_weight": config.detail_weight,
        "peak_weight": config.peak_weight,
        "init": str(config.init) if config.init else None,
    }
    return {**identity, "step": step, "elapsed_s": round(seconds, 1), **recipe}


def resume_point(config: DistillConfig, identity: dict[str, object]) -> tuple[int, float] | None:
    """(step, seconds trained) of the student saved in OUT, or None when OUT holds none; an NSTError when
    OUT holds a student of something else."""
    progress = distill_cache.read_json(config.out / PROGRESS_FILE)
    if not progress or not is_complete(config.out / "model"):
        return None
    if {key: progress.get(key) for key in identity} != identity:
        raise NSTError(
            f"{config.out} holds a student of another teacher, preset, variant or crop size; give a new "
            f"--out (with --init {config.out / 'model'} to start from it)"
        )
    return int(str(progress["step"])), float(str(progress["elapsed_s"]))


def _student(config: DistillConfig, identity: dict[str, object]) -> tuple[TransformerNet, int, float]:
    """The student, continued from OUT when OUT holds one of the same identity: (student, step, seconds)."""
    resumed = resume_point(config, identity)
    student = student_network(config)
    if resumed is None:
        return student, 0, 0.0
    student.load_state_dict(load_checkpoint(config.out / "model").state_dict(), strict=True)
    return student, *resumed


def _painted_pairs(
    config: DistillConfig,
    teacher: TransformerNet,
    device: torch.device,
    on_cache: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool],
) -> distill_cache.PairCache:
    """Every training photo's crop and the teacher's painting of it (painted once, cached in chunks)."""
    photos = spread(usable_images(find_images(config.data)), config.photos)
    if len(photos) < config.batch_size:
        raise NSTError(f"{len(photos)} readable training photo(s) found; a batch needs {config.batch_size}")

    def painted(done: int, total: int) -> None:
        if on_cache is not None:
            on_cache(done, total)
        if should_stop() and done < total:  # each chunk is on disk by now: the next run continues from it
            raise NSTError(
                f"stopped while the teacher painted the crops ({done} of {total} kept for next time)"
            )

    preset = config.preset or "teacher"
    return distill_cache.pairs(config.cache_folder, photos, config.size, teacher, preset, device, painted)


def distill(
    config: DistillConfig,
    on_report: Callable[[DistillReport], None] | None = None,
    on_cache: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Path:
    """Train (or continue) the student; returns OUT/model. The teacher first paints every photo's crop once
    (see training.distill_cache; `on_cache(done, total)` follows it), then the student learns from those.
    `should_stop` is asked after every step; True ends the run there, the student saved."""
    if not (32 <= config.size <= 1024 and config.batch_size >= 1 and config.steps >= 1 and config.lr > 0):
        raise NSTError("--size 32..1024, --batch-size >= 1, --steps >= 1, --lr > 0")
    if config.photos < 0:
        raise NSTError("--photos must be >= 0 (0: every photo)")
    if min(config.feature_weight, config.detail_weight, config.peak_weight) < 0:
        raise NSTError("--feature-weight, --detail-weight and --peak-weight must be >= 0")
    device = pick_device(config.device)
    enable_fast_math()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    teacher = teacher_network(config).to(device).eval().requires_grad_(False)
    identity = _identity(config, teacher)
    student, start, elapsed_before = _student(config, identity)
    if start >= config.steps:
        return config.out / "model"  # finished before
    student = student.to(device).train()
    pairs = _painted_pairs(config, teacher, device, on_cache, should_stop)
    del teacher  # its paintings are on disk now
    order = (index for index, _ in InfiniteSampler(len(pairs), config.seed, skip=start * config.batch_size))
    encoder = load_encoder((FEATURE_LAYER,), device)
    optimizer = torch.optim.Adam(student.parameters(), lr=config.lr)
    started = window = last_save = time.perf_counter()
    sums, count = torch.zeros(4), 0
    for step in range(start + 1, config.steps + 1):
        lr = cosine_lr(config.lr, step - 1, config.steps, start, config.warmup, config.final_lr_fraction)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch, target = pairs.batch([next(order) for _ in range(config.batch_size)], device)
        sums += torch.tensor(_step(student, encoder, optimizer, batch, target, config))
        count += 1
        now = time.perf_counter()
        out_of_time = config.minutes is not None and now - started >= 60 * config.minutes
        done = step == config.steps or out_of_time or should_stop()
        if on_report and (step % config.log_every == 0 or done):
            l1_mean, feature_mean, detail_mean, peak_mean = (sums / count).tolist()
            rate = count * config.batch_size / (now - window)
            on_report(DistillReport(step, config.steps, l1_mean, feature_mean, rate, detail_mean, peak_mean))
            sums, count, window = torch.zeros(4), 0, now
        if done or now - last_save >= 60 * config.save_every:
            seconds = elapsed_before + now - started
            write_model(student, config.out, _progress(config, identity, step, seconds))
            last_save = now
        if done:
            break
    return config.out / "model"


def _step(
    student: TransformerNet,
    encoder: VGGEncoder,
    optimizer: torch.optim.Optimizer,
    batch: Tensor,
    target: Tensor,
    config: DistillConfig,
) -> tuple[float, float, float, float]:
    """One optimiser step on L1 + the relu2_2 feature error + the detail-spectrum error + the stripe
    measure's excess over the teacher's (each weighted as `config` says); returns the four terms (the last
    measured even when its weight is 0, to follow it)."""
    with torch.no_grad():
        target_features = features(encoder, target)
    output = student(batch)
    l1 = (output - target).abs().mean()
    feature = relative_mse(features(encoder, output), target_features).mean()
    loss = l1 + config.feature_weight * feature
    detail = torch.zeros(())
    if config.detail_weight:
        detail = (detail_spectrum(output) - detail_spectrum(target)).abs().mean()
        loss = loss + config.detail_weight * detail
    with torch.set_grad_enabled(config.peak_weight > 0):
        excess = peak_share(output) - peak_share(target)
    if config.peak_weight:
        loss = loss + config.peak_weight * excess.clamp_min(0).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return l1.item(), feature.item(), detail.item(), excess.mean().item()


def features(encoder: VGGEncoder, images: Tensor) -> Tensor:
    """relu2_2 features of `images` shrunk by FEATURE_SCALE: a light term on mid-scale structure, at a quarter
    of the loss network's cost at full size (where it took three quarters of a step)."""
    small = F.interpolate(images, scale_factor=FEATURE_SCALE, mode="area")
    return encoder(small, (FEATURE_LAYER,))[FEATURE_LAYER]


def write_model(model: TransformerNet, out: Path, progress: dict[str, object]) -> Path:
    """OUT/model, built beside it and swapped in (an interrupted write never leaves a broken model/), then
    OUT/distill.json (`progress`): a resumed run finds the two in step."""
    folder = out / "model"
    partial = partial_for(folder)
    save_checkpoint(model, partial)  # a copy in fp16: the student itself trains on unchanged
    swap_in(partial, folder)
    distill_cache.write_json(out / PROGRESS_FILE, progress)
    return folder


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
    p.add_argument("--photos", type=int, default=d.photos, help="at most this many photos (0: all)")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--minutes", type=float, default=None)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--feature-weight", type=float, default=d.feature_weight)
    p.add_argument(
        "--detail-weight", type=float, default=d.detail_weight, help="detail-spectrum term (e.g. 0.5)"
    )
    p.add_argument(
        "--peak-weight", type=float, default=d.peak_weight, help="stripe-measure excess term (e.g. 5)"
    )
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--device", default=d.device)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--log-every", type=int, default=d.log_every)
    p.add_argument("--cache", type=Path, default=None, help="default OUT/../teacher-cache")
    p.add_argument("--warmup", type=int, default=d.warmup, help="warm-up steps at every (re)start")
    p.add_argument("--save-every", type=float, default=d.save_every, help="minutes between saves")
    return DistillConfig(**vars(p.parse_args(argv)))


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    use_local_data()

    def report(r: DistillReport) -> None:
        print(
            f"step {r.step}/{r.total} l1 {r.l1:.4f} feature {r.feature:.4f} detail {r.detail:.4f} "
            f"peak excess {r.peak:+.4f} "
            f"| {r.images_per_s:.2f} img/s",
            file=sys.stderr,
            flush=True,
        )

    def cache(done: int, total: int) -> None:
        if done == total or done % 400 < distill_cache.CHUNK:
            print(f"teacher painted {done}/{total} crops", file=sys.stderr, flush=True)

    folder = distill(parse_args(argv), report, cache, stop_on_signal())
    print(f"model written to {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
