"""Convert torchvision-layout VGG19 weights into the loss-network file that nst.vgg reads.

Keeps the convolutional part (`features.N.weight` / `features.N.bias`; a `vgg.` or `module.` prefix is
dropped), stores it as fp16 safetensors and records in the metadata how the network expects its input:

    python training/convert_vgg.py vgg19-dcbb9e9d.pth vgg19-torchvision.fp16.safetensors \
        --input-convention torchvision --source "torchvision.models.vgg19 IMAGENET1K_V1"

`--up-to relu5_1` keeps only the layers a loss up to relu5_1 needs: a smaller file to carry to a GPU box.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python training/convert_vgg.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from nst.errors import ModelError
from nst.vgg import LAYERS, MODULE_NAMES, InputConvention

CONVENTIONS = {
    "caffe": "BGR, 0-255, mean-subtracted [103.939, 116.779, 123.68]",
    "torchvision": "RGB, 0-1, mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225]",
}
_FEATURE_KEY = re.compile(r"^(?:module\.|vgg\.|model\.)*(features\.\d+\.(?:weight|bias))$")


def read_state(path: Path) -> dict[str, Tensor]:
    """A state dict from .safetensors or a (weights-only) torch .pth/.pt file."""
    if path.suffix == ".safetensors":
        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ModelError(f"{path} does not hold a state dict")
    return state


def feature_tensors(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The `features.N.weight/bias` entries as contiguous fp16 tensors (classifier and others dropped)."""
    kept = {}
    for key, value in state.items():
        match = _FEATURE_KEY.match(key)
        if match and isinstance(value, Tensor):
            kept[match.group(1)] = value.detach().to(torch.float16).contiguous()
    if not kept:
        raise ModelError(
            "No 'features.N.weight' / 'features.N.bias' tensors found: is this a VGG state dict?"
        )
    return kept


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
    text = CONVENTIONS.get(convention, convention)
    InputConvention.parse(text)  # refuse what nst.vgg could not read back
    metadata = {
        "architecture": "vgg19.features",
        "source": origin or source.name,
        "precision": "float16",
        "stored_dtype": "float16",
        "input": text,
    }
    tensors = feature_tensors(read_state(source))
    if last_layer is not None:
        tensors = up_to(tensors, last_layer)
        metadata["last_layer"] = last_layer
    save_file(tensors, str(target), metadata=metadata)
    return metadata


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
    except (ModelError, OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.target} ({metadata['input']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
