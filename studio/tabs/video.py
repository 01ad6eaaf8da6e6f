"""The Video tab: upload a video, pick a painting, watch the progress, play and download the result."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from typing import Any

import gradio as gr

from nst.settings import VideoSettings
from studio.limits import GPU_QUEUE, VIDEO_PROGRESS_S, VIDEO_SIDES, thinned
from studio.tabs.common import Context, friendly, painting_picker, run_buttons, session
from studio.text import video_limits, video_status_html
from studio.video_service import VideoService
from studio.widgets import api_inputs, from_api, widgets


class VideoHandlers:
    """The Video tab's events. Options arrive as keywords under their API names (studio.widgets)."""

    def __init__(self, ctx: Context, service: VideoService) -> None:
        self.ctx = ctx
        self.service = service

    @friendly
    def video(
        self, source: str | None, preset: str | None, request: gr.Request | None = None, **options: Any
    ) -> Iterator[tuple[Any, str, Any]]:
        """Stream a video run: progress, then the MP4 with its recipe."""
        values = from_api(VideoSettings, options)
        with self.ctx.engine.stops.running(session(request), "video") as flag:
            updates = self.service.video(source, preset, flag, **values)
            for update in thinned(updates, attrgetter("final"), VIDEO_PROGRESS_S):
                if update.output is not None:
                    yield str(update.output), video_status_html(update), update.recipe
                else:
                    yield gr.skip(), video_status_html(update), gr.skip()


def video_tab(ctx: Context, service: VideoService) -> None:
    kind = ctx.engine.kind
    h = VideoHandlers(ctx, service)
    sizes = [(f"{side} px", side) for side in VIDEO_SIDES[kind]]
    options = widgets(VideoSettings, service.settings(), {"max_side": {"choices": sizes}})
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            source = gr.Video(sources=["upload"], label="Your video", height=300, elem_id="video-input")
            gr.Markdown(video_limits(service.limits), elem_id="video-limits")
            preset = painting_picker(ctx, "video-preset", fast=True, painting=False, phone=False)
            for row in (("strength", "max_side"), ("preserve_color", "smoothing")):
                with gr.Row():
                    for name in row:
                        options[name].render()
            run, stop = run_buttons("video", "Paint the video", phone=False)
        with gr.Column(scale=6):
            result = gr.Video(
                label="Your painted video", interactive=False, buttons=["download"], elem_id="video-result"
            )
            status = gr.HTML(elem_id="video-status")
            with gr.Accordion("Recipe", open=False):
                recipe = gr.JSON(show_label=False)
    run.click(ctx.arm("video"), None, None, queue=False, api_visibility="private").then(
        h.video,
        [source, preset],
        [result, status, recipe],
        inputs_kwargs=api_inputs(VideoSettings, options),
        api_name="video",
        concurrency_id=GPU_QUEUE,
        concurrency_limit=1,
        show_progress="minimal",
        show_progress_on=[status],
    )
    stop.click(ctx.stopper("video"), None, None, queue=False, api_name="stop_video")
