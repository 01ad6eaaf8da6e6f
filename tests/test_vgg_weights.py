"""Where the loss network comes from: NST_VGG_WEIGHTS, the Hub repo (cache, download), torchvision's VGG19
(torch hub's cache, converted once; torch hub's download), and one clear error when none works.

torchvision's real file (548 MB) cannot be fetched here: a thin, randomly initialised VGG19 `features` state
dict (with a classifier, as the real file has) stands in for it where torch hub keeps it, under TORCH_HOME.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import torch
from safetensors import safe_open

import nst.vgg_weights as vw
from nst.errors import ModelError
from nst.hub import put_in_hf_cache
from nst.quality import run_quality
from nst.settings import TORCHVISION_VGG_FILE, TORCHVISION_VGG_MB, VGG_FILENAME, VGG_REPO_ID, QualitySettings
from nst.vgg import InputConvention, _read_weights, load_encoder, random_features
from tests.helpers import gradient_image

THIN = (4, 8, 8, 16, 16)  # channels per block: the real layout, a few hundred kB


def torchvision_state() -> dict[str, torch.Tensor]:
    """What torchvision's vgg19-dcbb9e9d.pth holds, in miniature: features and a classifier."""
    return {**random_features(widths=THIN, seed=1), "classifier.0.weight": torch.randn(8, 16)}


@pytest.fixture
def caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    """Empty Hugging Face, torch hub and NST caches, offline, NST_VGG_WEIGHTS unset."""
    paths = {name: tmp_path / name for name in ("hf", "torch", "nst")}
    monkeypatch.delenv("NST_VGG_WEIGHTS", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(paths["hf"]))
    monkeypatch.setenv("TORCH_HOME", str(paths["torch"]))
    monkeypatch.setenv("NST_CACHE_DIR", str(paths["nst"]))
    monkeypatch.setattr(vw, "_resolved", {})
    return paths


@pytest.fixture
def torchvision_file(caches: dict[str, Path]) -> Path:
    """The stand-in torchvision file, where torch hub would have downloaded it."""
    path = caches["torch"] / "hub" / "checkpoints" / TORCHVISION_VGG_FILE
    path.parent.mkdir(parents=True)
    torch.save(torchvision_state(), path)
    return path


def test_file_name_and_size_match_torchvisions_published_weights() -> None:
    from torchvision.models import VGG19_Weights

    weights = VGG19_Weights.IMAGENET1K_V1
    assert Path(urlparse(weights.url).path).name == TORCHVISION_VGG_FILE
    assert round(weights.meta["_file_size"]) == TORCHVISION_VGG_MB
    mean, std = weights.transforms().mean, weights.transforms().std
    tv = InputConvention.parse(vw.CONVENTIONS["torchvision"])
    assert (list(tv.mean), list(tv.std), tv.bgr, tv.scale) == (mean, std, False, 1.0)


def test_offline_with_nothing_cached_is_one_fast_error_naming_all_three_routes(
    caches: dict[str, Path],
) -> None:
    start = time.perf_counter()
    with pytest.raises(ModelError) as caught:
        vw.resolve_weights()
    assert time.perf_counter() - start < 1.0
    message = str(caught.value)
    assert "(1) NST_VGG_WEIGHTS: unset" in message
    assert f"(2) the Hugging Face Hub repo {VGG_REPO_ID}" in message and "HF_HUB_OFFLINE" in message
    assert "(3) torchvision's ImageNet VGG19 (548 MB): not in torch's cache" in message
    assert str(caches["torch"] / "hub" / "checkpoints") in message
    assert vw.download_pending() is None  # offline: nothing will be downloaded, so nothing to announce


