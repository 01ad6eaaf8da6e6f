"""Small builders shared by tests: synthetic images and a random-weight VGG encoder."""

from __future__ import annotations

import torch
from PIL import Image

from nst.vgg import InputConvention, VGGEncoder, random_features


def gradient_image(width: int, height: int, seed: int = 0) -> Image.Image:
    """A smooth random colour field with some texture: a stand-in photo that needs no files."""
    g = torch.Generator().manual_seed(seed)
    base = torch.nn.functional.interpolate(
        torch.rand(1, 3, 4, 4, generator=g), size=(height, width), mode="bilinear"
    )
    pixels = (base + 0.08 * torch.rand(1, 3, height, width, generator=g)).clamp(0, 1)[0].permute(1, 2, 0)
    return Image.fromarray((pixels * 255).round().byte().numpy())


def random_encoder(last_layer: str = "relu3_1", seed: int = 0) -> VGGEncoder:
    """A VGG-shaped encoder with random weights, for logic tests that must not depend on real weights."""
    state = random_features(last_layer, seed=seed)
    convention = InputConvention(bgr=False, scale=1.0, mean=(0.5, 0.5, 0.5))
    return VGGEncoder(state, convention, last_layer)
