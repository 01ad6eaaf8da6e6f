"""Small builders shared by tests: synthetic images, a PNG that claims any size, test video clips and a
random-weight VGG encoder."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
import torch
from PIL import Image

from benchmarks import clips
from nst.vgg import InputConvention, VGGEncoder, random_features


def gradient_image(width: int, height: int, seed: int = 0) -> Image.Image:
    """A smooth random colour field with some texture: a stand-in photo that needs no files."""
    g = torch.Generator().manual_seed(seed)
    base = torch.nn.functional.interpolate(
        torch.rand(1, 3, 4, 4, generator=g), size=(height, width), mode="bilinear"
    )
    pixels = (base + 0.08 * torch.rand(1, 3, height, width, generator=g)).clamp(0, 1)[0].permute(1, 2, 0)
    return Image.fromarray((pixels * 255).round().byte().numpy())


def png_claiming(width: int, height: int) -> bytes:
    """A tiny real PNG whose IHDR says width×height (CRC fixed): costs nothing unless decoded."""
    buffer = io.BytesIO()
    Image.new("L", (16, 16), 128).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def random_encoder(last_layer: str = "relu3_1", seed: int = 0) -> VGGEncoder:
    """A VGG-shaped encoder with random weights, for logic tests that must not depend on real weights."""
    state = random_features(last_layer, seed=seed)
    convention = InputConvention(bgr=False, scale=1.0, mean=(0.5, 0.5, 0.5))
    return VGGEncoder(state, convention, last_layer)


# --- test video clips (PyAV) ------------------------------------------------------------------------------

STEPS = (1, 2, 1)  # frame durations in 1/30 s, repeated: a variable frame rate


def pattern(width: int, height: int, index: int) -> np.ndarray:
    """A frame of diagonal stripes sliding right, with a pure blue square in the top-left corner (to tell the
    orientation) and per-frame brightness jitter."""
    x = np.arange(width)[None, :]
    y = np.arange(height)[:, None]
    frame = np.zeros((height, width, 3), np.float32)
    frame[..., 0] = 128 + 100 * np.sin((x + y + 6 * index) / 7.0)
    frame[..., 1] = 128 + 90 * np.cos((x - 2 * y + 3 * index) / 11.0)
    frame[..., 2] = 60
    frame *= 1.0 + 0.08 * np.sin(index * 2.1)  # brightness jitter
    frame[: height // 4, : width // 4] = (0, 0, 255)
    return frame.clip(0, 255).astype(np.uint8)


def write_clip(
    path: Path,
    *,
    size: tuple[int, int] = (161, 91),
    frames: int = 10,
    video_codec: str = "libx264",
    audio_codec: str | None = "aac",
    rotation: int = 0,
    container: str | None = None,
    fps: int = 30,
) -> list[float]:
    """Write a clip of `pattern` frames and return its frame times in seconds (variable frame rate unless
    fps != 30); x264 at its fastest, the tests look at geometry and timing, not quality."""
    width, height = size
    return clips.write_clip(
        path,
        [pattern(width, height, index) for index in range(frames)],
        fps=fps,
        steps=STEPS if fps == 30 else (1,),
        video_codec=video_codec,
        options={"preset": "ultrafast"} if video_codec == "libx264" else None,
        audio_codec=audio_codec,
        rotation=rotation,
        container=container,
    )


def read_frames(path: Path) -> tuple[list[float], list[np.ndarray], int]:
    """Frame times (s), RGB frames and the rotation flag of the first video stream."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
        return (
            [float(f.time) for f in frames],
            [f.to_ndarray(format="rgb24") for f in frames],
            frames[0].rotation,
        )


def audio_seconds(path: Path) -> tuple[str | None, float]:
    """The first audio stream's codec and total packet duration in seconds."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None, 0.0
        stream = container.streams.audio[0]
        total = sum(float(p.duration * p.time_base) for p in container.demux(stream) if p.duration)
        return stream.codec_context.name, total
