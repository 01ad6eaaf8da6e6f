"""The loss network: VGG19 `features` with named layers, frozen, truncated, cached per device/dtype.

Weights come from our safetensors format (keys as torchvision's `vgg19().features`, fp16) whose metadata
states the input convention (channel order, scale, mean, std): the Caffe VGG19 wants BGR 0-255 minus a mean,
torchvision's RGB 0-1 normalised by ImageNet mean/std; the encoder takes RGB in [0, 1] and converts.
Where the file comes from is nst.vgg_weights.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from torch import Tensor, nn

from nst.errors import ModelError, NSTError
from nst.layers import LAYERS as LAYERS  # where the library has always named them
from nst.layers import MODULE_NAMES, VGG19_CONFIG, layer_list
from nst.tensorfiles import check_tensor_file
from nst.vgg_weights import resolve_weights  # also this module's way to find the file


@dataclass(frozen=True)
class InputConvention:
    """How the network expects its input: channel order, value scale and per-channel mean (and std)."""

    bgr: bool
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @classmethod
    def parse(cls, text: str) -> InputConvention:
        """Parse metadata such as "BGR, 0-255, mean-subtracted [103.939, 116.779, 123.68]"."""
        order = re.search(r"\b(BGR|RGB)\b", text)
        scale = re.search(r"0\s*-\s*(255|1)\b", text)
        lists = {key: re.search(rf"{key}[^\[]*\[([^\]]+)\]", text) for key in ("mean", "std")}
        if not (order and scale and lists["mean"]):
            raise ModelError(f"The loss-network file's input metadata is not understood: {text!r}")

        def triple(match: re.Match[str] | None, default: tuple[float, float, float]) -> tuple[float, ...]:
            return tuple(float(v) for v in match.group(1).split(",")) if match else default

        mean, std = triple(lists["mean"], (0.0,) * 3), triple(lists["std"], (1.0,) * 3)
        if len(mean) != 3 or len(std) != 3:
            raise ModelError(f"The loss-network file's mean/std must have 3 values: {text!r}")
        return cls(order.group(1) == "BGR", float(scale.group(1)), mean, std)


VGG_MAX_BYTES = 256 * 2**20  # VGG19 features: 40 MB in fp16, 80 MB in fp32


def vgg_shape(name: str) -> tuple[int, ...] | None:
    """The shape tensor `name` has in VGG19 `features` (torchvision keys), or None when it has no such one."""
    match = re.fullmatch(r"features\.(\d+)\.(weight|bias)", name)
    if match is None or int(match.group(1)) >= len(MODULE_NAMES):
        return None
    index = int(match.group(1))
    if not MODULE_NAMES[index].startswith("conv"):
        return None
    convs = [int(c) for c in VGG19_CONFIG if c != "M"]
    position = [i for i, n in enumerate(MODULE_NAMES) if n.startswith("conv")].index(index)
    out_channels, in_channels = convs[position], (3 if position == 0 else convs[position - 1])
    return (out_channels, in_channels, 3, 3) if match.group(2) == "weight" else (out_channels,)


def _no_wider(shape: tuple[int, ...], full: tuple[int, ...]) -> bool:
    """A stored tensor fits VGG19 when it has the layer's shape or a thinner one (tests and offline checks use
    thin random networks: the encoder follows the stored widths), never a wider one."""
    if len(shape) != len(full) or shape[2:] != full[2:]:
        return False
    return all(0 < a <= b for a, b in zip(shape, full, strict=True))


@functools.lru_cache(maxsize=2)
def _read_weights(path: Path) -> tuple[dict[str, Tensor], InputConvention, dict[str, str]]:
    """Read (and keep) the stored tensors, the input convention and the network's identity (for recipes)."""
    check_tensor_file(path, VGG_MAX_BYTES, vgg_shape, "loss-network file", fits=_no_wider)
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises several types for corrupt files
        raise ModelError(f"Cannot read the loss-network weights at {path}: {exc}") from exc
    if "input" not in metadata:
        raise ModelError(f"{path} has no 'input' metadata saying how to feed the network.")
    identity = {"file": path.name, "source": metadata.get("source", "unknown"), "input": metadata["input"]}
    return tensors, InputConvention.parse(metadata["input"]), identity


