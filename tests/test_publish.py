"""training/publish.py: what would go to the Hub, with the Hub client replaced at its boundary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch
from PIL import Image

from nst.cards import RECORD_FILE
from nst.images import load_image
from nst.presets import get_preset, list_presets
from nst.settings import STYLES_ROOT
from nst.transformer import VARIANTS, InstanceNorm, TransformerNet, build_transformer, save_checkpoint
from training import publish as publish_module

UPLOADED = ["README.md", "config.json", "model.safetensors", "sample.png", "style.jpg", "training.json"]


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    folder = save_checkpoint(build_transformer("cpu"), tmp_path / "model")
    record = {
        "variant": "cpu",
        "style_file": "van-gogh_starry-night.jpg",
        "steps": 300,
        "settings": {"size": 192, "style_weight": 80.0, "lr": 0.003},
        "evaluation": {
            "fast": {"content": 1.2, "style": 0.01, "total": 4.2, "ssim": 0.4, "seconds": 0.1, "photos": 4}
        },
        "eval_photos": ["chicago.jpg"],
    }
    (folder / RECORD_FILE).write_text(json.dumps(record), encoding="utf-8")
    return folder


class FakeApi:
    """Records create_repo/upload_folder calls and what the upload folder held at upload time."""

    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    files: ClassVar[dict[str, bytes]] = {}

    def create_repo(self, repo_id: str, **kwargs: Any) -> None:
        FakeApi.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs: Any) -> str:
        FakeApi.calls.append(("upload_folder", kwargs))
        FakeApi.files = {p.name: p.read_bytes() for p in Path(kwargs["folder_path"]).iterdir()}
        return "https://huggingface.co/nst-studio/fast-van-gogh/commit/abc"


def test_publish_creates_the_repo_and_uploads_one_folder(
    checkpoint: Path, photos_dir: Path, styles_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeApi.calls, FakeApi.files = [], {}
    monkeypatch.setattr(publish_module, "HfApi", FakeApi)
    url = publish_module.publish(
        checkpoint,
        "nst-studio/fast-van-gogh",
        "van-gogh",
        private=True,
        sample_photo=photos_dir / "chicago.jpg",
    )
    assert url.endswith("/commit/abc")
    (create, created), (upload, uploaded) = FakeApi.calls
    assert (create, upload) == ("create_repo", "upload_folder")
    assert created == {
        "repo_id": "nst-studio/fast-van-gogh",
        "repo_type": "model",
        "private": True,
        "exist_ok": True,
    }
    assert uploaded["repo_id"] == "nst-studio/fast-van-gogh" and uploaded["repo_type"] == "model"
    assert sorted(FakeApi.files) == UPLOADED
    assert FakeApi.files["style.jpg"] == (STYLES_ROOT / "van-gogh" / "style.jpg").read_bytes()  # bundled
    assert FakeApi.files["model.safetensors"] == (checkpoint / "model.safetensors").read_bytes()
    assert FakeApi.files["sample.png"].startswith(b"\x89PNG")

    card = FakeApi.files["README.md"].decode("utf-8")
    front, body = card.split("---\n", 2)[1:]
    assert "pipeline_tag: image-to-image" in front and "library_name: nst-studio" in front
    assert "license:" in front and "style-transfer" in front
    assert "Vincent van Gogh, *The Starry Night*, 1889" in body
    assert "Public domain (the artist died in 1890)." in body  # the preset's rights note
    assert "| style_weight | `80.0` |" in body  # training settings
    assert "| fast | 1.200 | 0.01000 | 4.200 | 0.400 | 0.10 |" in body  # evaluation numbers
    assert "![sample output](sample.png)" in body and "![style image](style.jpg)" in body


def test_dry_run_writes_the_folder_and_lists_it(
    checkpoint: Path, photos_dir: Path, styles_dir: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(publish_module, "HfApi", None)  # a dry run never touches the client
    out = tmp_path / "upload"
    args = [
        str(checkpoint),
        "--repo",
        "nst-studio/fast-van-gogh",
        "--preset",
        "van-gogh",
        "--dry-run",
        str(out),
    ]
    assert publish_module.main([*args, "--sample-photo", str(photos_dir / "chicago.jpg")]) == 0
    assert sorted(p.name for p in out.iterdir()) == UPLOADED
    assert capsys.readouterr().out.split() == [str(out / name) for name in UPLOADED]


def test_refuses_a_folder_that_is_not_a_trained_checkpoint(tmp_path: Path, capsys) -> None:
    args = [str(tmp_path), "--repo", "nst-studio/x", "--preset", "van-gogh", "--dry-run", str(tmp_path / "o")]
    assert publish_module.main(args) == 2
    assert "no config.json" in capsys.readouterr().err


@pytest.fixture
def multi_checkpoint(tmp_path: Path) -> Path:
    names = [preset.id for preset in list_presets()]
    net = TransformerNet(**VARIANTS["cpu"], styles=len(names), style_names=names)
    torch.manual_seed(0)
    with torch.no_grad():  # every style its own norm scale/shift, as after training
        for module in net.modules():
            if isinstance(module, InstanceNorm):
                module.bias.add_(torch.randn_like(module.bias))
    folder = save_checkpoint(net, tmp_path / "presets-multi")
    record = {"variant": "multi", "style_file": ", ".join(names), "steps": 20000, "settings": {"size": 128}}
    (folder / RECORD_FILE).write_text(json.dumps(record), encoding="utf-8")
    return folder


def test_the_multi_style_network_goes_up_with_every_painting_and_its_rights(
    multi_checkpoint: Path, photos_dir: Path, styles_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "upload"
    files = publish_module.build_upload(multi_checkpoint, out, None, photos_dir / "chicago.jpg")
    presets = list_presets()
    paintings = [f"style-{preset.id}.jpg" for preset in presets]
    assert files == sorted([*UPLOADED[:3], "sample.png", *paintings, "training.json"])
    for preset, name in zip(presets, paintings, strict=True):
        assert (out / name).read_bytes() == (STYLES_ROOT / preset.id / "style.jpg").read_bytes()
    card = (out / "README.md").read_text(encoding="utf-8")
    for preset in presets:
        assert f"{preset.artist}, *{preset.painting}*, {preset.year}" in card and preset.rights in card
        assert f"![style image](style-{preset.id}.jpg)" in card
    assert f"**Note (picasso):** {get_preset('picasso').notice}" in card
    width, height = load_image(photos_dir / "chicago.jpg", max_side=publish_module.SAMPLE_SIDE // 2).size
    with Image.open(out / "sample.png") as sample:  # the photo once per style, side by side
        assert sample.size == (len(presets) * width, height)
        assert len({sample.crop((i * width, 0, (i + 1) * width, height)).tobytes() for i in range(4)}) == 4


def test_a_preset_is_needed_for_one_network_and_refused_for_the_multi_style_one(
    checkpoint: Path, multi_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    out = str(tmp_path / "o")
    assert publish_module.main([str(checkpoint), "--repo", "nst-studio/x", "--dry-run", out]) == 2
    assert "--preset is needed" in capsys.readouterr().err
    args = [str(multi_checkpoint), "--repo", "nst-studio/x", "--preset", "hokusai", "--dry-run", out]
    assert publish_module.main(args) == 2
    assert "multi-style network" in capsys.readouterr().err
