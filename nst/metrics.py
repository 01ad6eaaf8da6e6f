"""Image-quality metrics shared by tests, evaluation and the compare view."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter
from torch import Tensor

from nst.color import luminance
from nst.images import ImageSource, image_to_tensor, load_image
from nst.losses import PerceptualLoss
from nst.settings import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, STYLE_WEIGHT
from nst.vgg import load_encoder


def _gaussian_window(size: int, sigma: float, device: torch.device) -> Tensor:
    coords = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).view(1, 1, size, size)


def ssim(a: Tensor, b: Tensor, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Structural similarity of the luminance of two (N,3,H,W) images in [0,1] (Wang et al. 2004); (N,)."""
    if a.shape != b.shape:
        raise ValueError(f"ssim needs equal shapes, got {tuple(a.shape)} and {tuple(b.shape)}")
    x, y = luminance(a.float()), luminance(b.float())
    kernel = _gaussian_window(min(window, *x.shape[-2:]), sigma, x.device)
    c1, c2 = 0.01**2, 0.03**2

    def blur(t: Tensor) -> Tensor:
        return F.conv2d(t, kernel)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    score = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return score.mean(dim=(1, 2, 3))


class Scorer:
    """The fixed scoring protocol for stylised images: content, style and total loss, and SSIM.

    Content: relative feature error at relu4_2; style: relative Gram error at relu1_1 ... relu5_1 with equal
    layer weights (both unweighted, from nst.losses); total = content + STYLE_WEIGHT x style, the quality
    engine's own balance. The painting is scaled to the photo's longest side.
    """

    def __init__(self, style: ImageSource, size: int, device: torch.device | str = "cpu") -> None:
        self.size, self.device = size, torch.device(device)
        encoder = load_encoder((*DEFAULT_CONTENT_LAYERS, *DEFAULT_STYLE_LAYERS), self.device)
        self.loss = PerceptualLoss(
            encoder, content_layers=DEFAULT_CONTENT_LAYERS, style_layers=DEFAULT_STYLE_LAYERS
        )
        painting = load_image(style)
        scale = size / max(painting.size)
        shape = (max(1, round(painting.width * scale)), max(1, round(painting.height * scale)))
        self.loss.set_style([image_to_tensor(painting.resize(shape, Image.Resampling.LANCZOS), self.device)])

    def photo(self, source: ImageSource) -> Image.Image:
        """A photo as scored: longest side `size` (never enlarged)."""
        return load_image(source, max_side=self.size)

    @torch.no_grad()
    def score(self, output: Image.Image, photo: Image.Image) -> dict[str, float]:
        """content, style, total, ssim and stripes (periodic_texture) of `output` against `photo` (resized to
        the output's size)."""
        if photo.size != output.size:
            photo = photo.resize(output.size, Image.Resampling.LANCZOS)
        x, p = image_to_tensor(output, self.device), image_to_tensor(photo, self.device)
        terms = self.loss(x, self.loss.content_targets(p))
        content, style = float(terms["content"]), float(terms["style"])
        return {
            "content": content,
            "style": style,
            "total": content + STYLE_WEIGHT * style,
            "ssim": float(ssim(x, p)[0]),
            "stripes": periodic_texture(output),
        }


def periodic_texture(image: Image.Image, blur_radius: float = 3.0, top: float = 0.002) -> float:
    """Share of the high-pass luminance spectrum's energy in its strongest `top` fraction of frequency bins.

    A fine periodic texture (the stripes an under-trained transformer network paints everywhere) puts its
    energy into a few sharp spectral peaks; painterly texture and photo detail spread theirs. Johnson et al.'s
    published networks score about 0.07-0.08 on chicago at 256 px.
    """
    gray = image.convert("L")
    detail = np.asarray(gray, np.float64) - np.asarray(
        gray.filter(ImageFilter.GaussianBlur(blur_radius)), np.float64
    )
    power = np.abs(np.fft.fft2(detail)) ** 2
    power[0, 0] = 0.0
    ranked = np.sort(power.ravel())[::-1]
    total = ranked.sum()
    return float(ranked[: max(1, int(top * ranked.size))].sum() / total) if total > 0 else 0.0
