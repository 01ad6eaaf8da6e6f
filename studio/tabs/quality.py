"""The Quality tab: the optimisation paints the photo step by step while you watch, with every option."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from nst.settings import QualitySettings
from studio.engine import Styles
from studio.limits import MIN_SIDE, QUALITY_MAX_SIZE, QUALITY_MAX_STEPS, QUALITY_MIN_STEPS_SLIDER
from studio.mixing import BLEND
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
from studio.text import expected_time, progress_html
from studio.widgets import api_inputs, from_api, render_rest, widget, widgets

ADVANCED_ROWS = (("tv_weight", "style_scale"), ("optimizer", "init"), ("seed", "coarse_to_fine"))
PLACED = {"style_strength", "size", "steps", "preserve_color", "style_layers", "content_layers"}
PLACED |= {name for pair in ADVANCED_ROWS for name in pair}


class QualityHandlers:
    """The Quality tab's events. Options arrive as keywords under their API names (studio.widgets)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def expected(self, size: float, steps: float, coarse_to_fine: bool) -> str:
        """The expected duration, shown before a run starts."""
        engine = self.ctx.engine
        return expected_time(engine.estimate(size, steps, coarse_to_fine), engine.hardware())

    @friendly
    def advice(self, preset: str | None) -> tuple[Any, ...]:
        """The chosen painting's recommended strength, style scale and smoothing."""
        if not preset:
            return gr.skip(), gr.skip(), gr.skip()
        advised = self.ctx.engine.quality_settings(preset_id=preset)
        return advised.style_strength, advised.style_scale, advised.tv_weight

    @friendly
    def quality(
        self,
        photo: Upload,
        style: str | None,
        style_upload: Upload,
        style2: str | None,
        style2_upload: Upload,
        blend: float,
        request: gr.Request | None = None,
        **options: Any,
    ) -> Iterator[tuple[Any, str, Any]]:
        """Stream a quality run: previews, status, and finally the image with its recipe."""
        ctx = self.ctx
        styles = Styles((style, ctx.unopened(style_upload)), (style2, ctx.unopened(style2_upload)), blend)
        values = from_api(QualitySettings, options)
        with ctx.long_run(request, "quality") as (flag, turn):
            for update in ctx.engine.quality(ctx.unopened(photo), styles, flag, turn, **values):
                image = gr.skip() if update.image is None else update.image
                recipe = update.event.recipe if update.event.done else gr.skip()
                yield image, progress_html(update.event, update.note), recipe


def quality_tab(ctx: Context, photos: Sequence[Path]) -> None:
    engine, kind = ctx.engine, ctx.engine.kind
    h = QualityHandlers(ctx)
    defaults: QualitySettings = engine.quality_defaults()
    paintings = [(card.caption, card.preset.id) for card in ctx.cards if card.painting is not None]
    options = widgets(
        QualitySettings,
        defaults,
        {
            "size": {"minimum": MIN_SIDE, "maximum": QUALITY_MAX_SIZE[kind], "elem_id": "quality-size"},
            "steps": {
                "minimum": QUALITY_MIN_STEPS_SLIDER,
                "maximum": QUALITY_MAX_STEPS[kind],
                "elem_id": "quality-steps",
            },
        },
    )
    with gr.Row(equal_height=False, elem_id="quality-layout", elem_classes="nst-tab-row"):
        with gr.Column(scale=5):
            photo = photo_input("quality-photo", height=260)
            style = painting_picker(ctx)
            with gr.Accordion("Your own painting, or a blend of two", open=False, elem_classes="nst-m-input"):
                style_upload = photo_input("quality-style-upload", "Your own painting (used instead)", 180)
                with gr.Row():
                    style2 = gr.Dropdown(
                        choices=[("None", ""), *paintings], value="", label="Second painting", scale=3
                    )
                    style2_upload = photo_input("quality-style2-upload", "…or your own", height=150, scale=2)
                blend = widget(BLEND, BLEND.default)
                blend.render()
            options["style_strength"].render()
            with gr.Row():
                options["size"].render()
                options["steps"].render()
            options["preserve_color"].render()
            with gr.Accordion("Advanced settings", open=False):
                options["style_layers"].render()
                options["content_layers"].render()
                for pair in ADVANCED_ROWS:
                    with gr.Row():
                        for name in pair:
                            options[name].render()
                render_rest(options, PLACED)  # a newly declared option appears here by itself
            eta = gr.Markdown(
                h.expected(defaults.size, defaults.steps, defaults.coarse_to_fine),
                elem_id="quality-eta",
                elem_classes="nst-m-run",
            )
            run, stop = run_buttons("quality", "Paint")
            photo_examples(photos, photo, style)
        with gr.Column(scale=6, elem_classes="nst-output"):
            result = output_image("quality-result", "Your painting", height=520)
            status = gr.HTML(elem_id="quality-status")
            with gr.Accordion("Recipe (also inside the downloaded PNG)", open=False):
                recipe = gr.JSON(show_label=False)
    inputs = [photo, style, style_upload, style2, style2_upload, blend]
    keywords = api_inputs(QualitySettings, options)
    wire_gpu_run(
        ctx,
        "quality",
        h.quality,
        (run, stop),
        inputs,
        [result, status, recipe],
        status,
        inputs_kwargs=keywords,
    )
    timing: list[Any] = [
        options["size"],
        options["steps"],
        options["coarse_to_fine"],
    ]  # inputs: all have .change
    gr.on([c.change for c in timing], h.expected, timing, eta, queue=False, api_visibility="private")
    advised = [options["style_strength"], options["style_scale"], options["tv_weight"]]
    style.change(h.advice, style, advised, queue=False, api_visibility="private")
