"""Perceptual losses as small modules: Gram matrices, content, style (several images, blended), TV.

Every term is normalised so that its size does not depend on the image's resolution or on a layer's
activation scale: content and style are relative squared errors against their targets. A style strength
therefore means the same thing at 256 px and at 1024 px.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from nst.errors import NSTError
from nst.vgg import VGGEncoder

_EPS = 1e-8


def gram_matrix(features: Tensor) -> Tensor:
    """(N,C,H,W) -> (N,C,C) channel correlations averaged over positions (resolution-independent)."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w).float()
    return torch.bmm(flat, flat.transpose(1, 2)) / (h * w)


def relative_mse(value: Tensor, target: Tensor) -> Tensor:
    """Per-sample mean squared error divided by the target's mean square: 1.0 means "as far as zero is"."""
    dims = tuple(range(1, value.dim()))
    scale = target.float().pow(2).mean(dim=dims) + _EPS
    return (value.float() - target.float()).pow(2).mean(dim=dims) / scale


def _normalised(weights: Sequence[float] | None, count: int, what: str) -> list[float]:
    """Weights that sum to 1 (equal when None)."""
    if weights is None:
        return [1.0 / count] * count
    if len(weights) != count or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise NSTError(f"Give {count} non-negative {what} weights with a positive sum (got {list(weights)}).")
    total = float(sum(weights))
    return [float(w) / total for w in weights]


class ContentLoss(nn.Module):
    """Mean relative feature error at the content layers (targets passed per call: they vary per batch)."""

    def __init__(self, layers: Sequence[str]) -> None:
        super().__init__()
        self.layers = tuple(layers)

    def forward(self, features: Mapping[str, Tensor], targets: Mapping[str, Tensor]) -> Tensor:
        terms = [relative_mse(features[name], targets[name]) for name in self.layers]
        return torch.stack(terms).mean(dim=0)


class StyleLoss(nn.Module):
    """Weighted relative Gram error against a blend of one or more style images' Gram matrices."""

    def __init__(self, layers: Sequence[str], layer_weights: Sequence[float] | None = None) -> None:
        super().__init__()
        self.layers = tuple(layers)
        self.layer_weights = _normalised(layer_weights, len(self.layers), "style-layer")
        self.targets: dict[str, Tensor] = {}

    def set_targets(
        self, style_features: Sequence[Mapping[str, Tensor]], blend: Sequence[float] | None
    ) -> None:
        """Target Gram per layer = blend-weighted mean of each style image's Gram matrix."""
        weights = _normalised(blend, len(style_features), "style-blend")
        self.targets = {
            name: functools.reduce(
                torch.add, [w * gram_matrix(f[name]) for w, f in zip(weights, style_features, strict=True)]
            ).detach()
            for name in self.layers
        }

    def set_bank(self, style_features: Sequence[Mapping[str, Tensor]]) -> None:
        """One target per style image, picked per sample by `forward(..., style_ids)` (multi-style runs)."""
        self.targets = {
            name: torch.cat([gram_matrix(f[name]) for f in style_features]).detach() for name in self.layers
        }

    def forward(self, features: Mapping[str, Tensor], style_ids: Tensor | None = None) -> Tensor:
        if not self.targets:
            raise RuntimeError("StyleLoss.set_targets must be called before use")
        terms = []
        for name, w in zip(self.layers, self.layer_weights, strict=True):
            target = self.targets[name]
            if style_ids is None:
                target = target.expand(features[name].shape[0], -1, -1)
            else:
                target = target.index_select(0, style_ids)
            terms.append(w * relative_mse(gram_matrix(features[name]), target))
        return torch.stack(terms).sum(dim=0)


class TVLoss(nn.Module):
    """Total variation: mean squared difference between neighbouring pixels (per sample)."""

    def forward(self, image: Tensor) -> Tensor:
        dx = (image[..., :, 1:] - image[..., :, :-1]).pow(2).mean(dim=(1, 2, 3))
        dy = (image[..., 1:, :] - image[..., :-1, :]).pow(2).mean(dim=(1, 2, 3))
        return dx + dy


class PerceptualLoss(nn.Module):
    """Content + style + TV through one encoder pass; returns each weighted term and their total."""

    def __init__(
        self,
        encoder: VGGEncoder,
        *,
        content_layers: Sequence[str],
        style_layers: Sequence[str],
        style_layer_weights: Sequence[float] | None = None,
        content_weight: float = 1.0,
        style_weight: float = 1.0,
        tv_weight: float = 0.0,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.content = ContentLoss(content_layers)
        self.style = StyleLoss(style_layers, style_layer_weights)
        self.tv = TVLoss()
        self.weights = {"content": content_weight, "style": style_weight, "tv": tv_weight}
        self.layers = tuple(dict.fromkeys((*content_layers, *style_layers)))

    @torch.no_grad()
    def set_style(self, styles: Sequence[Tensor], blend: Sequence[float] | None = None) -> None:
        """Compute the target Gram matrices from style images (RGB [0,1], any sizes)."""
        self.style.set_targets([self.encoder(s, self.style.layers) for s in styles], blend)

    @torch.no_grad()
    def content_targets(self, content: Tensor) -> dict[str, Tensor]:
        """Content-layer activations of the photo(s) the output must stay close to."""
        return {k: v.detach().clone() for k, v in self.encoder(content, self.content.layers).items()}

    def forward(self, image: Tensor, content_targets: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Per-sample weighted terms "content", "style", "tv" and "total", averaged over the batch."""
        features = self.encoder(image, self.layers)
        terms = {
            "content": self.weights["content"] * self.content(features, content_targets),
            "style": self.weights["style"] * self.style(features),
            "tv": self.weights["tv"] * self.tv(image),
        }
        terms = {name: value.mean() for name, value in terms.items()}
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms
