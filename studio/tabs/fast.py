"""The Fast tab: pick a painting, the photo is re-painted at once by the preset's network."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import gradio as gr
from PIL import Image

from nst.settings import FastSettings
from studio.limits import FAST_CONCURRENCY, FAST_QUEUE, FAST_SIZES
from studio.mixing import MIX
from studio.tabs.common import MAX_EXAMPLES, Context, Upload, friendly, output_image, photo_input
from studio.widgets import api_inputs, by_position, from_api, render_rest, widget, widgets

PLACEHOLDER = Image.new("RGB", (320, 240), (226, 232, 240))  # gallery tile of a painting that is unavailable


class FastHandlers:
    """The Fast tab's events. Options arrive as keywords under their API names (studio.widgets)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @friendly
    def fast(
        self, photo: Upload, preset: str | None, preset2: str | None = None, mix: Any = 0.0, **options: Any
    ) -> tuple[Any, str, dict[str, Any]]:
        """Stylise the photo with the chosen preset, or with it mixed with `preset2` at share `mix`."""
        values = from_api(FastSettings, options)
        result = self.ctx.engine.fast(self.ctx.unopened(photo), preset, preset2, mix, **values)
        info = result.info + (f"\n\n{result.note}" if result.note else "")
        return result.image, info, result.recipe

    def fast_if_photo(self, photo: Upload, preset: str | None, **options: Any) -> tuple[Any, ...]:
        """Re-run after a settings change, when there is a photo to re-run on."""
        if not photo:
            return gr.skip(), gr.skip(), gr.skip()
        return self.fast(photo, preset, **options)

    def pick(self, photo: Upload, evt: gr.SelectData, **options: Any) -> tuple[Any, ...]:
        """A painting was picked in the gallery: remember it and re-run on the photo already there."""
        preset = self.ctx.cards[evt.index].preset.id
        return preset, *self.fast_if_photo(photo, preset, **options)


def fast_tab(ctx: Context, photos: Sequence[Path]) -> None:
    engine, cards, kind = ctx.engine, ctx.cards, ctx.engine.kind
    h = FastHandlers(ctx)
    thumbnails = [engine.thumbnail(card) for card in cards]
    has_paintings = any(image is not None for image in thumbnails)
    ready = [card.preset.id for card in cards if card.fast_ready]
    first = ready[0] if ready else cards[0].preset.id
    if len(ready) < len(cards):
        missing = [card.preset.name for card in cards if not card.fast_ready]
        what = (
            "The fast-mode networks are"
            if not ready
            else f"The fast-mode networks for {', '.join(missing)} are"
        )
        gr.Markdown(
            f"{what} not installed yet (`training/train.py` trains them into `styles/`). Quality mode works "
            "with every painting.",
            elem_classes="nst-note",
        )
    sizes = [(f"{side} px", side) for side in FAST_SIZES[kind]]
    options = widgets(FastSettings, engine.fast_defaults(), {"max_side": {"choices": sizes}})
    # Outputs first (unrendered), so the examples in the left column can point at them.
    result = output_image("fast-result", "Your painting", height=520, render=False)
    info = gr.Markdown(elem_id="fast-info", render=False)
    recipe = gr.JSON(show_label=False, render=False)
    with gr.Row(equal_height=False, elem_id="fast-layout", elem_classes="nst-tab-row"):
        with gr.Column(scale=5):
            photo = photo_input("fast-photo")
            gr.Markdown(
                "**Pick a painting**: your photo is re-painted at once.",
                visible=has_paintings,
                elem_classes="nst-m-input",
            )
            gallery = gr.Gallery(
                value=[
                    (image or PLACEHOLDER, card.short) for image, card in zip(thumbnails, cards, strict=True)
                ],
                label="Pick a painting",
                show_label=False,
                columns=len(cards),
                height=150,
                allow_preview=False,
                selected_index=[card.preset.id for card in cards].index(first),
                object_fit="cover",
                buttons=[],
                visible=has_paintings,
                elem_id="fast-gallery",
                elem_classes="nst-m-input",
            )
            preset = gr.Dropdown(
                choices=[(card.caption, card.preset.id) for card in cards],
                value=first,
                label="Painting",
                visible=not has_paintings,
                elem_id="fast-preset",
                elem_classes="nst-m-input",
            )
            with gr.Row():
                options["strength"].render()
                options["max_side"].render()
            render_rest(options, {"strength", "max_side"})  # "Keep my photo's colours", and any new option
            with gr.Accordion(
                "Mix with a second painting", open=False, visible=engine.can_mix, elem_classes="nst-m-input"
            ):
                preset2 = gr.Dropdown(
                    choices=[("None", ""), *((card.caption, card.preset.id) for card in cards)],
                    value="",
                    label="Second painting",
                    elem_id="fast-preset2",
                )
                mix = cast(gr.Slider, widget(MIX, MIX.default, elem_id="fast-mix"))  # a number in 0..1
                mix.render()
            run = gr.Button("Stylise", variant="primary", size="lg", elem_id="fast-run")
            inputs, outputs = [photo, preset], [result, info, recipe]
            settings = api_inputs(FastSettings, options)
            keywords = {
                **settings,
                "preset2": preset2,
                "mix": mix,
            }  # after the settings: older calls still fit
            if photos and ready:
                defaults = [getattr(engine.fast_defaults(), name) for name in options]
                rows = [[str(p), ready[i % len(ready)], *defaults] for i, p in enumerate(photos)]
                gr.Examples(
                    rows[:MAX_EXAMPLES], [*inputs, *settings.values()], outputs, cache_examples=True,
                    fn=by_position(FastSettings, h.fast, len(inputs)), cache_mode="lazy", preprocess=False,
                    visible_columns=[0, 1], label="Try an example",
                )  # fmt: skip
        with gr.Column(scale=6, elem_classes="nst-output"):
            result.render()
            info.render()
            with gr.Accordion("Recipe (also inside the downloaded PNG)", open=False):
                recipe.render()
    fast: dict[str, Any] = {
        "concurrency_id": FAST_QUEUE,
        "concurrency_limit": FAST_CONCURRENCY[kind],
        "preprocess": False,
        "inputs_kwargs": keywords,
    }
    run.click(h.fast, inputs, outputs, api_name="fast", **fast)
    photo.upload(h.fast, inputs, outputs, api_visibility="private", **fast)
    preset.input(h.fast_if_photo, inputs, outputs, api_visibility="private", **fast)
    preset2.input(h.fast_if_photo, inputs, outputs, api_visibility="private", **fast)
    mix.input(h.fast_if_photo, inputs, outputs, api_visibility="private", trigger_mode="always_last", **fast)
    gallery.select(h.pick, [photo], [preset, *outputs], api_visibility="private", **fast)
