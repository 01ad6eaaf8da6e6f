"""What one single-style training run is: its settings (every one checked before the first step), the
learning-rate schedule and the progress report, apart from the loop in training/train.py that runs them.
The multi-style run (training/multistyle.py) reuses the report and the schedule's shape.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from nst.device import checked_device
from nst.errors import ImageError, NSTError
from nst.images import load_image
from nst.settings import SHARED_DIR
from nst.transformer import VARIANTS
from nst.vgg import LAYERS
from training.resume import checkpoint_dirs

DEFAULT_HOLDOUT = SHARED_DIR / "photos"  # previews and evaluation, never trained on
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class TrainConfig:
    """Every setting of a run (stored in checkpoints and the model card)."""

    style: Path
    data: Path
    out: Path
    size: int = 256
    batch_size: int = 4
    steps: int = 2000
    minutes: float | None = None  # wall-clock budget: training ends at whichever of steps/minutes comes first
    lr: float = 1e-3
    schedule: str = "cosine"  # "constant" | "cosine" | "linear" decay to lr * final_lr_fraction
    warmup: int = 0
    final_lr_fraction: float = 0.05
    content_weight: float = 1.0
    style_weight: float = 40.0
    tv_weight: float = 10.0
    content_layers: tuple[str, ...] = ("relu2_2",)  # Johnson et al.: keeps the photo's structure
    # relu5_1 (which the evaluation also scores) made short runs trade the photo for copied motifs
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    style_layer_weights: tuple[float, ...] | None = None
    variant: str = "standard"
    style_size: int | None = None  # the painting's longest side; None = 1.25 x size
    precision: str = "fp32"
    channels_last: bool = False
    seed: int = 0
    resume: bool = False
    force: bool = False  # train into a non-empty --out without resuming
    init: Path | None = None  # start from this checkpoint's weights (fine-tuning), fresh optimiser
    preview_photos: list[Path] = field(default_factory=list)
    preview_size: int = 256
    preview_every: int = 100
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    log_every: int = 10
    num_workers: int = 0
    threads: int = 0  # CPU threads for torch (0 = torch's default); 1 is faster on a busy shared machine
    device: str = "auto"
    eval_size: int = 256

    def as_json(self) -> dict[str, object]:
        """JSON-ready settings (paths as strings; `resume` is how a run started, not a setting)."""
        values = dataclasses.asdict(self)
        values.pop("resume")
        values.pop("force")
        return json.loads(json.dumps(values, default=str))


@dataclass(frozen=True)
class Progress:
    """One progress report: mean loss terms and throughput since the previous one."""

    step: int
    total: int
    losses: dict[str, float]
    images_per_s: float
    lr: float


def validate(config: TrainConfig) -> None:
    """Refuse settings that cannot run, with a message saying what is allowed: all of them before the first
    step, so a long run never fails at its end (the final evaluation, writing model/)."""
    weights = config.style_layer_weights
    checks = [
        (config.variant in VARIANTS, f"--variant must be one of {', '.join(VARIANTS)}"),
        (config.precision in PRECISIONS, f"--precision must be one of {', '.join(PRECISIONS)}"),
        (
            config.schedule in ("constant", "cosine", "linear"),
            "--schedule must be constant, cosine or linear",
        ),
        (config.size >= 32 and config.batch_size >= 1 and config.steps >= 1, "size >= 32, batch/steps >= 1"),
        (config.minutes is None or config.minutes >= 0, "--minutes must be at least 0 (0: one step)"),
        (config.lr >= 0 and config.warmup >= 0, "--lr and --warmup must be at least 0"),
        (0 <= config.final_lr_fraction <= 1, "--final-lr-fraction must be between 0 and 1"),
        (min(config.content_weight, config.style_weight, config.tv_weight) >= 0, "loss weights must be >= 0"),
        (config.style_size is None or config.style_size >= 32, "--style-size must be at least 32"),
        (min(config.preview_size, config.eval_size) >= 32, "--preview-size and --eval-size must be >= 32"),
        (
            min(config.preview_every, config.checkpoint_every, config.keep_checkpoints, config.log_every)
            >= 1,
            "--preview-every, --checkpoint-every, --keep-checkpoints and --log-every must be at least 1",
        ),
        (min(config.num_workers, config.threads) >= 0, "--num-workers and --threads must be at least 0"),
        (config.style.is_file(), f"style image {config.style} not found"),
        (all(n in LAYERS for n in (*config.content_layers, *config.style_layers)), f"layers: {LAYERS}"),
        (bool(config.content_layers and config.style_layers), "give at least one content and style layer"),
        (
            weights is None or (len(weights) == len(config.style_layers) and min(weights) >= 0),
            "--style-layer-weights: one weight >= 0 per style layer",
        ),
        (all(p.exists() for p in config.preview_photos), "a --preview-photos path does not exist"),
        (config.init is None or config.init.is_dir(), f"--init {config.init} is not a checkpoint folder"),
    ]
    for ok, message in checks:
        if not ok:
            raise NSTError(message)
    checked_device(config.device)
    try:
        load_image(config.style, max_side=64)
    except ImageError as exc:
        raise NSTError(f"style image {config.style}: {exc}") from None
    _check_out(config)


def _check_out(config: TrainConfig) -> None:
    """--out must be empty or new, unless the run resumes from it or --force trains beside its files."""
    if config.out.exists() and not config.out.is_dir():
        raise NSTError(f"--out {config.out} is a file, not a folder")
    if config.resume:
        if not checkpoint_dirs(config.out):
            raise NSTError(f"--resume: no checkpoint in {config.out}")
        return
    if config.out.is_dir() and any(config.out.iterdir()) and not config.force:
        raise NSTError(
            f"--out {config.out} is not empty: use --resume to continue its run, --force to train into it "
            "anyway (only this run's checkpoints are pruned), or another folder"
        )


def lr_at(config: TrainConfig, step: int, elapsed_s: float = 0.0) -> float:
    """Learning rate for optimiser step `step` (0-based): linear warm-up, then the chosen decay.

    With a time budget the decay follows whichever of steps or minutes is further used up, so a run that
    ends on the clock still ends at the schedule's floor.
    """
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    if config.minutes is not None:
        progress = min(1.0, max(progress, elapsed_s / (60 * config.minutes)))
    floor = config.final_lr_fraction
    if config.schedule == "cosine":
        return config.lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
    if config.schedule == "linear":
        return config.lr * (1 - (1 - floor) * progress)
    return config.lr


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """TrainConfig from the command line (defaults: Johnson et al. adapted to our VGG19 losses)."""
    d = TrainConfig(Path(), Path(), Path())
    p = argparse.ArgumentParser(description="Train one fast style network for one painting.")
    p.add_argument("--style", type=Path, required=True, help="the painting")
    p.add_argument(
        "--data", type=Path, required=True, help="folder of training photos (searched recursively)"
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (previews, checkpoints, model)")
    p.add_argument("--size", type=int, default=d.size, help="training crop side in px")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="photos per step (per GPU)")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--minutes", type=float, default=None, help="time budget (stops at it or --steps)")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    p.add_argument("--schedule", default=d.schedule, choices=["constant", "cosine", "linear"])
    p.add_argument("--warmup", type=int, default=d.warmup, help="linear warm-up steps")
    p.add_argument("--final-lr-fraction", type=float, default=d.final_lr_fraction)
    p.add_argument("--content-weight", type=float, default=d.content_weight)
    p.add_argument("--style-weight", type=float, default=d.style_weight)
    p.add_argument("--tv-weight", type=float, default=d.tv_weight)
    p.add_argument("--content-layers", nargs="+", default=list(d.content_layers), choices=LAYERS)
    p.add_argument("--style-layers", nargs="+", default=list(d.style_layers), choices=LAYERS)
    p.add_argument("--style-layer-weights", nargs="+", type=float, default=None)
    p.add_argument("--variant", default=d.variant, choices=list(VARIANTS))
    p.add_argument("--style-size", type=int, default=None, help="painting's longest side (1.25 x --size)")
    p.add_argument("--precision", default=d.precision, choices=list(PRECISIONS), help="autocast dtype")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    p.add_argument("--force", action="store_true", help="train into a non-empty --out without resuming")
    p.add_argument("--init", type=Path, default=None, help="start from this checkpoint folder's weights")
    p.add_argument("--preview-photos", nargs="*", type=Path, default=None, help="files or folders")
    p.add_argument("--preview-size", type=int, default=d.preview_size)
    p.add_argument("--preview-every", type=int, default=d.preview_every)
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    p.add_argument("--keep-checkpoints", type=int, default=d.keep_checkpoints)
    p.add_argument("--log-every", type=int, default=d.log_every)
    p.add_argument("--num-workers", type=int, default=d.num_workers, help="data-loading processes")
    p.add_argument("--threads", type=int, default=d.threads, help="CPU threads (0 = torch default)")
    p.add_argument("--device", default=d.device)
    p.add_argument("--eval-size", type=int, default=d.eval_size)
    args = vars(p.parse_args(argv))
    if args["preview_photos"] is None:
        args["preview_photos"] = [DEFAULT_HOLDOUT] if DEFAULT_HOLDOUT.is_dir() else []
    for key in ("content_layers", "style_layers", "style_layer_weights"):
        args[key] = tuple(args[key]) if args[key] is not None else None
    return TrainConfig(**args)
