"""`python -m nst quality`: output with embedded recipe, JSON, progress on stderr, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from nst.cli import main
from nst.images import read_recipe, save_png
from nst.settings import REPO_ROOT
from tests.helpers import gradient_image

pytestmark = pytest.mark.usefixtures("vgg_weights")


@pytest.fixture
def pictures(tmp_path: Path) -> tuple[Path, Path]:
    content, style = tmp_path / "photo.png", tmp_path / "style.png"
    save_png(gradient_image(48, 40, 1), content)
    save_png(gradient_image(48, 48, 2), style)
    return content, style


def test_writes_png_with_recipe_and_prints_json(
    pictures: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, style = pictures
    out = tmp_path / "out" / "result.png"
    code = main(
        [
            "quality",
            str(content),
            "--style",
            str(style),
            "--style",
            str(style),
            "--style-weights",
            "1",
            "2",
            "-o",
            str(out),
            "--size",
            "48",
            "--steps",
            "3",
            "--device",
            "cpu",
            "--json",
        ]
    )
    assert code == 0
    recipe = read_recipe(out)
    assert (
        recipe is not None
        and recipe["settings"]["steps"] == 3
        and recipe["settings"]["style_blend"] == [1, 2]
    )
    captured = capsys.readouterr()
    assert json.loads(captured.out)["output_size"] == [48, 40]
    assert "3/3" in captured.err


def test_bad_input_exits_2_with_one_line(pictures: tuple[Path, Path], tmp_path: Path) -> None:
    content, _ = pictures
    fake = tmp_path / "notes.jpg"
    fake.write_text("hello, I am not a picture")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nst",
            "quality",
            str(content),
            "--style",
            str(fake),
            "-o",
            str(tmp_path / "o.png"),
            "--size",
            "32",
            "--steps",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "not an image" in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_file_and_bad_settings_exit_2(
    pictures: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, style = pictures
    assert (
        main(["quality", str(tmp_path / "nope.jpg"), "--style", str(style), "-o", str(tmp_path / "o.png")])
        == 2
    )
    assert "not found" in capsys.readouterr().err
    assert (
        main(["quality", str(content), "--style", str(style), "-o", str(tmp_path / "o.png"), "--steps", "0"])
        == 2
    )
    assert "--steps must be at least 1" in capsys.readouterr().err  # the declared range, naming the flag


# --- nothing lost (issue 10) -------------------------------------------------------------------------


def test_output_rules_are_checked_before_the_run(
    pictures: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, style = pictures
    base = ["quality", str(content), "--style", str(style), "--size", "32", "--steps", "1", "--device", "cpu"]
    before = content.read_bytes()
    assert main([*base, "-o", str(content), "--overwrite"]) == 2  # -o names the photo
    assert "is one of the inputs" in capsys.readouterr().err and content.read_bytes() == before
    assert main([*base, "-o", str(style)]) == 2
    assert "is one of the inputs" in capsys.readouterr().err
    existing = tmp_path / "kept.png"
    existing.write_bytes(b"precious")
    assert main([*base, "-o", str(existing)]) == 2
    assert (
        "already exists: use --overwrite" in capsys.readouterr().err and existing.read_bytes() == b"precious"
    )
    assert main([*base, "-o", str(existing), "--overwrite", "--quiet"]) == 0 and read_recipe(existing)
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    started = time.perf_counter()
    assert main([*base[:-4], "--steps", "300", "-o", str(blocker / "sub" / "o.png")]) == 2
    assert capsys.readouterr().err.startswith("error: Cannot write to") and time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("device", "phrase"), [("foo", "Unknown device 'foo'"), ("cuda", "none is available")]
)
def test_device_mistakes_are_one_line(
    pictures: tuple[Path, Path], tmp_path: Path, device: str, phrase: str
) -> None:
    if device == "cuda" and torch.cuda.is_available():
        device, phrase = "cuda:99", "Unknown device"  # a GPU machine: ask for one it does not have
    content, style = pictures
    proc = subprocess.run(
        [sys.executable, "-m", "nst", "quality", str(content), "--style", str(style), "-o",
         str(tmp_path / "o.png"), "--device", device],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False,
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and phrase in lines[0], proc.stderr
