"""benchmarks/loss_networks.py: two loss networks, one photo, cross-scored rows and a side-by-side image.

Thin random networks stand in for the Caffe and torchvision VGG19 (one with each input convention)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from PIL import Image

from benchmarks.loss_networks import main
from nst.settings import EXAMPLES_DIR
from nst.vgg import random_features
from nst.vgg_weights import write_features

THIN = (4, 8, 8, 16, 16)


def test_rows_and_side_by_side_for_two_networks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], one_thread: None
) -> None:
    files = {}
    for seed, (label, convention) in enumerate([("Caffe", "caffe"), ("torchvision", "torchvision")]):
        files[label] = tmp_path / f"{label}.safetensors"
        write_features(random_features(widths=THIN, seed=seed), files[label], convention, label)
    out = tmp_path / "side.png"
    photo = EXAMPLES_DIR / "countryside.jpg"
    argv = [f"--network={label}={path}" for label, path in files.items()]
    argv += ["--photo", str(photo), "--preset", "van-gogh", "--size", "48", "--steps", "2", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith(("| Caffe", "| torchvision"))]
    assert len(rows) == 2
    for row in rows:
        numbers = [float(x) for x in re.findall(r"\d+\.\d+", row)]
        assert len(numbers) == 8 and all(math.isfinite(n) for n in numbers)
    with Image.open(out) as sheet:
        assert sheet.height == 256 and sheet.width == 384 * 3 + 16  # photo (3:2) and two results (3:2)
    assert main([*argv[:1], "--network=x=/nowhere", "--photo", str(photo)]) == 2
