"""What the web app says to people: status lines, notes and refusals. Every sentence a visitor reads that is
not a widget's label (those are declared with the options, nst.settings) is written here."""

from __future__ import annotations

import html
import logging
import re
from typing import Protocol

from nst.errors import ModelError, NSTError, PresetError
from nst.humanize import format_duration, format_rate
from nst.presets import get_preset
from nst.quality import QualityEvent
from nst.settings import VideoLimits

log = logging.getLogger(__name__)

ADD_PHOTO = "Add a photo first: upload one, paste it, or take one with your camera."
PHOTO_GONE = "This photo is no longer on the server (uploads are deleted after a while): add it again."
PICK_PAINTING = "Pick a painting first."
CHOOSE_PAINTING = "Choose a painting, or upload your own."
ADD_VIDEO = "Add a video first: upload an MP4, MOV or WebM file."
VIDEO_GONE = "This video is no longer on the server (uploads are deleted after a while)."
NO_CAMERA_FRAME = "No camera picture arrived: allow the camera and press record."
SECOND_LIVE_VIEW = "You already have a live view open (in another tab?): stop that one first."
GPU_BUSY = "The GPU is out of memory right now (it is busy with other work). Try again in a moment."
FAST_READY = "<div class='nst-status'><p><b>Fast result ready. Now the quality version…</b></p></div>"


def smaller_note(side: int, smaller: int) -> str:
    """After an out-of-memory retry."""
    return f"The GPU ran out of memory at {side} px, so this result was made at {smaller} px."


def deadline_note(seconds: float) -> str:
    """A run stopped by the server's time limit."""
    return (
        f"This run reached the server's time limit ({format_duration(seconds)}) and was "
        "stopped: here is its latest image. Try a smaller size or fewer steps."
    )


def live_turn_over(seconds: int) -> str:
    return f"Your live view had its {seconds} s turn: pause for a few seconds and start it again."


def video_limits(limits: VideoLimits) -> str:
    """The Video tab's limits in words."""
    return (
        f"Up to {format_duration(limits.max_seconds)}, {limits.max_bytes // 2**20} MB, 1080p and "
        f"{limits.max_fps:.0f} frames/s. Sound is kept."
    )


NO_MIXING = (
    "Mixing two presets needs the multi-style network (styles/presets-multi), which is not installed here."
)


def fast_info(
    weights: tuple[tuple[str, float], ...], size: tuple[int, int], seconds: float, hardware: str
) -> str:
    """The line under a fast result: the preset (or the mix, in %), the size and the time it took. A mix on
    a CPU runs on the multi-style standard network, not the CPU-fast one: the line says why it is slower."""
    presets = [(get_preset(preset_id), share) for preset_id, share in weights]
    if len(presets) == 1:
        first = presets[0][0]
        what = f"**{first.name}** ({first.artist}, {first.year})"
    else:
        what = "**" + " + ".join(f"{p.name} {round(100 * share)} %" for p, share in presets) + "**"
    line = f"{what} · {size[0]}×{size[1]} px · {seconds:.2f} s on {hardware.upper()}"
    if len(presets) > 1 and hardware == "cpu":
        line += " · a mix runs on the multi-style standard network, slower than a preset's CPU-fast one"
    return line


def expected_time(seconds: float, hardware: str) -> str:
    """The expected duration, shown before a quality run starts."""
    return f"Expected time: **about {format_duration(seconds)}** on this {hardware}."


# --- status lines -----------------------------------------------------------------------------------------


def progress_html(event: QualityEvent, note: str | None = None, prefix: str = "") -> str:
    """The status line of a quality run: a progress bar, step, time left and the loss terms."""
    if event.done:
        if event.step == 0:
            headline = "Stopped before the first step."
        elif event.stopped:
            headline = (
                f"Stopped at step {event.step} of {event.total} after {format_duration(event.elapsed)}."
            )
        else:
            headline = f"Done: {event.total} steps in {format_duration(event.elapsed)}."
    else:
        left = f" · about {format_duration(event.eta)} left" if event.eta is not None else ""
        headline = f"Step {event.step} of {event.total} · {format_duration(event.elapsed)}{left}"
    names = (("total", "loss"), ("content", "content"), ("style", "style"), ("tv", "smoothness"))
    losses = " · ".join(f"{label} {event.losses[key]:.3g}" for key, label in names if key in event.losses)
    shown = f'<p class="nst-note">{html.escape(note)}</p>' if note else ""
    return (
        f'<div class="nst-status"><progress max="{event.total}" value="{event.step}"></progress>'
        f"<p><b>{html.escape(prefix + headline)}</b></p><p class='nst-losses'>{losses}</p>{shown}</div>"
    )


class VideoStatus(Protocol):
    """What the status line reads from a video run's update (read-only, so frozen dataclasses fit)."""

    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int | None: ...
    @property
    def fps(self) -> float: ...
    @property
    def eta(self) -> float | None: ...
    @property
    def info(self) -> str: ...
    @property
    def stopped(self) -> bool: ...

    @property
    def finished(self) -> bool: ...


def video_status_html(update: VideoStatus) -> str:
    """A video run's status line: progress bar, frames, speed and time left, or the finished summary."""
    if update.stopped:
        return f"<div class='nst-status'><p><b>Stopped after {update.done} frames.</b></p></div>"
    if update.finished:
        done = "<progress max='1' value='1'></progress>"
        return f"<div class='nst-status'>{done}<p><b>Done:</b> {html.escape(update.info)}</p></div>"
    total = update.total or update.done
    left = f" · about {format_duration(update.eta)} left" if update.eta is not None else ""
    return (
        f"<div class='nst-status'><progress max='{total}' value='{update.done}'></progress>"
        f"<p><b>Frame {update.done} of {total}</b> · {format_rate(update.fps)}{left}</p></div>"
    )


FPS_STYLE = "font-size: 1.4em; font-variant-numeric: tabular-nums;"


def fps_html(fps: float | None, waiting: str = "… frames/s") -> str:
    """The live view's frame rate, large."""
    rate = waiting if fps is None else format_rate(fps)
    return f"<div style='{FPS_STYLE}' id='live-fps-value'>{rate}</div>"


def mebibytes(count: int | None) -> str:
    return "—" if count is None else f"{count / 2**20:,.0f} MiB"


# --- what an error may say -----------------------------------------------------------------------------

# Paths, file names of code or weights, environment variables and commands: for the log, not for visitors.
_INTERNAL = re.compile(
    r"(?:^|[\s'\"(`])(?:~|\.{0,2})/\w|\\\w|`|\bpython\b|\bNST_[A-Z_]+|\bHF_[A-Z_]+|\.py\b|\.safetensors\b"
    r"|\bconfig\.json\b|\btraining/"
)
_GENERIC = {
    ModelError: "The network for this painting is not available on this server right now.",
    PresetError: "This painting is not available on this server right now.",
}


def public_message(exc: NSTError) -> str:
    """The message a web visitor sees for `exc`: the library's own when it names no server internals, else
    a plain sentence (and the details go to the log)."""
    message = str(exc)
    if not _INTERNAL.search(message):
        return message
    log.warning("refusal shown without its details: %s", message)
    for kind, text in _GENERIC.items():
        if isinstance(exc, kind):
            return text
    return "The server could not do this right now. Please try again later."
