"""The loss network: naming, input convention, truncation, caching, weight resolution."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from nst.errors import ModelError, NSTError
from nst.vgg import LAYERS, MODULE_NAMES, InputConvention, deepest, load_encoder, resolve_weights
from tests.helpers import random_encoder


def test_layer_names_follow_torchvision_indices() -> None:
    assert MODULE_NAMES[0] == "conv1_1" and MODULE_NAMES[1] == "relu1_1"
    assert MODULE_NAMES.index("conv4_2") == 21 and MODULE_NAMES.index("relu5_4") == 35
    assert len(LAYERS) == 16 and LAYERS[-1] == "relu5_4"
    assert deepest(["relu1_1", "relu4_2", "relu3_1"]) == "relu4_2"
    with pytest.raises(NSTError, match="Unknown VGG layer"):
        deepest(["relu9_9"])


def test_input_convention_parses_caffe_and_torchvision_styles() -> None:
    caffe = InputConvention.parse("BGR, 0-255, mean-subtracted [103.939, 116.779, 123.68]")
    assert caffe == InputConvention(True, 255.0, (103.939, 116.779, 123.68))
    tv = InputConvention.parse("RGB, 0-1, mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225]")
    assert not tv.bgr and tv.scale == 1.0 and tv.std == (0.229, 0.224, 0.225)
    with pytest.raises(ModelError, match="not understood"):
        InputConvention.parse("whatever")


def test_preprocess_applies_channel_order_scale_and_mean(vgg_weights: Path) -> None:
    encoder = load_encoder(["relu1_1"])
    image = torch.zeros(1, 3, 2, 2)
    image[:, 0] = 1.0  # pure red
    x = encoder.preprocess(image)
    # BGR order: red lands in the last channel, scaled to 255, then the mean is subtracted.
    assert torch.allclose(x[0, :, 0, 0], torch.tensor([-103.939, -116.779, 255 - 123.68]))


def test_encoder_is_truncated_frozen_and_cached(vgg_weights: Path) -> None:
    encoder = load_encoder(["relu1_1", "relu3_1"])
    assert encoder.names[-1] == "relu3_1" and len(encoder.features) == MODULE_NAMES.index("relu3_1") + 1
    assert not any(p.requires_grad for p in encoder.parameters())
    assert load_encoder(["relu3_1"]) is encoder
    out = encoder(torch.rand(1, 3, 32, 48), ["relu1_1", "relu3_1"])
    assert out["relu1_1"].shape == (1, 64, 32, 48) and out["relu3_1"].shape == (1, 256, 8, 12)
    with pytest.raises(NSTError, match="not in this encoder"):
        encoder(torch.rand(1, 3, 32, 32), ["relu4_1"])


def test_real_weights_respond_to_structure(vgg_weights: Path) -> None:
    """Deep features of an image and a shifted copy agree far more than those of unrelated noise."""
    encoder = load_encoder(["relu4_2"])
    torch.manual_seed(0)
    smooth = torch.nn.functional.interpolate(torch.rand(1, 3, 8, 8), size=(96, 96), mode="bicubic").clamp(
        0, 1
    )
    shifted = torch.roll(smooth, shifts=2, dims=-1)
    a, b, c = (
        encoder(t, ["relu4_2"])["relu4_2"].flatten() for t in (smooth, shifted, torch.rand(1, 3, 96, 96))
    )
    cos = torch.nn.functional.cosine_similarity
    assert cos(a, b, dim=0) > 0.8 > cos(a, c, dim=0)


def test_resolve_weights_uses_env_and_reports_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NST_VGG_WEIGHTS", str(tmp_path / "missing.safetensors"))
    with pytest.raises(ModelError, match="does not exist"):
        resolve_weights()


def test_resolve_weights_offline_without_cache_is_a_fast_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NST_VGG_WEIGHTS", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "nst"))
    start = time.perf_counter()
    with pytest.raises(ModelError, match="NST_VGG_WEIGHTS"):
        resolve_weights()
    assert time.perf_counter() - start < 1.0


def test_corrupt_weights_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    monkeypatch.setenv("NST_VGG_WEIGHTS", str(bad))
    with pytest.raises(ModelError, match="Cannot read"):
        load_encoder(["relu1_1"])


def test_random_encoder_helper_matches_real_layout() -> None:
    encoder = random_encoder("relu2_1")
    assert encoder(torch.rand(1, 3, 16, 16), ["relu2_1"])["relu2_1"].shape == (1, 128, 8, 8)
