"""nst.hub and nst.fast.load_model: each checkpoint source in order, offline/unreachable Hubs, the model LRU.

The Hub cache is hand-built in tmp_path (models--org--name/snapshots/<sha>/... + refs/main), as
huggingface_hub lays it out; nothing touches the network.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants
from huggingface_hub.errors import LocalEntryNotFoundError
from safetensors.torch import save_file

import nst.fast
import nst.hub
import nst.presets
import nst.settings
import nst.transformer
import nst.vgg
from nst.errors import ModelError, PresetError
from nst.fast import clear_model_cache, load_model
from nst.hub import cached_file, fetch_file, hub_reachable, reset_hub_probe
from nst.transformer import CONFIG_FILE, WEIGHTS_FILE, TransformerNet, save_checkpoint

SHA = "0123456789abcdef0123456789abcdef01234567"


def tiny_net(seed: int = 0) -> TransformerNet:
    torch.manual_seed(seed)
    return TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3).eval()


def add_to_cache(cache: Path, repo_id: str, source: Path, sha: str = SHA) -> Path:
    """Copy the files of `source` into a hand-built Hub cache snapshot of `repo_id`, with refs/main -> sha."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / sha
    shutil.copytree(source, snapshot)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(sha)
    return snapshot


def fails_fast(call: Callable[[], object], within_s: float) -> str:
    """The message of the ModelError `call` raises, which must come within `within_s`: offline, or with the
    Hub unreachable, a missing file is reported at once, never after a network timeout."""
    start = time.perf_counter()
    with pytest.raises(ModelError) as caught:
        call()
    assert time.perf_counter() - start < within_s
    return str(caught.value)


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(
        torch.equal(x.half().float(), y)
        for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty Hub cache and styles folder in tmp_path, offline, no remembered probe, no cached models."""
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(nst.presets, "STYLES_ROOT", tmp_path / "styles")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_hub_probe()
    clear_model_cache()


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "hub"


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_HUB_OFFLINE unset everywhere, so only reachability decides."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def closed_port_endpoint(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the Hub endpoint at a local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    return endpoint


# --- fetch_file ---------------------------------------------------------------------------------------


def test_fetch_file_reads_the_cache_by_ref_and_by_pinned_revision(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "files"
    source.mkdir()
    (source / "weights.bin").write_bytes(b"abc")
    snapshot = add_to_cache(cache, "nst-studio/vgg-test", source)
    assert fetch_file("nst-studio/vgg-test", "weights.bin") == snapshot / "weights.bin"
    assert fetch_file("nst-studio/vgg-test", "weights.bin", revision=SHA) == snapshot / "weights.bin"
    assert cached_file("nst-studio/vgg-test", "other.bin") is None


def test_offline_with_nothing_cached_fails_fast_and_clearly() -> None:
    message = fails_fast(lambda: fetch_file("nst-studio/vgg-test", "weights.bin"), within_s=1.0)
    assert "nst-studio/vgg-test/weights.bin" in message and "HF_HUB_OFFLINE" in message


def test_unreachable_hub_is_probed_once_and_fails_fast(
    online: None, closed_port_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[str] = []
    real_probe = nst.hub._probe
    monkeypatch.setattr(
        nst.hub, "_probe", lambda url, timeout: probes.append(url) or real_probe(url, timeout)
    )
    for _ in range(2):
        message = fails_fast(lambda: fetch_file("nst-studio/vgg-test", "weights.bin"), within_s=2.0)
        assert "unreachable" in message
    assert probes == [closed_port_endpoint]


class _HangingSession:
    def head(self, *args: object, **kwargs: object) -> None:
        time.sleep(5)  # a DNS lookup or proxy that never answers


def test_a_hanging_probe_is_cut_off_at_the_timeout(online: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nst.hub, "HUB_PROBE_TIMEOUT_S", 0.2)
    monkeypatch.setattr(nst.hub, "get_session", _HangingSession)
    start = time.perf_counter()
    assert hub_reachable() is False
    assert time.perf_counter() - start < 1.0


class FakeHub:
    """Stands in for hf_hub_download: serves `repos`, records every call, "cannot reach" unknown repos."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repos: dict[str, Path] = {}
        self.calls: list[tuple[str, str, bool]] = []

    def download(self, repo_id: str, filename: str, *, force_download: bool, **kwargs: object) -> str:
        self.calls.append((repo_id, filename, force_download))
        if repo_id not in self.repos:
            raise LocalEntryNotFoundError("An error happened while trying to locate the file on the Hub")
        target = self.root / repo_id / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.repos[repo_id] / filename, target)
        return str(target)


