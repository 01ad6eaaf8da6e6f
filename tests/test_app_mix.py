"""Mixing two presets in the Fast tab (issue 9): the engine paints with both on the multi-style network,
records the mix, says on a CPU why a mix is slower, and checks what a client sends for the mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.serving import one_network_engine
from nst.errors import NSTError, PresetError
from nst.transformer import TransformerNet, build_transformer, save_checkpoint
from studio.engine import Engine
from tests.helpers import gradient_image

pytestmark = pytest.mark.usefixtures("vgg_weights", "styles_dir")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One single-style network for every preset, a small multi-style one, and a photo."""
    folder = tmp_path_factory.mktemp("mix")
    save_checkpoint(build_transformer("cpu"), folder / "net")
    multi = TransformerNet(
        channels=[4, 8], num_res_blocks=1, outer_kernel=3, styles=2, style_names=["van-gogh", "hokusai"]
    )
    save_checkpoint(multi, folder / "multi")
    gradient_image(96, 64, seed=3).save(folder / "photo.png")
    return folder


def _engine(root: Path, multi: str = "multi") -> Engine:
    return one_network_engine(root / "net", "cpu", multi_model=str(root / multi))


def test_a_mix_runs_on_the_multi_style_network_and_is_recorded(root: Path) -> None:
    engine = _engine(root)
    assert engine.can_mix
    mixed = engine.fast(root / "photo.png", "van-gogh", "hokusai", 0.3, max_side=96)
    assert mixed.recipe["mix"] == {"van-gogh": 0.7, "hokusai": 0.3}
    assert mixed.recipe["preset"] is None and mixed.recipe["model"] == str(root / "multi")
    assert "Starry Night" in mixed.recipe["painting"] and "Great Wave" in mixed.recipe["painting"]
    assert "70 %" in mixed.info and "30 %" in mixed.info and "multi-style standard network" in mixed.info
    alone = engine.fast(root / "photo.png", "van-gogh", max_side=96)
    assert alone.recipe["preset"] == "van-gogh" and "mix" not in alone.recipe
    assert alone.recipe["model"] == str(root / "net") and "multi-style" not in alone.info
    assert mixed.image.size == alone.image.size == (96, 64)
    assert not np.array_equal(np.asarray(mixed.image), np.asarray(alone.image))  # another network painted it


def test_shares_of_zero_or_one_are_one_preset_on_its_own_network(root: Path) -> None:
    engine = _engine(root)
    for second, share, expected in [("hokusai", 0.0, "van-gogh"), ("", 0.6, "van-gogh"),
                                    ("van-gogh", 0.5, "van-gogh"), ("hokusai", 1.0, "hokusai")]:  # fmt: skip
        result = engine.fast(root / "photo.png", "van-gogh", second, share, max_side=64)
        assert result.recipe["preset"] == expected and "mix" not in result.recipe, (second, share)
        assert result.recipe["model"] == str(root / "net")


@pytest.mark.parametrize("share", ["abc", 1.5, -0.1, float("nan"), "1e999", [0.5]])
def test_a_share_outside_0_to_1_is_refused_with_what_is_allowed(root: Path, share: object) -> None:
    with pytest.raises(NSTError, match="mix"):
        _engine(root).fast(root / "photo.png", "van-gogh", "hokusai", share, max_side=64)


@pytest.mark.parametrize("second", ["../../etc/passwd", "picasso-cpu", "VAN-GOGH", "x" * 300])
def test_an_unknown_second_preset_is_refused(root: Path, second: str) -> None:
    with pytest.raises(PresetError):
        _engine(root).fast(root / "photo.png", "van-gogh", second, 0.5, max_side=64)


def test_without_the_multi_style_network_a_mix_says_so(root: Path) -> None:
    engine = _engine(root, multi="missing")
    assert not engine.can_mix
    with pytest.raises(PresetError, match="multi-style network"):
        engine.fast(root / "photo.png", "van-gogh", "hokusai", 0.5, max_side=64)
    alone = engine.fast(root / "photo.png", "van-gogh", "hokusai", 0.0, max_side=64)  # no mix: no need
    assert alone.recipe["preset"] == "van-gogh"
