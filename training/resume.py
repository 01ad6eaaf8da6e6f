"""A single-style run's checkpoints: written atomically every N steps with the optimiser and RNG state, so
`--resume` continues where an interrupted run stopped, and pruned so only this run's newest few stay.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from nst.errors import NSTError
from nst.transformer import TransformerNet, load_checkpoint, save_checkpoint
from training.folders import partial_for, swap_in

STATE_TENSORS = "training_state.safetensors"
STATE_JSON = "training_state.json"


def checkpoint_dirs(out: Path) -> list[Path]:
    """Complete checkpoints in `out`, oldest first."""
    return sorted(p.parent for p in out.glob(f"checkpoint-*/{STATE_JSON}"))


def save_training_checkpoint(
    out: Path,
    settings: dict[str, object],
    model: TransformerNet,
    optimizer: torch.optim.Optimizer,
    step: int,
    elapsed_s: float,
) -> Path:
    """Write OUT/checkpoint-<step>/ atomically (Hub layout + fp32 weights, optimiser state and RNG), with the
    run's `settings` beside the step so a resumed run can be told from a different one."""
    folder = out / f"checkpoint-{step:06d}"
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
        "config": settings,
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