@pytest.fixture
def fake_hub(tmp_path: Path, online: None, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """A reachable Hub whose downloads copy from a local folder per repo id."""
    hub = FakeHub(tmp_path / "downloads")
    monkeypatch.setattr(nst.hub, "_probe", lambda url, timeout: True)
    monkeypatch.setattr(nst.hub, "hf_hub_download", hub.download)
    return hub


def test_download_is_the_last_resort(fake_hub: FakeHub, tmp_path: Path) -> None:
    net = tiny_net()
    fake_hub.repos["nst-studio/fast-hokusai"] = save_checkpoint(net, tmp_path / "remote")
    assert same_weights(net, load_model("hokusai", "cpu"))
    assert fake_hub.calls == [
        ("nst-studio/fast-hokusai", CONFIG_FILE, False),
        ("nst-studio/fast-hokusai", WEIGHTS_FILE, False),
    ]


def test_fetch_file_downloads_what_is_not_cached(fake_hub: FakeHub, tmp_path: Path) -> None:
    (tmp_path / "remote").mkdir()
    (tmp_path / "remote" / "weights.bin").write_bytes(b"abc")
    fake_hub.repos["nst-studio/vgg-test"] = tmp_path / "remote"
    assert fetch_file("nst-studio/vgg-test", "weights.bin").read_bytes() == b"abc"


def test_a_broken_cached_copy_is_downloaded_again(fake_hub: FakeHub, tmp_path: Path, cache: Path) -> None:
    net = tiny_net()
    fake_hub.repos["nst-studio/fast-picasso-cpu"] = save_checkpoint(net, tmp_path / "remote")
    snapshot = add_to_cache(cache, "nst-studio/fast-picasso-cpu", tmp_path / "remote")
    (snapshot / WEIGHTS_FILE).write_bytes(b"truncated")
    assert same_weights(net, load_model("picasso-cpu", "cpu"))
    assert fake_hub.calls and all(force for _, _, force in fake_hub.calls)


def test_a_hub_that_stops_answering_is_remembered(fake_hub: FakeHub) -> None:
    with pytest.raises(ModelError, match="did not answer"):
        fetch_file("nst-studio/elsewhere", "weights.bin")
    with pytest.raises(ModelError, match="unreachable"):
        fetch_file("nst-studio/elsewhere", "weights.bin")
    assert len(fake_hub.calls) == 1


# --- checkpoint resolution ------------------------------------------------------------------------------


def test_bundled_folder_comes_first(tmp_path: Path, cache: Path) -> None:
    bundled, cached = tiny_net(1), tiny_net(2)
    save_checkpoint(bundled, tmp_path / "styles" / "van-gogh")
    add_to_cache(cache, "nst-studio/fast-van-gogh", save_checkpoint(cached, tmp_path / "c"))
    assert same_weights(bundled, load_model("van-gogh", "cpu"))


def test_hub_cache_is_used_when_nothing_is_bundled(tmp_path: Path, cache: Path) -> None:
    net = tiny_net()
    add_to_cache(cache, "nst-studio/fast-van-gogh-cpu", save_checkpoint(net, tmp_path / "c"))
    loaded = load_model("van-gogh-cpu", "cpu")
    assert same_weights(net, loaded)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())


def test_any_hub_repo_id_resolves_through_the_cache(tmp_path: Path, cache: Path) -> None:
    net = tiny_net()
    add_to_cache(cache, "nst-studio/fast-xyz", save_checkpoint(net, tmp_path / "c"))
    assert same_weights(net, load_model("nst-studio/fast-xyz", "cpu"))


def test_a_checkpoint_folder_path_is_loaded_directly(tmp_path: Path) -> None:
    net = tiny_net()
    folder = save_checkpoint(net, tmp_path / "mine")
    assert same_weights(net, load_model(str(folder), "cpu"))


def test_offline_with_nothing_anywhere_names_the_preset_and_the_fix() -> None:
    message = fails_fast(lambda: load_model("van-gogh", "cpu"), within_s=1.0)
    for part in (
        "preset 'van-gogh'",
        "not bundled in",
        "not in the Hugging Face cache",
        "offline",
        "python -m training.train_presets --presets van-gogh --variants standard",
    ):
        assert part in message
    assert "\n" not in message


def test_unreachable_hub_with_nothing_anywhere_fails_fast(online: None, closed_port_endpoint: str) -> None:
    assert "unreachable" in fails_fast(lambda: load_model("hokusai-cpu", "cpu"), within_s=2.0)