class VGGEncoder(nn.Module):
    """VGG19 features up to `last_layer`; `forward(x, layers)` maps RGB [0,1] images to named activations."""

    channel_order: Tensor  # buffers, registered in __init__
    mean: Tensor
    std: Tensor

    def __init__(
        self,
        state: dict[str, Tensor],
        convention: InputConvention,
        last_layer: str,
        identity: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.identity = identity or {"file": "(in memory)", "source": "unknown"}  # named in every recipe
        layer_list([last_layer], "VGG layers", noun="VGG layer")
        depth = MODULE_NAMES.index(last_layer) + 1
        convs = [i for i, name in enumerate(MODULE_NAMES[:depth]) if name.startswith("conv")]
        if any(f"features.{i}.weight" not in state for i in convs):
            raise ModelError(f"The loss-network weights stop before {last_layer} (a trimmed file?).")
        modules: list[nn.Module] = []
        in_channels = 3
        for index, name in enumerate(MODULE_NAMES[:depth]):
            if name.startswith("conv"):
                out_channels = state[f"features.{index}.weight"].shape[0]
                modules.append(nn.Conv2d(in_channels, out_channels, 3, padding=1))
                in_channels = out_channels
            elif name.startswith("relu"):
                modules.append(nn.ReLU(inplace=True))
            else:
                modules.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*modules)
        own = {f"features.{k}": v for k, v in self.features.state_dict().items()}
        try:
            self.load_state_dict({k: state[k].float() for k in own}, strict=True)
        except (KeyError, RuntimeError) as exc:
            raise ModelError(f"The loss-network weights do not match VGG19: {exc}") from exc
        self.names = MODULE_NAMES[:depth]
        channel_order = [2, 1, 0] if convention.bgr else [0, 1, 2]
        self.register_buffer("channel_order", torch.tensor(channel_order), persistent=False)
        self.register_buffer("mean", torch.tensor(convention.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(convention.std).view(1, 3, 1, 1), persistent=False)
        self.scale = convention.scale
        self.memory_format = torch.contiguous_format  # channels_last on CUDA (set by the loader)
        self.requires_grad_(False)
        self.eval()

    def channels_last(self) -> VGGEncoder:
        """Run convolutions in NHWC layout (faster on tensor cores); inputs are converted inside forward."""
        self.memory_format = torch.channels_last
        return self.to(memory_format=torch.channels_last)

    def preprocess(self, image: Tensor) -> Tensor:
        """RGB [0,1] -> the network's convention."""
        x = image.index_select(1, self.channel_order) * self.scale
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def forward(self, image: Tensor, layers: Iterable[str]) -> dict[str, Tensor]:
        wanted = set(layers)
        unknown = wanted.difference(self.names)
        if unknown:
            raise NSTError(f"Layers {sorted(unknown)} are not in this encoder (it ends at {self.names[-1]}).")
        out: dict[str, Tensor] = {}
        # Converting here (not in the caller) keeps optimised images contiguous, as L-BFGS requires.
        x = self.preprocess(image).contiguous(memory_format=self.memory_format)
        for name, module in zip(self.names, self.features, strict=True):
            x = module(x)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break
        return out


def deepest(layers: Iterable[str]) -> str:
    """The layer furthest into the network among `layers`."""
    layers = layer_list(list(layers), "VGG layers", noun="VGG layer")
    return max(layers, key=MODULE_NAMES.index)


def random_features(
    last_layer: str = "relu5_4", widths: tuple[int, ...] = (64, 128, 256, 512, 512), seed: int = 0
) -> dict[str, Tensor]:
    """A VGG19 `features` state dict with random (He-initialised) weights, `widths` channels per block: the
    real layout for tests and offline checks, or a thin one (the encoder follows the stored shapes)."""
    g = torch.Generator().manual_seed(seed)
    state: dict[str, Tensor] = {}
    in_channels = 3
    for index, name in enumerate(MODULE_NAMES[: MODULE_NAMES.index(last_layer) + 1]):
        if name.startswith("conv"):
            out_channels = widths[int(name[4]) - 1]
            weight = torch.randn(out_channels, in_channels, 3, 3, generator=g)
            state[f"features.{index}.weight"] = weight * (2 / (9 * in_channels)) ** 0.5
            state[f"features.{index}.bias"] = torch.zeros(out_channels)
            in_channels = out_channels
    return state


@functools.lru_cache(maxsize=8)
def _cached_encoder(path: Path, last_layer: str, device: torch.device, dtype: torch.dtype) -> VGGEncoder:
    state, convention, identity = _read_weights(path)
    encoder = VGGEncoder(state, convention, last_layer, identity).to(device=device, dtype=dtype)
    if device.type == "cuda":
        encoder.channels_last()
    return encoder


def load_encoder(
    layers: Iterable[str], device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
) -> VGGEncoder:
    """A frozen encoder that reaches the deepest of `layers`, shared by every caller on that device/dtype."""
    return _cached_encoder(resolve_weights(), deepest(layers), torch.device(device), dtype)
