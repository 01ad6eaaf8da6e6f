"""The Video and Live tabs of the web app: layout and thin event functions over nst.service_video.

Kept apart from app.py, which builds the other tabs: app.py calls `video_tab` and `live_tab` inside its Tabs
and hands over its handlers (Stop flags) and helpers (refusals into pop-ups, raw uploads, the session's
name), so nothing here imports app.py.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any

import gradio as gr

from nst.runs import format_duration, thinned
from nst.service import GPU_QUEUE, PresetCard
from nst.service_video import LIVE_SECONDS, VIDEO_SIDES, VideoService, VideoUpdate, format_rate

LIVE_QUEUE = "live"
LIVE_CONCURRENCY = {"cpu": 1, "cuda": 2}  # live frames served at once (one uses every CPU core)
LIVE_EVERY_S = 0.05  # the browser sends a camera frame this often (when the last one has been answered)
CAMERA = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}}
PROGRESS_EVERY_S = 0.25  # progress updates of a video run are sent at most this often
FPS_STYLE = "font-size: 1.4em; font-variant-numeric: tabular-nums;"


class VideoHandlers:
    """Event functions of the Video and Live tabs. `base` is app.py's Handlers (its `arm` and `stopper` hold
    and set Stop flags); `friendly` turns NSTError into a pop-up, `unopened` reads an input's raw value (path
    or data-URL bytes), `session` names the request's browser tab."""

    def __init__(
        self,
        service: VideoService,
        base: Any,
        friendly: Callable[[Callable[..., Any]], Callable[..., Any]],
        unopened: Callable[[Any], Any],
        session: Callable[[gr.Request | None], str],
    ) -> None:
        self.service = service
        self.engine = service.engine
        self.arm, self.stopper = base.arm, base.stopper
        self._unopened = unopened
        self._session = session
        self.video = friendly(self._video)
        self.live = friendly(self._live)

    def _video(
        self,
        source: str | None,
        preset: str | None,
        strength: float,
        preserve: bool,
        size: float,
        smoothing: bool,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, str, Any]]:
        """Stream a video run: progress, then the MP4 with its recipe."""
        session = self._session(request)
        flag = self.engine.stops.begin(session, "video")
        try:
            updates = self.service.video(source, preset, strength, preserve, size, smoothing, flag)
            for update in thinned(updates, attrgetter("final"), PROGRESS_EVERY_S):
                if update.output is not None:
                    yield str(update.output), _status(update), update.recipe
                else:
                    yield gr.skip(), _status(update), gr.skip()
        finally:
            self.engine.stops.end(session, "video", flag)

    def _live(
        self,
        frame: Any,
        preset: str | None,
        strength: float,
        smoothing: bool,
        request: gr.Request | None = None,
    ) -> tuple[Any, str]:
        """One camera frame stylised, and the frame rate this view gets."""
        picture, fps = self.service.live(
            self._unopened(frame), preset, self._session(request), _visitor(request), strength, smoothing
        )
        return picture, _fps_html("… frames/s" if fps is None else format_rate(fps))

    def end_live(self, request: gr.Request) -> None:
        self.service.end_live(self._session(request))


def _visitor(request: gr.Request | None) -> str:
    """The visitor's address: the first X-Forwarded-For entry behind a proxy (a Space), else the peer's. A
    client can forge the header, which only gets it a second live view, still bounded by the turn and the
    live queue's concurrency."""
    if request is None:
        return "local"
    forwarded = (request.headers.get("x-forwarded-for") or "").split(",")[0].strip()
    return forwarded or (request.client.host if request.client is not None else "local")


def _fps_html(rate: str) -> str:
    return f"<div style='{FPS_STYLE}' id='live-fps-value'>{rate}</div>"


