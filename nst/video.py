"""Video files: decode with PyAV, stylise every frame with a fast network, encode H.264 MP4 with the sound.

Frames stream through one at a time (memory does not grow with the clip). Each output frame keeps its input
frame's timestamp, so variable frame rates survive; the rotation flag is applied to the pixels; sides are made
even (yuv420p needs it) after capping the longest side. AAC, MP3 and Opus sound is copied, anything else is
re-encoded to AAC. The MP4 is written beside the target and moved into place only when complete, with its
index first (`+faststart`), so browsers start playing before it has downloaded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import torch

from nst.device import checked_device
from nst.errors import NSTError, VideoError
from nst.fast import load_model
from nst.mp4 import Mp4Writer
from nst.settings import DEFAULT_VIDEO, DEFAULT_VIDEO_LIMITS, MAX_VIDEO_SIDE, VideoLimits, VideoSettings
from nst.temporal import FrameStylizer
from nst.transformer import TransformerNet

STILL_IMAGE_FORMATS = frozenset({"image2", "gif", "apng", "webp_pipe"})  # and every "*_pipe" image demuxer
_UNREADABLE = "This file is not a video, or it is truncated or corrupt: it cannot be read."
_CORRUPT = "This video is truncated or corrupt"
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class VideoInfo:
    """What a video's header says. Sizes are as displayed (after the rotation flag)."""

    width: int
    height: int
    rotation: int  # degrees counter-clockwise the stored pixels are turned for display: 0, 90, 180, 270
    seconds: float | None
    fps: float | None
    frames: int | None  # from the header, or duration x rate when the container does not say (WebM)
    video_codec: str
    audio_codec: str | None


@dataclass(frozen=True)
class VideoResult:
    """A finished video and how it was made. Times are seconds spent in each stage."""

    output: Path
    frames: int
    size: tuple[int, int]  # (width, height)
    seconds: float
    audio: str  # "none", "copied aac", "re-encoded pcm_s16le to aac", ...
    scene_cuts: int
    timings: dict[str, float] = field(default_factory=dict)  # decode, stylise, encode

    @property
    def fps(self) -> float:
        return self.frames / max(self.seconds, 1e-9)


