"""Convert torchvision-layout VGG19 weights into the loss-network file that nst.vgg reads.

Keeps the convolutional part (`features.N.weight` / `features.N.bias`; a `vgg.` or `module.` prefix is
dropped), stores it as fp16 safetensors and records in the metadata how the network expects its input:

    python -m training.convert_vgg vgg19-dcbb9e9d.pth vgg19-torchvision.fp16.safetensors \
        --input-convention torchvision --source "torchvision.models.vgg19 IMAGENET1K_V1"

`--up-to relu5_1` keeps only the layers a loss up to relu5_1 needs: a smaller file to carry to a GPU box.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from torch import Tensor

from nst.errors import ModelError, refusals_to_exit_status
from nst.vgg import LAYERS, MODULE_NAMES, InputConvention
from nst.vgg_weights import CONVENTIONS, feature_tensors, read_state, write_features

__all__ = ["CONVENTIONS", "convert", "main", "up_to"]


def up_to(tensors: dict[str, Tensor], layer: str) -> dict[str, Tensor]:
    """The tensors an encoder ending at `layer` needs (a smaller file to carry to a training machine)."""
    if layer not in LAYERS:
        raise ModelError(f"Unknown VGG layer {layer!r}; choose from {', '.join(LAYERS)}.")
    depth = MODULE_NAMES.index(layer)
    return {key: value for key, value in tensors.items() if int(key.split(".")[1]) < depth}


def convert(
    source: Path, target: Path, convention: str, origin: str, last_layer: str | None = None
) -> dict[str, str]:
    """Write `target` from `source`; returns its metadata. `convention`: a CONVENTIONS key or a text."""
    InputConvention.parse(CONVENTIONS.get(convention, convention))  # refuse what nst.vgg could not read back
    tensors = feature_tensors(read_state(source))
    extra = {}
    if last_layer is not None:
        tensors = up_to(tensors, last_layer)
        extra["last_layer"] = last_layer
    return write_features(tensors, target, convention, origin or source.name, **extra)


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="torchvision-layout VGG19 weights (.pth/.pt/.safetensors)")
    parser.add_argument("target", type=Path, help="output .safetensors")
    parser.add_argument(
        "--input-convention",
        default="caffe",
        help=f"{' | '.join(CONVENTIONS)} or a description such as {CONVENTIONS['caffe']!r}",
    )
    parser.add_argument("--source", dest="origin", default="", help="where the weights came from")
    parser.add_argument("--up-to", choices=LAYERS, help="keep only the layers up to this one (smaller file)")
    args = parser.parse_args(argv)
    try:
        metadata = convert(args.source, args.target, args.input_convention, args.origin, args.up_to)
    except (OSError, RuntimeError) as exc:  # unreadable or mismatched weights: the person's input, not a bug
        raise ModelError(str(exc)) from exc
    print(f"wrote {args.target} ({metadata['input']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
