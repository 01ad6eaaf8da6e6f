"""The fast network a command runs, for `fast` and `video` alike: the options that choose it (--preset, maybe
a mix, --variant, --model), the settings it runs with and --device, and what they resolve to.

Declared once here so that the two commands cannot drift apart: a new way to pick a network, or a new fast
setting, reaches both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nst.blend import PresetMix, mixed_network
from nst.errors import PresetError
from nst.options import add_arguments
from nst.presets import VARIANT_SUFFIXES, list_presets, model_id
from nst.settings import FastSettings, VideoSettings
from nst.transformer import TransformerNet


def add_network_arguments(
    p: argparse.ArgumentParser, settings: type[FastSettings] | type[VideoSettings]
) -> None:
    """--preset (repeatable: a mix), --variant, --model, the declared options of `settings` (--strength,
    --preserve-color, --max-side, --blend, ...: nst.settings) and --device."""
    p.add_argument(
        "--preset",
        action="append",
        metavar="PRESET[:WEIGHT]",
        help=f"style preset ({', '.join(preset.id for preset in list_presets())}); repeat with weights to "
        "blend presets, e.g. --preset van-gogh:0.7 --preset hokusai:0.3 (on the multi-style network)",
    )
    p.add_argument("--variant", choices=tuple(VARIANT_SUFFIXES), default="standard", help="network variant")
    p.add_argument(
        "--model", help="a Hub repo id or checkpoint folder to use instead of the preset's network"
    )
    add_arguments(p, settings)
    p.add_argument("--device", default=settings().device, help="cpu, cuda or auto")


def preset_network(args: argparse.Namespace) -> tuple[str | TransformerNet, str, PresetMix | None]:
    """(model id or network, name used in output file names, the preset mix when several are blended) from
    --preset/--variant or --model. One preset (or a mix that leaves one) runs on that preset's own network."""
    if args.model:
        if args.preset and len(args.preset) > 1:
            raise PresetError("--model takes no preset mix: give one --preset (for the file names) or none.")
        return args.model, (args.preset or [Path(args.model.rstrip("/")).name])[0], None
    if not args.preset:
        known = ", ".join(preset.id for preset in list_presets())
        raise PresetError(f"Choose a style with --preset (one of: {known}) or give --model.")
    mix = PresetMix.parse(args.preset)
    if mix.single is not None:
        return model_id(mix.single, args.variant), mix.single, None
    if args.variant != "standard":
        print(
            f"note: a mix of presets runs on the multi-style standard network, not --variant {args.variant}",
            file=sys.stderr,
        )
    name = "+".join(f"{preset}{round(100 * weight)}" for preset, weight in mix.weights)
    return mixed_network(mix, args.device), name, mix
