"""Spectral terms of the distillation loss: how a student's fine detail is spread over spatial frequencies.

Both work on the stripe measure's band (nst.metrics.periodic_texture: the luminance minus its Gaussian
blur), on the training crops. `detail_spectrum` asks for texture as rich as the teacher's; `peak_share` is
the stripe measure itself, made differentiable, for a term that stops a student concentrating more of its
detail into a few periodic peaks than its teacher does (docs/training.md, ninth session).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.transforms.functional import gaussian_blur

DETAIL_SIGMA = 3.0  # the detail band: luminance minus its Gaussian blur (the stripe measure's band)
DETAIL_FLOOR = 1e-3  # spectrum magnitudes below this count as no detail (the log's floor)
PEAK_TOP = 0.002  # the strongest share of frequency bins the stripe measure sums (its `top`)
LUMA = (0.299, 0.587, 0.114)  # the stripe measure's grey (PIL's "L")


def detail_band(images: Tensor, luma: bool = False) -> Tensor:
    """(N,1,H,W) high-pass band of `images` (N,3,H,W): grey (mean, or `luma` weights) minus its blur."""
    if luma:
        grey = (images * images.new_tensor(LUMA).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    else:
        grey = images.mean(dim=1, keepdim=True)
    kernel = 2 * round(2 * DETAIL_SIGMA) + 1
    return grey - gaussian_blur(grey, [kernel, kernel], [DETAIL_SIGMA, DETAIL_SIGMA])


def detail_spectrum(images: Tensor) -> Tensor:
    """How much fine detail there is at each spatial frequency and orientation, wherever it lies: the log
    magnitude spectrum of the luminance's high-pass band (the stripe measure's band), (N,1,H,W//2+1).

    L1 alone lets a small student paint the teacher's fine texture as a blur (where it cannot place each
    stroke exactly, the mean is cheapest), which leaves the teacher's regular motifs as the only detail:
    measured, a Hokusai student kept 90 % of the teacher's spectral-peak energy but 60 % of the rest, so
    its stripe measure rose by half. A magnitude spectrum ignores where each stroke lies (its phase), and
    the log weighs the many faint frequencies as much as the motifs' few strong ones: matching it asks for
    texture as rich as the teacher's, spread over the same frequencies (docs/training.md)."""
    return torch.log(torch.fft.rfft2(detail_band(images), norm="ortho").abs() + DETAIL_FLOOR)


def peak_share(images: Tensor, top: float = PEAK_TOP) -> Tensor:
    """(N,) share of each image's band energy in its strongest `top` fraction of frequency bins: the stripe
    measure (nst.metrics.periodic_texture) of a batch, differentiable (the gradient reaches the peaks and,
    through the total, everything else). The constant term is left out, as the measure does."""
    power = torch.fft.fft2(detail_band(images, luma=True)[:, 0], norm="ortho").abs().square().flatten(1)
    power = power[:, 1:]
    count = max(1, int(top * (power.shape[1] + 1)))
    return power.topk(count, dim=1).values.sum(dim=1) / power.sum(dim=1).clamp_min(1e-12)
