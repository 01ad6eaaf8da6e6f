"""Train one fast (feed-forward) style network for one painting: Johnson et al.'s recipe on our VGG19.

    python -m training.train --style ../shared/styles/hokusai_great-wave.jpg --data ../shared/datasets \
        --steps 2000 --out runs/hokusai

Writes `OUT/previews/step-<n>.png` (held-out photos and their stylisations), `OUT/checkpoint-<n>/` (Hub
layout via save_pretrained plus `training_state.*` for `--resume`) and, at the end, `OUT/model/` with the
evaluation numbers in its model card. Every argument is checked before the first step; a non-empty OUT needs
`--resume` (continue) or `--force` (train anew beside what is there: only this run's checkpoints are pruned,
and `model/` is replaced whole, never left half-written).
Multi-GPU: `torchrun --nproc-per-node N -m training.train ...` (DistributedDataParallel; `--batch-size` is
per GPU).

Over ~350 lines for now: the argument checks, the distributed set-up and the loop share one settings object;
the next split moves the checks (beside the declared options) and the distributed set-up into their own
modules, as training/multistyle.py already is.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from PIL import Image
from safetensors.torch import load_file, save_file
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from nst.cards import RECORD_FILE, write_card
from nst.device import checked_device, enable_fast_math, pick_device
from nst.errors import ImageError, NSTError
from nst.images import image_to_tensor, load_image, save_png, tensor_to_image
from nst.losses import PerceptualLoss
from nst.settings import REPO_ROOT
from nst.transformer import VARIANTS, TransformerNet, build_transformer, load_checkpoint, save_checkpoint
from nst.vgg import LAYERS, load_encoder
from training.contact_sheet import image_grid
from training.data import InfiniteSampler, PhotoDataset, find_images
from training.evaluate import EvalResult, evaluate_fast
from training.folders import partial_for, swap_in

DEFAULT_HOLDOUT = REPO_ROOT.parent / "shared" / "photos"  # previews and evaluation, never trained on
STATE_TENSORS = "training_state.safetensors"
STATE_JSON = "training_state.json"
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


# --- set-up ------------------------------------------------------------------------------------------


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


def preview_sources(config: TrainConfig) -> tuple[list[Path], list[Path]]:
    """(training photos, preview photos): given preview photos, or 4 fixed ones held out from the data."""
    photos = find_images(config.data)
    if config.preview_photos:
        previews: list[Path] = []
        for path in config.preview_photos:
            previews += find_images(path)[:4] if path.is_dir() else [path]
        return photos, previews
    held_out = random.Random(config.seed).sample(photos, min(4, max(0, len(photos) - config.batch_size)))
    return [p for p in photos if p not in set(held_out)], held_out


def distributed() -> tuple[int, int, int]:
    """(rank, local rank, world size) under torchrun, else (0, 0, 1); initialises the process group."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 0, 1
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    return dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), world


# --- checkpoints -------------------------------------------------------------------------------------


def checkpoint_dirs(out: Path) -> list[Path]:
    """Complete checkpoints in `out`, oldest first."""
    return sorted(p.parent for p in out.glob(f"checkpoint-*/{STATE_JSON}"))


def save_training_checkpoint(
    config: TrainConfig, model: TransformerNet, optimizer: torch.optim.Optimizer, step: int, elapsed_s: float
) -> Path:
    """Write OUT/checkpoint-<step>/ atomically (Hub layout + fp32 weights, optimiser state and RNG)."""
    folder = config.out / f"checkpoint-{step:06d}"
    partial = partial_for(folder)
    save_checkpoint(model, partial)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    state = optimizer.state_dict()
    for index, values in state["state"].items():
        tensors.update({f"optim.{index}.{k}": v.cpu().contiguous() for k, v in values.items()})
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    save_file(tensors, str(partial / STATE_TENSORS))
    meta = {
        "step": step,
        "elapsed_s": elapsed_s,
        "param_groups": state["param_groups"],
        "config": config.as_json(),
    }
    (partial / STATE_JSON).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return swap_in(partial, folder)


def prune(own: list[Path], keep: int) -> None:
    """Delete all but the newest `keep` of this run's checkpoints (`own`, oldest first), nothing else."""
    while len(own) > keep:
        shutil.rmtree(own.pop(0), ignore_errors=True)


