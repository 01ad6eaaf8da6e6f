"""Video files and the live webcam view behind the web app, over the shared Engine (studio.engine).

Limits on duration, frame size, frame rate and file size are fixed per hardware (studio.limits), so a client
cannot raise them; strength and the other options are checked against their declarations (nst.settings).
Video runs go through studio.gpu like the other GPU work, and the app queues them with quality and compare
runs. A live view stylises one webcam frame per call; each browser session keeps its smoothing state here,
each visitor (address) has one live view at a time, and a view ends after LIVE_SECONDS so others get their
turn.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nst.errors import NSTError, PresetError, VideoError
from nst.humanize import format_rate
from nst.images import load_image
from nst.options import parse_all
from nst.presets import get_preset
from nst.recipe import Recipe
from nst.settings import VideoSettings
from nst.temporal import SmoothingState
from nst.video import probe
from studio import gpu, limits, text
from studio.engine import Engine, PhotoInput
from studio.results import VideoUpdate
from studio.stops import StopFlag

LIVE_FPS_SMOOTHING = 0.8  # the shown rate is a running average of frame intervals


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
        self.limits = limits.VIDEO_LIMITS[self.kind]
        self._outputs = Path(tempfile.mkdtemp(prefix="nst-video-"))
        self._live: dict[str, _LiveView] = {}
        self._live_lock = threading.Lock()

    # --- what the UI shows --------------------------------------------------------------------------------

    def settings(self, sides: tuple[int, ...] | None = None, **values: Any) -> VideoSettings:
        """Settings of a video run from a client's values (None = the default), checked against the
        declarations and the output sizes offered (`sides`, by default this hardware's VIDEO_SIDES)."""
        sides = sides or limits.VIDEO_SIDES[self.kind]
        chosen = {k: v for k, v in parse_all(VideoSettings, values, web=True).items() if v is not None}
        side = chosen.setdefault(
            "max_side", limits.VIDEO_DEFAULT_SIDE[self.kind] if len(sides) > 1 else sides[0]
        )
        if side not in sides:
            listed = ", ".join(str(s) for s in sides)
            raise NSTError(f"The output size must be one of {listed} px here (got {side}).")
        return VideoSettings(**chosen, device=str(self.engine.device))

    # --- video files --------------------------------------------------------------------------------------

    def video(
        self, source: PhotoInput, preset_id: str | None, stop: StopFlag | None = None, **values: Any
    ) -> Iterator[VideoUpdate]:
        """Stylise an uploaded video (its path on the server) with a preset; progress, then the MP4. The
        same shape as the engine's operations: `values` are VideoSettings options by field name."""
        if not preset_id:
            raise PresetError(text.PICK_PAINTING)
        preset = get_preset(preset_id)
        if not isinstance(source, str | os.PathLike) or not str(source):
            raise VideoError(text.ADD_VIDEO)
        if not Path(source).is_file():
            raise VideoError(text.VIDEO_GONE)
        settings = self.settings(**values)
        info = probe(source, self.limits)  # refuse before queueing GPU time
        self._sweep()
        target = self._outputs / f"{Path(source).stem[:40]}-{preset.id}-{time.monotonic_ns()}.mp4"
        model = self.engine.model_for(preset.id, frames=True)
        flag = stop or self.engine.stops.loose()
        for event in gpu.video_on_device(str(source), str(target), model, settings, self.limits, flag):
            if event.stopped:
                yield VideoUpdate(event.done, event.total, event.fps, None, stopped=True)
                return
            if event.result is None:
                yield VideoUpdate(event.done, event.total, event.fps, event.eta)
                continue
            result = event.result
            width, height = result.size
            recipe = Recipe.of(
                "video", settings, result.size, result.seconds, str(self.engine.device), preset=preset.id,
                model=model, frames=result.frames, audio=result.audio, input_rotation=info.rotation,
            ).as_dict()  # fmt: skip
            line = (
                f"{preset.name} · {result.frames} frames at {width}×{height} · {format_rate(result.fps)} "
                f"on {self.kind.upper()} · sound: {result.audio}"
            )
            yield VideoUpdate(result.frames, result.frames, result.fps, None, result.output, line, recipe)

    def _sweep(self) -> None:
        """Delete finished videos older than OUTPUT_MAX_AGE_S (Gradio serves its own copies)."""
        cutoff = time.time() - limits.OUTPUT_MAX_AGE_S
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
        **values: Any,
    ) -> tuple[np.ndarray, float | None]:
        """Stylise one webcam frame for `session` (from address `client`): the picture and the frames per
        second the view is getting (None until two frames have arrived). `values`: VideoSettings options."""
        if not preset_id:
            raise PresetError(text.PICK_PAINTING)
        preset = get_preset(preset_id)
        if frame is None or frame == "":
            raise VideoError(text.NO_CAMERA_FRAME)
        picture = load_image(
            frame, max_side=limits.LIVE_SIDE[self.kind], limits=self.engine.limits, quick=True
        )
        view = self._view(session, client)
        settings = self.settings((limits.LIVE_SIDE[self.kind],), **values)
        pixels = np.array(picture, dtype=np.uint8)
        model = self.engine.model_for(preset.id, frames=True)
        styled, state = gpu.live_on_device(pixels, model, settings, view.state)
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
                if now - other.last > limits.LIVE_IDLE_S:
                    del self._live[key]  # ended: its turn and state are forgotten
                elif key != session and other.client == client:
                    raise NSTError(text.SECOND_LIVE_VIEW)
            view = self._live.get(session)
            if view is None:
                view = self._live[session] = _LiveView(client, now, now)
            if now - view.started > limits.LIVE_SECONDS[self.kind]:
                raise NSTError(text.live_turn_over(limits.LIVE_SECONDS[self.kind]))
            return view

    def end_live(self, session: str) -> None:
        """The session stopped its camera or closed the tab."""
        with self._live_lock:
            self._live.pop(session, None)
