"""`python -m nst fast`: files and folders in, PNGs with recipes out, one-line refusals with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants

import nst.presets
from nst.cli import main
from nst.fast import clear_model_cache
from nst.hub import reset_hub_probe
from nst.images import read_recipe
from nst.settings import REPO_ROOT
from nst.transformer import TransformerNet, save_checkpoint
from tests.helpers import gradient_image


@pytest.fixture(autouse=True)
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny random network bundled as the van-gogh preset (standard variant only), offline."""
    torch.manual_seed(0)
    styles = tmp_path / "styles"
    save_checkpoint(TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3), styles / "van-gogh")
    monkeypatch.setattr(nst.presets, "STYLES_ROOT", styles)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_hub_probe()
    clear_model_cache()
    return styles / "van-gogh"


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    gradient_image(64, 48, seed=1).save(folder / "b.jpg")
    gradient_image(48, 64, seed=2).save(folder / "a.png")
    (folder / "notes.txt").write_text("not an image, and not picked up")
    return folder


def test_one_file(photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["fast", str(photos / "b.jpg"), "--preset", "van-gogh", "--strength", "0.5", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    output = out / "b_van-gogh.png"
    assert str(output) in captured.out and captured.err == ""  # no progress bar for one file
    recipe = read_recipe(output)
    assert recipe is not None
    assert (recipe["mode"], recipe["preset"], recipe["variant"], recipe["settings"]["strength"]) == (
        "fast",
        "van-gogh",
        "standard",
        0.5,
    )
    assert recipe["output_size"] == [64, 48] and recipe["seconds"] >= 0 and "torch" in recipe["versions"]


def test_folder_with_json(photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["fast", str(photos), "--preset", "van-gogh", "--preserve-color", "-o", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert [Path(r["output"]).name for r in report["results"]] == ["a_van-gogh.png", "b_van-gogh.png"]
    assert report["failed"] == [] and all(r["settings"]["preserve_color"] for r in report["results"])
    assert all(Path(r["output"]).is_file() for r in report["results"])
    assert "[" in captured.err and "2/2" in captured.err  # progress bar on stderr


def test_model_folder_instead_of_a_preset(bundled: Path, photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        main(["fast", str(photos / "a.png"), "--model", str(bundled), "--max-side", "32", "-o", str(out)])
        == 0
    )
    recipe = read_recipe(out / "a_van-gogh.png")
    assert recipe is not None and recipe["model"] == str(bundled) and recipe["output_size"] == [24, 32]


def test_a_bad_file_in_a_folder_is_reported_and_skipped(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    out = tmp_path / "out"
    code = main(["fast", str(photos), "--preset", "van-gogh", "-o", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    assert sorted(p.name for p in out.iterdir()) == ["a_van-gogh.png", "b_van-gogh.png"]
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "broken.jpg" in errors[0] and "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["{photos}/notes.txt", "--preset", "van-gogh"], "not an image"),
        (["{photos}/missing.jpg", "--preset", "van-gogh"], "File not found"),
        (["{photos}/a.png", "--preset", "monet"], "van-gogh, hokusai, picasso, kandinsky"),
        (["{photos}/a.png"], "--preset (one of: van-gogh, hokusai, picasso, kandinsky)"),
        (
            ["{photos}/a.png", "--preset", "van-gogh", "--variant", "cpu"],
            "No checkpoint for preset 'van-gogh-cpu'",
        ),
        (["{photos}/a.png", "--preset", "van-gogh", "--strength", "2"], "--strength"),
        (["{photos}/a.png", "--preset", "van-gogh", "--max-side", "4"], "--max-side"),
        (["{photos}/a.png", "--preset", "van-gogh", "--device", "tpu"], "Unknown device"),
        (["{empty}", "--preset", "van-gogh"], "contains no images"),
    ],
    ids=[
        "not-image",
        "missing",
        "unknown-preset",
        "no-preset",
        "no-checkpoint",
        "strength",
        "max-side",
        "device",
        "empty-folder",
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], expected: str, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    args = [a.format(photos=photos, empty=tmp_path / "empty") for a in argv]
    code = main(["fast", *args, "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], captured.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_real_command_line_refuses_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "fake.jpg").write_text("text")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nst",
            "fast",
            str(tmp_path / "fake.jpg"),
            "--preset",
            "nope",
            "-o",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: Unknown preset 'nope'. Known presets: van-gogh, hokusai, picasso, kandinsky."
    ]


# --- nothing lost: collisions, existing files, inputs, mistakes (issue 10) ---------------------------


def test_inputs_whose_names_collide_get_distinct_outputs(tmp_path: Path) -> None:
    for folder in ("d1", "d2"):
        (tmp_path / folder).mkdir()
        gradient_image(40, 32, seed=len(folder)).save(tmp_path / folder / "x.jpg")
    gradient_image(40, 32, seed=7).save(tmp_path / "d1" / "x.png")
    gradient_image(40, 32, seed=8).save(tmp_path / "d1" / "y.jpg")
    inputs = [tmp_path / "d1" / "x.jpg", tmp_path / "d1" / "x.png", tmp_path / "d2" / "x.jpg"]
    out = tmp_path / "out"
    argv = ["fast", *map(str, inputs), str(tmp_path / "d1" / "y.jpg"), str(inputs[0]), "--preset", "van-gogh"]
    assert main([*argv, "-o", str(out), "--quiet"]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        "d1-x-jpg_van-gogh.png", "d2-x-jpg_van-gogh.png", "x-png_van-gogh.png", "y_van-gogh.png",
    ]  # fmt: skip
    assert {read_recipe(out / name)["input"] for name in written} == {"x.jpg", "x.png", "y.jpg"}  # type: ignore[index]  # recipe is present


def test_existing_outputs_are_kept_unless_overwrite(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "b_van-gogh.png").write_bytes(b"precious")
    argv = ["fast", str(photos), "--preset", "van-gogh", "-o", str(out), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "b_van-gogh.png already exists: use --overwrite" in err
    assert (out / "b_van-gogh.png").read_bytes() == b"precious" and not (out / "a_van-gogh.png").exists()
    assert main([*argv, "--overwrite"]) == 0
    assert read_recipe(out / "b_van-gogh.png") is not None


def test_an_input_is_never_an_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo = tmp_path / "q.jpg"
    gradient_image(40, 32).save(photo)
    (tmp_path / "q_van-gogh.png").symlink_to(photo)  # the output's name leads to the input itself
    assert main(["fast", str(photo), "--preset", "van-gogh", "-o", str(tmp_path), "--overwrite"]) == 2
    assert "is one of the inputs" in capsys.readouterr().err
    assert photo.read_bytes()[:2] == b"\xff\xd8"  # still the JPEG


def test_an_unwritable_output_folder_fails_before_any_work(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    assert main(["fast", str(photos), "--preset", "van-gogh", "-o", str(blocker / "out")]) == 2
    assert capsys.readouterr().err.startswith("error: Cannot write to")


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        (["--device", "foo"], "Unknown device 'foo'"),
        (["--model", "./no/such/dir"], "No checkpoint folder at ./no/such/dir"),
        (["--model", "a/b/c"], "No checkpoint folder at a/b/c"),
    ],
)
def test_device_and_model_mistakes_are_one_line(
    photos: Path, tmp_path: Path, extra: list[str], phrase: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nst", "fast", str(photos / "b.jpg"), "-o", str(tmp_path / "o"), *extra],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and phrase in lines[0], proc.stderr


def test_a_mix_of_presets_runs_on_the_multi_style_network(
    bundled: Path, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    multi = TransformerNet(
        channels=[4, 8], num_res_blocks=1, outer_kernel=3, styles=2, style_names=["van-gogh", "hokusai"]
    )
    save_checkpoint(multi, bundled.parent / "presets-multi")
    out = tmp_path / "out"
    args = [
        "fast",
        str(photos / "b.jpg"),
        "--preset",
        "van-gogh:0.7",
        "--preset",
        "hokusai:0.3",
        "-o",
        str(out),
    ]
    assert main([*args, "--variant", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "multi-style standard network" in captured.err
    recipe = read_recipe(out / "b_van-gogh70+hokusai30.png")
    assert recipe is not None
    assert recipe["mix"] == {"van-gogh": 0.7, "hokusai": 0.3} and recipe["model"] == "presets-multi"
    assert (recipe["preset"], recipe["variant"]) == (None, "standard")
    # a mix that leaves one preset is that preset's own network, as a bare --preset is
    assert (
        main(
            ["fast", str(photos / "b.jpg"), "--preset", "van-gogh:1", "--preset", "hokusai:0", "-o", str(out)]
        )
        == 0
    )
    single = read_recipe(out / "b_van-gogh.png")
    assert single is not None and single["preset"] == "van-gogh" and "mix" not in single
    assert main([*args[:2], "--preset", "van-gogh:x", "-o", str(out)]) == 2
    assert "PRESET:WEIGHT" in capsys.readouterr().err
