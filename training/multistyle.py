"""Train one network for all the presets: conditional instance norm (Dumoulin, Shlens & Kudlur 2017).

    python -m training.multistyle --data ../shared/datasets --out runs/multi --minutes 60 \
        --state training/state/presets-multi

Every convolution is shared; each style owns only the scale/shift rows of the instance norms. Each batch
holds every style in turn, so the shared weights learn from every photo while all presets train for about
the price of one. Crops are taken at the photos' own scale (`--size` 128 costs a quarter of 256 in the loss
network without shrinking the photo relative to the painting's motifs).

The run is meant to go on for many hours across interruptions and machines. `--state DIR` is the small
resumable state to commit: the newest weights (fp16, Hub layout) and `state.json` (step, images seen per
style, elapsed time, settings). It is written every `--state-every` minutes and at the end; a later run with
the same `--state` continues from it with fresh optimiser moments and a learning-rate warm-up.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader

from nst.device import enable_fast_math, pick_device
from nst.errors import NSTError, refusals_to_exit_status
from nst.images import image_to_tensor, load_image, save_png, tensor_to_image
from nst.losses import PerceptualLoss
from nst.presets import get_preset, list_presets, style_image_path
from nst.settings import use_local_data
from nst.transformer import VARIANTS, TransformerNet, load_checkpoint, save_checkpoint
from nst.vgg import LAYERS, load_encoder
from training.config import DEFAULT_HOLDOUT, Progress
from training.contact_sheet import image_grid
from training.data import InfiniteSampler, PhotoDataset, find_images
from training.folders import partial_for, swap_in
from training.previews import load_previews, preview_path
from training.schedule import cosine_lr, stop_on_signal

STATE_JSON = "state.json"


@dataclass
class MultiConfig:
    """Every setting of a multi-style run (stored in the state file)."""

    data: Path
    out: Path
    presets: tuple[str, ...] = ("van-gogh", "hokusai", "picasso", "kandinsky")
    state: Path | None = None  # the committed resumable state (fp16 weights + state.json)
    size: int = 128
    native_crops: bool = True
    batch_size: int = 4
    steps: int = 60_000  # the schedule's length: cosine decay over it, across restarts
    minutes: float | None = None  # this invocation's budget
    lr: float = 1e-3
    final_lr_fraction: float = 0.05
    warmup: int = 200  # steps of linear warm-up at every (re)start: fresh Adam moments
    content_weight: float = 1.0
    style_weights: tuple[float, ...] = (40.0,)  # one for all, or one per preset
    tv_weights: tuple[float, ...] = (10.0,)
    content_layers: tuple[str, ...] = ("relu2_2",)
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    style_size: int = 512
    variant: str = "standard"
    threads: int = 0
    device: str = "auto"
    seed: int = 0
    preview_photos: list[Path] = field(default_factory=list)
    preview_size: int = 256
    preview_every: int = 500
    state_every: float = 30.0  # minutes between state writes
    log_every: int = 20

    def per_style(self, values: tuple[float, ...], what: str) -> list[float]:
        if len(values) == 1:
            return list(values) * len(self.presets)
        if len(values) != len(self.presets):
            raise NSTError(f"give one {what} or one per preset ({len(self.presets)})")
        return list(values)

    def as_json(self) -> dict[str, object]:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))


@dataclass(frozen=True)
class Report(Progress):
    """A single-style run's progress report, plus how many crops each style has seen so far (the number
    the long run's notes quote: it is what Johnson et al.'s iterations are compared with)."""

    images_per_style: int = 0


def validate(config: MultiConfig) -> None:
    """Refuse settings that cannot run before anything is loaded."""
    known = {p.id for p in list_presets()}
    checks = [
        (all(p in known for p in config.presets), f"--presets must be among {', '.join(sorted(known))}"),
        (config.variant in VARIANTS, f"--variant must be one of {', '.join(VARIANTS)}"),
        (32 <= config.size <= 1024 and 1 <= config.batch_size <= 256, "--size 32..1024, --batch-size 1..256"),
        (config.steps >= 1 and config.lr > 0 and config.warmup >= 0, "--steps >= 1, --lr > 0, --warmup >= 0"),
        (64 <= config.style_size <= 2048, "--style-size 64..2048"),
        (config.minutes is None or config.minutes > 0, "--minutes must be positive"),
        (all(n in LAYERS for n in (*config.content_layers, *config.style_layers)), f"layers: {LAYERS}"),
        (config.data.is_dir(), f"--data {config.data} is not a folder"),
    ]
    for ok, message in checks:
        if not ok:
            raise NSTError(message)
    config.per_style(config.style_weights, "style weight")
    config.per_style(config.tv_weights, "TV weight")


def lr_at(config: MultiConfig, step: int, start: int) -> float:
    """Cosine decay over the whole schedule, with a linear warm-up after every (re)start."""
    return cosine_lr(config.lr, step, config.steps, start, config.warmup, config.final_lr_fraction)


def read_state(folder: Path | None) -> dict[str, Any] | None:
    """The state file's contents, or None when there is no state yet."""
    if folder is None or not (folder / STATE_JSON).is_file():
        return None
    try:
        return json.loads((folder / STATE_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NSTError(f"{folder / STATE_JSON} is unreadable ({exc})") from exc


def write_state(folder: Path, model: TransformerNet, record: dict[str, object]) -> None:
    """Weights (fp16, Hub layout) and state.json into `folder`, built beside it and swapped in."""
    partial = partial_for(folder)
    save_checkpoint(model, partial)
    (partial / STATE_JSON).write_text(json.dumps(record, indent=2), encoding="utf-8")
    swap_in(partial, folder)


def style_bank(config: MultiConfig, loss: PerceptualLoss, device: torch.device) -> None:
    """Gram targets of every preset's painting, in preset order."""
    images = []
    for preset in config.presets:
        painting = load_image(style_image_path(get_preset(preset)), max_side=config.style_size)
        images.append(image_to_tensor(painting, device))
    with torch.no_grad():
        loss.style.set_bank([loss.encoder(image, loss.style.layers) for image in images])


@torch.no_grad()
def preview(model: TransformerNet, photos: list[Image.Image], device: torch.device) -> Image.Image:
    """Photos in the first row, then one row per style."""
    model.eval()
    rows = [photos]
    for index in range(model.styles):
        mix = torch.nn.functional.one_hot(torch.tensor(index), model.styles).float()
        rows.append([tensor_to_image(model(image_to_tensor(p, device), mix=mix)) for p in photos])
    model.train()
    return image_grid(rows)


def network_from_state(config: MultiConfig, device: torch.device) -> tuple[TransformerNet, int, float]:
    """The network, continued from the committed state when there is one: (network, step, seconds trained)."""
    styles = len(config.presets)
    model = TransformerNet(**VARIANTS[config.variant], styles=styles, style_names=config.presets)
    state = read_state(config.state)
    if state is None or config.state is None:
        return model.to(device).train(), 0, 0.0
    if list(state.get("presets", [])) != list(config.presets) or state.get("variant") != config.variant:
        raise NSTError(f"{config.state} holds a run of other presets or another variant")
    model.load_state_dict(load_checkpoint(config.state).state_dict(), strict=True)
    return model.to(device).train(), int(state["step"]), float(state["elapsed_s"])


class Objective:
    """The perceptual loss of a batch whose images each have their own style: (content, style, TV) terms,
    weighted per image by its style's weights, and the painted batch they were measured on."""

    def __init__(self, config: MultiConfig, device: torch.device) -> None:
        encoder = load_encoder((*config.content_layers, *config.style_layers), device)
        self.loss = PerceptualLoss(
            encoder, content_layers=config.content_layers, style_layers=config.style_layers
        )
        style_bank(config, self.loss, device)
        self.content_weight = config.content_weight
        self.style_w = torch.tensor(config.per_style(config.style_weights, "style weight"), device=device)
        self.tv_w = torch.tensor(config.per_style(config.tv_weights, "TV weight"), device=device)

    def __call__(
        self, model: TransformerNet, batch: Tensor, ids: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        targets = self.loss.content_targets(batch)
        output = model(batch, mix=torch.nn.functional.one_hot(ids, len(self.style_w)).float())
        features = self.loss.encoder(output, self.loss.layers)
        content = self.content_weight * self.loss.content(features, targets)
        return (
            content,
            self.style_w[ids] * self.loss.style(features, ids),
            self.tv_w[ids] * self.loss.tv(output),
            output,
        )


def _steps(
    config: MultiConfig, model: TransformerNet, start: int, device: torch.device
) -> Iterator[tuple[int, float, Tensor]]:
    """Train from step `start` to the end of the schedule, one item per step: (steps done, the step's
    learning rate, its mean content, style, TV and total loss). Image i of step s has style (s·batch + i) mod
    the number of styles, so every batch holds every style in turn."""
    styles = len(config.presets)
    objective = Objective(config, device)
    dataset = PhotoDataset(
        find_images(config.data), config.size, config.batch_size, native=config.native_crops
    )
    sampler = InfiniteSampler(len(dataset), config.seed, skip=start * config.batch_size)
    data = iter(DataLoader(dataset, batch_size=config.batch_size, sampler=sampler))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    for step in range(start, config.steps):
        lr = lr_at(config, step, start)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = next(data).to(device)
        ids = ((torch.arange(batch.shape[0]) + step * batch.shape[0]) % styles).to(device)
        content, style, tv, _ = objective(model, batch, ids)
        total = (content + style + tv).mean()
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        yield (
            step + 1,
            lr,
            torch.stack([t.detach().mean().float().cpu() for t in (content, style, tv, total)]),
        )


def _record(config: MultiConfig, step: int, elapsed: float) -> dict[str, object]:
    """state.json: where the schedule stands, and the settings it runs with."""
    return {
        "step": step,
        "elapsed_s": round(elapsed, 1),
        "images_per_style": step * config.batch_size // len(config.presets),
        "presets": list(config.presets),
        "variant": config.variant,
        "settings": config.as_json(),
    }


def train(
    config: MultiConfig,
    on_report: Callable[[Report], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> TransformerNet:
    """Run (or continue) the multi-style training; returns the network (its state written to --state).

    `should_stop` is asked after every step; True ends the run there, state written, as a budget would."""
    validate(config)
    device = pick_device(config.device)
    enable_fast_math()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    config.out.mkdir(parents=True, exist_ok=True)
    model, start, elapsed_before = network_from_state(config, device)
    previews = load_previews(config.preview_photos, config.preview_size)
    started = last_state = window_start = time.perf_counter()
    sums, window_steps = torch.zeros(4), 0
    for step, lr, terms in _steps(config, model, start, device):
        sums, window_steps = sums + terms, window_steps + 1
        out_of_time = config.minutes is not None and time.perf_counter() - started >= 60 * config.minutes
        done = step >= config.steps or out_of_time or should_stop()
        if on_report and (step % config.log_every == 0 or done):
            means = dict(
                zip(("content", "style", "tv", "total"), (sums / window_steps).tolist(), strict=True)
            )
            rate = window_steps * config.batch_size / (time.perf_counter() - window_start)
            per_style = step * config.batch_size // len(config.presets)
            on_report(Report(step, config.steps, means, rate, lr, images_per_style=per_style))
        if step % config.log_every == 0 or done:
            sums, window_steps, window_start = torch.zeros(4), 0, time.perf_counter()
        if previews and (step % config.preview_every == 0 or done):
            save_png(preview(model, previews, device), preview_path(config.out, step))
        if config.state is not None and (done or time.perf_counter() - last_state >= 60 * config.state_every):
            write_state(
                config.state, model, _record(config, step, elapsed_before + time.perf_counter() - started)
            )
            last_state = time.perf_counter()
        if done:
            break
    return model.eval()


def parse_args(argv: list[str] | None = None) -> MultiConfig:
    d = MultiConfig(Path(), Path())
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="folder of training photos (recursive)")
    p.add_argument("--out", type=Path, required=True, help="previews go to OUT/previews")
    p.add_argument("--state", type=Path, default=None, help="resumable state folder (commit it)")
    p.add_argument("--presets", nargs="+", default=list(d.presets))
    p.add_argument("--size", type=int, default=d.size, help="crop side in px")
    p.add_argument("--resize-crops", action="store_true", help="crop 0.5-1x the short side and resize")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--steps", type=int, default=d.steps, help="schedule length in steps")
    p.add_argument("--minutes", type=float, default=None, help="this run's time budget")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--final-lr-fraction", type=float, default=d.final_lr_fraction)
    p.add_argument("--warmup", type=int, default=d.warmup)
    p.add_argument("--content-weight", type=float, default=d.content_weight)
    p.add_argument("--style-weights", nargs="+", type=float, default=list(d.style_weights))
    p.add_argument("--tv-weights", nargs="+", type=float, default=list(d.tv_weights))
    p.add_argument("--content-layers", nargs="+", default=list(d.content_layers), choices=LAYERS)
    p.add_argument("--style-layers", nargs="+", default=list(d.style_layers), choices=LAYERS)
    p.add_argument("--style-size", type=int, default=d.style_size, help="paintings' longest side")
    p.add_argument("--variant", default=d.variant, choices=list(VARIANTS))
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--device", default=d.device)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--preview-photos", nargs="*", type=Path, default=None)
    p.add_argument("--preview-every", type=int, default=d.preview_every)
    p.add_argument("--state-every", type=float, default=d.state_every, help="minutes between state writes")
    p.add_argument("--log-every", type=int, default=d.log_every)
    args = vars(p.parse_args(argv))
    args["native_crops"] = not args.pop("resize_crops")
    if args["preview_photos"] is None:
        args["preview_photos"] = sorted(find_images(DEFAULT_HOLDOUT)) if DEFAULT_HOLDOUT.is_dir() else []
    for key in ("presets", "style_weights", "tv_weights", "content_layers", "style_layers"):
        args[key] = tuple(args[key])
    return MultiConfig(**args)


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    use_local_data()
    config = parse_args(argv)

    def report(r: Report) -> None:
        terms = " ".join(f"{k} {v:.4g}" for k, v in r.losses.items())
        print(
            f"step {r.step}/{r.total} seen/style {r.images_per_style} {terms} "
            f"| {r.images_per_s:.2f} img/s | lr {r.lr:.2e}",
            file=sys.stderr,
            flush=True,
        )

    train(config, report, stop_on_signal())
    return 0


if __name__ == "__main__":
    sys.exit(main())
