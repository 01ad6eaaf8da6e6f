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
from nst.options import add_arguments, given_values
from nst.quality import run_quality, validate
from nst.settings import QualitySettings
from nst.vgg_weights import resolve_weights


def add_parser(subparsers: argparse._SubParsersAction) -> None:
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
    add_arguments(p, QualitySettings)  # --size, --steps, --strength, ... as declared in nst.settings
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--json", action="store_true", help="print the recipe as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> QualitySettings:
    """Hardware defaults overridden by whatever the user gave."""
    overrides = {
        **given_values(args, QualitySettings),
        "device": args.device,
        **({"style_blend": tuple(args.style_weights)} if args.style_weights else {}),
    }
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
