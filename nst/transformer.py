"""The fast-mode network: Johnson et al.'s feed-forward image transformer with the fixes learned since.

Instance norm, reflection padding, nearest-upsample + conv decoding (no checkerboard) and a sigmoid output
(no clipping). Instance-norm statistics can be recorded once and replayed, so an image processed in tiles
matches the whole-image result. Checkpoints are `config.json` + fp16 `model.safetensors`: never pickle.

Over ~350 lines on purpose: the network, its conditional (multi-style) norms, its export to one style and its
checkpoint format change together, and each half is tested against the other here.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin, constants, hf_hub_download
from safetensors import SafetensorError
from safetensors.torch import load_model
from torch import Tensor, nn

from nst.cards import PAPER_URL, REPO_URL
from nst.cards import TEMPLATE as MODEL_CARD
from nst.errors import ModelError
from nst.tensorfiles import check_tensor_file

NormStats = list[tuple[Tensor, Tensor]]  # (mean, var) of every instance norm, in forward order

WEIGHTS_FILE = constants.SAFETENSORS_SINGLE_FILE  # "model.safetensors"
CONFIG_FILE = constants.CONFIG_NAME  # "config.json"
CHECKPOINT_MAX_BYTES = 128 * 2**20  # the largest network any configuration allows is far smaller
CONFIG_MAX_BYTES = 64 * 1024

# Constructor kwargs of each variant (stored verbatim in config.json).
VARIANTS: dict[str, dict[str, Any]] = {
    # Johnson et al. 2016: 32-64-128 channels, 5 dense residual blocks at 1/4 resolution, 9x9 outer convs.
    "standard": {"channels": [32, 64, 128], "num_res_blocks": 5, "outer_kernel": 9, "depthwise": False},
    # CPU-fast (~8x less compute): a third stride-2 stage puts the residual blocks at 1/8 resolution, where
    # they are cheap and see far; they are depthwise-separable; only 8 channels at full resolution, where
    # memory traffic dominates on CPU; 5x5 outer convs. Chosen by timing candidates side by side on 2 cores.
    "cpu": {"channels": [8, 24, 48, 96], "num_res_blocks": 4, "outer_kernel": 5, "depthwise": True},
    # Video (~2x faster than CPU-fast, for 640x360 frames at 15/s on 2 cores): no layer at full resolution.
    # A stride-2 stem, and the last upsampling's 3x3 conv writes the three output channels (upsample_conv:
    # checkerboard-free). Measured side by side at 640x360, 2 threads: 57 ms against CPU-fast's 97 ms.
    "video": {
        "channels": [16, 48, 96],
        "num_res_blocks": 4,
        "outer_kernel": 5,
        "depthwise": True,
        "stem_stride": 2,
    },
}


class _NormPass:
    """One forward pass's instance-norm state: statistics computed from the input (and recorded) or replayed,
    and for a multi-style network the (N, styles) or (1, styles) mix of style embeddings to apply."""

    def __init__(
        self,
        frozen: NormStats | None = None,
        mix: Tensor | None = None,
        previous: NormStats | None = None,
        keep: float = 0.0,
    ) -> None:
        self.frozen = frozen
        self.mix = mix
        self.previous = previous  # running statistics to blend this pass's own into (video frames)
        self.keep = keep  # the running statistics' share in that blend
        self.recorded: NormStats = []

    def stats(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if self.frozen is not None:
            mean, var = self.frozen[len(self.recorded)]
        elif x.is_cuda:  # one fused kernel, fp32 accumulation even for half-precision activations
            var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
        else:  # two passes in fp32: as exact as torch.var_mean, which is ~4x slower on CPU
            x = x.float()
            mean = x.mean(dim=(2, 3), keepdim=True)
            var = (x - mean).square().mean(dim=(2, 3), keepdim=True)
        if self.frozen is None and self.previous is not None:
            old_mean, old_var = self.previous[len(self.recorded)]
            mean, var = torch.lerp(mean, old_mean, self.keep), torch.lerp(var, old_var, self.keep)
        self.recorded.append((mean, var))
        return mean, var


class InstanceNorm(nn.Module):
    """Affine instance norm whose statistics come from a `_NormPass` (so they can be frozen for tiling).

    With `styles` > 0 it is a conditional instance norm (Dumoulin et al. 2017): one scale/shift row per
    style, mixed per image by the pass's style mix. Everything else in the network is shared by all styles.
    """

    def __init__(self, channels: int, styles: int = 0, eps: float = 1e-5) -> None:
        super().__init__()
        shape = (styles, channels) if styles else (channels,)
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))
        self.eps = eps

    def affine(self, mix: Tensor | None) -> tuple[Tensor, Tensor]:
        """(scale, shift) as (1 or N, C, 1, 1): fixed, or the style mix of the conditional rows."""
        if self.weight.dim() == 1:
            return self.weight.view(1, -1, 1, 1), self.bias.view(1, -1, 1, 1)
        if mix is None:
            raise ValueError("a multi-style network needs a style mix (which preset, or which blend)")
        mix = mix.to(self.weight)
        return (mix @ self.weight)[:, :, None, None], (mix @ self.bias)[:, :, None, None]

    def forward(self, x: Tensor, norms: _NormPass) -> Tensor:
        mean, var = norms.stats(x)
        weight, bias = self.affine(norms.mix)
        scale = weight * torch.rsqrt(var.float() + self.eps)
        shift = bias - mean * scale
        return torch.addcmul(shift.to(x.dtype), x, scale.to(x.dtype))


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Conv2d:
    """Convolution with reflection padding ("same" size at stride 1)."""
    return nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2, padding_mode="reflect")


def _res_conv(channels: int, depthwise: bool) -> nn.Module:
    """A residual block's 3x3 conv: dense, or depthwise-separable (3x3 per channel, then 1x1 across channels;
    ~8x fewer multiply-adds and ~2.5x faster on CPU at 96 channels)."""
    if not depthwise:
        return _conv(channels, channels, 3)
    spatial = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect", groups=channels, bias=False)
    return nn.Sequential(spatial, nn.Conv2d(channels, channels, 1))


# How a 3x3 kernel read after nearest 2x upsampling collapses onto 2 low-resolution rows (or columns): even
# output rows see x[m-1], x[m] with weights w0, w1+w2; odd rows see x[m], x[m+1] with w0+w1, w2.
_PHASE_ROWS = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]], [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
_PHASES = ((0, 0), (0, 1), (1, 0), (1, 1))


def upsample_conv(x: Tensor, conv: nn.Conv2d) -> Tensor:
    """`conv` (3x3, reflection-padded) of `x` upsampled 2x by nearest neighbour, computed at low resolution.

    Each of the four output phases (even/odd row, even/odd column) is a 2x2 conv of `x`, replicate-padded
    (reflecting the upsampled image by one pixel repeats its border). One conv computes all four; each is
    written into its pixels of the output. Exactly the same result, without building the 4x larger upsampled
    input and with 16 instead of 36 multiply-adds per output pixel: 1.5-3x faster on CPU. Checkerboard-free
    like any upsample + conv, since all phases come from one 3x3 kernel.
    """
    rows = _PHASE_ROWS.to(conv.weight)
    weight = torch.einsum("apk,bql,oikl->aboipq", rows, rows, conv.weight).flatten(0, 2)
    bias = None if conv.bias is None else conv.bias.repeat(4)
    phases = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, bias)  # (N, 4*C, H+1, W+1)
    batch, _, height, width = x.shape
    channels = conv.out_channels
    layout = (
        torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    )
    out = torch.empty(
        (batch, channels, 2 * height, 2 * width),
        dtype=phases.dtype,
        device=phases.device,
        memory_format=layout,
    )
    for index, (dy, dx) in enumerate(_PHASES):
        out[:, :, dy::2, dx::2] = phases[
            :, index * channels : (index + 1) * channels, dy : dy + height, dx : dx + width
        ]
    return out


class ConvBlock(nn.Module):
    """[nearest 2x upsample] -> reflection-padded conv -> instance norm -> ReLU."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int = 1, upsample: bool = False, styles: int = 0
    ) -> None:
        super().__init__()
        if upsample and (kernel, stride) != (3, 1):
            raise ValueError("upsampling blocks use 3x3 convolutions with stride 1")
        self.upsample = upsample
        self.conv = _conv(c_in, c_out, kernel, stride)
        self.norm = InstanceNorm(c_out, styles)

    def forward(self, x: Tensor, norms: _NormPass) -> Tensor:
        x = upsample_conv(x, self.conv) if self.upsample else self.conv(x)
        return F.relu(self.norm(x, norms), inplace=True)


class ResidualBlock(nn.Module):
    """x + IN(conv(ReLU(IN(conv(x))))), as in Johnson et al. (no ReLU after the sum)."""

    def __init__(self, channels: int, depthwise: bool = False, styles: int = 0) -> None:
        super().__init__()
        self.conv1 = _res_conv(channels, depthwise)
        self.norm1 = InstanceNorm(channels, styles)
        self.conv2 = _res_conv(channels, depthwise)
        self.norm2 = InstanceNorm(channels, styles)

    def forward(self, x: Tensor, norms: _NormPass) -> Tensor:
        y = F.relu(self.norm1(self.conv1(x), norms), inplace=True)
        return x + self.norm2(self.conv2(y), norms)


class TransformerNet(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="nst-studio",
    tags=["style-transfer", "image-to-image"],
    pipeline_tag="image-to-image",
    paper_url=PAPER_URL,
    repo_url=REPO_URL,
    model_card_template=MODEL_CARD,
):
    """Image (N,3,H,W) in [0,1] -> stylised image of the same size in (0,1); any H, W >= 16.

    `channels[0]` is the stem's width; each further entry adds a stride-2 stage, and the residual blocks run
    at the last one (1/2**(len(channels)-1) of the stem's resolution). The stem runs at full resolution, or at
    half with `stem_stride` 2 (then the head upsamples: no layer at full size). `outer_kernel` is the kernel
    size of the stem and (at full resolution) the head; `depthwise` makes the residual convs
    depthwise-separable. With `styles` > 0 every instance norm is conditional: one network for that many
    styles (`style_names` says which, in row order), run with a style mix (`forward(x, mix=...)`);
    `export_style` fixes a mix into a single-style network.
    """

    def __init__(
        self,
        channels: Sequence[int] = (32, 64, 128),
        num_res_blocks: int = 5,
        outer_kernel: int = 9,
        depthwise: bool = False,
        styles: int = 0,
        style_names: Sequence[str] = (),
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        if not 1 <= len(channels) <= 5 or not all(1 <= c <= 1024 for c in channels):
            raise ValueError(f"channels must be 1 to 5 widths between 1 and 1024, got {channels}")
        if not 0 <= num_res_blocks <= 32:
            raise ValueError(f"num_res_blocks must be between 0 and 32, got {num_res_blocks}")
        if outer_kernel % 2 == 0 or not 1 <= outer_kernel <= 15:
            raise ValueError(f"outer_kernel must be odd and between 1 and 15, got {outer_kernel}")
        if not 0 <= styles <= 64:
            raise ValueError(f"styles must be between 0 and 64, got {styles}")
        if stem_stride not in (1, 2):
            raise ValueError(f"stem_stride must be 1 or 2, got {stem_stride}")
        if style_names and len(style_names) != styles:
            raise ValueError(f"style_names must name all {styles} styles, got {list(style_names)}")
        self.styles, self.style_names = styles, tuple(str(name) for name in style_names)
        self._channels, self._num_res_blocks = channels, num_res_blocks
        self._outer_kernel, self._depthwise, self._stem_stride = outer_kernel, depthwise, stem_stride
        stages = list(itertools.pairwise(channels))
        self.stem = ConvBlock(3, channels[0], outer_kernel, stride=stem_stride, styles=styles)
        self.down = nn.ModuleList(ConvBlock(a, b, 3, stride=2, styles=styles) for a, b in stages)
        blocks = range(num_res_blocks)
        self.res = nn.ModuleList(ResidualBlock(channels[-1], depthwise, styles) for _ in blocks)
        self.up = nn.ModuleList(ConvBlock(b, a, 3, upsample=True, styles=styles) for a, b in reversed(stages))
        # After a stride-2 stem the head also upsamples (a 3x3 conv, see upsample_conv).
        self.head = _conv(channels[0], 3, outer_kernel if stem_stride == 1 else 3)
        self.factor = 2 ** len(stages) * stem_stride  # input sides are padded to a multiple of this

    def forward(self, x: Tensor, norm_stats: NormStats | None = None, mix: Tensor | None = None) -> Tensor:
        """Stylise `x`; with `norm_stats` (from `norm_stats()`), use those instead of x's own statistics.

        `mix` (multi-style networks only): style weights, (styles,) for the whole batch or (N, styles) per
        image; a one-hot row is one preset, other rows blend presets.
        """
        return self._run(x, _NormPass(norm_stats, self._mix(mix)))

    def norm_stats(self, x: Tensor, mix: Tensor | None = None) -> NormStats:
        """The instance-norm statistics of a forward pass over `x`, to replay on tiles of a larger image."""
        norms = _NormPass(mix=self._mix(mix))
        self._run(x, norms)
        return norms.recorded

    def _mix(self, mix: Tensor | None) -> Tensor | None:
        if mix is None:
            return None
        if not self.styles:
            raise ValueError("a style mix only applies to a multi-style network")
        mix = mix.float().unsqueeze(0) if mix.dim() == 1 else mix.float()
        if mix.shape[-1] != self.styles:
            raise ValueError(f"the style mix needs {self.styles} weights, got {mix.shape[-1]}")
        return mix

    @torch.no_grad()
    def export_style(self, mix: Tensor) -> TransformerNet:
        """An ordinary (single-style) network equal to this one run with the fixed style `mix`."""
        weights = self._mix(mix)
        if weights is None or weights.shape[0] != 1:
            raise ValueError("export one style mix at a time")
        single = TransformerNet(**self.architecture()).to(self.head.weight.device)
        state = {}
        for name, value in self.state_dict().items():
            owner = self.get_submodule(name.rsplit(".", 1)[0])
            state[name] = (weights.to(value) @ value)[0] if isinstance(owner, InstanceNorm) else value
        single.load_state_dict(state, strict=True)
        return single.train(self.training)

    def architecture(self) -> dict[str, Any]:
        """The constructor settings of this network's single-style counterpart."""
        return {
            "channels": self._channels,
            "num_res_blocks": self._num_res_blocks,
            "outer_kernel": self._outer_kernel,
            "depthwise": self._depthwise,
        } | ({"stem_stride": self._stem_stride} if self._stem_stride != 1 else {})

    def forward_smoothed(
        self, x: Tensor, previous: NormStats | None, keep: float
    ) -> tuple[Tensor, NormStats]:
        """Stylise `x` with each instance norm's statistics blended into `previous` (`keep` = their share), in
        one pass; returns the output and the blended statistics, the next frame's `previous`.

        A running average of the statistics across video frames stops colours pumping from frame to frame.
        """
        norms = _NormPass(previous=previous, keep=keep)
        return self._run(x, norms), norms.recorded

    def _run(self, x: Tensor, norms: _NormPass) -> Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, self.factor)
        x = self.stem(x, norms)
        for layer in self.down:
            x = layer(x, norms)
        for layer in self.res:
            x = layer(x, norms)
        for layer in self.up:
            x = layer(x, norms)
        x = self.head(x) if self._stem_stride == 1 else upsample_conv(x, self.head)
        return torch.sigmoid(x)[..., :height, :width]

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        **model_kwargs: Any,
    ) -> TransformerNet:
        """Safetensors only (the mixin would fall back to a pickled .bin), always strict, fp32 parameters."""
        model = cls(**model_kwargs)
        if os.path.isdir(model_id):
            weights = os.path.join(model_id, WEIGHTS_FILE)
        else:
            weights = hf_hub_download(
                model_id,
                WEIGHTS_FILE,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                local_files_only=local_files_only,
                token=token,
            )
        shapes = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
        check_tensor_file(Path(weights), CHECKPOINT_MAX_BYTES, shapes.get, "network file")
        load_model(model, weights, strict=True, device=map_location)
        return model.eval()


