"""The example photos that ship: small, redistributable (rendered by training/make_examples.py), documented,
and what the app offers when nothing else is configured."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.settings import ENV_PHOTOS_DIR, EXAMPLES_DIR
from studio.models import example_photos
from training.make_examples import SCENES, write_all

SHIPPED = sorted(EXAMPLES_DIR.glob("*.jpg"))


def test_four_to_six_small_examples_each_with_its_provenance() -> None:
    assert 4 <= len(SHIPPED) <= 6 and [p.stem for p in SHIPPED] == sorted(SCENES)
    readme = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    assert "CC0" in readme and "training/make_examples.py" in readme
    for path in SHIPPED:
        assert path.stat().st_size <= 150_000, path
        with Image.open(path) as image:
            assert image.format == "JPEG" and max(image.size) <= 768 and image.mode == "RGB"
        assert f"`{path.name}`" in readme


def test_the_script_makes_exactly_these_files(tmp_path: Path) -> None:
    """The committed files are the script's output, byte for byte (pinned numpy and Pillow)."""
    made = write_all(tmp_path)
    assert sorted(p.name for p in made) == [p.name for p in SHIPPED]
    for path in made:
        assert path.read_bytes() == (EXAMPLES_DIR / path.name).read_bytes(), path.name
        pixels = np.asarray(Image.open(path).convert("RGB"), dtype=float)
        assert pixels.std() > 20  # sky, land, water: a real spread of tones, not a flat field


def test_the_app_offers_them_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_PHOTOS_DIR, raising=False)
    assert example_photos() == SHIPPED
    (tmp_path / "mine.png").write_bytes(b"png")
    monkeypatch.setenv(ENV_PHOTOS_DIR, str(tmp_path))
    assert example_photos() == [tmp_path / "mine.png"]
