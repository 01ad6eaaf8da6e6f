"""Evaluate fast networks against the quality engine under one fixed loss protocol.

Protocol (the same for every row, whatever a network was trained with):
- each photo is scaled so its longest side is `size` (default 256; never enlarged) and the painting to
  the same longest side; every output is rounded to 8-bit RGB before it is scored;
- content loss: relative feature error at relu4_2; style loss: relative Gram error at relu1_1 ... relu5_1,
  equal layer weights (nst.losses, unweighted); total = content + 3e2 x style (the quality engine's own
  balance, nst.settings.STYLE_WEIGHT; TV is not scored);
- SSIM of the output's luminance to the photo's (nst.metrics.ssim, 11 px Gaussian window);
- stripes: the share of the high-pass spectrum in its strongest peaks (nst.metrics.periodic_texture);
- quality@N: `run_quality` with the library's defaults (L-BFGS, content init, style scale 1, TV 1) at the
  same size, the image after N steps; one run of max(N) steps gives every N.
Numbers are means over the photos; `seconds` is the mean time to produce one output.

    python -m training.evaluate --preset van-gogh --photos ../shared/photos --quality-steps 100 300 --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from nst.blend import export_preset
from nst.device import pick_device
from nst.errors import NSTError, refusals_to_exit_status
from nst.images import image_to_tensor, tensor_to_image
from nst.metrics import Scorer
from nst.quality import run_quality
from nst.settings import QualitySettings
from nst.transformer import TransformerNet, display_path, load_checkpoint

EVAL_SIZE = 256


@dataclass(frozen=True)
class EvalResult:
    """Means over the photos of one way of producing stylised images."""

    content: float
    style: float
    total: float
    ssim: float
    stripes: float  # nst.metrics.periodic_texture: the fine periodic texture of an under-trained network
    seconds: float
    photos: int


def _mean(scores: Sequence[dict[str, float]], seconds: Sequence[float]) -> EvalResult:
    keys = ("content", "style", "total", "ssim", "stripes")
    means = {k: sum(s[k] for s in scores) / len(scores) for k in keys}
    return EvalResult(**means, seconds=sum(seconds) / len(seconds), photos=len(scores))


@torch.no_grad()
def evaluate_fast(
    model: nn.Module,
    photos: Sequence[Path],
    style: Path,
    size: int = EVAL_SIZE,
    device: torch.device | str = "cpu",
    protocol: Scorer | None = None,
) -> EvalResult:
    """Score a fast network's outputs on `photos` (the network must already be on `device`)."""
    protocol = protocol or Scorer(style, size, device)
    was_training = model.training
    model.eval()
    scores, seconds = [], []
    for path in photos:
        photo = protocol.photo(path)
        started = time.perf_counter()
        output = tensor_to_image(model(image_to_tensor(photo, protocol.device)))
        seconds.append(time.perf_counter() - started)
        scores.append(protocol.score(output, photo))
    model.train(was_training)
    return _mean(scores, seconds)


def evaluate_quality(
    photos: Sequence[Path],
    style: Path,
    steps: Sequence[int],
    size: int = EVAL_SIZE,
    device: torch.device | str = "cpu",
    protocol: Scorer | None = None,
    on_photo: Callable[[int, int], None] | None = None,
) -> dict[int, EvalResult]:
    """Score the quality engine after each of `steps` optimiser steps (one run per photo)."""
    protocol = protocol or Scorer(style, size, device)
    wanted = sorted(set(steps))
    scores: dict[int, list[dict[str, float]]] = {n: [] for n in wanted}
    seconds: dict[int, list[float]] = {n: [] for n in wanted}
    for index, path in enumerate(photos):
        photo = protocol.photo(path)
        settings = QualitySettings(
            size=max(photo.size),
            steps=wanted[-1],
            preview_every=math.gcd(*wanted),
            device=str(protocol.device),
        )
        for event in run_quality(photo, [style], settings):
            if event.step in scores and event.preview is not None:
                scores[event.step].append(protocol.score(event.preview, photo))
                seconds[event.step].append(event.elapsed)
        if on_photo:
            on_photo(index + 1, len(photos))
    return {n: _mean(scores[n], seconds[n]) for n in wanted}


def markdown_rows(rows: dict[str, EvalResult]) -> list[str]:
    """Markdown table lines (header included) for named results."""
    lines = [
        "| output | content ↓ | style ↓ | total ↓ | SSIM ↑ | stripes ↓ | s / image |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r.content:.3f} | {r.style:.5f} | {r.total:.3f} | {r.ssim:.3f} | {r.stripes:.3f} "
            f"| {r.seconds:.2f} |"
        )
    return lines


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fast networks vs the quality engine, one fixed protocol.")
    parser.add_argument("--preset", help="preset id: its painting and styles/<id>, styles/<id>-cpu")
    parser.add_argument("--model", nargs="*", type=Path, default=[], help="checkpoint folders")
    parser.add_argument("--style", type=Path, help="the painting (default: the preset's)")
    parser.add_argument("--photos", nargs="+", type=Path, required=True, help="held-out photos or folders")
    parser.add_argument("--size", type=int, default=EVAL_SIZE)
    parser.add_argument("--quality-steps", nargs="*", type=int, default=[100, 300])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = parser.parse_args(argv)
    rows = _evaluate(args, parser)
    if args.json:
        print(json.dumps({name: dataclasses.asdict(r) for name, r in rows.items()}, indent=2))
    else:
        print("\n".join(markdown_rows(rows)))
    return 0


def _evaluate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, EvalResult]:
    """The rows the command line asked for."""
    from training.data import find_images

    models, style = list(args.model), args.style
    if args.preset:
        from nst.presets import bundled_folder, get_preset, model_id, style_image_path

        preset_models = [bundled_folder(model_id(args.preset, v)) for v in ("standard", "cpu")]
        models = models or [m for m in preset_models if m.is_dir()]
        style = style or style_image_path(get_preset(args.preset))
    if style is None:
        parser.error("give --style or --preset")
    device = pick_device(args.device)
    photos = [p for arg in args.photos for p in (find_images(arg) if arg.is_dir() else [arg])]
    protocol = Scorer(style, args.size, device)
    rows: dict[str, EvalResult] = {}
    for name, folder in _row_names(models).items():
        net = _single_style(load_checkpoint(folder), args.preset, folder)
        rows[f"fast {name}"] = evaluate_fast(net.to(device), photos, style, protocol=protocol)
    if args.quality_steps:
        for steps, result in evaluate_quality(photos, style, args.quality_steps, protocol=protocol).items():
            rows[f"quality@{steps}"] = result
    return rows


def _row_names(folders: list[Path]) -> dict[str, Path]:
    """A row name per checkpoint: its folder's name (a training run's OUT/model: the run's), or its path
    where two of those would be the same."""
    short = [folder.parent.name if folder.name == "model" else folder.name for folder in folders]
    if len(set(short)) == len(short):
        return dict(zip(short, folders, strict=True))
    return {display_path(folder): folder for folder in folders}


def _single_style(net: TransformerNet, preset: str | None, folder: Path) -> TransformerNet:
    """A multi-style network (a long run's state) is scored as its export for `--preset`."""
    if not net.styles:
        return net
    if preset is None:
        raise NSTError(
            f"{folder} is a multi-style network of {', '.join(net.style_names)}: name one with --preset"
        )
    return export_preset(net, preset)


if __name__ == "__main__":
    sys.exit(main())