def resume_from(
    folders: list[Path], model: TransformerNet, optimizer: torch.optim.Optimizer
) -> tuple[int, float]:
    """Restore the newest readable checkpoint of `folders` (oldest first): a crash while one was written, or
    a damaged disk, falls back to the one before. An NSTError when none can be read."""
    for folder in reversed(folders):
        try:
            return load_training_checkpoint(folder, model, optimizer)
        except Exception as exc:  # safetensors, json, state-dict errors: all mean "unreadable"
            print(f"warning: {folder} is unreadable ({type(exc).__name__}); trying the one before",
                  file=sys.stderr)  # fmt: skip
    raise NSTError(f"--resume: no readable checkpoint in {folders[0].parent}")


def load_training_checkpoint(
    folder: Path, model: TransformerNet, optimizer: torch.optim.Optimizer
) -> tuple[int, float]:
    """Restore model, optimiser and RNG from a checkpoint folder; returns (step, seconds trained so far)."""
    tensors = load_file(str(folder / STATE_TENSORS))
    meta = json.loads((folder / STATE_JSON).read_text(encoding="utf-8"))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
    per_param: dict[int, dict[str, Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            per_param.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": per_param, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng.cpu"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return int(meta["step"]), float(meta.get("elapsed_s", 0.0))


def initialise(model: TransformerNet, folder: Path, variant: str) -> None:
    """Copy the weights of the checkpoint in `folder` (which must be of the same variant) into `model`."""
    try:
        model.load_state_dict(load_checkpoint(folder).state_dict(), strict=True)
    except RuntimeError as exc:
        raise NSTError(f"--init {folder} is not a network of the --variant {variant} architecture") from exc


# --- previews ----------------------------------------------------------------------------------------


def load_previews(paths: list[Path], size: int) -> list[Image.Image]:
    """The preview photos at `size` longest side (unreadable ones are left out)."""
    images = []
    for path in paths:
        with contextlib.suppress(NSTError):
            images.append(load_image(path, max_side=size))
    return images


@torch.no_grad()
def stylise_all(model: nn.Module, images: list[Image.Image], device: torch.device) -> list[Image.Image]:
    """The network's output for each image, one at a time (sizes differ)."""
    was_training = model.training
    model.eval()
    outputs = [tensor_to_image(model(image_to_tensor(image, device))) for image in images]
    model.train(was_training)
    return outputs


# --- training ----------------------------------------------------------------------------------------


def train(config: TrainConfig, on_progress: Callable[[Progress], None] | None = None) -> Path:
    """Run the training described by `config`; returns OUT/model (the final checkpoint folder)."""
    validate(config)
    existing = checkpoint_dirs(config.out) if config.resume else []  # the run being continued
    rank, local_rank, world = distributed()
    device = pick_device(f"cuda:{local_rank}" if world > 1 and torch.cuda.is_available() else config.device)
    enable_fast_math()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    main = rank == 0
    config.out.mkdir(parents=True, exist_ok=True)

    train_paths, preview_paths = preview_sources(config)
    dataset = PhotoDataset(train_paths, config.size, config.batch_size * world)
    previews = load_previews(preview_paths, config.preview_size)

    model = build_transformer(config.variant).to(device)
    memory = torch.channels_last if config.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    start, elapsed_before = 0, 0.0
    own = list(existing)  # checkpoints of this run, oldest first: the only ones pruned
    if existing:
        start, elapsed_before = resume_from(existing, model, optimizer)
    elif config.init is not None:
        initialise(model, config.init, config.variant)
    trained: nn.Module = model
    if world > 1:
        trained = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)

    encoder = load_encoder((*config.content_layers, *config.style_layers), device)
    if config.channels_last:
        encoder.channels_last()  # the encoder converts its inputs; the trained images stay contiguous
    loss_fn = PerceptualLoss(
        encoder,
        content_layers=config.content_layers,
        style_layers=config.style_layers,
        style_layer_weights=config.style_layer_weights,
        content_weight=config.content_weight,
        style_weight=config.style_weight,
        tv_weight=config.tv_weight,
    )
    style_size = config.style_size or round(1.25 * config.size)
    loss_fn.set_style([image_to_tensor(load_image(config.style, max_side=style_size), device)])

    sampler = InfiniteSampler(len(dataset), config.seed, rank, world, skip=start * config.batch_size)
    loader = DataLoader(
        dataset,
        batch_size=config.batch_size,
        sampler=sampler,
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=config.num_workers > 0,
    )
    dtype = PRECISIONS[config.precision]
    autocast = torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()
    scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16" and device.type == "cuda")

    if main and start == 0 and previews:
        save_png(image_grid([previews]), _preview_path(config, 0))
    sums: Tensor | None = None  # loss terms summed on the device since the last report (no per-step sync)
    window_images, window_steps = 0, 0
    data = iter(loader)  # endless: the sampler never runs out
    model.train()
    loop_started = window_started = time.perf_counter()
    step, elapsed, last = start, elapsed_before, start >= config.steps
    while not last:
        lr = lr_at(config, step, elapsed)
        for group in optimizer.param_groups:
            group["lr"] = lr
        photos = next(data).to(device, non_blocking=True).contiguous(memory_format=memory)
        targets = loss_fn.content_targets(photos)
        with autocast:
            terms = loss_fn(trained(photos), targets)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(terms["total"]).backward()
        scaler.step(optimizer)
        scaler.update()
        values = torch.stack([value.detach().float() for value in terms.values()])
        sums = values if sums is None else sums + values
        window_images += photos.shape[0] * world
        window_steps += 1

        step += 1
        elapsed = elapsed_before + time.perf_counter() - loop_started
        if config.minutes is not None:
            elapsed = _from_rank0(elapsed, device, world)
        last = step >= config.steps or (config.minutes is not None and elapsed >= 60 * config.minutes)
        if step % config.log_every == 0 or last:
            means = (sums / window_steps).tolist()  # waits for the device: the window's time is honest
            seconds = time.perf_counter() - window_started
            if main and on_progress:
                losses = dict(zip(terms, means, strict=True))
                on_progress(Progress(step, config.steps, losses, window_images / seconds, lr))
            sums, window_images, window_steps = None, 0, 0
            window_started = time.perf_counter()
        paused = time.perf_counter()
        if main and previews and (step % config.preview_every == 0 or last):
            save_png(
                image_grid([previews, stylise_all(model, previews, device)]), _preview_path(config, step)
            )
        if main and (step % config.checkpoint_every == 0 or last):
            folder = save_training_checkpoint(config, model, optimizer, step, elapsed)
            own = [*(p for p in own if p != folder), folder]
            prune(own, config.keep_checkpoints)
        window_started += time.perf_counter() - paused  # previews and checkpoints are not training time

    result = finish(config, model, preview_paths, device, step) if main else config.out / "model"
    if world > 1:
        dist.destroy_process_group()
    return result


def _from_rank0(value: float, device: torch.device, world: int) -> float:
    """`value` as rank 0 has it, so every rank takes the same learning rate and stopping decision."""
    if world == 1:
        return value
    shared = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(shared, 0)
    return float(shared)


def _preview_path(config: TrainConfig, step: int) -> Path:
    folder = config.out / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"step-{step:06d}.png"


def finish(
    config: TrainConfig, model: TransformerNet, photos: list[Path], device: torch.device, steps: int
) -> Path:
    """Write OUT/model/: the final network, its evaluation on the held-out photos and a model card (built
    beside and swapped in: an interrupted finish leaves the previous model/ whole)."""
    model.eval()
    evaluation: EvalResult | None = None
    if photos:
        evaluation = evaluate_fast(model, photos, config.style, size=config.eval_size, device=device)
    target = config.out / "model"
    folder = partial_for(target)
    folder.mkdir()
    record = {
        "variant": config.variant,
        "style_file": config.style.name,
        "steps": steps,
        "settings": config.as_json(),
        "evaluation": {"fast": dataclasses.asdict(evaluation)} if evaluation else {},
        "eval_photos": [p.name for p in photos],
    }
    (folder / RECORD_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_card(folder)  # first: the network's save keeps an existing README.md, so the card is written once
    save_checkpoint(model, folder)
    return swap_in(folder, target)


# --- command line ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """TrainConfig from the command line (defaults: Johnson et al. adapted to our VGG19 losses)."""
    d = TrainConfig(Path(), Path(), Path())
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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


def main(argv: list[str] | None = None) -> int:
    from nst.cli.progress import ProgressBar

    config = parse_args(argv)
    bar = ProgressBar()

    def report(p: Progress) -> None:
        terms = " ".join(f"{k} {v:.4g}" for k, v in p.losses.items())
        bar.update(p.step, p.total, f"{terms} | {p.images_per_s:.2f} img/s | lr {p.lr:.2e}")

    try:
        folder = train(config, report)
    except NSTError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    if os.environ.get("RANK", "0") == "0":  # torchrun: one message, not one per process
        print(f"model written to {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
