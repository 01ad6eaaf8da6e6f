"""Video files and the live webcam view behind the web app, over the shared Engine (nst.service).

Limits on duration, frame size, frame rate and file size are fixed here per hardware, so a client cannot raise
them. Video runs are module-level functions with picklable arguments, decorated with `spaces.GPU` like the
other GPU functions, and the app queues them with quality and compare runs. A live view stylises one webcam
frame per call; each browser session keeps its smoothing state here, each visitor (address) has one live view
at a time, and a view ends after LIVE_SECONDS so others get their turn.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import spaces
import torch

from nst.errors import NSTError, PresetError, VideoError
from nst.fast import load_model
from nst.images import load_image
from nst.presets import get_preset
from nst.runs import StopFlag, format_duration
from nst.service import Engine, PhotoInput, _number, _versions
from nst.settings import VideoLimits, VideoSettings
from nst.temporal import FrameStylizer, SmoothingState
from nst.video import VideoProgress, probe, stylize_video

VIDEO_LIMITS = {
    "cpu": VideoLimits(max_bytes=100 * 2**20, max_seconds=30.0, max_pixels=1920 * 1088, max_fps=60.0),
    "cuda": VideoLimits(max_bytes=200 * 2**20, max_seconds=120.0, max_pixels=1920 * 1088, max_fps=60.0),
}
VIDEO_SIDES = {"cpu": (360, 480, 720), "cuda": (480, 720, 1080)}  # output size choices (longest side)
VIDEO_DEFAULT_SIDE = {"cpu": 480, "cuda": 720}
OUTPUT_MAX_AGE_S = 900  # finished videos are deleted this long after they were made
GPU_FRAMES_PER_S = 60  # a conservative video speed on a GPU (decode + stylise + encode at 1080p)
LIVE_SIDE = 640  # webcam frames are stylised at most this large (longest side)
LIVE_SECONDS = {"cpu": 60, "cuda": 120}  # one live view's turn
LIVE_IDLE_S = 3.0  # a live view that sent no frame for this long has ended
LIVE_FPS_SMOOTHING = 0.8  # the shown rate is a running average of frame intervals


def format_rate(fps: float) -> str:
    """Frames per second in words, with the digits that matter ("24 frames/s", "2.5 …", "0.04 …")."""
    digits = 0 if fps >= 10 else 1 if fps >= 1 else 2
    return f"{fps:.{digits}f} frames/s"


@dataclass(frozen=True)
class VideoUpdate:
    """Progress of a video run as the UI shows it; `output` (an MP4 path) and `recipe` come last."""

    done: int
    total: int | None
    fps: float
    eta: float | None
    output: Path | None = None
    info: str = ""
    recipe: dict[str, object] = field(default_factory=dict)
    stopped: bool = False

    @property
    def final(self) -> bool:
        """The last update of a run (the result, or the stop)."""
        return self.output is not None or self.stopped


def _video_gpu_seconds(
    source: str, target: str, model: str, settings: VideoSettings, limits: VideoLimits, stop: StopFlag
) -> int:
    """ZeroGPU reservation of a video run: the longest clip the limits allow at GPU_FRAMES_PER_S."""
    return 30 + int(limits.max_seconds * limits.max_fps / GPU_FRAMES_PER_S)


@spaces.GPU(duration=_video_gpu_seconds)
def _video_on_device(
    source: str, target: str, model: str, settings: VideoSettings, limits: VideoLimits, stop: StopFlag
) -> Iterator[VideoProgress]:
    """A video run's progress events (see nst.video.stylize_video)."""
    yield from stylize_video(source, target, model, settings, limits=limits, stop=stop.is_set)


@spaces.GPU(duration=10)
def _live_on_device(
    frame: np.ndarray, model: str, settings: VideoSettings, state: SmoothingState
) -> tuple[np.ndarray, SmoothingState]:
    """One webcam frame (HxWx3 uint8) stylised with the session's smoothing state; the state comes back."""
    net = load_model(model, settings.device)
    stylizer = FrameStylizer(net, settings, state)
    device = next(net.parameters()).device
    tensor = torch.from_numpy(frame).to(device).permute(2, 0, 1)[None].float().div_(255)
    styled = stylizer(tensor)[0].mul(255).round_().clamp_(0, 255).to(torch.uint8)
    return styled.permute(1, 2, 0).cpu().numpy(), stylizer.state


@dataclass
class _LiveView:
    """One session's live view: who, since when, the smoothing state and the shown frame rate."""

    client: str
    started: float
    last: float
    state: SmoothingState = field(default_factory=SmoothingState)
    interval: float | None = None
    frames: int = 0


