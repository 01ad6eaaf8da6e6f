"""nst.fast.stylize and nst.tiling: strength, colour preservation, tiles that match the whole, refusals."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants
from PIL import Image

import nst.presets
from nst.color import oklab_to_rgb, rgb_to_oklab, rgb_to_yuv
from nst.errors import ImageError, ModelError, NSTError, PresetError
from nst.fast import FastResult, blend_strength, stylize
from nst.hub import reset_hub_probe
from nst.images import image_to_tensor, load_image, tensor_to_image
from nst.settings import BLENDS
from nst.tiling import count_tiles, run_tiled, tile_layout
from nst.transformer import TransformerNet, build_transformer
from tests.helpers import gradient_image


@pytest.fixture(scope="module")
def net() -> TransformerNet:
    torch.manual_seed(0)
    return TransformerNet(channels=[8, 16], num_res_blocks=1, outer_kernel=3).eval()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return gradient_image(96, 64)


def network_output(net: TransformerNet, image: Image.Image) -> torch.Tensor:
    with torch.inference_mode():
        return net(image_to_tensor(image))


def test_result_describes_the_run(net: TransformerNet, photo: Image.Image) -> None:
    result = stylize(photo, net, device="cpu")
    assert isinstance(result, FastResult)
    assert result.image.mode == "RGB" and result.image.size == photo.size == result.size
    assert (result.device, result.model_id, result.tiles) == ("cpu", "custom", 1)
    assert 0.0 < result.seconds < 30.0


def test_strength_zero_returns_the_input_exactly(net: TransformerNet, photo: Image.Image) -> None:
    result = stylize(photo, net, strength=0.0)
    assert result.image.tobytes() == photo.tobytes() and result.tiles == 0


def test_strength_one_returns_the_network_output(net: TransformerNet, photo: Image.Image) -> None:
    expected = tensor_to_image(network_output(net, photo))
    for blend in BLENDS:
        assert stylize(photo, net, strength=1.0, blend=blend).image.tobytes() == expected.tobytes()


@pytest.mark.parametrize("blend", BLENDS)
def test_strength_moves_steadily_from_photo_to_style(
    net: TransformerNet, photo: Image.Image, blend: str
) -> None:
    styled = image_to_tensor(stylize(photo, net).image)
    distances = [
        (image_to_tensor(stylize(photo, net, strength=s, blend=blend).image) - styled).abs().mean().item()
        for s in (0.0, 0.3, 0.5, 0.7, 1.0)
    ]
    assert distances == sorted(distances, reverse=True) and distances[-1] == 0.0


@pytest.mark.parametrize("blend", BLENDS)
def test_blends_hit_both_ends(blend: str) -> None:
    content, stylized = torch.rand(1, 3, 64, 48), torch.rand(1, 3, 64, 48)
    assert torch.allclose(blend_strength(content, stylized, 0.0, blend), content, atol=1e-4)
    assert torch.allclose(blend_strength(content, stylized, 1.0, blend), stylized, atol=1e-4)


def test_pyramid_blend_brings_texture_before_colour() -> None:
    content = torch.full((1, 3, 64, 64), 0.5)
    stylized = (torch.rand(1, 3, 64, 64) * 0.2 + 0.2).clamp(0, 1)  # darker, textured
    half = blend_strength(content, stylized, 0.3, "pyramid")
    plain = blend_strength(content, stylized, 0.3, "rgb")
    assert half.std() > plain.std() * 1.3  # more of the fine texture ...
    assert abs(half.mean() - plain.mean()) < 0.02  # ... with the same overall tone shift


def test_oklab_round_trip() -> None:
    rgb = torch.rand(1, 3, 16, 16)
    assert torch.allclose(oklab_to_rgb(rgb_to_oklab(rgb)), rgb, atol=1e-4)
    assert torch.allclose(
        rgb_to_oklab(torch.ones(1, 3, 1, 1)).flatten(), torch.tensor([1.0, 0.0, 0.0]), atol=1e-3
    )


def test_preserve_color_keeps_the_photos_chroma(net: TransformerNet, photo: Image.Image) -> None:
    original = rgb_to_yuv(image_to_tensor(photo))[:, 1:]
    kept = rgb_to_yuv(image_to_tensor(stylize(photo, net, preserve_color=True).image))[:, 1:]
    free = rgb_to_yuv(image_to_tensor(stylize(photo, net).image))[:, 1:]
    assert (kept - original).abs().mean() < 0.01
    assert (free - original).abs().mean() > 3 * (kept - original).abs().mean()


def test_max_side_shrinks_the_input(net: TransformerNet, photo: Image.Image) -> None:
    assert stylize(photo, net, max_side=48).size == (48, 32)


@pytest.mark.parametrize("variant", ["standard", "cpu", "video"])
def test_tiled_output_matches_untiled(variant: str) -> None:
    torch.manual_seed(0)
    model = build_transformer(variant).eval()
    image = gradient_image(384, 384, seed=3)
    whole = stylize(image, model)
    done: list[tuple[int, int]] = []
    tiled = stylize(image, model, tile_size=192, tile_overlap=64, progress=lambda i, n: done.append((i, n)))
    assert whole.tiles == 1 and tiled.tiles > 1
    assert done[-1] == (tiled.tiles, tiled.tiles)
    diff = (image_to_tensor(whole.image) - image_to_tensor(tiled.image)).abs()
    print(f"{variant}: tiled vs whole: mean {diff.mean():.5f}, max {diff.max():.4f}")
    assert diff.mean() < 0.01 and diff.max() < 0.1


def test_run_tiled_of_identity_is_identity_at_any_size() -> None:
    x = torch.rand(1, 3, 70, 203)
    assert torch.allclose(run_tiled(lambda t: t, x, tile=64, overlap=16), x, atol=1e-6)


@pytest.mark.parametrize("align", [1, 4, 8])
def test_tile_layout_covers_with_overlap_using_few_small_tiles(align: int) -> None:
    for length in range(align * 8, 4000, 37 * align):
        size, starts = tile_layout(length, 512, 64, align)
        assert size <= 512 and starts[0] == 0 and starts[-1] + size == length
        assert size % align == 0 and all(s % align == 0 for s in starts)
        assert all(a + size - b >= 64 for a, b in itertools.pairwise(starts))
        if length > 512:
            assert len(starts) <= math.ceil((length - 64) / (512 - 64 - align))


def test_tile_layout_refuses_tiles_that_cannot_advance() -> None:
    with pytest.raises(ValueError):
        tile_layout(1000, 100, 48, 8)


def test_large_image_is_tiled_with_frozen_statistics(net: TransformerNet) -> None:
    image = gradient_image(300, 120)
    result = stylize(image, net, tile_size=128, tile_overlap=32)
    assert result.tiles == count_tiles(120, 300, 128, 32, net.factor) == 3
    assert result.size == (300, 120)


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [b"not an image", b"", Image.new("RGB", (8, 8)), "/no/such/photo.jpg", 42],
    ids=["garbage-bytes", "empty-bytes", "too-small", "missing-file", "not-a-source"],
)
def test_bad_images_are_refused(net: TransformerNet, source: object) -> None:
    with pytest.raises(ImageError):
        stylize(source, net)  # type: ignore[arg-type]  # a wrong type on purpose


def test_a_folder_is_not_an_image(net: TransformerNet, tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="folder"):
        stylize(tmp_path, net)


@pytest.mark.parametrize("strength", [-0.1, 1.5, float("nan")])
def test_strength_out_of_range_is_refused(net: TransformerNet, photo: Image.Image, strength: float) -> None:
    with pytest.raises(NSTError, match="strength"):
        stylize(photo, net, strength=strength)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"blend": "multiply"}, "pyramid, oklab, rgb"),
        ({"device": "gpu"}, "Unknown device"),
        ({"tile_size": 64, "tile_overlap": 40}, "tile_size"),
    ],
)
def test_bad_options_are_refused(net: TransformerNet, photo: Image.Image, kwargs: dict, match: str) -> None:
    with pytest.raises(NSTError, match=match):
        stylize(photo, net, **kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_a_gpu_is_refused(net: TransformerNet, photo: Image.Image) -> None:
    with pytest.raises(NSTError, match="GPU"):
        stylize(photo, net, device="cuda")


def test_unknown_preset_and_missing_checkpoint(
    photo: Image.Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nst.presets, "STYLES_ROOT", tmp_path)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_hub_probe()
    with pytest.raises(PresetError, match="Known presets"):
        stylize(photo, "monet")
    with pytest.raises(ModelError, match="No checkpoint for preset 'van-gogh-cpu'"):
        stylize(photo, "van-gogh-cpu")


def test_load_image_is_the_gate(net: TransformerNet, photo: Image.Image) -> None:
    assert stylize(photo, net).image.size == load_image(photo).size