def _status(update: VideoUpdate) -> str:
    """A video run's status line: progress bar, frames, speed and time left, or the finished summary."""
    if update.stopped:
        return f"<div class='nst-status'><p><b>Stopped after {update.done} frames.</b></p></div>"
    if update.output is not None:
        done = "<progress max='1' value='1'></progress>"
        return f"<div class='nst-status'>{done}<p><b>Done:</b> {html.escape(update.info)}</p></div>"
    total = update.total or update.done
    left = f" · about {format_duration(update.eta)} left" if update.eta is not None else ""
    return (
        f"<div class='nst-status'><progress max='{total}' value='{update.done}'></progress>"
        f"<p><b>Frame {update.done} of {total}</b> · {format_rate(update.fps)}{left}</p></div>"
    )


def _preset_picker(cards: Sequence[PresetCard], elem_id: str) -> gr.Dropdown:
    ready = [(card.caption, card.preset.id) for card in cards if card.fast_ready]
    return gr.Dropdown(choices=ready, value=ready[0][1] if ready else None, label="Painting", elem_id=elem_id)


def video_tab(h: VideoHandlers, cards: Sequence[PresetCard]) -> None:
    """Upload a video, pick a painting, watch the progress, play and download the result."""
    kind = h.engine.kind
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            source = gr.Video(sources=["upload"], label="Your video", height=300, elem_id="video-input")
            gr.Markdown(h.service.limits_text(), elem_id="video-limits")
            preset = _preset_picker(cards, "video-preset")
            with gr.Row():
                strength = gr.Slider(0, 1, value=1, step=0.05, label="Style strength")
                size = gr.Radio(
                    [(f"{side} px", side) for side in VIDEO_SIDES[kind]],
                    value=h.service.side(None),
                    label="Output size (longest side)",
                )
            with gr.Row():
                preserve = gr.Checkbox(label="Keep the video's colours")
                smoothing = gr.Checkbox(value=True, label="Steady colours (no flicker)")
            with gr.Row():
                run = gr.Button("Paint the video", variant="primary", size="lg", elem_id="video-run")
                stop = gr.Button("Stop", variant="stop", size="lg", elem_id="video-stop")
        with gr.Column(scale=6):
            result = gr.Video(
                label="Your painted video", interactive=False, buttons=["download"], elem_id="video-result"
            )
            status = gr.HTML(elem_id="video-status")
            with gr.Accordion("Recipe", open=False):
                recipe = gr.JSON(show_label=False)
    run.click(h.arm("video"), None, None, queue=False, api_visibility="private").then(
        h.video,
        [source, preset, strength, preserve, size, smoothing],
        [result, status, recipe],
        api_name="video",
        concurrency_id=GPU_QUEUE,
        concurrency_limit=1,
        show_progress="minimal",
        show_progress_on=[status],
    )
    stop.click(h.stopper("video"), None, None, queue=False, api_name="stop_video")


def live_tab(h: VideoHandlers, cards: Sequence[PresetCard]) -> None:
    """The webcam, painted live, with the frame rate beside it."""
    kind = h.engine.kind
    gr.Markdown(
        f"Start your camera: every frame is painted as it arrives. A live view lasts {LIVE_SECONDS[kind]} s "
        "at a time, one per visitor, so everyone gets a turn."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            camera = gr.Image(
                sources=["webcam"],
                streaming=True,
                label="Camera",
                webcam_options=gr.WebcamOptions(mirror=True, constraints=CAMERA),
                height=300,
                elem_id="live-camera",
            )
            preset = _preset_picker(cards, "live-preset")
            strength = gr.Slider(0, 1, value=1, step=0.05, label="Style strength")
            smoothing = gr.Checkbox(value=True, label="Steady colours (no flicker)")
        with gr.Column(scale=6):
            painted = gr.Image(
                label="Painted live", format="jpeg", interactive=False, height=480, elem_id="live-result"
            )
            fps = gr.HTML(_fps_html("— frames/s"), elem_id="live-fps")
    camera.stream(
        h.live,
        [camera, preset, strength, smoothing],
        [painted, fps],
        api_name="live",
        preprocess=False,
        stream_every=LIVE_EVERY_S,
        time_limit=LIVE_SECONDS[kind],
        concurrency_id=LIVE_QUEUE,
        concurrency_limit=LIVE_CONCURRENCY[kind],
        show_progress="hidden",
    )
    camera.clear(h.end_live, None, None, queue=False, api_visibility="private")