def pad_to_multiple(x: Tensor, factor: int) -> Tensor:
    """Reflection-pad the bottom/right of (N,C,H,W) `x` so both sides are multiples of `factor`."""
    pad_h, pad_w = -x.shape[-2] % factor, -x.shape[-1] % factor
    return F.pad(x, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else x


def build_transformer(variant: str) -> TransformerNet:
    """A randomly initialised network of a named variant ("standard", "cpu" or "video")."""
    if variant not in VARIANTS:
        raise ModelError(f"Unknown network variant '{variant}'. Known variants: {', '.join(VARIANTS)}.")
    return TransformerNet(**VARIANTS[variant])


def save_checkpoint(model: TransformerNet, folder: str | os.PathLike[str], **card_kwargs: Any) -> Path:
    """Write `model` to `folder` as config.json + fp16 model.safetensors + README.md (model card)."""
    folder = Path(folder)
    half = copy.deepcopy(model).to(device="cpu", dtype=torch.float16)
    # config.json = the architecture (settings at their defaults left out: today's files for today's networks)
    styles = {"styles": model.styles, "style_names": list(model.style_names)} if model.styles else {}
    half._hub_mixin_config = model.architecture() | styles
    half.save_pretrained(folder, model_card_kwargs=card_kwargs)
    return folder


def load_checkpoint(folder: Path) -> TransformerNet:
    """The fp32 network in a checkpoint folder (eval mode), or a ModelError saying what is wrong with it."""
    shown = display_path(folder)
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise ModelError(f"{shown} has no {name}")
    if (folder / CONFIG_FILE).stat().st_size > CONFIG_MAX_BYTES:
        raise ModelError(f"{shown}/{CONFIG_FILE} is too large to be a network's settings")
    try:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            raise ValueError("config.json is not a JSON object")
        unknown = set(config) - set(TransformerNet._hub_mixin_init_parameters) - {"self"}
        if unknown:
            raise ValueError(f"config.json has unknown settings {sorted(unknown)}")
        return TransformerNet.from_pretrained(folder)
    except (OSError, ValueError, TypeError, RuntimeError, SafetensorError) as exc:
        raise ModelError(
            f"the checkpoint in {shown} is corrupt or does not match the network ({_first_lines(exc)})"
        ) from exc


def _first_lines(exc: Exception, count: int = 3) -> str:
    """The first `count` non-empty lines of an error on one line (state-dict errors list every tensor)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    more = f"; and {len(lines) - count} more" if len(lines) > count else ""
    return "; ".join(lines[:count]) + more


def display_path(path: Path) -> str:
    """`path` relative to the current folder when it is inside it (shorter messages), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
