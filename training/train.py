"""Train one fast (feed-forward) style network for one painting: Johnson et al.'s recipe on our VGG19.

    python -m training.train --style ../shared/styles/hokusai_great-wave.jpg --data ../shared/datasets \
        --steps 2000 --out runs/hokusai

Writes `OUT/previews/step-<n>.png` (held-out photos and their stylisations), `OUT/checkpoint-<n>/` (Hub
layout via save_pretrained plus `training_state.*` for `--resume`) and, at the end, `OUT/model/` with the
evaluation numbers in its model card. Every argument is checked before the first step (training/config.py);
a non-empty OUT needs `--resume` (continue) or `--force` (train anew beside what is there: only this run's
checkpoints are pruned, and `model/` is replaced whole, never left half-written; training/resume.py).
Multi-GPU: `torchrun --nproc-per-node N -m training.train ...` (DistributedDataParallel; `--batch-size` is
per GPU).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
import torch.distributed as dist
from PIL import Image
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from nst.cards import RECORD_FILE, write_card
from nst.device import enable_fast_math, pick_device
from nst.errors import refusals_to_exit_status
from nst.images import image_to_tensor, load_image, save_png
from nst.losses import PerceptualLoss
from nst.transformer import TransformerNet, build_transformer, save_checkpoint
from nst.vgg import load_encoder
from training.config import PRECISIONS, Progress, TrainConfig, lr_at, parse_args, validate
from training.contact_sheet import image_grid
from training.data import InfiniteSampler, PhotoDataset
from training.evaluate import EvalResult, evaluate_fast
from training.folders import partial_for, swap_in
from training.previews import load_previews, preview_path, preview_sources, stylise_all
from training.resume import checkpoint_dirs, initialise, prune, resume_from, save_training_checkpoint

__all__ = ["Progress", "TrainConfig", "main", "parse_args", "train"]  # the run's public face, in one place


def distributed() -> tuple[int, int, int]:
    """(rank, local rank, world size) under torchrun, else (0, 0, 1); initialises the process group."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 0, 1
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    return dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), world


@dataclasses.dataclass
class _Run:
    """One process's share of a run: what the loop reads, and the checkpoints it has written so far."""

    config: TrainConfig
    model: TransformerNet
    trained: nn.Module  # the model, wrapped in DistributedDataParallel when world > 1
    optimizer: torch.optim.Optimizer
    loss_fn: PerceptualLoss
    device: torch.device
    world: int
    main: bool  # rank 0: the one that reports, previews and saves
    previews: list[Image.Image]
    own: list[Path]  # this run's checkpoints, oldest first: the only ones pruned


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
    config.out.mkdir(parents=True, exist_ok=True)
    train_paths, preview_paths = preview_sources(
        config.data, config.preview_photos, config.seed, config.batch_size
    )
    model = build_transformer(config.variant).to(device).to(memory_format=_memory(config))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    start, elapsed_before = resume_from(existing, model, optimizer) if existing else (0, 0.0)
    if not existing and config.init is not None:
        initialise(model, config.init, config.variant)
    trained: nn.Module = model
    if world > 1:
        trained = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    previews = load_previews(preview_paths, config.preview_size)
    loss_fn = _loss(config, device)
    run = _Run(config, model, trained, optimizer, loss_fn, device, world, rank == 0, previews, list(existing))
    dataset = PhotoDataset(train_paths, config.size, config.batch_size * world)
    batches = _batches(config, dataset, rank, world, start, device)
    if run.main and start == 0 and previews:
        save_png(image_grid([previews]), preview_path(config.out, 0))
    step = _loop(run, batches, start, elapsed_before, on_progress)
    result = finish(config, model, preview_paths, device, step) if run.main else config.out / "model"
    if world > 1:
        dist.destroy_process_group()
    return result


def _memory(config: TrainConfig) -> torch.memory_format:
    return torch.channels_last if config.channels_last else torch.contiguous_format


def _loss(config: TrainConfig, device: torch.device) -> PerceptualLoss:
    """Johnson et al.'s perceptual loss on our VGG19, the painting's Gram targets already set."""
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
    return loss_fn


