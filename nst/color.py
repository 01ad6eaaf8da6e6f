"""Colour-space helpers: luminance transfer keeps a photo's colours under a new texture."""

from __future__ import annotations

import torch
from torch import Tensor

# ITU-R BT.601 YIQ-style luma/chroma basis (as in Gatys et al., "Preserving color in NST", 2016).
_RGB_TO_YUV = torch.tensor(
    [[0.299, 0.587, 0.114], [-0.14714119, -0.28886916, 0.43601035], [0.61497538, -0.51496512, -0.10001026]]
)
_YUV_TO_RGB = torch.linalg.inv(_RGB_TO_YUV)


def rgb_to_yuv(image: Tensor) -> Tensor:
    """(N,3,H,W) RGB in [0,1] -> YUV with Y in [0,1]."""
    return torch.einsum("ij,njhw->nihw", _RGB_TO_YUV.to(image), image)


def yuv_to_rgb(image: Tensor) -> Tensor:
    """Inverse of rgb_to_yuv (no clamping)."""
    return torch.einsum("ij,njhw->nihw", _YUV_TO_RGB.to(image), image)


def luminance(image: Tensor) -> Tensor:
    """(N,3,H,W) RGB -> (N,1,H,W) luma."""
    return rgb_to_yuv(image)[:, :1]


def transfer_luminance(stylized: Tensor, content: Tensor) -> Tensor:
    """Take luminance from `stylized` and chroma (U,V) from `content`; both (N,3,H,W) in [0,1]."""
    yuv = rgb_to_yuv(content)
    yuv = torch.cat([rgb_to_yuv(stylized)[:, :1], yuv[:, 1:]], dim=1)
    return yuv_to_rgb(yuv).clamp(0.0, 1.0)


def match_luminance_stats(luma: Tensor, reference: Tensor) -> Tensor:
    """Shift/scale `luma` so its mean and std match `reference` (used to make a style's luma fit a photo)."""
    mu, sigma = luma.mean(), luma.std().clamp_min(1e-6)
    return (luma - mu) / sigma * reference.std() + reference.mean()
