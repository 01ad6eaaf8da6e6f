"""nst.checkpoints: which files serve a model id (bundled, Hub cache, download), and are they complete."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from huggingface_hub import constants

import nst.presets
from nst.checkpoints import (
    CHECKPOINT_FILES,
    cached_folder,
    candidate_folders,
    is_complete,
    load_network,
    model_source,
    on_disk,
    preferred_model,
)
from nst.errors import ModelError, PresetError
from nst.hub import put_in_hf_cache, reset_hub_probe
from nst.settings import STYLES_ROOT
from nst.transformer import TransformerNet, save_checkpoint


def tiny_net() -> TransformerNet:
    return TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3).eval()


def cache_checkpoint(
    cache: Path, repo_id: str, folder: Path, names: tuple[str, ...] = CHECKPOINT_FILES
) -> Path:
    """Put the files `names` of checkpoint `folder` into the Hub cache `cache` as `repo_id`; the snapshot."""
    paths = [put_in_hf_cache(cache, repo_id, name, folder / name) for name in names]
    return paths[-1].parent


@pytest.fixture
def styles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty styles/ and Hub cache in tmp_path, offline, no remembered probe."""
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(nst.presets, "STYLES_ROOT", tmp_path / "styles")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_hub_probe()
    return tmp_path / "styles"


def test_model_sources() -> None:
    cpu = model_source("kandinsky-cpu")
    assert (cpu.repo_id, cpu.variant, cpu.bundled) == (
        "nst-studio/fast-kandinsky-cpu",
        "cpu",
        STYLES_ROOT / "kandinsky-cpu",
    )
    assert cpu.preset is nst.presets.get_preset("kandinsky")
    standard = model_source("kandinsky")
    assert (standard.repo_id, standard.variant) == ("nst-studio/fast-kandinsky", "standard")
    video = model_source("kandinsky-video")
    assert (video.repo_id, video.variant, video.bundled) == (
        "nst-studio/fast-kandinsky-video",
        "video",
        STYLES_ROOT / "kandinsky-video",
    )
    hub = model_source("someone/fast-thing")
    assert (hub.repo_id, hub.bundled, hub.preset) == ("someone/fast-thing", None, None)
    multi = model_source("presets-multi")
    assert (multi.repo_id, multi.bundled) == ("nst-studio/fast-presets-multi", STYLES_ROOT / "presets-multi")
    with pytest.raises(PresetError, match="Known presets"):
        model_source("monet-cpu")
    with pytest.raises(ModelError, match=r"No checkpoint folder at \./missing"):
        model_source("./missing/net")


def test_a_folder_is_complete_only_with_config_and_weights(tmp_path: Path) -> None:
    folder = save_checkpoint(tiny_net(), tmp_path / "net")
    assert is_complete(folder)
    (folder / CHECKPOINT_FILES[1]).unlink()
    assert not is_complete(folder)
    (folder / CHECKPOINT_FILES[1]).mkdir()  # a folder by that name is not the file
    assert not is_complete(folder)
    assert not is_complete(tmp_path / "nowhere")


def test_on_disk_knows_bundled_cached_and_missing_networks(styles: Path, tmp_path: Path) -> None:
    assert not on_disk("van-gogh") and not on_disk("someone/net")
    save_checkpoint(tiny_net(), styles / "van-gogh")
    assert on_disk("van-gogh") and on_disk(str(styles / "van-gogh"))
    remote = save_checkpoint(tiny_net(), tmp_path / "remote")
    cache_checkpoint(tmp_path / "hub", "someone/net", remote, names=CHECKPOINT_FILES[:1])
    assert not on_disk("someone/net")  # half a checkpoint in the cache is none
    snapshot = cache_checkpoint(tmp_path / "hub", "someone/net", remote)
    assert on_disk("someone/net") and cached_folder(model_source("someone/net")) == snapshot


def test_preferred_model_suits_the_hardware_and_what_is_bundled(styles: Path) -> None:
    assert preferred_model("hokusai", "cpu") == "hokusai-cpu"  # nothing bundled: the preferred id
    assert preferred_model("hokusai", "cuda") == "hokusai"
    save_checkpoint(tiny_net(), styles / "hokusai")
    assert preferred_model("hokusai", "cpu") == "hokusai"  # only the standard one is bundled
    save_checkpoint(tiny_net(), styles / "hokusai-cpu")
    assert preferred_model("hokusai", "cpu") == "hokusai-cpu"
    assert preferred_model("hokusai", "cuda") == "hokusai"
    assert preferred_model("hokusai", "cpu", frames=True) == "hokusai-cpu"  # no video variant bundled
    save_checkpoint(tiny_net(), styles / "hokusai-video")
    assert preferred_model("hokusai", "cpu", frames=True) == "hokusai-video"
    assert preferred_model("hokusai", "cpu") == "hokusai-cpu"  # stills keep the CPU-fast network
    assert preferred_model("hokusai", "cuda", frames=True) == "hokusai"  # a GPU runs the standard one
    assert preferred_model("kandinsky", "cpu", frames=True) == "kandinsky-cpu"  # never a download of -video


def test_candidates_come_lazily_bundled_then_cached(styles: Path, tmp_path: Path) -> None:
    bundled = save_checkpoint(tiny_net(), styles / "picasso")
    snapshot = cache_checkpoint(
        tmp_path / "hub", "nst-studio/fast-picasso", save_checkpoint(tiny_net(), tmp_path / "c")
    )
    problems: list[str] = []
    candidates = candidate_folders(model_source("picasso"), problems)
    assert next(candidates) == bundled and problems == []
    assert next(candidates) == snapshot
    assert list(candidates) == [] and problems == ["the Hub is offline (HF_HUB_OFFLINE is set)"]


def test_a_broken_bundled_checkpoint_falls_through_to_the_cache(styles: Path, tmp_path: Path) -> None:
    broken = save_checkpoint(tiny_net(), styles / "kandinsky")
    (broken / CHECKPOINT_FILES[1]).write_bytes(b"\0" * 64)
    cache_checkpoint(
        tmp_path / "hub", "nst-studio/fast-kandinsky", save_checkpoint(tiny_net(), tmp_path / "c")
    )
    assert isinstance(load_network("kandinsky"), TransformerNet)


def test_nothing_anywhere_is_one_message_naming_every_source(styles: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(ModelError) as caught:
        load_network("hokusai-cpu")
    assert time.perf_counter() - start < 1.0
    message = str(caught.value)
    assert message.startswith("No checkpoint for preset 'hokusai-cpu': not bundled in")
    assert "not in the Hugging Face cache, and the Hub is offline" in message
    assert "python -m training.train_presets --presets hokusai --variants cpu" in message
