"""The Video and Live tabs: the service's limits and refusals, live sessions, and the Video tab through
gradio_client against the served app (bad uploads answered, the server still serving)."""

from __future__ import annotations

import inspect
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

import studio as app
import studio.gpu
import studio.limits
from benchmarks.serving import one_network_engine, served
from nst.errors import NSTError, VideoError
from nst.humanize import format_rate
from nst.settings import VideoSettings
from nst.transformer import build_transformer, save_checkpoint
from studio.engine import Engine
from studio.limits import VIDEO_LIMITS
from studio.video_service import VideoService
from tests.helpers import audio_seconds, pattern, read_frames, write_clip

pytestmark = [
    pytest.mark.usefixtures("one_thread"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),  # inside Gradio's queue, not ours
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A short clip with sound, a 4K 60 fps clip, a text file named .mp4, a truncated MP4, a random net."""
    root = tmp_path_factory.mktemp("video-app")
    paths = {name: root / name for name in ("clip.mp4", "uhd.mp4", "notes.mp4", "cut.mp4", "net")}
    write_clip(paths["clip.mp4"], size=(97, 64), frames=6, rotation=90)
    write_clip(paths["uhd.mp4"], size=(3840, 2160), frames=2, audio_codec=None, fps=60)
    paths["notes.mp4"].write_text("a shopping list, not a film\n" * 30)
    data = paths["clip.mp4"].read_bytes()
    paths["cut.mp4"].write_bytes(data[: len(data) // 2])
    save_checkpoint(build_transformer("cpu"), paths["net"])
    return paths


@pytest.fixture(scope="module")
def engine(files: dict[str, Path]) -> Engine:
    return one_network_engine(files["net"], "cpu")


@pytest.fixture(scope="module")
def service(engine: Engine) -> VideoService:
    return VideoService(engine)


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[str]:
    with served(app.build_demo(engine)) as url:
        yield url


# --- the service --------------------------------------------------------------------------------------------


def test_video_run_streams_progress_then_the_mp4(service: VideoService, files: dict[str, Path]) -> None:
    options = {"strength": 0.8, "preserve_color": False, "max_side": 360, "smoothing": True}
    updates = list(service.video(str(files["clip.mp4"]), "hokusai", **options))
    assert [u.done for u in updates[:-1]] == list(range(1, 7)) and updates[0].total == 6
    final = updates[-1]
    assert final.output is not None and final.output.is_file() and final.final
    assert final.recipe["frames"] == 6 and final.recipe["input_rotation"] == 90
    assert final.recipe["output_size"] == [64, 96] and final.recipe["preset"] == "hokusai"
    assert "6 frames at 64×96" in final.info
    _, frames, _ = read_frames(final.output)
    assert len(frames) == 6 and audio_seconds(final.output)[0] == "aac"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("notes.mp4", "not a video"),
        ("cut.mp4", "truncated or corrupt"),
        ("uhd.mp4", "3840×2160"),
    ],
)
def test_video_refusals(service: VideoService, files: dict[str, Path], name: str, message: str) -> None:
    with pytest.raises(VideoError, match=message):
        list(service.video(str(files[name]), "hokusai"))


def test_video_settings_are_checked(service: VideoService, files: dict[str, Path], tmp_path: Path) -> None:
    clip = str(files["clip.mp4"])
    for kwargs, message in [
        ({"max_side": 2160}, "must be one of 360, 480, 720"),
        ({"strength": 3}, "between 0 and 1"),
        ({"strength": "lots"}, "must be a number"),
    ]:
        with pytest.raises(NSTError, match=message):
            list(service.video(clip, "hokusai", **kwargs))  # type: ignore[arg-type]  # hostile values
    with pytest.raises(NSTError, match="Pick a painting"):
        list(service.video(clip, None))
    with pytest.raises(VideoError, match="no longer on the server"):
        list(service.video(str(tmp_path / "gone.mp4"), "hokusai"))
    assert VIDEO_LIMITS["cpu"].max_seconds <= 30 and service.limits is VIDEO_LIMITS["cpu"]


def _jpeg(index: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pattern(160, 120, index)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_live_frames_per_session(service: VideoService, monkeypatch: pytest.MonkeyPatch) -> None:
    picture, fps = service.live(_jpeg(0), "hokusai", "tab-1", "10.0.0.1")
    assert isinstance(picture, np.ndarray) and picture.shape == (120, 160, 3) and fps is None
    picture2, fps = service.live(_jpeg(1), "hokusai", "tab-1", "10.0.0.1")
    assert fps is not None and fps > 0 and not np.array_equal(picture, picture2)
    assert service._live["tab-1"].state.stats is not None  # smoothing carries over between frames
    with pytest.raises(NSTError, match="already have a live view"):
        service.live(_jpeg(2), "hokusai", "tab-2", "10.0.0.1")  # same visitor, second tab
    service.live(_jpeg(2), "hokusai", "tab-3", "10.0.0.2")  # another visitor is welcome
    monkeypatch.setitem(studio.limits.LIVE_SECONDS, "cpu", 0)
    with pytest.raises(NSTError, match="had its 0 s turn"):
        service.live(_jpeg(3), "hokusai", "tab-1", "10.0.0.1")
    service.end_live("tab-1")
    service.end_live("tab-3")
    with pytest.raises(NSTError, match="not an image"):
        service.live(b"not a jpeg at all", "hokusai", "tab-4", "10.0.0.4")


def test_video_and_live_ask_for_the_frames_network(files: dict[str, Path], tmp_path: Path) -> None:
    """Video and Live take the resolver's network for frames (the video variant on a CPU, when bundled);
    stills keep theirs."""
    frames_net = save_checkpoint(build_transformer("video"), tmp_path / "frames-net")
    asked: list[bool] = []

    def resolve(preset_id: str, device: object, frames: bool) -> str:
        asked.append(frames)
        return str(frames_net if frames else files["net"])

    service = VideoService(Engine("cpu", resolve_model=resolve))
    final = list(service.video(str(files["clip.mp4"]), "hokusai", max_side=360))[-1]
    assert final.recipe["model"] == str(frames_net) and asked == [True]
    picture, _ = service.live(_jpeg(0), "hokusai", "tab-frames", "10.0.0.9")
    assert picture.shape == (120, 160, 3) and asked == [True, True]
    service.end_live("tab-frames")
    assert service.engine.model_for("hokusai") == str(files["net"]) and asked[-1] is False


# --- through the served app ---------------------------------------------------------------------------------


def test_client_video_tab(server: str, files: dict[str, Path], tmp_path: Path) -> None:
    client = Client(server, verbose=False, analytics_enabled=False, download_files=str(tmp_path))
    video = handle_file(str(files["clip.mp4"]))
    result, status, recipe = client.predict(video, "hokusai", 1.0, False, 360, True, api_name="/video")
    output = Path(result["video"] if isinstance(result, dict) else result)
    assert output.suffix == ".mp4" and "6 frames" in status and recipe["frames"] == 6
    _, frames, _ = read_frames(output)
    assert len(frames) == 6 and frames[0].shape == (96, 64, 3)
    for name, message in [("notes.mp4", "not a video"), ("uhd.mp4", "3840×2160"), ("cut.mp4", "truncated")]:
        bad = handle_file(str(files[name]))
        with pytest.raises(Exception, match=message):
            client.predict(bad, "hokusai", 1.0, False, 360, True, api_name="/video")
    again = client.predict(video, "kandinsky", 0.5, True, 360, False, api_name="/video")
    assert again[2]["preset"] == "kandinsky" and again[2]["settings"]["smoothing"] is False  # still serving


def test_gpu_functions_are_plain_off_spaces() -> None:
    """spaces.GPU is a no-op here; the reservation of a video run covers the longest clip allowed."""
    assert not hasattr(studio.gpu.video_on_device, "zerogpu")
    assert not hasattr(studio.gpu.live_on_device, "zerogpu")
    assert inspect.isgeneratorfunction(studio.gpu.video_on_device)
    seconds = studio.gpu.video_gpu_seconds("", "", "", VideoSettings(), VIDEO_LIMITS["cuda"], None)  # type: ignore[arg-type]  # only the limits matter
    assert 60 < seconds <= 300


def test_rates_keep_the_digits_that_matter() -> None:
    assert [format_rate(r) for r in (24.4, 2.46, 0.042)] == [
        "24 frames/s",
        "2.5 frames/s",
        "0.04 frames/s",
    ]