def test_a_broken_bundled_checkpoint_falls_back_to_the_cache(
    tmp_path: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    net = tiny_net()
    bundled = save_checkpoint(tiny_net(), tmp_path / "styles" / "picasso")
    (bundled / WEIGHTS_FILE).write_bytes(b"\0" * 64)
    add_to_cache(cache, "nst-studio/fast-picasso", save_checkpoint(net, tmp_path / "c"))
    with caplog.at_level(logging.WARNING, logger="nst.fast"):
        loaded = load_model("picasso", "cpu")
    assert same_weights(net, loaded)
    assert "styles/picasso" in caplog.text and "corrupt" in caplog.text


def test_a_mismatched_checkpoint_and_nothing_else_says_so(tmp_path: Path) -> None:
    bundled = save_checkpoint(tiny_net(), tmp_path / "styles" / "kandinsky")
    (bundled / CONFIG_FILE).write_text('{"channels": [8, 16], "num_res_blocks": 1, "outer_kernel": 3}')
    with pytest.raises(ModelError, match=r"does not match.*not in the Hugging Face cache"):
        load_model("kandinsky", "cpu")


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(PresetError, match="van-gogh, hokusai, picasso, kandinsky"):
        load_model("monet", "cpu")


def test_models_are_cached_in_a_bounded_lru(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nst.fast, "MODEL_CACHE_SIZE", 2)
    folders = [str(save_checkpoint(tiny_net(i), tmp_path / f"m{i}")) for i in range(3)]
    first = load_model(folders[0], "cpu")
    assert load_model(folders[0], "cpu") is first
    load_model(folders[1], "cpu")
    load_model(folders[0], "cpu")  # refreshes m0: m1 is now the least recently used
    load_model(folders[2], "cpu")
    assert load_model(folders[0], "cpu") is first
    assert len(nst.fast._models) == 2 and (folders[1], "cpu") not in nst.fast._models


# --- issue 10: expiry, timeouts, pinned revisions, checked files ----------------------------------------


def test_the_reachability_answer_expires(online: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: one failed probe left the process offline for good."""
    answers = [False, True]
    monkeypatch.setattr(nst.hub, "_probe", lambda url, timeout: answers.pop(0))
    assert hub_reachable() is False and hub_reachable() is False  # remembered...
    monkeypatch.setattr(nst.hub, "HUB_PROBE_TTL_S", 0.0)
    assert hub_reachable() is True and answers == []  # ...for HUB_PROBE_TTL_S (60 s) only
    assert nst.hub.HUB_PROBE_TTL_S == 0.0 and nst.settings.HUB_PROBE_TTL_S <= 120


def test_a_pinned_revision_is_what_is_requested(
    fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[dict[str, object]] = []
    real = fake_hub.download

    def recording(repo_id: str, filename: str, **kwargs: object) -> str:
        requests.append({"repo_id": repo_id, "filename": filename, **kwargs})
        return real(repo_id, filename, **kwargs)  # type: ignore[arg-type]  # force_download is in kwargs

    monkeypatch.setattr(nst.hub, "hf_hub_download", recording)
    pinned = dataclasses.replace(nst.presets.get_preset("hokusai"), revision=SHA)
    monkeypatch.setitem(nst.presets._registry()[1], "hokusai", pinned)
    fake_hub.repos["nst-studio/fast-hokusai"] = save_checkpoint(tiny_net(), tmp_path / "remote")
    load_model("hokusai", "cpu")
    assert [r["revision"] for r in requests] == [SHA, SHA]
    assert all(r["etag_timeout"] == nst.settings.HUB_ETAG_TIMEOUT_S for r in requests)
    assert constants.HF_HUB_DOWNLOAD_TIMEOUT == nst.settings.HUB_DOWNLOAD_TIMEOUT_S


def test_revisions_must_be_commit_shas() -> None:
    nst.presets.check_revision(SHA, "x")
    nst.presets.check_revision(None, "x")
    for moving in ("main", "v1.0", SHA[:12]):
        with pytest.raises(PresetError, match="40-character commit sha"):
            nst.presets.check_revision(moving, "styles/presets.toml: preset 'x' revision")
    assert nst.settings.VGG_REVISION is None or len(nst.settings.VGG_REVISION) == 40
    assert all(p.revision is None or len(p.revision) == 40 for p in nst.presets.list_presets())


def test_oversized_or_misshapen_tensor_files_are_refused_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = save_checkpoint(tiny_net(), tmp_path / "net")
    monkeypatch.setattr(nst.transformer, "CHECKPOINT_MAX_BYTES", 100)
    with pytest.raises(ModelError, match="at most 0 MiB"):
        load_model(str(folder), "cpu")
    vgg = tmp_path / "vgg.safetensors"
    save_file({"features.0.weight": torch.zeros(64, 3, 5, 5), "features.0.bias": torch.zeros(64)}, str(vgg),
              metadata={"input": "RGB, 0-1, mean [0.5, 0.5, 0.5]"})  # fmt: skip
    with pytest.raises(ModelError, match=r"holds features\.0\.weight of shape 64x3x5x5"):
        nst.vgg._read_weights(vgg)
