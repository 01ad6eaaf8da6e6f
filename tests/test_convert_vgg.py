"""training/convert_vgg.py: torchvision-layout state dicts become files nst.vgg reads back."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from nst.errors import ModelError
from nst.vgg import InputConvention, VGGEncoder, _read_weights
from training.convert_vgg import CONVENTIONS, convert, main

# conv1_1, conv1_2, conv2_1: enough for an encoder that ends at relu2_1 (real shapes, random values)
_SHAPES = {0: (64, 3), 2: (64, 64), 5: (128, 64)}


def _state(prefix: str = "") -> dict[str, torch.Tensor]:
    state = {}
    for index, (c_out, c_in) in _SHAPES.items():
        state[f"{prefix}features.{index}.weight"] = torch.randn(c_out, c_in, 3, 3)
        state[f"{prefix}features.{index}.bias"] = torch.randn(c_out)
    state[f"{prefix}classifier.0.weight"] = torch.randn(8, 4)  # dropped
    return state


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_round_trip_keeps_features_as_fp16_with_metadata(tmp_path: Path, suffix: str) -> None:
    state = _state()
    source = tmp_path / f"vgg19{suffix}"
    if suffix == ".pth":
        torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, source)
    else:
        save_file(state, str(source))
    target = tmp_path / "out.safetensors"
    convert(source, target, "torchvision", "torchvision IMAGENET1K_V1")

    with safe_open(str(target), framework="pt") as handle:
        metadata = handle.metadata()
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    assert set(tensors) == {k for k in state if k.startswith("features.")}
    for key, value in tensors.items():
        assert value.dtype == torch.float16
        torch.testing.assert_close(value.float(), state[key].half().float())
    assert metadata["source"] == "torchvision IMAGENET1K_V1"
    assert (metadata["architecture"], metadata["stored_dtype"]) == ("vgg19.features", "float16")

    read, convention, _ = _read_weights(target)
    assert convention == InputConvention(False, 1.0, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    encoder = VGGEncoder(read, convention, "relu2_1")
    assert encoder(torch.rand(1, 3, 32, 32), ["relu2_1"])["relu2_1"].shape == (1, 128, 16, 16)


def test_caffe_convention_is_the_default_and_parses() -> None:
    convention = InputConvention.parse(CONVENTIONS["caffe"])
    assert convention.bgr and convention.scale == 255.0 and convention.mean == (103.939, 116.779, 123.68)


def test_refuses_non_vgg_files_and_unreadable_conventions(tmp_path: Path, capsys) -> None:
    other = tmp_path / "other.safetensors"
    save_file({"encoder.weight": torch.zeros(2)}, str(other))
    with pytest.raises(ModelError, match="features"):
        convert(other, tmp_path / "x.safetensors", "caffe", "")
    good = tmp_path / "good.safetensors"
    save_file(_state(), str(good))
    assert main([str(good), str(tmp_path / "y.safetensors"), "--input-convention", "whatever"]) == 2
    assert "not understood" in capsys.readouterr().err
    assert not (tmp_path / "y.safetensors").exists()


def test_up_to_keeps_only_the_layers_an_encoder_needs(tmp_path: Path) -> None:
    source = tmp_path / "vgg19.safetensors"
    save_file(_state(), str(source))
    target = tmp_path / "trimmed.safetensors"
    assert main([str(source), str(target), "--up-to", "relu1_2"]) == 0

    read, convention, _ = _read_weights(target)
    assert set(read) == {"features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias"}
    assert (
        VGGEncoder(read, convention, "relu1_2")(torch.rand(1, 3, 8, 8), ["relu1_2"])["relu1_2"].shape[1] == 64
    )
    with pytest.raises(ModelError, match="stop before relu2_1"):
        VGGEncoder(read, convention, "relu2_1")  # conv2_1 was left out