def _batches(
    config: TrainConfig, dataset: PhotoDataset, rank: int, world: int, start: int, device: torch.device
) -> Iterator[Tensor]:
    """Endless batches on the device, continuing where step `start` left the sampler (a resumed run sees
    the photos it had not yet seen)."""
    sampler = InfiniteSampler(len(dataset), config.seed, rank, world, skip=start * config.batch_size)
    loader = DataLoader(
        dataset,
        batch_size=config.batch_size,
        sampler=sampler,
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=config.num_workers > 0,
    )
    for photos in loader:
        yield photos.to(device, non_blocking=True).contiguous(memory_format=_memory(config))


def _loop(
    run: _Run,
    batches: Iterator[Tensor],
    start: int,
    elapsed_before: float,
    on_progress: Callable[[Progress], None] | None,
) -> int:
    """Optimise until --steps or --minutes; returns the last step. Loss terms are summed on the device and
    read once per report, so the loop never waits for the device in between."""
    config = run.config
    dtype = PRECISIONS[config.precision]
    autocast = torch.autocast(run.device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()
    scaler = torch.amp.GradScaler(
        run.device.type, enabled=config.precision == "fp16" and run.device.type == "cuda"
    )
    sums: Tensor | None = None
    window_images, window_steps = 0, 0
    run.model.train()
    loop_started = window_started = time.perf_counter()
    step, elapsed, last = start, elapsed_before, start >= config.steps
    while not last:
        lr = lr_at(config, step, elapsed)
        for group in run.optimizer.param_groups:
            group["lr"] = lr
        photos = next(batches)
        with autocast:
            terms = run.loss_fn(run.trained(photos), run.loss_fn.content_targets(photos))
        run.optimizer.zero_grad(set_to_none=True)
        scaler.scale(terms["total"]).backward()
        scaler.step(run.optimizer)
        scaler.update()
        values = torch.stack([value.detach().float() for value in terms.values()])
        sums = values if sums is None else sums + values
        window_images += photos.shape[0] * run.world
        window_steps += 1
        step += 1
        elapsed = elapsed_before + time.perf_counter() - loop_started
        if config.minutes is not None:
            elapsed = _from_rank0(elapsed, run.device, run.world)
        last = step >= config.steps or (config.minutes is not None and elapsed >= 60 * config.minutes)
        if step % config.log_every == 0 or last:
            means = (sums / window_steps).tolist()  # waits for the device: the window's time is honest
            if run.main and on_progress:
                rate = window_images / (time.perf_counter() - window_started)
                on_progress(Progress(step, config.steps, dict(zip(terms, means, strict=True)), rate, lr))
            sums, window_images, window_steps = None, 0, 0
            window_started = time.perf_counter()
        paused = time.perf_counter()
        _keep(run, step, elapsed, last)
        window_started += time.perf_counter() - paused  # previews and checkpoints are not training time
    return step


def _keep(run: _Run, step: int, elapsed: float, last: bool) -> None:
    """Rank 0's preview and checkpoint after `step`, when one is due."""
    config = run.config
    if not run.main:
        return
    if run.previews and (step % config.preview_every == 0 or last):
        outputs = stylise_all(run.model, run.previews, run.device)
        save_png(image_grid([run.previews, outputs]), preview_path(config.out, step))
    if step % config.checkpoint_every == 0 or last:
        folder = save_training_checkpoint(
            config.out, config.as_json(), run.model, run.optimizer, step, elapsed
        )
        run.own = [*(p for p in run.own if p != folder), folder]
        prune(run.own, config.keep_checkpoints)


def _from_rank0(value: float, device: torch.device, world: int) -> float:
    """`value` as rank 0 has it, so every rank takes the same learning rate and stopping decision."""
    if world == 1:
        return value
    shared = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(shared, 0)
    return float(shared)


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


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    from nst.cli.progress import ProgressBar

    config = parse_args(argv)
    bar = ProgressBar()

    def report(p: Progress) -> None:
        terms = " ".join(f"{k} {v:.4g}" for k, v in p.losses.items())
        bar.update(p.step, p.total, f"{terms} | {p.images_per_s:.2f} img/s | lr {p.lr:.2e}")

    try:
        folder = train(config, report)
    finally:
        bar.close()  # before the error line or the result, so neither lands inside the bar
    if os.environ.get("RANK", "0") == "0":  # torchrun: one message, not one per process
        print(f"model written to {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
