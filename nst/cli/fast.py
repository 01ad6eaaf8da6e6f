"""`python -m nst fast INPUT... --preset van-gogh -o OUTDIR`: stylise files or folders with a fast network.

Each input becomes OUTDIR/<stem>_<preset>.png with its recipe embedded (inputs whose stems collide get longer
names: a-jpg_..., d1-a-jpg_...). Existing files are never replaced without --overwrite, and the folder is
checked before the first input. A folder's images (not its sub-folders) are processed in name order, with a
progress bar on stderr. An input that is not a usable image
is reported on stderr ("error: PATH: why") and skipped; the others are still written, and the exit code is 2
if any input was refused, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nst.blend import PresetMix
from nst.cli.network import add_network_arguments, preset_network
from nst.cli.outputs import check_outputs, distinct_stems, writable_folder
from nst.cli.progress import ProgressBar
from nst.device import checked_device
from nst.errors import ImageError
from nst.fast import FastResult, load_model, stylize
from nst.images import IMAGE_SUFFIXES, save_png
from nst.options import check, given_values
from nst.presets import MULTI_MODEL_ID
from nst.recipe import Recipe
from nst.settings import FastSettings

EXIT_REFUSED = 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `fast` subcommand."""
    p = subparsers.add_parser(
        "fast",
        help="feed-forward network (fast, one preset per network)",
        description="Stylise image files, or every image in a folder, with a preset's fast network.",
        epilog="Exit code 0 when every input was written; 2 when anything was refused (bad input, unknown "
        "preset, missing network): refused files are named on stderr, the others are still written.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and/or folders of images")
    add_network_arguments(p, FastSettings)  # --preset, --variant, --model, --strength, ..., --device
    p.add_argument("-o", "--output-dir", type=Path, required=True, help="folder for the PNGs (created)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Stylise every input; 0 when all were written, 2 when any was refused."""
    settings = FastSettings(**given_values(args, FastSettings), device=args.device)
    check(settings)
    checked_device(args.device)
    network, name, mix = preset_network(args)
    inputs = collect_inputs(args.inputs)
    outputs = [args.output_dir / f"{stem}_{name}.png" for stem in distinct_stems(inputs)]
    writable_folder(args.output_dir)
    check_outputs(outputs, inputs, args.overwrite)
    if isinstance(network, str):
        load_model(network, args.device)  # fail once, before any file, when the network is missing
    bar = ProgressBar() if len(inputs) > 1 and not args.quiet else None
    results: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for done, (path, output) in enumerate(zip(inputs, outputs, strict=True), start=1):
        try:
            result = stylize(
                path,
                network,
                strength=settings.strength,
                preserve_color=settings.preserve_color,
                max_side=settings.max_side,
                device=settings.device,
                blend=settings.blend,
            )
        except ImageError as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            failed.append({"input": str(path), "error": str(exc)})
        else:
            model = network if isinstance(network, str) else MULTI_MODEL_ID
            recipe = _recipe(
                args, settings, model, path, result, mix, None if mix or not args.preset else name
            )
            save_png(result.image, output, recipe, overwrite=args.overwrite)
            results.append({"input": str(path), "output": str(output), **recipe})
            if not args.json:
                width, height = result.size
                print(f"{path} -> {output} ({width}x{height}, {result.seconds:.2f} s on {result.device})")
        if bar is not None:
            bar.update(done, len(inputs), path.name)
    if bar is not None:
        bar.close()
    if args.json:
        json.dump({"results": results, "failed": failed}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return EXIT_REFUSED if failed else 0


def collect_inputs(inputs: list[str]) -> list[Path]:
    """Files as given, and the images directly inside each folder (sorted by name); each file once."""
    paths: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            images = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not images:
                raise ImageError(
                    f"The folder {path} contains no images ({', '.join(sorted(IMAGE_SUFFIXES))})."
                )
            paths.extend(images)
        else:
            paths.append(path)
    unique: dict[str, Path] = {}
    for path in paths:
        unique.setdefault(str(path.resolve()), path)
    return list(unique.values())


def _recipe(
    args: argparse.Namespace,
    settings: FastSettings,
    network: str,
    path: Path,
    result: FastResult,
    mix: PresetMix | None,
    preset: str | None,
) -> dict[str, Any]:
    """What made one output, stored in its PNG and printed with --json."""
    used = {"strength": settings.strength, "preserve_color": settings.preserve_color,
            "max_side": settings.max_side, "blend": settings.blend}  # fmt: skip
    recipe = Recipe.of(
        "fast", used, result.size, result.seconds, result.device, preset=preset, model=network,
        input=path.name, **({"mix": mix.as_recipe()} if mix else {}),
        variant=None if args.model else ("standard" if mix else args.variant), tiles=result.tiles,
    )  # fmt: skip
    return recipe.as_dict()
