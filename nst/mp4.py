"""The MP4 that nst.video writes: H.264 yuv420p video at the input's timestamps, plus the input's sound.

AAC, MP3 and Opus are copied packet by packet (MP4 holds them as they are); anything else is decoded and
re-encoded to AAC. `+faststart` puts the index first, so a browser starts playing before the download ends.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import av.audio.stream
import numpy as np

from nst.settings import VideoSettings

COPIED_AUDIO = frozenset({"aac", "mp3", "opus"})


class Mp4Writer:
    """The output MP4: H.264 video at the input's timestamps plus the first audio stream (copied or AAC)."""

    def __init__(
        self, path: Path, source: av.container.InputContainer, size: tuple[int, int], settings: VideoSettings
    ) -> None:
        self.container = av.open(os.fspath(path), "w", format="mp4", options={"movflags": "+faststart"})
        video_in = source.streams.video[0]
        rate = video_in.average_rate or video_in.guessed_rate or Fraction(30)
        self.video = self.container.add_stream(
            "libx264", rate=rate, options={"crf": str(settings.crf), "preset": settings.x264_preset}
        )
        self.video.width, self.video.height = size
        self.video.pix_fmt = "yuv420p"
        self.time_base = video_in.time_base or Fraction(1, 90000)
        self.video.codec_context.time_base = self.time_base
        self.audio_in = source.streams.audio[0] if source.streams.audio else None
        self.audio_out: av.audio.stream.AudioStream | None = None
        self.audio = "none"
        self.last_pts: int | None = None
        self.closed = False
        if self.audio_in is not None:
            name = self.audio_in.codec_context.name
            if name in COPIED_AUDIO:
                self.audio_out, self.audio = (
                    self.container.add_stream_from_template(self.audio_in),
                    f"copied {name}",
                )
            else:
                layout = (
                    self.audio_in.codec_context.layout.name
                    if self.audio_in.codec_context.layout
                    else "stereo"
                )
                sample_rate = self.audio_in.codec_context.sample_rate or 48000
                self.audio_out = self.container.add_stream("aac", rate=sample_rate, layout=layout)
                self.audio = f"re-encoded {name} to aac"

    def frame(self, pixels: np.ndarray, pts: int | None, index: int) -> None:
        """Encode one RGB frame at `pts` (in the input's time base; strictly increasing for the encoder)."""
        if pts is None:
            pts = round(index / float(self.video.codec_context.framerate or 30) / self.time_base)
        if self.last_pts is not None and pts <= self.last_pts:
            pts = self.last_pts + 1
        self.last_pts = pts
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        frame.pts, frame.time_base = pts, self.time_base
        self.container.mux(self.video.encode(frame))

    def sound(self, packet: av.Packet) -> None:
        """Copy or re-encode one audio packet."""
        if self.audio_out is None or packet.dts is None:
            return
        if self.audio.startswith("copied"):
            packet.stream = self.audio_out
            self.container.mux(packet)
            return
        for frame in packet.decode():
            if not isinstance(frame, av.AudioFrame):
                continue  # the packet came from the audio stream; nothing else decodes from it
            frame.pts = None  # the encoder counts samples itself
            self.container.mux(self.audio_out.encode(frame))

    def abandon(self) -> None:
        """Close the file without finishing it (after an error or Stop; closing twice is harmless)."""
        if not self.closed:
            self.closed = True
            self.container.close()

    def close(self) -> None:
        """Flush the encoders (and the audio decoder) and finish the file."""
        self.container.mux(self.video.encode(None))
        if self.audio_in is not None and self.audio_out is not None and not self.audio.startswith("copied"):
            for frame in self.audio_in.codec_context.decode(None):
                frame.pts = None
                self.container.mux(self.audio_out.encode(frame))
            self.container.mux(self.audio_out.encode(None))
        self.closed = True
        self.container.close()