class VideoService:
    """The Video tab's runs and the live view, for one Engine (its device, presets, stop flags)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.kind = engine.kind
        self.limits = VIDEO_LIMITS[self.kind]
        self._outputs = Path(tempfile.mkdtemp(prefix="nst-video-"))
        self._live: dict[str, _LiveView] = {}
        self._live_lock = threading.Lock()

    # --- what the UI shows --------------------------------------------------------------------------------

    def limits_text(self) -> str:
        """The limits in words."""
        limits = self.limits
        return (
            f"Up to {format_duration(limits.max_seconds)}, {limits.max_bytes // 2**20} MB, 1080p and "
            f"{limits.max_fps:.0f} frames/s. Sound is kept."
        )

    def side(self, size: object) -> int:
        """The requested output side, one of VIDEO_SIDES on this hardware."""
        if size is None:
            return VIDEO_DEFAULT_SIDE[self.kind]
        side = int(_number(size, "The output size", whole=True))
        if side not in VIDEO_SIDES[self.kind]:
            sides = ", ".join(str(s) for s in VIDEO_SIDES[self.kind])
            raise NSTError(f"The output size must be one of {sides} px here (got {side}).")
        return side

    def _settings(self, strength: object, preserve: object, side: int, smoothing: object) -> VideoSettings:
        share = _number(strength, "The style strength")
        if not 0.0 <= share <= 1.0:
            raise NSTError(f"The style strength must be between 0 and 1 (got {share}).")
        return VideoSettings(
            strength=share,
            preserve_color=bool(preserve),
            max_side=side,
            smoothing=bool(smoothing),
            device=str(self.engine.device),
        )

    # --- video files --------------------------------------------------------------------------------------

    def video(
        self,
        source: PhotoInput,
        preset_id: str | None,
        strength: object = 1.0,
        preserve_color: object = False,
        size: object = None,
        smoothing: object = True,
        stop: StopFlag | None = None,
    ) -> Iterator[VideoUpdate]:
        """Stylise an uploaded video (its path on the server) with a preset; progress, then the MP4."""
        if not preset_id:
            raise PresetError("Pick a painting first.")
        preset = get_preset(preset_id)
        if not isinstance(source, str | os.PathLike) or not str(source):
            raise VideoError("Add a video first: upload an MP4, MOV or WebM file.")
        if not Path(source).is_file():
            raise VideoError("This video is no longer on the server (uploads are deleted after a while).")
        settings = self._settings(strength, preserve_color, self.side(size), smoothing)
        info = probe(source, self.limits)  # refuse before queueing GPU time
        self._sweep()
        target = self._outputs / f"{Path(source).stem[:40]}-{preset.id}-{time.monotonic_ns()}.mp4"
        model = self.engine.model_for(preset.id)
        flag = stop or StopFlag(self._outputs / "never-set")
        for event in _video_on_device(str(source), str(target), model, settings, self.limits, flag):
            if event.stopped:
                yield VideoUpdate(event.done, event.total, event.fps, None, stopped=True)
                return
            if event.result is None:
                yield VideoUpdate(event.done, event.total, event.fps, event.eta)
                continue
            result = event.result
            width, height = result.size
            recipe = {
                "mode": "video",
                "preset": preset.id,
                "model": model,
                "strength": settings.strength,
                "preserve_color": settings.preserve_color,
                "smoothing": settings.smoothing,
                "output_size": [width, height],
                "frames": result.frames,
                "audio": result.audio,
                "input_rotation": info.rotation,
                "seconds": round(result.seconds, 2),
                "device": str(self.engine.device),
                "versions": _versions(),
            }
            text = (
                f"{preset.name} · {result.frames} frames at {width}×{height} · {format_rate(result.fps)} "
                f"on {self.kind.upper()} · sound: {result.audio}"
            )
            yield VideoUpdate(result.frames, result.frames, result.fps, None, result.output, text, recipe)

    def _sweep(self) -> None:
        """Delete finished videos older than OUTPUT_MAX_AGE_S (Gradio serves its own copies)."""
        cutoff = time.time() - OUTPUT_MAX_AGE_S
        for path in self._outputs.glob("*.mp4"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue

    # --- the live view ------------------------------------------------------------------------------------

    def live(
        self,
        frame: PhotoInput,
        preset_id: str | None,
        session: str,
        client: str,
        strength: object = 1.0,
        smoothing: object = True,
    ) -> tuple[np.ndarray, float | None]:
        """Stylise one webcam frame for `session` (from address `client`): the picture and the frames per
        second the view is getting (None until two frames have arrived)."""
        if not preset_id:
            raise PresetError("Pick a painting first.")
        preset = get_preset(preset_id)
        if frame is None or frame == "":
            raise VideoError("No camera picture arrived: allow the camera and press record.")
        picture = load_image(frame, max_side=LIVE_SIDE, limits=self.engine.limits)
        view = self._view(session, client)
        settings = self._settings(strength, False, LIVE_SIDE, smoothing)
        pixels = np.array(picture, dtype=np.uint8)
        styled, state = _live_on_device(pixels, self.engine.model_for(preset.id), settings, view.state)
        now = time.monotonic()
        with self._live_lock:
            view.state = state
            gap, view.last = now - view.last, now
            view.frames += 1
            if view.frames > 1 and gap > 0:
                view.interval = (
                    gap
                    if view.interval is None
                    else LIVE_FPS_SMOOTHING * view.interval + (1 - LIVE_FPS_SMOOTHING) * gap
                )
        return styled, (1.0 / view.interval if view.interval else None)

    def _view(self, session: str, client: str) -> _LiveView:
        """The session's live view, started if new; refused when the visitor has another one running, or when
        this one has had its turn."""
        now = time.monotonic()
        with self._live_lock:
            for key, other in list(self._live.items()):
                if now - other.last > LIVE_IDLE_S:
                    del self._live[key]  # ended: its turn and state are forgotten
                elif key != session and other.client == client:
                    raise NSTError(
                        "You already have a live view open (in another tab?): stop that one first."
                    )
            view = self._live.get(session)
            if view is None:
                view = self._live[session] = _LiveView(client, now, now)
            if now - view.started > LIVE_SECONDS[self.kind]:
                raise NSTError(
                    f"Your live view had its {LIVE_SECONDS[self.kind]} s turn: pause for a few seconds and "
                    "start it again."
                )
            return view

    def end_live(self, session: str) -> None:
        """The session stopped its camera or closed the tab."""
        with self._live_lock:
            self._live.pop(session, None)