@dataclass(frozen=True)
class VideoProgress:
    """One step of a run: `done` frames of about `total` (None when unknown); `result` on the last."""

    done: int
    total: int | None
    elapsed: float
    result: VideoResult | None = None
    stopped: bool = False  # the last event of a run ended by stop(): nothing was written

    @property
    def fps(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if not self.total or not self.done or self.done >= self.total:
            return None
        return (self.total - self.done) / max(self.fps, 1e-9)


# --- reading ------------------------------------------------------------------------------------------------


def _open(path: str | os.PathLike[str], limits: VideoLimits) -> av.container.InputContainer:
    """The opened container, or a VideoError for a missing, oversized, unreadable or still-image file."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise VideoError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if size == 0:
        raise VideoError("This video file is empty.")
    if size > limits.max_bytes:
        raise VideoError(
            f"This video is {size / 2**20:,.0f} MB; the limit is {limits.max_bytes / 2**20:,.0f} MB."
        )
    try:
        container = av.open(os.fspath(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(_UNREADABLE) from exc
    name = container.format.name
    if name in STILL_IMAGE_FORMATS or name.endswith("_pipe"):
        container.close()
        raise VideoError("This is a still image, not a video: use the Fast mode for pictures.")
    if container.streams.video:
        container.streams.video[0].thread_type = "AUTO"  # decode on every core, set before the codec opens
    return container


def _rotation(frame: av.VideoFrame) -> int:
    """The frame's display rotation rounded to a quarter turn: 0, 90, 180 or 270 degrees counter-clockwise
    (FFmpeg's convention; a phone held upright records 270, i.e. a quarter turn clockwise)."""
    return round(frame.rotation / 90.0) % 4 * 90


def _info(container: av.container.InputContainer, limits: VideoLimits) -> VideoInfo:
    """Check the header against `limits` and describe the clip (the first frame tells the rotation)."""
    if not container.streams.video:
        raise VideoError("This file has no video stream (it may be sound only).")
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        raise VideoError(f"{_CORRUPT}: its video stream has no picture size.")
    if width * height > limits.max_pixels:
        raise VideoError(
            f"The video is {width}×{height} ({width * height / 1e6:.1f} MP a frame); the limit is "
            f"{limits.max_pixels / 1e6:.1f} MP."
        )
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else None
    if fps is not None and fps > limits.max_fps:
        raise VideoError(f"The video runs at {fps:.0f} frames per second; the limit is {limits.max_fps:.0f}.")
    seconds = _duration(container, stream)
    if seconds is not None and seconds > limits.max_seconds:
        raise VideoError(f"The video lasts {_clock(seconds)}; the limit is {_clock(limits.max_seconds)}.")
    frames = stream.frames or (round(seconds * fps) if seconds and fps else None)
    audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    rotation = _first_rotation(container, stream)
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(width, height, rotation, seconds, fps, frames, stream.codec_context.name, audio)


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration else None


def _first_rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """The rotation of the first frame. It is decoded, so the container must be opened afresh for the real
    pass (seeking back to 0 would skip sound that starts earlier, like AAC's priming packet)."""
    try:
        for frame in container.decode(stream):
            return _rotation(frame)
    except av.FFmpegError as exc:
        raise VideoError(f"{_CORRUPT}: its first frame cannot be decoded.") from exc
    raise VideoError("This video has no frames.")


def probe(path: str | os.PathLike[str], limits: VideoLimits = DEFAULT_VIDEO_LIMITS) -> VideoInfo:
    """Describe the video at `path`, or a VideoError saying why it cannot be used."""
    with _open(path, limits) as container:
        return _info(container, limits)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}" if minutes >= 60 else f"{minutes}:{rest:02d}"


def output_size(info: VideoInfo, max_side: int) -> tuple[int, int]:
    """(width, height) of the output: the displayed size shrunk to `max_side` (never enlarged), sides even."""
    scale = min(1.0, max_side / max(info.width, info.height))
    return max(2, int(info.width * scale) // 2 * 2), max(2, int(info.height * scale) // 2 * 2)


# --- the run ------------------------------------------------------------------------------------------------


def stylize_video(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    preset_or_model: str | TransformerNet,
    settings: VideoSettings = DEFAULT_VIDEO,
    *,
    limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
    stop: StopCheck | None = None,
) -> Iterator[VideoProgress]:
    """Stylise the video `source` into the MP4 `target` (replaced if it exists), yielding progress after every
    frame; the last event carries the result. `stop()` returning True ends the run early, writing nothing."""
    if not 0.0 <= settings.strength <= 1.0:
        raise NSTError(f"strength must be between 0 and 1, got {settings.strength}")
    if not 16 <= settings.max_side <= MAX_VIDEO_SIDE:
        raise NSTError(
            f"The longest side must be between 16 and {MAX_VIDEO_SIDE} px, got {settings.max_side}."
        )
    device = checked_device(settings.device)
    net = (
        preset_or_model
        if isinstance(preset_or_model, TransformerNet)
        else load_model(preset_or_model, device)
    )
    target = Path(target)
    info = probe(source, limits)
    with _open(source, limits) as container:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".mp4")
        os.close(handle)
        try:
            for event in _transcode(container, info, Path(temporary), net.to(device), settings, limits, stop):
                if event.result is not None:
                    os.replace(temporary, target)
                    event = dataclasses.replace(
                        event, result=dataclasses.replace(event.result, output=target)
                    )
                yield event
        finally:
            Path(temporary).unlink(missing_ok=True)


class _Timings(dict[str, float]):
    """Seconds spent per stage: `with timings("decode"): ...` adds the block's wall time."""

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[stage] = self.get(stage, 0.0) + time.perf_counter() - start


def _decoded(
    container: av.container.InputContainer,
    info: VideoInfo,
    size: tuple[int, int],
    writer: Mp4Writer,
    limits: VideoLimits,
    timings: _Timings,
) -> Iterator[tuple[int | None, np.ndarray]]:
    """(pts, upright RGB pixels at `size`) of every frame in order; sound packets go straight to `writer`."""
    stored = (size[1], size[0]) if info.rotation in (90, 270) else size  # scaled while converting to RGB
    streams = [container.streams.video[0], *container.streams.audio[:1]]
    packets = container.demux(streams)
    while True:
        with timings("decode"):
            packet = next(packets, None)
            if packet is None:
                return
            if packet.stream.type == "audio":
                writer.sound(packet)
                continue
            decoded = []
            for frame in packet.decode():
                if not isinstance(frame, av.VideoFrame):
                    continue  # the packet came from the video stream; nothing else decodes from it
                if frame.time is not None and frame.time > limits.max_seconds:
                    raise VideoError(f"The video lasts longer than {_clock(limits.max_seconds)}, the limit.")
                pixels: np.ndarray = frame.to_ndarray(
                    width=stored[0], height=stored[1], format="rgb24", interpolation="AREA"
                )
                if info.rotation:
                    pixels = np.ascontiguousarray(np.rot90(pixels, k=info.rotation // 90))
                decoded.append((frame.pts, pixels))
        yield from decoded


def _stylise(stylizer: FrameStylizer, pixels: np.ndarray, device: torch.device) -> np.ndarray:
    """One HxWx3 uint8 frame through the network and back."""
    frame = torch.from_numpy(pixels).to(device).permute(2, 0, 1)[None].float().div_(255)
    styled = stylizer(frame)[0].mul(255).round_().clamp_(0, 255).to(torch.uint8)
    return np.ascontiguousarray(styled.permute(1, 2, 0).cpu().numpy())


def _transcode(
    container: av.container.InputContainer,
    info: VideoInfo,
    temporary: Path,
    net: TransformerNet,
    settings: VideoSettings,
    limits: VideoLimits,
    stop: StopCheck | None,
) -> Iterator[VideoProgress]:
    """Demux, decode, stylise, encode and mux, one packet at a time; the last event has the result."""
    device = next(net.parameters()).device
    size = output_size(info, settings.max_side)
    stylizer = FrameStylizer(net, settings)
    writer = Mp4Writer(temporary, container, size, settings)
    expected = container.streams.video[0].frames  # exact in MP4/MOV headers, 0 when unknown
    timings = _Timings(decode=0.0, stylise=0.0, encode=0.0)
    start, done = time.perf_counter(), 0
    try:
        for pts, pixels in _decoded(container, info, size, writer, limits, timings):
            with timings("stylise"):
                styled = _stylise(stylizer, pixels, device)
            with timings("encode"):
                writer.frame(styled, pts, done)
            done += 1
            if stop is not None and stop():
                yield VideoProgress(done, info.frames, time.perf_counter() - start, stopped=True)
                return
            yield VideoProgress(done, info.frames, time.perf_counter() - start)
        if done == 0:
            raise VideoError("This video has no frames.")
        if expected and done < expected - 1:
            raise VideoError(f"{_CORRUPT}: only {done} of its {expected} frames could be read.")
        with timings("encode"):
            writer.close()
    except av.FFmpegError as exc:
        raise VideoError(f"{_CORRUPT} (after {done} frames).") from exc
    finally:
        writer.abandon()
    seconds = time.perf_counter() - start
    result = VideoResult(temporary, done, size, seconds, writer.audio, stylizer.scene_cuts, dict(timings))
    yield VideoProgress(done, done, seconds, result)
