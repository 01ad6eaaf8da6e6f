"""The Live tab: the webcam, painted frame by frame as it arrives, with the frame rate beside it."""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.blocks import Block

from nst.settings import VideoSettings
from studio.limits import LIVE_CONCURRENCY, LIVE_EVERY_S, LIVE_QUEUE, LIVE_SECONDS
from studio.tabs.common import Context, friendly, painting_picker, session, visitor
from studio.text import fps_html
from studio.video_service import VideoService
from studio.widgets import api_inputs, from_api, widgets

CAMERA = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}}
# The view is shown mirrored, as people expect of a selfie camera, by the page's CSS (studio.app) on both the
# camera and the painted picture, not by Gradio's `mirror`: that draws every captured frame twice in the
# browser, a cost that slowed the live view with the browser on the server's cores. Frames are sent and
# painted the right way round.
LIVE_OPTIONS = ("strength", "smoothing")  # of VideoSettings: the size is fixed (LIVE_SIDE), colours kept


class LiveHandlers:
    """The Live tab's events."""

    def __init__(self, ctx: Context, service: VideoService) -> None:
        self.ctx = ctx
        self.service = service

    @friendly
    def live(
        self, frame: Any, preset: str | None, request: gr.Request | None = None, **options: Any
    ) -> tuple[Any, str]:
        """One camera frame stylised, and the frame rate this view gets."""
        values = from_api(VideoSettings, options)
        picture, fps = self.service.live(
            self.ctx.unopened(frame), preset, session(request), visitor(request), **values
        )
        return picture, fps_html(fps)

    def end_live(self, request: gr.Request) -> None:
        self.service.end_live(session(request))


def live_tab(ctx: Context, service: VideoService) -> None:
    kind = ctx.engine.kind
    h = LiveHandlers(ctx, service)
    shown = widgets(VideoSettings, service.settings())
    options = {name: shown[name] for name in LIVE_OPTIONS}
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
                webcam_options=gr.WebcamOptions(mirror=False, constraints=CAMERA),
                height=300,
                elem_id="live-camera",
            )
            preset = painting_picker(ctx, "live-preset", fast=True, painting=False, phone=False)
            for component in options.values():
                component.render()
        with gr.Column(scale=6):
            painted = gr.Image(
                label="Painted live", format="jpeg", interactive=False, height=480, elem_id="live-result"
            )
            fps = gr.HTML(fps_html(None, "— frames/s"), elem_id="live-fps")
    camera.stream(
        h.live,
        [camera, preset],
        [painted, fps],
        inputs_kwargs=dict[str, Block](api_inputs(VideoSettings, options)),
        api_name="live",
        preprocess=False,
        stream_every=LIVE_EVERY_S[kind],
        time_limit=LIVE_SECONDS[kind],
        concurrency_id=LIVE_QUEUE,
        concurrency_limit=LIVE_CONCURRENCY[kind],
        show_progress="hidden",
    )
    camera.clear(h.end_live, None, None, queue=False, api_visibility="private")
