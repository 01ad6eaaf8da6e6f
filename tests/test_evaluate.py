"""training/evaluate.py: the fixed protocol, fast networks and quality-engine baselines (tiny sizes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from torch import nn

from nst.metrics import Scorer
from nst.transformer import VARIANTS, TransformerNet, build_transformer, display_path, save_checkpoint
from training import vs_johnson
from training.evaluate import EvalResult, evaluate_fast, evaluate_quality, main, markdown_rows

SIZE = 48


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(1)
    paths = []
    for index in range(2):
        pixels = rng.uniform(0, 255, size=(5, 7, 3)).astype(np.uint8)
        path = tmp_path / f"photo{index}.png"
        Image.fromarray(pixels).resize((70, 50), Image.Resampling.BICUBIC).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def style(styles_dir: Path) -> Path:
    return styles_dir / "van-gogh_starry-night.jpg"


pytestmark = pytest.mark.usefixtures("one_thread")


def test_protocol_scores_the_photo_itself_as_perfect_content(
    photos: list[Path], style: Path, vgg_weights: Path
) -> None:
    protocol = Scorer(style, SIZE)
    photo = protocol.photo(photos[0])
    assert max(photo.size) == SIZE
    score = protocol.score(photo, photo)
    assert score["content"] == pytest.approx(0.0, abs=1e-6)
    assert score["ssim"] == pytest.approx(1.0, abs=1e-4)
    assert score["style"] > 0 and score["total"] == pytest.approx(300 * score["style"])
    assert 0 < score["stripes"] < 1


def test_fast_and_quality_rows(photos: list[Path], style: Path, vgg_weights: Path) -> None:
    protocol = Scorer(style, SIZE)
    identity = evaluate_fast(nn.Identity(), photos, style, protocol=protocol)
    assert identity.photos == 2 and identity.content == pytest.approx(0.0, abs=1e-6)
    network = evaluate_fast(build_transformer("cpu"), photos, style, protocol=protocol)
    assert network.content > 0 and 0 <= network.seconds < 10

    quality = evaluate_quality(photos[:1], style, [3, 1], protocol=protocol)
    assert sorted(quality) == [1, 3]
    assert quality[3].photos == 1 and quality[3].seconds >= quality[1].seconds
    assert quality[3].style < identity.style  # optimisation moved towards the painting
    table = markdown_rows({"fast": network, "quality@3": quality[3]})
    assert table[0].startswith("| output |") and table[-1].startswith("| quality@3 |")


def test_command_line_json(
    photos: list[Path], style: Path, tmp_path: Path, vgg_weights: Path, capsys
) -> None:
    folder = save_checkpoint(build_transformer("cpu"), tmp_path / "net")
    args = ["--model", str(folder), "--style", str(style), "--photos", str(photos[0].parent)]
    code = main([*args, "--size", str(SIZE), "--quality-steps", "2", "--device", "cpu", "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(rows) == ["fast net", "quality@2"]
    assert set(rows["fast net"]) == {f for f in EvalResult.__dataclass_fields__}


def test_command_line_reports_a_missing_painting_in_one_line(
    tmp_path: Path, photos: list[Path], vgg_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--style", str(tmp_path / "missing.jpg"), "--photos", str(photos[0]), "--quality-steps"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "missing.jpg" in err and "Traceback" not in err


def test_a_multi_style_state_is_scored_as_the_preset_named_and_runs_get_distinct_rows(
    photos: list[Path], tmp_path: Path, vgg_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["van-gogh", "hokusai", "picasso", "kandinsky"]
    multi = save_checkpoint(
        TransformerNet(**VARIANTS["cpu"], styles=4, style_names=names), tmp_path / "state"
    )
    runs = [
        save_checkpoint(build_transformer("cpu"), tmp_path / where / "hokusai" / "model") for where in "ab"
    ]
    args = [
        "--photos",
        *map(str, photos),
        "--size",
        str(SIZE),
        "--quality-steps",
        "--device",
        "cpu",
        "--json",
    ]
    assert main(["--model", str(multi), *args, "--style", str(photos[1])]) == 2  # which preset?
    assert "multi-style network of van-gogh, hokusai, picasso, kandinsky" in capsys.readouterr().err
    assert main(["--preset", "hokusai", "--model", str(multi), *map(str, runs), *args]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(rows) == [f"fast {display_path(folder)}" for folder in (multi, *runs)]  # not one "hokusai"
    assert all(row["photos"] == 2 for row in rows.values())


def test_vs_johnson_columns_take_unshipped_students(tmp_path: Path) -> None:
    """Bundled variants by model id, then a column per student variant; each judged by its own stripe bar."""
    for preset in ("hokusai", "picasso"):
        save_checkpoint(build_transformer("video"), tmp_path / "video" / preset / "model")
    (tmp_path / "cpu" / "hokusai").mkdir(parents=True)  # begun, nothing written yet: no column entry
    columns = vs_johnson.networks(None, ["standard", "cpu"], tmp_path)
    assert list(columns["hokusai"]) == ["standard", "cpu", "video student"]
    assert list(columns["van-gogh"]) == ["standard", "cpu"]  # no student of it: a blank on the sheet
    assert columns["kandinsky"]["cpu"] == "kandinsky-cpu"
    assert isinstance(columns["picasso"]["video student"], nn.Module)
    score = {
        "preset": "hokusai",
        "ssim": 0.5,
        "style": 1.0,
        "ref_stripes": 0.1,
        "ref_ssim": 0.5,
        "ref_style": 1.0,
    }
    assert vs_johnson.Score(network="video student", stripes=0.115, **score).ok  # 1.2x the reference allowed
    assert not vs_johnson.Score(network="standard", stripes=0.115, **score).ok
