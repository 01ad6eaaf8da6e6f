"""training/bundle.py: a remote machine's training inputs, within a size budget."""

from __future__ import annotations

from pathlib import Path

from safetensors import safe_open

from tests.helpers import gradient_image
from training.bundle import VGG_FILE, main
from training.data import PhotoDataset, find_images


def test_bundle_fits_the_budget_and_trains_from_it(
    tmp_path: Path, vgg_weights: Path, styles_dir: Path, photos_dir: Path
) -> None:
    data = tmp_path / "data"
    for index in range(40):
        folder = data / f"source{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        gradient_image(340, 256, seed=index).save(folder / f"{index}.jpg", quality=90)
    (data / "source0" / "broken.jpg").write_bytes(b"not a photo")
    out = tmp_path / "bundle"
    paintings = [styles_dir / "hokusai_great-wave.jpg"]
    fixed = sum(p.stat().st_size for p in [*paintings, *find_images(photos_dir)])
    budget = fixed + 200_000  # the trimmed network (~80 kB up to relu1_2) and some of the photos

    argv = ["--vgg", str(vgg_weights), "--up-to", "relu1_2", "--styles", *map(str, paintings)]
    argv += ["--holdout", str(photos_dir)]
    assert main([*argv, "--data", str(data), "--out", str(out), "--budget-mb", str(budget / 1e6)]) == 0

    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) <= budget
    with safe_open(str(out / VGG_FILE), framework="pt") as handle:
        assert set(handle.keys()) == {f"features.{i}.{k}" for i in (0, 2) for k in ("weight", "bias")}
    assert sorted(p.name for p in (out / "holdout").iterdir()) == sorted(
        p.name for p in find_images(photos_dir)
    )
    photos = find_images(out / "photos")
    assert 0 < len(photos) < 40 and all(p.suffix == ".webp" for p in photos)
    assert {p.parent.name for p in photos} <= {"source0", "source1", "source2"}
    assert PhotoDataset(photos, 64, 2)[0, 0].shape == (3, 64, 64)


def test_out_must_be_empty_new_or_an_earlier_bundle(
    tmp_path: Path, vgg_weights: Path, styles_dir: Path, photos_dir: Path, capsys
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for index in range(3):
        gradient_image(96, 64, seed=index).save(data / f"{index}.jpg")
    argv = [
        "--vgg",
        str(vgg_weights),
        "--up-to",
        "relu1_2",
        "--styles",
        str(styles_dir / "hokusai_great-wave.jpg"),
    ]
    argv += ["--holdout", str(photos_dir), "--data", str(data), "--budget-mb", "50"]
    home = tmp_path / "home"
    (home / "thesis").mkdir(parents=True)
    (home / "thesis" / "chapter1.tex").write_text("years of work")
    assert main([*argv, "--out", str(home)]) == 2  # before: deleted whatever --out pointed at
    assert "is not empty and is not an earlier bundle" in capsys.readouterr().err
    assert (home / "thesis" / "chapter1.tex").read_text() == "years of work"
    assert main([*argv, "--out", str(tmp_path)]) == 2  # holds the training photos
    assert "contains the input" in capsys.readouterr().err and len(find_images(data)) == 3
    out = tmp_path / "bundle"
    assert main([*argv, "--out", str(out)]) == 0
    assert main([*argv, "--out", str(out)]) == 0  # an earlier bundle is replaced
    assert len(find_images(out / "photos")) == 3 and not list(tmp_path.glob(".bundle*"))
