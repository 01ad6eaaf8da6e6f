"""`python -m nst video IN -o OUT.mp4 --preset hokusai`: stylise a video file with a fast network.

Every frame is stylised (statistics smoothed across frames unless --no-smoothing), the sound is carried over,
and the result is an H.264 MP4 that plays in any browser. A progress bar (frames, fps, time left) goes to
stderr. A file that cannot be used is refused with one line and exit code 2; an existing OUT is never
replaced without --overwrite.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nst.cli.network import add_network_arguments, preset_network
from nst.cli.progress import ProgressBar
from nst.errors import NSTError
from nst.humanize import format_duration
from nst.options import given_values
from nst.presets import MULTI_MODEL_ID
from nst.recipe import Recipe
from nst.settings import VideoSettings
from nst.video import VideoResult, stylize_video

OUTPUT_SUFFIXES = (".mp4", ".m4v")
REDRAW_S = 0.25  # the progress bar is redrawn at most this often (and at the end)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `video` subcommand."""
    p = subparsers.add_parser(
        "video",
        help="stylise a video file (fast network, sound kept)",
        description="Stylise every frame of a video with a preset's fast network into an H.264 MP4.",
        epilog="Exit code 0 when the video was written; 2 when it was refused (bad input, existing output, "
        "unknown preset, missing network).",
    )
    p.add_argument("input", type=Path, metavar="IN", help="a video file (MP4, MOV, WebM, MKV, ...)")
    p.add_argument("-o", "--output", type=Path, required=True, help="the MP4 to write")
    add_network_arguments(p, VideoSettings)  # --preset, ..., --smoothing, ..., --device
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Stylise the video; 0 when written (NSTError, turned into exit code 2 by nst.cli, otherwise)."""
    output: Path = args.output
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise NSTError(f"The output must be an .mp4 file, got {output}.")
    if output.exists() and not args.overwrite:
        raise NSTError(f"{output} already exists: choose another name or pass --overwrite.")
    if output.exists() and output.resolve() == args.input.resolve():
        raise NSTError("The output would replace the input: choose another name.")
    settings = VideoSettings(**given_values(args, VideoSettings), device=args.device)
    network, name, mix = preset_network(args)
    output.parent.mkdir(parents=True, exist_ok=True)
    bar = None if args.quiet or args.json else ProgressBar()
    result: VideoResult | None = None
    drawn = 0.0
    for event in stylize_video(args.input, output, network, settings):
        if bar is not None and (event.result is not None or event.elapsed - drawn >= REDRAW_S):
            drawn = event.elapsed
            eta = "" if event.eta is None else f", {format_duration(event.eta)} left"
            bar.update(event.done, max(event.total or event.done, event.done), f"{event.fps:.1f} fps{eta}")
        result = event.result
    if bar is not None:
        bar.close()
    assert result is not None
    summary = _summary(args, network if isinstance(network, str) else MULTI_MODEL_ID, settings, result)
    summary.update(
        preset=None if mix else name if args.preset else None, **({"mix": mix.as_recipe()} if mix else {})
    )
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        width, height = result.size
        print(
            f"{args.input} -> {output} ({result.frames} frames, {width}x{height}, {result.fps:.1f} fps, "
            f"sound: {result.audio})"
        )
    return 0


def _summary(
    args: argparse.Namespace, network: str, settings: VideoSettings, result: VideoResult
) -> dict[str, Any]:
    """What made the output (printed with --json)."""
    recipe = Recipe.of(
        "video", settings, result.size, result.seconds, settings.device, preset=args.preset, model=network,
        input=str(args.input), output=str(result.output), variant=None if args.model else args.variant,
        frames=result.frames, audio=result.audio, scene_cuts=result.scene_cuts,
        timings={stage: round(value, 3) for stage, value in result.timings.items()},
    )  # fmt: skip
    return recipe.as_dict()
