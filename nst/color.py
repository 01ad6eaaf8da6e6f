"""Colour spaces: YUV (luminance transfer keeps a photo's colours under a new texture) and Oklab (perceptual
blends between a photo and its stylised version)."""

from __future__ import annotations

import torch
from torch import Tensor

# ITU-R BT.601 YIQ-style luma/chroma basis (as in Gatys et al., "Preserving color in NST", 2016).
_RGB_TO_YUV = torch.tensor(
    [[0.299, 0.587, 0.114], [-0.14714119, -0.28886916, 0.43601035], [0.61497538, -0.51496512, -0.10001026]]
)
_YUV_TO_RGB = torch.linalg.inv(_RGB_TO_YUV)


def _mix(matrix: Tensor, image: Tensor) -> Tensor:
    """Apply a 3x3 colour matrix to (N,3,H,W)."""
    return torch.einsum("ij,njhw->nihw", matrix.to(image), image)


def rgb_to_yuv(image: Tensor) -> Tensor:
    """(N,3,H,W) RGB in [0,1] -> YUV with Y in [0,1]."""
    return _mix(_RGB_TO_YUV, image)


def yuv_to_rgb(image: Tensor) -> Tensor:
    """Inverse of rgb_to_yuv (no clamping)."""
    return _mix(_YUV_TO_RGB, image)


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


_LINEAR_TO_LMS = torch.tensor(
    [[0.4122214708, 0.5363325363, 0.0514459929], [0.2119034982, 0.6806995451, 0.1073969566],
     [0.0883024619, 0.2817188376, 0.6299787005]]
)  # fmt: skip
_LMS_TO_OKLAB = torch.tensor(
    [[0.2104542553, 0.7936177850, -0.0040720145], [1.9779984951, -2.4285922050, 0.4505937099],
     [0.0259040371, 0.7827717662, -0.8086757660]]
)  # fmt: skip


def rgb_to_oklab(image: Tensor) -> Tensor:
    """sRGB (N,3,H,W) in [0,1] -> Oklab (Ottosson 2020): perceptually uniform lightness and colour."""
    linear = torch.where(image <= 0.04045, image / 12.92, ((image + 0.055) / 1.055) ** 2.4)
    return _mix(_LMS_TO_OKLAB, _mix(_LINEAR_TO_LMS, linear).clamp_min(0.0).pow(1 / 3))


def oklab_to_rgb(image: Tensor) -> Tensor:
    """Inverse of rgb_to_oklab, clamped to [0,1]."""
    lms = _mix(torch.linalg.inv(_LMS_TO_OKLAB), image).pow(3)
    linear = _mix(torch.linalg.inv(_LINEAR_TO_LMS), lms).clamp(0.0, 1.0)
    return torch.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear.pow(1 / 2.4) - 0.055)
