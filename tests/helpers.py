"""Small builders shared by tests: synthetic images, a PNG that claims any size, a random VGG encoder."""

from __future__ import annotations

import io
import struct
import zlib

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


def png_claiming(width: int, height: int) -> bytes:
    """A tiny real PNG whose IHDR says width×height (CRC fixed): costs nothing unless decoded."""
    buffer = io.BytesIO()
    Image.new("L", (16, 16), 128).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def random_encoder(last_layer: str = "relu3_1", seed: int = 0) -> VGGEncoder:
    """A VGG-shaped encoder with random weights, for logic tests that must not depend on real weights."""
    state = random_features(last_layer, seed=seed)
    convention = InputConvention(bgr=False, scale=1.0, mean=(0.5, 0.5, 0.5))
    return VGGEncoder(state, convention, last_layer)
