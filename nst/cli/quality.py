"""`python -m nst quality CONTENT --style STYLE [--style STYLE2 --style-weights ...] -o OUT.png`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nst.cli.outputs import check_outputs, writable_folder
from nst.cli.progress import ProgressBar
from nst.device import checked_device
from nst.images import save_png
from nst.quality import run_quality, validate
from nst.settings import QualitySettings
from nst.vgg_weights import resolve_weights


def _layers(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "quality",
        help="Gatys et al. optimisation (slow, best quality)",
        description="Stylise CONTENT with one or more style images by optimisation.",
    )
    p.add_argument("content", help="the photo")
    p.add_argument("--style", action="append", required=True, help="a style image (repeat to blend several)")
    p.add_argument("--style-weights", type=float, nargs="+", help="blend weights, one per --style")
    p.add_argument("-o", "--output", type=Path, required=True, help="output PNG (its folder is created)")
    p.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    p.add_argument("--size", type=int, help="longest side of the output (default: 512 on GPU, 256 on CPU)")
    p.add_argument("--steps", type=int, help="optimiser steps (default: 300 on GPU, 40 on CPU)")
    p.add_argument("--strength", type=float, default=1.0, help="style strength (1 = recommended)")
    p.add_argument("--tv-weight", type=float, default=1.0, help="relative smoothing (0 = off)")
    p.add_argument("--style-scale", type=float, default=1.0, help="style image size relative to the content")
    p.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    p.add_argument("--lr", type=float, help="learning rate (default depends on the optimiser)")
    p.add_argument("--init", choices=("content", "noise"), default="content")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--style-layers", type=_layers, help="comma-separated, e.g. relu1_1,relu2_1,relu3_1")
    p.add_argument("--content-layers", type=_layers, help="comma-separated, e.g. relu4_2")
    p.add_argument("--preserve-color", action="store_true", help="keep the photo's colours")
    p.add_argument("--coarse-to-fine", action="store_true", help="run at half size first, then refine")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--json", action="store_true", help="print the recipe as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> QualitySettings:
    """Hardware defaults overridden by whatever the user gave."""
    given = {
        "size": args.size,
        "steps": args.steps,
        "style_strength": args.strength,
        "tv_weight": args.tv_weight,
        "style_scale": args.style_scale,
        "optimizer": args.optimizer,
        "learning_rate": args.lr,
        "init": args.init,
        "seed": args.seed,
        "style_layers": args.style_layers,
        "content_layers": args.content_layers,
        "preserve_color": args.preserve_color,
        "coarse_to_fine": args.coarse_to_fine,
        "device": args.device,
        "style_blend": tuple(args.style_weights) if args.style_weights else None,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    return QualitySettings.for_device(checked_device(args.device).type, **overrides)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    validate(settings, len(args.style))
    writable_folder(args.output.parent)  # before the run: a bad path must not cost a long optimisation
    check_outputs([args.output], [Path(args.content), *map(Path, args.style)], args.overwrite)
    resolve_weights(announce=lambda line: print(line, file=sys.stderr))  # a first download shows progress
    bar = None if args.quiet else ProgressBar()
    final = None
    for event in run_quality(args.content, args.style, settings):
        if bar is not None:
            eta = f" eta {event.eta:.0f}s" if event.eta else ""
            bar.update(event.step, event.total, f"loss {event.losses.get('total', 0):.4g}{eta}")
        final = event
    if bar is not None:
        bar.close()
    assert final is not None and final.image is not None
    save_png(final.image, args.output, final.recipe, overwrite=args.overwrite)
    if args.json:
        json.dump(final.recipe, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0
