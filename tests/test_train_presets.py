"""training/train_presets.py: every network of a preset set trained on a time budget and shipped."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from nst.presets import get_preset
from nst.transformer import TransformerNet, build_transformer, save_checkpoint
from tests.helpers import gradient_image
from training import train_presets
from training.train_presets import STYLE_WEIGHTS, main


def test_parallel_runs_are_logged_trained_and_shipped_with_their_cards(
    tmp_path: Path, styles_dir: Path, vgg_weights: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(6):
        gradient_image(96, 72, seed=index).save(photos / f"{index}.jpg")
    small = f"--size 64 --style-size 64 --preview-size 64 --eval-size 64 --preview-photos {photos}"
    out, shipped = tmp_path / "runs", tmp_path / "styles"
    argv = ["--data", str(photos), "--styles-dir", str(styles_dir), "--out", str(out), "--minutes", "0.0001"]
    argv += ["--recipe", "cpu", "--parallel", "--presets", "van-gogh", "hokusai", "--variants", "cpu"]
    assert main([*argv, "--ship-to", str(shipped), "--extra", small]) == 0

    commands = [shlex.split(line) for line in (out / "commands.txt").read_text().splitlines()]
    assert [c[c.index("--out") + 1] for c in commands] == [
        str(out / "van-gogh-cpu"),
        str(out / "hokusai-cpu"),
    ]
    for name in ("van-gogh-cpu", "hokusai-cpu"):
        folder = shipped / name
        assert {"config.json", "model.safetensors", "training.json", "README.md"} <= {
            p.name for p in folder.iterdir()
        }
        TransformerNet.from_pretrained(folder)
        settings = json.loads((folder / "training.json").read_text())["settings"]
        assert settings["style_weight"] == STYLE_WEIGHTS[name] and settings["content_layers"] == ["relu2_2"]
        assert settings["size"] == 64 and settings["minutes"] == 0.0  # --extra came last; budget per run
        preset = get_preset(name.removesuffix("-cpu"))
        assert f"{preset.artist}, *{preset.painting}*" in (folder / "README.md").read_text()


def test_shipping_replaces_the_bundled_network_whole(tmp_path: Path, monkeypatch) -> None:
    """Before: the bundled network was deleted first, so a failed copy left none."""
    run, target = tmp_path / "run", tmp_path / "styles" / "van-gogh-cpu"
    save_checkpoint(build_transformer("cpu"), run / "model")
    (run / "model" / "training.json").write_text("{}")
    save_checkpoint(build_transformer("cpu"), target)
    before = (target / "model.safetensors").read_bytes()

    def failing_card(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(train_presets, "write_card", failing_card)
    with pytest.raises(OSError, match="disk full"):
        train_presets.ship(run, target, "van-gogh")
    assert (target / "model.safetensors").read_bytes() == before
    monkeypatch.undo()
    train_presets.ship(run, target, "van-gogh")
    assert (target / "model.safetensors").read_bytes() == (run / "model" / "model.safetensors").read_bytes()
    assert (target / "README.md").is_file() and sorted(p.name for p in target.parent.iterdir()) == [
        "van-gogh-cpu"
    ]
