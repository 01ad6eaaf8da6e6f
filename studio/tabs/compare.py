"""The Compare tab: the fast network and a quality run on the same photo, side by side, scored alike."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from nst.humanize import format_duration
from studio.results import CompareUpdate
from studio.tabs.common import (
    Context,
    Upload,
    friendly,
    output_image,
    painting_picker,
    photo_examples,
    photo_input,
    run_buttons,
    wire_gpu_run,
)
from studio.text import FAST_READY, mebibytes, progress_html

TABLE_HEADERS = ["method", "time", "peak memory", "content loss", "style loss", "SSIM to photo"]


class CompareHandlers:
    """The Compare tab's events."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @friendly
    def compare(
        self, photo: Upload, preset: str | None, request: gr.Request | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Stream a comparison: fast image, quality previews (also in the slider), then the score table."""
        ctx = self.ctx
        with ctx.long_run(request, "compare") as (flag, turn):
            for update in ctx.engine.compare(ctx.unopened(photo), preset, flag, turn):
                yield compare_values(update)


def compare_values(update: CompareUpdate) -> tuple[Any, ...]:
    """Slider, fast image, quality image, status and table for one comparison update."""
    if update.event is None:
        return gr.skip(), update.fast, gr.skip(), FAST_READY, gr.skip()
    status = progress_html(update.event, update.note, prefix="Quality run · ")
    if update.quality is None:
        return gr.skip(), gr.skip(), gr.skip(), status, gr.skip()
    table = [
        [row.method, f"{row.seconds:.2f} s", mebibytes(row.peak_bytes), f"{row.content:.3f}",
         f"{row.style:.4f}", f"{row.ssim:.3f}"]
        for row in update.rows
    ]  # fmt: skip
    return (update.fast, update.quality), gr.skip(), update.quality, status, table or gr.skip()


def compare_tab(ctx: Context, photos: Sequence[Path]) -> None:
    engine = ctx.engine
    defaults = engine.quality_defaults()
    expected = format_duration(engine.estimate(defaults.size, defaults.steps))
    about = (
        f"Runs the fast network and a {defaults.steps}-step quality optimisation at {defaults.size} px "
        f"(about {expected} here), then scores both the same way: content and style loss (lower is closer) "
        "and SSIM, the structure kept from the photo."
    )
    with gr.Row(equal_height=False, elem_id="compare-layout", elem_classes="nst-tab-row"):
        with gr.Column(scale=4):
            photo = photo_input("compare-photo", height=260)
            preset = painting_picker(ctx, fast=True)
            ready = preset.choices
            gr.Markdown(about if ready else "Compare needs a fast-mode network: none is installed yet.")
            run, stop = run_buttons("compare", "Compare")
            photo_examples(photos, photo, preset)
        with gr.Column(scale=7, elem_classes="nst-output"):
            slider = gr.ImageSlider(
                label="Fast ◀ ▶ Quality", type="pil", format="png", max_height=480, elem_id="compare-slider"
            )
            with gr.Row():
                fast = output_image("compare-fast", "Fast", height=260)
                quality = output_image("compare-quality", "Quality", height=260)
            status = gr.HTML(elem_id="compare-status")
            table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, elem_id="compare-table")
    outputs = [slider, fast, quality, status, table]
    wire_gpu_run(ctx, "compare", CompareHandlers(ctx).compare, (run, stop), [photo, preset], outputs, status)
