"""`python -m nst video`: a clip made in the test goes through the CLI; refusals are one line, exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants

import nst.presets
from nst.cli import main
from nst.fast import clear_model_cache
from nst.hub import reset_hub_probe
from nst.transformer import TransformerNet, save_checkpoint
from tests.helpers import audio_seconds, read_frames, write_clip

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny random network bundled as the hokusai preset's CPU variant, offline."""
    torch.manual_seed(0)
    styles = tmp_path / "styles"
    net = TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3)
    save_checkpoint(net, styles / "hokusai-cpu")
    monkeypatch.setattr(nst.presets, "STYLES_ROOT", styles)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_hub_probe()
    clear_model_cache()


def test_clip_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = tmp_path / "clip.mp4", tmp_path / "out" / "styled.mp4"
    times = write_clip(source, size=(161, 91), frames=8, rotation=270)
    args = ["video", str(source), "-o", str(target), "--preset", "hokusai", "--variant", "cpu"]
    code = main([*args, "--max-side", "120", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert (summary["frames"], summary["output_size"], summary["audio"]) == (8, [66, 120], "copied aac")
    assert summary["model"] == "hokusai-cpu" and summary["settings"]["smoothing"] is True
    out_times, frames, _ = read_frames(target)
    assert out_times == pytest.approx(times, abs=1e-3) and frames[0].shape == (120, 66, 3)
    assert audio_seconds(target) == pytest.approx(audio_seconds(source), abs=1e-3)
    # a second run refuses to overwrite; --overwrite (with the bar on stderr) replaces it
    assert main(args) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: {target} already exists: choose another name or pass --overwrite."
    )
    assert main([*args, "--overwrite", "--no-smoothing"]) == 0
    captured = capsys.readouterr()
    assert "8/8" in captured.err and "fps" in captured.err and "sound: copied aac" in captured.out


@pytest.mark.parametrize(
    ("content", "output", "message"),
    [
        (b"hello, I am a text file\n", "out.mp4", "is not a video, or it is truncated or corrupt"),
        (b"", "out.mp4", "This video file is empty."),
        (None, "out.avi", "The output must be an .mp4 file"),
    ],
)
def test_refusals_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, output: str, message: str
) -> None:
    source = tmp_path / "in.mp4"
    if content is None:
        write_clip(source, size=(32, 32), frames=1, audio_codec=None)
    else:
        source.write_bytes(content)
    code = main(
        ["video", str(source), "-o", str(tmp_path / output), "--preset", "hokusai", "--variant", "cpu"]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / output).exists()


def test_unknown_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.mp4"
    write_clip(source, size=(32, 32), frames=1, audio_codec=None)
    assert main(["video", str(source), "-o", str(tmp_path / "o.mp4"), "--preset", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
