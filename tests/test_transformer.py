"""nst.transformer: the network's shape contract, frozen norm statistics and the on-disk checkpoint format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from nst.errors import ModelError
from nst.transformer import (
    CONFIG_FILE,
    VARIANTS,
    WEIGHTS_FILE,
    InstanceNorm,
    TransformerNet,
    build_transformer,
    load_checkpoint,
    pad_to_multiple,
    save_checkpoint,
    upsample_conv,
)


def tiny_net() -> TransformerNet:
    torch.manual_seed(0)
    return TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3).eval()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variants_keep_size_and_map_into_the_open_unit_interval(variant: str) -> None:
    net = build_transformer(variant).eval()
    x = torch.rand(1, 3, 37, 50)  # not a multiple of the downsampling factor
    with torch.inference_mode():
        y = net(x)
    assert y.shape == x.shape
    assert y.min().item() > 0.0 and y.max().item() < 1.0  # sigmoid: never clipped


def test_standard_variant_is_johnsons_layout() -> None:
    net = build_transformer("standard")
    assert VARIANTS["standard"] == {
        "channels": [32, 64, 128],
        "num_res_blocks": 5,
        "outer_kernel": 9,
        "depthwise": False,
    }
    assert net.factor == 4 and len(net.res) == 5
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in net.modules())
    assert all(m.padding_mode == "reflect" for m in net.modules() if isinstance(m, torch.nn.Conv2d))


def test_cpu_variant_is_much_smaller() -> None:
    standard, cpu = build_transformer("standard"), build_transformer("cpu")
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert count(cpu) < count(standard) / 4
    assert cpu.factor == 8
    assert any(m.groups == m.in_channels > 1 for m in cpu.res.modules() if isinstance(m, torch.nn.Conv2d))


def test_video_variant_has_no_layer_at_full_resolution() -> None:
    """Its speed comes from this: every convolution runs at half size or less (the head upsamples)."""
    video, cpu = build_transformer("video").eval(), build_transformer("cpu")
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert video.factor == 8 and count(video) <= count(cpu)  # residual blocks at 1/8 size, like CPU-fast
    heights: list[int] = []
    for module in video.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(lambda m, args, out: heights.append(out.shape[-2]))
    with torch.no_grad():
        out = video(torch.rand(1, 3, 64, 96))
    assert out.shape == (1, 3, 64, 96) and heights and max(heights) <= 32


def test_upsample_conv_equals_nearest_upsample_then_conv() -> None:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(6, 5, 3, padding=1, padding_mode="reflect")
    x = torch.randn(2, 6, 9, 14)
    expected = conv(torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest"))
    assert torch.allclose(upsample_conv(x, conv), expected, atol=1e-5)


def test_replayed_norm_stats_reproduce_the_forward_pass() -> None:
    net = tiny_net()
    x = torch.rand(1, 3, 40, 40)
    with torch.inference_mode():
        stats = net.norm_stats(x)
        assert len(stats) == sum(isinstance(m, InstanceNorm) for m in net.modules())
        assert torch.equal(net(x, stats), net(x))
        other = net(x, net.norm_stats(torch.rand(1, 3, 40, 40)))
    assert not torch.allclose(other, net(x))


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ModelError, match="standard, cpu"):
        build_transformer("huge")


@pytest.mark.parametrize("kwargs", [{"channels": []}, {"num_res_blocks": -1}, {"outer_kernel": 4}])
def test_constructor_validates_its_config(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TransformerNet(**kwargs)  # type: ignore[arg-type]  # bad settings on purpose


def test_pad_to_multiple_pads_bottom_right_only() -> None:
    x = torch.rand(1, 3, 10, 13)
    padded = pad_to_multiple(x, 8)
    assert padded.shape[-2:] == (16, 16)
    assert torch.equal(padded[..., :10, :13], x)
    assert pad_to_multiple(padded, 8) is padded


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_save_load_round_trip(variant: str, tmp_path: Path) -> None:
    net = build_transformer(variant).eval()
    folder = save_checkpoint(net, tmp_path / variant, style="Test", variant=variant)
    assert {p.name for p in folder.iterdir()} == {CONFIG_FILE, WEIGHTS_FILE, "README.md"}
    assert json.loads((folder / CONFIG_FILE).read_text()) == VARIANTS[variant]
    assert f"Variant: {variant}" in (folder / "README.md").read_text()
    with safe_open(str(folder / WEIGHTS_FILE), "pt") as handle:
        assert all(handle.get_tensor(key).dtype == torch.float16 for key in handle.keys())  # noqa: SIM118
    assert next(net.parameters()).dtype == torch.float32  # the saved copy was halved, not the model

    loaded = load_checkpoint(folder)
    assert not loaded.training
    for (name, a), (other, b) in zip(net.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert name == other and b.dtype == torch.float32
        assert torch.equal(a.half().float(), b)
    via_mixin = TransformerNet.from_pretrained(folder)
    x = torch.rand(1, 3, 48, 48)
    with torch.inference_mode():
        assert torch.equal(via_mixin(x), loaded(x))
        assert (loaded(x) - net(x)).abs().max() < 0.02  # only fp16 rounding of the weights


def test_a_channels_last_model_saves_like_any_other(tmp_path: Path) -> None:
    net = build_transformer("cpu").to(memory_format=torch.channels_last)  # as stylize() leaves it
    folder = save_checkpoint(net, tmp_path / "ckpt")
    assert torch.equal(load_checkpoint(folder).head.weight, net.head.weight.half().float())


def test_strict_loading_refuses_a_mismatched_architecture(tmp_path: Path) -> None:
    folder = save_checkpoint(build_transformer("cpu"), tmp_path / "ckpt")
    (folder / CONFIG_FILE).write_text(json.dumps(VARIANTS["standard"]))
    with pytest.raises(ModelError, match="does not match"):
        load_checkpoint(folder)


def test_strict_loading_refuses_missing_and_extra_tensors(tmp_path: Path) -> None:
    net = tiny_net()
    folder = save_checkpoint(net, tmp_path / "ckpt")
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file({k: v for k, v in state.items() if k != "head.bias"}, str(folder / WEIGHTS_FILE))
    with pytest.raises(ModelError, match=r"head\.bias"):
        load_checkpoint(folder)
    save_file({**state, "extra.weight": torch.zeros(2)}, str(folder / WEIGHTS_FILE))
    with pytest.raises(ModelError, match=r"extra\.weight"):
        load_checkpoint(folder)


def test_corrupt_files_give_model_errors(tmp_path: Path) -> None:
    folder = save_checkpoint(tiny_net(), tmp_path / "ckpt")
    weights = (folder / WEIGHTS_FILE).read_bytes()
    (folder / WEIGHTS_FILE).write_bytes(weights[: len(weights) // 2])
    with pytest.raises(ModelError, match="corrupt"):
        load_checkpoint(folder)
    (folder / WEIGHTS_FILE).write_bytes(weights)
    for config in ("{not json", "[1, 2]", json.dumps({"channels": [4, 8], "evil": 1})):
        (folder / CONFIG_FILE).write_text(config)
        with pytest.raises(ModelError, match="ckpt"):
            load_checkpoint(folder)


def test_pickled_weights_are_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = tiny_net()
    folder = save_checkpoint(net, tmp_path / "ckpt")
    (folder / WEIGHTS_FILE).unlink()
    torch.save(net.state_dict(), folder / "pytorch_model.bin")
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load (pickle) was called"))
    with pytest.raises(ModelError, match=r"no model\.safetensors"):
        load_checkpoint(folder)
    with pytest.raises(Exception):  # noqa: B017 - the mixin must not fall back to the pickle either
        TransformerNet.from_pretrained(folder)