def test_env_wins_over_every_cache(
    caches: dict[str, Path], torchvision_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = tmp_path / "own.safetensors"
    vw.write_features(random_features("relu1_1"), own, "caffe", "a test")
    monkeypatch.setenv("NST_VGG_WEIGHTS", str(own))
    assert vw.resolve_weights() == own
    assert not vw.converted_file().exists()  # torchvision's route was never taken


def test_hub_cache_comes_before_torchvision(
    caches: dict[str, Path], torchvision_file: Path, tmp_path: Path
) -> None:
    source = tmp_path / "caffe.safetensors"
    vw.write_features(random_features("relu1_1"), source, "caffe", "a test")
    cached = put_in_hf_cache(caches["hf"], VGG_REPO_ID, VGG_FILENAME, source)
    assert vw.resolve_weights() == cached
    assert not vw.converted_file().exists()


def test_hub_download_is_tried_when_online(
    caches: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "caffe.safetensors"
    vw.write_features(random_features("relu1_1"), source, "caffe", "a test")
    asked: list[tuple[str, str]] = []

    def download(repo_id: str, filename: str, **kwargs: object) -> str:
        asked.append((repo_id, filename))
        return str(source)

    monkeypatch.setattr("nst.hub.download_blocker", lambda: None)
    monkeypatch.setattr("nst.hub.hf_hub_download", download)
    assert vw.resolve_weights() == source and asked == [(VGG_REPO_ID, VGG_FILENAME)]


def test_torchvision_cache_is_converted_once_with_its_input_convention(
    caches: dict[str, Path], torchvision_file: Path
) -> None:
    assert vw.download_pending() is None  # on disk: nothing to announce
    path = vw.resolve_weights()
    assert path == caches["nst"] / "vgg19-dcbb9e9d.features.fp16.safetensors"
    with safe_open(str(path), framework="pt") as handle:
        metadata, keys = handle.metadata(), set(handle.keys())
        assert all(handle.get_tensor(key).dtype == torch.float16 for key in keys)
    assert keys == set(random_features(widths=THIN)) and not any("classifier" in k for k in keys)
    assert metadata["input"] == vw.CONVENTIONS["torchvision"]
    assert "VGG19_Weights.IMAGENET1K_V1" in metadata["source"]
    stamp = path.stat().st_mtime_ns
    vw._resolved.clear()  # a new process: finds the converted file, does not convert again
    torchvision_file.unlink()
    assert vw.resolve_weights() == path and path.stat().st_mtime_ns == stamp
    assert not list(path.parent.glob(".*.partial"))


def test_torchvision_weights_are_fed_rgb_normalised_and_named_in_the_recipe(
    caches: dict[str, Path], torchvision_file: Path, one_thread: None
) -> None:
    encoder = load_encoder(["relu2_1"])
    red = torch.zeros(1, 3, 2, 2)
    red[:, 0] = 1.0
    expected = torch.tensor([(1 - 0.485) / 0.229, -0.456 / 0.224, -0.406 / 0.225])
    assert torch.allclose(encoder.preprocess(red)[0, :, 0, 0], expected, atol=1e-5)

    settings = QualitySettings(size=48, steps=3, device="cpu", preview_every=1)
    events = list(run_quality(gradient_image(48, 32), [gradient_image(40, 40, seed=2)], settings))
    final = events[-1]
    assert final.done and final.image is not None and final.image.size == (48, 32)
    assert final.recipe["loss_network"] == {
        "file": "vgg19-dcbb9e9d.features.fp16.safetensors",
        "source": vw.TORCHVISION_SOURCE,
        "input": vw.CONVENTIONS["torchvision"],
    }
    assert all(torch.isfinite(torch.tensor(e.losses["total"])) for e in events)


def test_torchvision_download_goes_through_torch_hub_and_is_announced(
    caches: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Online, Hub repo missing: torch hub downloads the file into its cache and checks its hash prefix."""
    published = tmp_path / "published.pth"
    torch.save(torchvision_state(), published)
    calls: list[tuple[str, str, str | None]] = []

    def download_url_to_file(
        url: str, dst: str, hash_prefix: str | None = None, progress: bool = True
    ) -> None:
        calls.append((url, dst, hash_prefix))
        shutil.copy2(published, dst)

    def no_repo(*args: object) -> Path:
        raise ModelError("nst-studio/vgg19-caffe-features does not exist on the Hub")

    monkeypatch.setattr(vw, "_from_hub", no_repo)
    monkeypatch.setattr("nst.hub.hub_offline", lambda: False)
    monkeypatch.setattr("nst.hub.url_reachable", lambda url: True)
    monkeypatch.setattr("nst.hub.cached_file", lambda *args, **kwargs: None)
    monkeypatch.setattr(torch.hub, "download_url_to_file", download_url_to_file)
    assert vw.download_pending() == vw.DOWNLOAD_NOTE and "548 MB" in vw.DOWNLOAD_NOTE
    heard: list[str] = []
    path = vw.resolve_weights(announce=heard.append)
    expected = caches["torch"] / "hub" / "checkpoints" / TORCHVISION_VGG_FILE
    assert calls == [("https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", str(expected), "dcbb9e9d")]
    assert heard and heard[0].startswith(vw.DOWNLOAD_NOTE)
    assert path == vw.converted_file() and _read_weights(path)[2]["input"] == vw.CONVENTIONS["torchvision"]
    assert vw.download_pending() is None


def test_unreadable_torchvision_file_says_which_file_to_delete(
    caches: dict[str, Path], torchvision_file: Path
) -> None:
    torchvision_file.write_bytes(b"half a download")
    with pytest.raises(ModelError, match=f"{torchvision_file}.*could not be read.*delete it"):
        vw.resolve_weights()
    assert not vw.converted_file().exists()


def test_the_app_says_so_while_the_loss_network_downloads(
    caches: dict[str, Path], torchvision_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import studio.engine
    from studio.text import progress_html

    monkeypatch.setattr(studio.engine, "download_pending", lambda: vw.DOWNLOAD_NOTE)
    photo = tmp_path / "photo.png"
    gradient_image(64, 48).save(photo)
    engine = studio.engine.Engine("cpu")
    styles = studio.engine.Styles((None, str(photo)))  # the photo as its own painting: any image will do
    run = engine.quality(str(photo), styles, engine.stops.begin("s", "q"), size=64, steps=2)
    first = next(run)
    run.close()
    assert first.image is None and first.event.step == 0 and first.note == vw.DOWNLOAD_NOTE
    assert "Downloading the loss network once: 548 MB" in progress_html(first.event, first.note)
