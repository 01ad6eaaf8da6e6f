"""Video clips written from frames with PyAV, with a sine tone for sound: the video benchmark's camera pan,
the screenshot script's clip and the tests' stripes (tests/helpers.py) all go through `write_clip`, so a
change in how PyAV wants a stream set up is made once.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SAMPLE_RATE = 48_000


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    *,
    fps: int = 30,
    steps: Sequence[int] = (1,),
    video_codec: str = "libx264",
    options: Mapping[str, str] | None = None,
    audio_codec: str | None = "aac",
    rotation: int = 0,
    container: str | None = None,
) -> list[float]:
    """Write RGB frames (uint8 H×W×3, one size) and return their times in seconds.

    Frame durations are `steps` (in 1/fps units) taken in turn: (1,) is a constant frame rate, (1, 2, 1) a
    variable one. `options` go to the video encoder (e.g. crf, preset); `rotation` is stored as display
    metadata, as phones do; with `audio_codec`, a 440 Hz mono tone lasts as long as the picture.
    """
    height, width = frames[0].shape[:2]
    time_base = Fraction(1, fps)
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream(video_codec, rate=fps)
        assert isinstance(video, av.video.stream.VideoStream), video_codec  # PyAV's types know literals only
        video.width, video.height = width, height
        # x264 takes odd sizes in 4:4:4 (what a phone or editor might hand over); VP9 wants 4:2:0
        video.pix_fmt = "yuv444p" if video_codec == "libx264" and (width % 2 or height % 2) else "yuv420p"
        video.codec_context.time_base = time_base
        if options:
            video.options = dict(options)
        if rotation:
            video.set_display_rotation(rotation)
        audio = out.add_stream(audio_codec, rate=SAMPLE_RATE, layout="mono") if audio_codec else None
        assert audio is None or isinstance(audio, av.audio.stream.AudioStream), audio_codec
        times, pts = [], 0
        for pixels, step in zip(frames, itertools.cycle(steps), strict=False):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            times.append(float(pts * time_base))
            out.mux(video.encode(frame))
            pts += step
        out.mux(video.encode(None))
        if audio is not None:
            write_tone(out, audio, float(pts * time_base))
    return times


def write_tone(out: av.container.OutputContainer, audio: av.audio.stream.AudioStream, seconds: float) -> None:
    """A 440 Hz tone lasting `seconds` into `audio` (a stream of `out`), then the encoder flushed."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, start, Fraction(1, SAMPLE_RATE)
        out.mux(audio.encode(frame))
    out.mux(audio.encode(None))
