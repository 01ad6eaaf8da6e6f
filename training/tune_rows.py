"""Fine-tune one preset's rows of the multi-style network, everything else frozen.

    python -m training.tune_rows --state training/state/presets-multi --preset kandinsky \
        --data ../shared/datasets/photos256 --out runs/tune-kandinsky --size 256 --steps 300 --peak-weight 10

Each style of the multi-style network (training.multistyle) owns only the scale/shift rows of its
conditional instance norms. Training those rows of one preset, with every convolution and the other
presets' rows frozen, changes that preset's export and nothing else: the other exports keep their
fingerprints, so their distilled students stay valid (training.ship_multi checks them). The loss is the
run's own perceptual loss for that painting (its weights from the state's settings), plus `--peak-weight`
times the output's stripe measure (training.spectra.peak_share): a teacher whose held-out stripes are above
the bar can be moved toward it without retraining the rest.

OUT/state is the whole network in the state layout (fp16 weights, state.json with a `tuned` record); copy it
over the committed state once it has been checked (training.vs_johnson, training.evaluate), then redistil
the preset's students.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from nst.device import enable_fast_math, pick_device
from nst.errors import NSTError, refusals_to_exit_status
from nst.settings import use_local_data
from nst.transformer import InstanceNorm
from training.data import InfiniteSampler, PhotoDataset, find_images
from training.multistyle import MultiConfig, Objective, network_from_state, read_state, write_state
from training.schedule import cosine_lr
from training.spectra import peak_share


@dataclass(frozen=True)
class TuneConfig:
    """Every setting of a row fine-tune."""

    state: Path  # the multi-style run's committed state (read only)
    preset: str
    data: Path
    out: Path  # OUT/state is written
    size: int = 256
    batch_size: int = 4
    steps: int = 300
    lr: float = 1e-4
    warmup: int = 20
    peak_weight: float = 0.0
    threads: int = 0
    device: str = "auto"
    seed: int = 0
    log_every: int = 10


def _run_config(config: TuneConfig, state: dict[str, Any]) -> MultiConfig:
    """The multi-style run's loss settings (from its state.json), at this fine-tune's crop size."""
    settings = state.get("settings")
    if not isinstance(settings, dict):
        raise NSTError(f"{config.state} has no settings in its state.json")
    presets = tuple(str(p) for p in settings["presets"])
    if config.preset not in presets:
        raise NSTError(f"{config.state} has no preset {config.preset!r} (it has {', '.join(presets)})")
    return MultiConfig(
        config.data, config.out, presets=presets, state=config.state, size=config.size,
        batch_size=config.batch_size, variant=str(settings["variant"]),
        content_weight=float(settings["content_weight"]),
        style_weights=tuple(float(w) for w in settings["style_weights"]),
        tv_weights=tuple(float(w) for w in settings["tv_weights"]),
        content_layers=tuple(str(n) for n in settings["content_layers"]),
        style_layers=tuple(str(n) for n in settings["style_layers"]),
        style_size=int(settings["style_size"]),
    )  # fmt: skip


def _rows_only(model: torch.nn.Module, index: int) -> list[torch.nn.Parameter]:
    """Freeze everything but the conditional norms' rows, and mask their gradients to row `index`."""
    model.requires_grad_(False)
    rows = []
    for module in model.modules():
        if not isinstance(module, InstanceNorm) or module.weight.dim() != 2:
            continue
        for parameter in (module.weight, module.bias):
            mask = torch.zeros_like(parameter)
            mask[index] = 1
            parameter.requires_grad_(True)
            parameter.register_hook(lambda grad, mask=mask: grad * mask)
            rows.append(parameter)
    if not rows:
        raise NSTError("the state holds no conditional instance norms")
    return rows


def tune(config: TuneConfig, on_log: Callable[[str], None] | None = None) -> Path:
    """Run the fine-tune; returns OUT/state."""
    if not (32 <= config.size <= 1024 and config.steps >= 1 and config.lr > 0 and config.peak_weight >= 0):
        raise NSTError("--size 32..1024, --steps >= 1, --lr > 0, --peak-weight >= 0")
    state = read_state(config.state)
    if state is None:
        raise NSTError(f"{config.state} holds no multi-style state")
    run = _run_config(config, state)
    device = pick_device(config.device)
    enable_fast_math()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    model, step, _ = network_from_state(run, device)
    index = run.presets.index(config.preset)
    rows = _rows_only(model, index)
    objective = Objective(run, device)
    dataset = PhotoDataset(find_images(config.data), config.size, config.batch_size, native=True)
    data = iter(
        DataLoader(dataset, batch_size=config.batch_size, sampler=InfiniteSampler(len(dataset), config.seed))
    )
    optimizer = torch.optim.Adam(rows, lr=config.lr)
    started = time.perf_counter()
    for done in range(1, config.steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(config.lr, done - 1, config.steps, 0, config.warmup, 0.1)
        batch = next(data).to(device)
        ids = torch.full((batch.shape[0],), index, device=device)
        content, style, tv, output = objective(model, batch, ids)
        loss = (content + style + tv).mean()
        peak = torch.zeros(())
        if config.peak_weight:
            peak = peak_share(output).mean()
            loss = loss + config.peak_weight * peak
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if on_log and (done % config.log_every == 0 or done == config.steps):
            rate = done * config.batch_size / (time.perf_counter() - started)
            on_log(
                f"step {done}/{config.steps} loss {loss.item():.3f} stripes {peak.item():.4f} "
                f"| {rate:.2f} img/s"
            )
    settings = json.loads(json.dumps(dataclasses.asdict(config), default=str))
    record = {**state, "tuned": {"preset": config.preset, "from_step": step, **settings}}
    write_state(config.out / "state", model, record)
    return config.out / "state"


def parse_args(argv: list[str] | None = None) -> TuneConfig:
    d = TuneConfig(Path(), "", Path(), Path())
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--state", type=Path, required=True, help="the multi-style run's state folder (read only)")
    p.add_argument("--preset", required=True, help="the preset whose rows are tuned")
    p.add_argument("--data", type=Path, required=True, help="folder of training photos (recursive)")
    p.add_argument("--out", type=Path, required=True, help="OUT/state is written")
    for name in ("size", "batch_size", "steps", "warmup", "threads", "seed", "log_every"):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--peak-weight", type=float, default=d.peak_weight, help="stripe-measure term (e.g. 10)")
    p.add_argument("--device", default=d.device)
    return TuneConfig(**vars(p.parse_args(argv)))


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    use_local_data()
    folder = tune(parse_args(argv), lambda line: print(line, file=sys.stderr, flush=True))
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
