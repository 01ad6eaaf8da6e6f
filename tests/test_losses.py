"""Losses: Gram matrices, relative errors, style blending, TV, and resolution-independent strength."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nst.errors import NSTError
from nst.images import image_to_tensor, load_image
from nst.losses import PerceptualLoss, StyleLoss, TVLoss, gram_matrix, relative_mse
from nst.settings import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, STYLE_WEIGHT
from nst.vgg import load_encoder
from tests.helpers import random_encoder


def test_gram_matrix_is_averaged_over_positions() -> None:
    features = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])  # (1,2,2,2)
    gram = gram_matrix(features)
    assert gram.shape == (1, 2, 2)
    assert torch.allclose(gram[0], torch.tensor([[30 / 4, 6 / 4], [6 / 4, 2 / 4]]))
    tiled = features.repeat(1, 1, 3, 3)  # same statistics at 9x the positions
    assert torch.allclose(gram_matrix(tiled), gram)


def test_relative_mse_is_scale_free() -> None:
    target = torch.randn(2, 4, 5, 5)
    assert torch.allclose(relative_mse(target, target), torch.zeros(2))
    assert torch.allclose(relative_mse(torch.zeros_like(target), target), torch.ones(2), atol=1e-6)
    assert torch.allclose(relative_mse(10 * target * 1.1, 10 * target), relative_mse(target * 1.1, target))


def test_style_blend_targets_are_weighted_means_and_validated() -> None:
    loss = StyleLoss(["a"])
    f1, f2 = {"a": torch.rand(1, 3, 4, 4)}, {"a": torch.rand(1, 3, 4, 4)}
    loss.set_targets([f1, f2], [3, 1])
    expected = 0.75 * gram_matrix(f1["a"]) + 0.25 * gram_matrix(f2["a"])
    assert torch.allclose(loss.targets["a"], expected)
    assert float(loss({"a": f1["a"]})) < float(loss({"a": f2["a"]}))
    with pytest.raises(NSTError, match="style-blend"):
        loss.set_targets([f1, f2], [1.0])
    with pytest.raises(NSTError, match="non-negative"):
        StyleLoss(["a", "b"], [1.0, -1.0])


def test_tv_loss_is_zero_for_flat_images_and_positive_for_noise() -> None:
    tv = TVLoss()
    assert float(tv(torch.full((1, 3, 8, 8), 0.3)).sum()) == 0.0
    assert float(tv(torch.rand(1, 3, 8, 8)).sum()) > 0.01


def test_perceptual_loss_terms_and_gradients() -> None:
    encoder = random_encoder("relu2_1")
    loss = PerceptualLoss(
        encoder,
        content_layers=["relu2_1"],
        style_layers=["relu1_1", "relu2_1"],
        style_weight=10.0,
        tv_weight=1.0,
    )
    content, style = torch.rand(2, 3, 32, 32), torch.rand(1, 3, 40, 40)
    loss.set_style([style])
    targets = loss.content_targets(content)
    image = content.clone().requires_grad_(True)
    terms = loss(image, targets)
    assert set(terms) == {"content", "style", "tv", "total"}
    assert float(terms["content"].detach()) == pytest.approx(0.0, abs=1e-6)
    assert float(terms["total"].detach()) == pytest.approx(
        float((terms["style"] + terms["tv"]).detach()), rel=1e-5
    )
    terms["total"].backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


def test_style_strength_balance_is_the_same_at_256_and_1024(
    vgg_weights: Path, photos_dir: Path, styles_dir: Path
) -> None:
    """The style/content ratio for the same picture pair stays within 2x between 256 and 1024 px."""
    content = load_image(photos_dir / "tubingen.jpg")
    painting = load_image(styles_dir / "van-gogh_starry-night.jpg")
    encoder = load_encoder((*DEFAULT_STYLE_LAYERS, *DEFAULT_CONTENT_LAYERS))
    loss = PerceptualLoss(
        encoder,
        content_layers=DEFAULT_CONTENT_LAYERS,
        style_layers=DEFAULT_STYLE_LAYERS,
        style_weight=STYLE_WEIGHT,
    )
    ratios = []
    for side in (256, 1024):
        scale = side / max(content.size)
        size = (round(content.width * scale), round(content.height * scale))
        photo = image_to_tensor(content.resize(size))
        art = image_to_tensor(painting.resize(size))
        loss.set_style([art])
        halfway = 0.5 * photo + 0.5 * art  # a stand-in for a half-stylised result
        with torch.no_grad():
            terms = loss(halfway, loss.content_targets(photo))
        ratios.append(float(terms["style"] / terms["content"]))
    assert 0.5 < ratios[0] / ratios[1] < 2.0, ratios
