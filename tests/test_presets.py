"""nst.presets: the registry's contents, model ids and where a preset's painting comes from."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from huggingface_hub import constants

from nst.cards import render_card
from nst.errors import ModelError, PresetError
from nst.hub import reset_hub_probe
from nst.images import load_image
from nst.presets import (
    bundled_folder,
    get_preset,
    list_presets,
    model_id,
    style_image_path,
)
from nst.settings import ENV_STYLES_DIR, STYLES_ROOT, QualitySettings
from training.make_paintings import make_painting

EXPECTED = {
    "van-gogh": ("The Starry Night", 1889, "van-gogh_starry-night.jpg"),
    "hokusai": ("The Great Wave off Kanagawa", 1831, "hokusai_great-wave.jpg"),
    "picasso": ("Self-Portrait", 1907, "picasso_self-portrait-1907.jpg"),
    "kandinsky": ("Composition VII", 1913, "kandinsky_composition-vii.jpg"),
}


@pytest.fixture(autouse=True)
def _offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_hub_probe()


def test_the_four_presets_in_registry_order() -> None:
    presets = list_presets()
    assert [p.id for p in presets] == list(EXPECTED)
    for preset in presets:
        painting, year, style_file = EXPECTED[preset.id]
        assert (preset.painting, preset.year, preset.style_file) == (painting, year, style_file)
        assert preset.name and preset.artist and preset.rights
        assert preset.repo_id == f"nst-studio/fast-{preset.id}"
        assert preset.cpu_repo_id == f"nst-studio/fast-{preset.id}-cpu"
        assert preset.hub_repo("video") == (f"nst-studio/fast-{preset.id}-video", None)
        assert preset.revision is None and preset.cpu_revision is None  # pinned once published


def test_picasso_is_the_public_domain_self_portrait_not_la_muse() -> None:
    picasso = get_preset("picasso")
    assert "muse" not in picasso.style_file.lower()
    assert "US" in picasso.rights and "2044" in picasso.rights


def test_quality_recommendations_are_valid_quality_settings() -> None:
    for preset in list_presets():
        assert {"style_strength", "style_scale", "tv_weight"} <= set(preset.quality)
        QualitySettings(**preset.quality)  # every key is a real setting


def test_presets_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_preset("van-gogh").year = 1900  # type: ignore[misc]  # frozen: the assignment must fail


def test_unknown_preset_lists_the_known_ids() -> None:
    with pytest.raises(PresetError, match=r"'monet'.*van-gogh, hokusai, picasso, kandinsky"):
        get_preset("monet")


def test_model_ids_and_bundled_folders() -> None:
    assert model_id("van-gogh") == "van-gogh"
    assert model_id("hokusai", "cpu") == "hokusai-cpu"
    assert model_id("hokusai", "video") == "hokusai-video"
    assert bundled_folder("hokusai-cpu") == STYLES_ROOT / "hokusai-cpu"
    with pytest.raises(ModelError, match="standard, cpu, video"):
        model_id("hokusai", "gpu")
    with pytest.raises(PresetError):
        model_id("monet")


def test_style_image_comes_from_the_styles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nst.presets.STYLES_ROOT", tmp_path / "not-bundled")
    (tmp_path / "hokusai_great-wave.jpg").write_bytes(b"jpeg")
    monkeypatch.setenv(ENV_STYLES_DIR, str(tmp_path))
    assert style_image_path(get_preset("hokusai")) == tmp_path / "hokusai_great-wave.jpg"


def test_style_image_falls_back_to_the_hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nst.presets.STYLES_ROOT", tmp_path / "not-bundled")
    monkeypatch.setenv(ENV_STYLES_DIR, str(tmp_path / "empty"))
    snapshot = tmp_path / "hub" / "models--nst-studio--fast-hokusai" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "style.jpg").write_bytes(b"jpeg")
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("a" * 40)
    assert style_image_path(get_preset("hokusai")) == snapshot / "style.jpg"


def test_missing_style_image_says_how_to_supply_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("nst.presets.STYLES_ROOT", tmp_path / "not-bundled")
    monkeypatch.delenv(ENV_STYLES_DIR, raising=False)
    start = time.perf_counter()
    with pytest.raises(PresetError) as caught:
        style_image_path(get_preset("picasso"))
    assert time.perf_counter() - start < 1.0
    message = str(caught.value)
    assert "picasso_self-portrait-1907.jpg" in message and ENV_STYLES_DIR in message and "offline" in message
    assert str(tmp_path / "not-bundled" / "picasso" / "style.jpg") in message


def test_shared_paintings_exist_for_every_preset(styles_dir: Path) -> None:
    for preset in list_presets():
        assert (styles_dir / preset.style_file).is_file(), preset.style_file


def test_bundled_paintings_are_found_first_without_any_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A fresh clone (no NST_STYLES_DIR, no ../shared, offline): each painting ships in styles/<id>/."""
    monkeypatch.delenv(ENV_STYLES_DIR, raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    for preset in list_presets():
        path = style_image_path(preset)
        assert path == STYLES_ROOT / preset.id / "style.jpg"
        assert path.stat().st_size <= 300_000
        image = load_image(path)
        assert max(image.size) <= 1024 and min(image.size) >= 400
        assert preset.source and "training/make_paintings.py" in preset.source
    elsewhere = tmp_path / "styles"  # a NST_STYLES_DIR holding the same file name does not win
    elsewhere.mkdir()
    (elsewhere / "hokusai_great-wave.jpg").write_bytes(b"jpeg")
    monkeypatch.setenv(ENV_STYLES_DIR, str(elsewhere))
    assert style_image_path(get_preset("hokusai")) == STYLES_ROOT / "hokusai" / "style.jpg"


def test_bundled_paintings_are_what_the_script_makes_from_the_originals(
    styles_dir: Path, tmp_path: Path
) -> None:
    for preset in list_presets():
        made = make_painting(preset, styles_dir, tmp_path / f"{preset.id}.jpg")
        assert made.read_bytes() == (STYLES_ROOT / preset.id / "style.jpg").read_bytes(), preset.id


def test_only_picasso_carries_a_rights_notice() -> None:
    notices = {preset.id: preset.notice for preset in list_presets() if preset.notice}
    assert list(notices) == ["picasso"] and "US only" in notices["picasso"]
    card = render_card({"style_file": "picasso_self-portrait-1907.jpg"}, [get_preset("picasso")])
    assert f"**Note (picasso):** {notices['picasso']}" in card and get_preset("picasso").source in card
