"""benchmarks/space_check.py: the file set a Space receives serves every tab offline, from scratch."""

from __future__ import annotations

from pathlib import Path

from benchmarks.space_check import check, preloads, space_files
from nst.settings import REPO_ROOT, SHARED_DIR


def test_the_file_set_is_the_repository_without_shared_data() -> None:
    files = space_files()
    assert "app.py" in files and "requirements.txt" in files and "styles/presets.toml" in files
    for preset in ("van-gogh", "hokusai", "picasso", "kandinsky"):
        assert f"styles/{preset}/style.jpg" in files and f"styles/{preset}-cpu/model.safetensors" in files
    assert sum(name.startswith("examples/") and name.endswith(".jpg") for name in files) >= 4
    assert not any(name.startswith((".venv/", "shared/")) or "__pycache__" in name for name in files)
    assert all((REPO_ROOT / name).resolve().is_relative_to(REPO_ROOT) for name in files)
    assert not any((REPO_ROOT / name).resolve().is_relative_to(SHARED_DIR.resolve()) for name in files)
    assert dict(preloads())["nst-studio/fast-van-gogh"] == ["config.json", "model.safetensors", "style.jpg"]


def test_a_space_built_from_the_file_set_serves_every_tab_offline(tmp_path: Path) -> None:
    report = check(tmp_path / "space")
    text = "\n".join(report)
    assert "preloads not publishable" in text and "vgg19-caffe-features" in text  # not published yet
    for tab in ("fast", "quality", "compare"):
        assert f"examples: {tab}: 5 served" in text
    assert any(line.startswith("fast example: van-gogh") for line in report)
    assert "quality: 5 steps, loss network vgg19-dcbb9e9d.features.fp16.safetensors" in text
    assert any(line.startswith("compare: Fast (network)") for line in report)
    assert not (tmp_path / "space" / "shared").exists()
