"""nst.video and nst.temporal: clips made in the test go through the whole pipeline; bad files get one clear
message; smoothing keeps colours steadier than per-frame statistics."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from benchmarks.clips import write_tone
from nst.errors import NSTError, VideoError
from nst.settings import DEFAULT_VIDEO_LIMITS, VideoLimits, VideoSettings
from nst.temporal import FrameStylizer, colour_cdfs, flicker_ratio, scene_distance, warped_error
from nst.transformer import TransformerNet
from nst.video import output_size, probe, stylize_video
from tests.helpers import audio_seconds, pattern, read_frames, write_clip

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def net() -> TransformerNet:
    torch.manual_seed(0)
    return TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3).eval()


def _run(source: Path, target: Path, net: TransformerNet, **settings: object):
    events = list(stylize_video(source, target, net, VideoSettings(device="cpu", **settings)))  # type: ignore[arg-type]  # test overrides
    assert events and events[-1].result is not None
    return events


def test_mp4_with_rotation_keeps_frames_times_and_sound(tmp_path: Path, net: TransformerNet) -> None:
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    times = write_clip(source, size=(161, 91), frames=10, rotation=90)
    info = probe(source)
    assert (info.width, info.height, info.rotation, info.frames) == (91, 161, 90, 10)
    events = _run(source, target, net, strength=0.0)  # strength 0: the frames themselves, to see the turn
    result = events[-1].result
    assert [e.done for e in events[:-1]] == list(range(1, 11)) and events[0].total == 10
    assert result.output == target and result.frames == 10 and result.size == (90, 160)
    assert result.audio == "copied aac"
    out_times, frames, rotation = read_frames(target)
    assert out_times == pytest.approx(times, abs=1e-3)  # the variable frame rate survives
    assert frames[0].shape == (160, 90, 3) and rotation == 0  # even sides; the turn is in the pixels
    # the blue square of the stored top-left corner is at the bottom left once turned counter-clockwise
    corner = frames[0][-20:, :10].reshape(-1, 3).mean(axis=0)
    assert corner[2] > 180 and corner[0] < 80, corner
    assert frames[0][:20, :10, 2].mean() < 150
    assert audio_seconds(target) == pytest.approx(audio_seconds(source), abs=1e-3)
    assert not list(tmp_path.glob(".out.mp4.*"))  # the temporary file is gone


def test_stylised_output_differs_from_input_and_is_h264_faststart(
    tmp_path: Path, net: TransformerNet
) -> None:
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    write_clip(source, size=(64, 48), frames=4, audio_codec=None)
    result = _run(source, target, net)[-1].result
    assert result.audio == "none" and set(result.timings) == {"decode", "stylise", "encode"}
    with av.open(str(target)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
    data = target.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: the index comes first
    _, frames, _ = read_frames(target)
    assert np.abs(frames[0].astype(int) - pattern(64, 48, 0).astype(int)).mean() > 10


def test_webm_opus_and_mov_pcm(tmp_path: Path, net: TransformerNet) -> None:
    webm, mov = tmp_path / "clip.webm", tmp_path / "clip.mov"
    webm_times = write_clip(webm, size=(64, 48), frames=6, video_codec="libvpx-vp9", audio_codec="libopus")
    mov_times = write_clip(mov, size=(64, 48), frames=6, audio_codec="pcm_s16le", rotation=180)
    assert probe(webm).frames is not None  # WebM does not count frames: duration x rate stands in
    result = _run(webm, tmp_path / "webm.mp4", net)[-1].result
    assert result.audio == "copied opus" and read_frames(result.output)[0] == pytest.approx(
        webm_times, abs=1e-3
    )
    assert audio_seconds(result.output)[0] == "opus"
    result = _run(mov, tmp_path / "mov.mp4", net, strength=0.0)[-1].result
    assert result.audio == "re-encoded pcm_s16le to aac"
    codec, seconds = audio_seconds(result.output)
    assert codec == "aac" and seconds == pytest.approx(audio_seconds(mov)[1], abs=0.05)
    times, frames, _ = read_frames(result.output)
    assert times == pytest.approx(mov_times, abs=1e-3)
    assert frames[0][-10:, -14:, 2].mean() > 180  # turned half way: the blue corner is bottom right


def test_max_side_and_even_sizes(tmp_path: Path) -> None:
    source = tmp_path / "clip.mp4"
    write_clip(source, size=(161, 91), frames=1, audio_codec=None)
    info = probe(source)
    assert output_size(info, 720) == (160, 90)
    assert output_size(info, 101) == (100, 56)
    assert output_size(dataclasses.replace(info, width=3, height=3), 720) == (2, 2)


def test_stop_writes_nothing(tmp_path: Path, net: TransformerNet) -> None:
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    write_clip(source, size=(64, 48), frames=8, audio_codec=None)
    calls = iter(range(100))
    events = list(
        stylize_video(source, target, net, VideoSettings(device="cpu"), stop=lambda: next(calls) >= 2)
    )
    assert events[-1].stopped and events[-1].done == 3 and events[-1].result is None
    assert not target.exists() and not list(tmp_path.glob(".out.mp4.*"))


# --- refusals ---------------------------------------------------------------------------------------------


def _refused(path: Path, net: TransformerNet, limits: VideoLimits = DEFAULT_VIDEO_LIMITS) -> str:
    with pytest.raises(VideoError) as caught:
        list(
            stylize_video(path, path.with_suffix(".out.mp4"), net, VideoSettings(device="cpu"), limits=limits)
        )
    assert not path.with_suffix(".out.mp4").exists()
    return str(caught.value)


def test_bad_files(tmp_path: Path, net: TransformerNet) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    assert "not a video" in _refused(text, net)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert "empty" in _refused(empty, net)
    sound = tmp_path / "sound.m4a"
    with av.open(str(sound), "w", format="mp4") as out:
        write_tone(out, out.add_stream("aac", rate=48_000, layout="mono"), 0.3)
    assert "no video stream" in _refused(sound, net)
    still = tmp_path / "still.mp4"
    from PIL import Image

    Image.fromarray(pattern(32, 32, 0)).save(still, format="PNG")
    assert "still image" in _refused(still, net)
    assert "Cannot read" in _refused(tmp_path / "missing.mp4", net)


def test_zero_frames(tmp_path: Path, net: TransformerNet) -> None:
    source = tmp_path / "zero.webm"
    with av.open(str(source), "w") as out:  # a video stream without a single frame (and some sound)
        video = out.add_stream("libvpx-vp9", rate=30)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        write_tone(out, out.add_stream("libopus", rate=48_000, layout="mono"), 0.2)
    assert source.stat().st_size > 0
    assert "no frames" in _refused(source, net)


def test_truncated_mp4(tmp_path: Path, net: TransformerNet) -> None:
    source = tmp_path / "clip.mp4"
    write_clip(source, size=(64, 48), frames=20, audio_codec=None)
    data = source.read_bytes()
    head = tmp_path / "head.mp4"  # index at the end (as cameras write): the first half has none
    head.write_bytes(data[: len(data) // 2])
    assert "truncated or corrupt" in _refused(head, net)
    faststart = tmp_path / "faststart.mp4"
    result = _run(source, faststart, net)[-1].result  # our own output has its index first
    data = result.output.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.index(b"mdat") + (len(data) - data.index(b"mdat")) // 3])
    assert "truncated or corrupt" in _refused(cut, net)


def test_limits(tmp_path: Path, net: TransformerNet) -> None:
    uhd = tmp_path / "uhd.mp4"
    write_clip(uhd, size=(3840, 2160), frames=2, audio_codec=None, fps=60)
    small = VideoLimits(max_pixels=1920 * 1080, max_fps=30, max_seconds=60)
    assert "3840×2160" in _refused(uhd, net, small)
    assert "60 frames per second" in _refused(uhd, net, dataclasses.replace(small, max_pixels=10**8))
    clip = tmp_path / "clip.mp4"
    write_clip(clip, size=(64, 48), frames=10, audio_codec=None)
    assert "lasts" in _refused(clip, net, VideoLimits(max_seconds=0.2))
    assert "limit is 0 MB" in _refused(clip, net, VideoLimits(max_bytes=100))


def test_settings_checked(tmp_path: Path, net: TransformerNet) -> None:
    clip = tmp_path / "clip.mp4"
    write_clip(clip, size=(64, 48), frames=1, audio_codec=None)
    for settings in (VideoSettings(strength=2.0), VideoSettings(max_side=8)):
        with pytest.raises(NSTError):
            list(stylize_video(clip, tmp_path / "out.mp4", net, settings))


# --- smoothing --------------------------------------------------------------------------------------------


def test_smoothed_statistics_replay_and_blend(net: TransformerNet) -> None:
    x, y = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.inference_mode():
        plain = net(x)
        first, stats = net.forward_smoothed(x, None, 0.8)
        assert torch.allclose(first, plain, atol=1e-6)  # no history: the frame's own statistics
        _, own = net.forward_smoothed(y, None, 0.0)
        _, mixed = net.forward_smoothed(y, stats, 0.8)
    # the first layer's statistics are a blend (later ones see the blended activations)
    assert torch.allclose(mixed[0][0], 0.8 * stats[0][0] + 0.2 * own[0][0], atol=1e-5)


def test_scene_cuts(net: TransformerNet) -> None:
    frames = [torch.from_numpy(pattern(64, 48, i)).permute(2, 0, 1)[None].float() / 255 for i in range(4)]
    cdfs = [colour_cdfs(frame) for frame in frames]
    cut = VideoSettings().scene_cut
    assert all(scene_distance(a, b) < cut for a, b in itertools.pairwise(cdfs))  # motion and jitter
    white = torch.full((1, 3, 48, 64), 0.95)
    assert scene_distance(colour_cdfs(white), cdfs[-1]) >= cut  # a white shot is a cut
    stylizer = FrameStylizer(net)
    for frame in [*frames, white, white]:
        stylizer(frame)
    assert stylizer.scene_cuts == 1 and stylizer.state.stats is not None
    assert stylizer.state.stats[0][0].device.type == "cpu"  # the state can travel between processes


def test_smoothing_reduces_flicker(net: TransformerNet) -> None:
    inputs = [pattern(96, 64, i) for i in range(8)]
    tensors = [torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255 for f in inputs]

    def outputs(smoothing: bool) -> list[np.ndarray]:
        stylizer = FrameStylizer(net, VideoSettings(smoothing=smoothing))
        return [(stylizer(t)[0].permute(1, 2, 0) * 255).round().byte().numpy() for t in tensors]

    smooth, raw = outputs(True), outputs(False)
    assert flicker_ratio(inputs, smooth) < flicker_ratio(inputs, raw)
    assert flicker_ratio(inputs, inputs) == pytest.approx(1.0)
    assert warped_error(inputs, inputs) < 0.05


def test_flow_carries_the_previous_frame_along_the_motion() -> None:
    from nst.flow import FlowWarper, blend_along_flow, grey_thumbnail, warp

    frames = [torch.from_numpy(pattern(96, 64, i)).permute(2, 0, 1)[None].float() / 255 for i in (0, 1)]
    warper = FlowWarper()
    motion = warper.motion(
        grey_thumbnail(frames[1]), grey_thumbnail(frames[0]), (64, 96), torch.device("cpu")
    )
    inner = (..., slice(20, -8), slice(30, -8))  # away from the borders and the fixed blue corner
    before = (frames[0] - frames[1]).abs()[inner].mean()
    after = (warp(frames[0], motion.grid) - frames[1]).abs()[inner].mean()
    assert after < 0.5 * before  # the stripes moved; warping the old frame along the flow follows them
    unrelated = warper.motion(
        grey_thumbnail(torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))),
        grey_thumbnail(frames[0]),
        (64, 96),
        torch.device("cpu"),
    )
    # the motion explains the moved stripes far better than a new picture, where the blend must let go
    assert motion.steady[inner].mean() > 3 * unrelated.steady[inner].mean()
    assert motion.steady.min() >= 0 and motion.steady.max() <= 1
    still = blend_along_flow(frames[1], frames[0], motion, 0.0)
    assert torch.equal(still, frames[1])  # share 0: the frame as it is
