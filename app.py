"""NST Studio web app: Fast, Quality (watch it paint) and Compare, over the shared engine in nst.service.

`python app.py` serves it on http://127.0.0.1:7860 (on Hugging Face Spaces, where the Space sets the address).
This module is the Gradio layout and thin event functions only: all work and every check is in nst.service.
"""

from __future__ import annotations

import functools
import html
import inspect
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from app_video import VideoHandlers, live_tab, video_tab
from nst.errors import NSTError
from nst.presets import get_preset
from nst.runs import format_duration
from nst.service import (
    DELETE_CACHE,
    FAST_CONCURRENCY,
    FAST_QUEUE,
    FAST_SIZES,
    GPU_QUEUE,
    GPU_WORKERS,
    MAX_UPLOAD_BYTES,
    MIN_SIDE,
    QUALITY_MAX_SIZE,
    QUALITY_MAX_STEPS,
    QUEUE_SIZE,
    CompareUpdate,
    Engine,
    PresetCard,
    QualityUpdate,
    example_photos,
)
from nst.service_video import VideoService
from nst.serving import BLEND, STRENGTH, STYLE_SCALE, TV_WEIGHT, ClientFiles, client_keys, public_message
from nst.settings import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, QualitySettings, use_local_data
from nst.vgg import LAYERS

THEME = gr.themes.Soft(
    primary_hue="indigo",
    secondary_hue="amber",
    neutral_hue="slate",
    font=("ui-sans-serif", "system-ui", "sans-serif"),  # system fonts: nothing is fetched from the internet
    font_mono=("ui-monospace", "monospace"),
)
CSS = """
.nst-header h1 { margin-bottom: 0.1em; }
.nst-header p { margin-top: 0; opacity: 0.8; }
.nst-status progress { appearance: none; width: 100%; height: 0.6em; border: none; border-radius: 0.3em;
  background: #e2e8f0; overflow: hidden; }
.nst-status progress::-webkit-progress-bar { background: #e2e8f0; }
.nst-status progress::-webkit-progress-value { background: #6366f1; }
.nst-status progress::-moz-progress-bar { background: #6366f1; }
.nst-status p { margin: 0.3em 0 0 0; }
.nst-losses { opacity: 0.75; font-size: 0.9em; }
.nst-note { color: var(--color-accent); }
footer { display: none !important; }
#fast-gallery .caption-label { white-space: normal; font-size: 0.75em; line-height: 1.2; }
.nst-result img { width: 100%; height: 100%; object-fit: contain; }
"""
PHONE_CSS = Path(__file__).resolve().parent / "static" / "phone.css"  # the layout on narrow screens
PHONE_JS = Path(__file__).resolve().parent / "static" / "phone.js"  # brings a tapped run's result into view
MAX_EXAMPLES = 6  # all the shipped examples (examples/)
PLACEHOLDER = Image.new("RGB", (320, 240), (226, 232, 240))  # gallery tile of a painting that is unavailable


Upload = dict[str, Any] | str | None  # an image input's raw value (events skip Gradio's preprocessing)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show the library's refusals (NSTError, written for people) as Gradio error pop-ups, for plain functions
    and generators alike; a message naming server internals is replaced (nst.serving.public_message)."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except NSTError as exc:
                raise gr.Error(public_message(exc)) from exc

        return stream

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NSTError as exc:
            raise gr.Error(public_message(exc)) from exc

    return call


def _session(request: gr.Request | None) -> str:
    """The browser tab (or API client) a request came from: Stop only reaches that session's runs."""
    return (request.session_hash if request is not None else None) or "local"


def _owners(request: gr.Request | None) -> tuple[str, ...]:
    """Who a long run counts against: its session and its address (one run each, nst.turns)."""
    if request is None:
        return ()
    peer = request.client.host if request.client is not None else None
    return client_keys(request.session_hash, peer, request.headers.get("x-forwarded-for"))


def _progress_html(update: QualityUpdate, prefix: str = "") -> str:
    """The status line of a quality run: a progress bar, step, time left and the loss terms."""
    event = update.event
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
    note = f'<p class="nst-note">{html.escape(update.note)}</p>' if update.note else ""
    return (
        f'<div class="nst-status"><progress max="{event.total}" value="{event.step}"></progress>'
        f"<p><b>{html.escape(prefix + headline)}</b></p><p class='nst-losses'>{losses}</p>{note}</div>"
    )


def _mebibytes(count: int | None) -> str:
    return "—" if count is None else f"{count / 2**20:,.0f} MiB"


class Handlers:
    """The event functions: each turns UI values into one engine call and the result into component values."""

    def __init__(self, engine: Engine, files: ClientFiles | None = None) -> None:
        self.engine = engine
        self.cards = engine.presets
        # Image events run with preprocess=False, so Gradio never opens an upload: nst.images decodes it after
        # checking its header. Every file a client names is first checked here (inside the upload folder).
        uploads = gr.utils.get_upload_folder()
        self.files = files or ClientFiles.of([uploads], max_bytes=engine.limits.max_bytes)

    def _unopened(self, value: Upload) -> str | bytes | None:
        """The checked path (or data URL bytes) of an image input's value; see nst.serving.ClientFiles."""
        return self.files.resolve(value)

    # --- fast ---------------------------------------------------------------------------------------------

    @friendly
    def fast(
        self, photo: Upload, preset: str | None, strength: float, preserve: bool, size: float
    ) -> tuple[Any, str, dict[str, Any]]:
        """Stylise the photo with the chosen preset."""
        result = self.engine.fast(self._unopened(photo), preset, strength, preserve, size)
        info = result.info + (f"\n\n{result.note}" if result.note else "")
        return result.image, info, result.recipe

    def fast_if_photo(
        self, photo: Upload, preset: str | None, strength: float, preserve: bool, size: float
    ) -> tuple[Any, ...]:
        """Re-run after a settings change, when there is a photo to re-run on."""
        if not photo:
            return gr.skip(), gr.skip(), gr.skip()
        return self.fast(photo, preset, strength, preserve, size)

    def pick(
        self, photo: Upload, strength: float, preserve: bool, size: float, evt: gr.SelectData
    ) -> tuple[Any, ...]:
        """A painting was picked in the gallery: remember it and re-run on the photo already there."""
        preset = self.cards[evt.index].preset.id
        return preset, *self.fast_if_photo(photo, preset, strength, preserve, size)

    # --- quality ------------------------------------------------------------------------------------------

    def expected(self, size: float, steps: float, coarse_to_fine: bool) -> str:
        """The expected duration, shown before a run starts."""
        seconds = self.engine.estimate(size, steps, coarse_to_fine)
        return f"Expected time: **about {format_duration(seconds)}** on this {self.engine.hardware()}."

    @friendly
    def advice(self, preset: str | None) -> tuple[Any, ...]:
        """The chosen painting's recommended strength, style scale and smoothing."""
        if not preset:
            return gr.skip(), gr.skip(), gr.skip()
        advised = self.engine.quality_settings(preset=get_preset(preset))
        return advised.style_strength, advised.style_scale, advised.tv_weight

    def arm(self, kind: str) -> Callable[[gr.Request], None]:
        """Hold a Stop flag for the session's next `kind` run (clicked before it queues)."""

        def arm(request: gr.Request) -> None:
            self.engine.stops.arm(_session(request), kind)

        return arm

    def stopper(self, kind: str) -> Callable[[gr.Request], None]:
        """Stop the session's `kind` runs: they end within a step and keep their latest image."""

        def stop(request: gr.Request) -> None:
            self.engine.stops.stop(_session(request), kind)

        return stop

    def unload(self, request: gr.Request) -> None:
        """The tab closed: stop its runs so the GPU is free for the next person."""
        self.engine.stops.stop(_session(request))

    @friendly
    def quality(
        self,
        photo: Upload,
        style: str | None,
        style_upload: Upload,
        style2: str | None,
        style2_upload: Upload,
        blend: float,
        strength: float,
        steps: float,
        size: float,
        preserve: bool,
        style_layers: list[str],
        content_layers: list[str],
        tv_weight: float,
        optimizer: str,
        init: str,
        seed: float,
        style_scale: float,
        coarse_to_fine: bool,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, str, Any]]:
        """Stream a quality run: previews, status, and finally the image with its recipe."""
        session = _session(request)
        flag = self.engine.stops.begin(session, "quality")
        try:
            with self.engine.admit(_owners(request)) as turn:  # one long run per client, refused at once
                settings, styles = self.engine.prepare_quality(
                    (style, self._unopened(style_upload)),
                    (style2, self._unopened(style2_upload)),
                    blend,
                    size=size,
                    steps=steps,
                    strength=strength,
                    preserve_color=preserve,
                    style_layers=style_layers,
                    content_layers=content_layers,
                    tv_weight=tv_weight,
                    optimizer=optimizer,
                    init=init,
                    seed=seed,
                    style_scale=style_scale,
                    coarse_to_fine=coarse_to_fine,
                )
                for update in self.engine.quality(self._unopened(photo), styles, settings, flag, turn):
                    image = gr.skip() if update.image is None else update.image
                    recipe = update.event.recipe if update.event.done else gr.skip()
                    yield image, _progress_html(update), recipe
        finally:
            self.engine.stops.end(session, "quality", flag)

    # --- compare ------------------------------------------------------------------------------------------

    @friendly
    def compare(
        self, photo: Upload, preset: str | None, request: gr.Request | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Stream a comparison: fast image, quality previews (also in the slider), then the score table."""
        session = _session(request)
        flag = self.engine.stops.begin(session, "compare")
        try:
            with self.engine.admit(_owners(request)) as turn:
                for update in self.engine.compare(self._unopened(photo), preset, flag, turn):
                    yield self._compare_values(update)
        finally:
            self.engine.stops.end(session, "compare", flag)

    @staticmethod
    def _compare_values(update: CompareUpdate) -> tuple[Any, ...]:
        """Slider, fast image, quality image, status and table for one comparison update."""
        if update.event is None:
            status = "<div class='nst-status'><p><b>Fast result ready. Now the quality version…</b></p></div>"
            return gr.skip(), update.fast, gr.skip(), status, gr.skip()
        status = _progress_html(QualityUpdate(None, update.event, update.note), prefix="Quality run · ")
        if update.quality is None:
            return gr.skip(), gr.skip(), gr.skip(), status, gr.skip()
        table = [
            [row.method, f"{row.seconds:.2f} s", _mebibytes(row.peak_bytes), f"{row.content:.3f}",
             f"{row.style:.4f}", f"{row.ssim:.3f}"]
            for row in update.rows
        ]  # fmt: skip
        return (update.fast, update.quality), gr.skip(), update.quality, status, table or gr.skip()


# --- layout ---------------------------------------------------------------------------------------------

TABLE_HEADERS = ["method", "time", "peak memory", "content loss", "style loss", "SSIM to photo"]


def _photo_input(
    elem_id: str, label: str = "Your photo", height: int = 300, scale: int | None = None
) -> gr.Image:
    return gr.Image(
        label=label,
        type="filepath",
        sources=["upload", "clipboard", "webcam"],
        height=height,
        scale=scale,
        elem_id=elem_id,
        elem_classes="nst-m-input",
    )


def _output_image(elem_id: str, label: str, height: int = 480, render: bool = True) -> gr.Image:
    return gr.Image(
        render=render,
        label=label,
        format="png",
        interactive=False,
        height=height,
        buttons=["download", "fullscreen"],
        elem_id=elem_id,
        elem_classes="nst-result",
    )


def _header(engine: Engine) -> None:
    gr.HTML(
        "<div class='nst-header'><h1>NST Studio</h1><p>Turn a photo into a painting. <b>Fast</b> answers in "
        "about a second; <b>Quality</b> paints it step by step while you watch; <b>Compare</b> puts the two "
        f"side by side. Running on {html.escape(engine.hardware())}.</p></div>"
    )


def _fast_tab(h: Handlers, photos: Sequence[Path]) -> None:
    engine, cards, kind = h.engine, h.cards, h.engine.kind
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
    # Outputs first (unrendered), so the examples in the left column can point at them.
    result = _output_image("fast-result", "Your painting", height=520, render=False)
    info = gr.Markdown(elem_id="fast-info", render=False)
    recipe = gr.JSON(show_label=False, render=False)
    with gr.Row(equal_height=False, elem_id="fast-layout", elem_classes="nst-tab-row"):
        with gr.Column(scale=5):
            photo = _photo_input("fast-photo")
            gr.Markdown(
                "**Pick a painting**: your photo is re-painted at once.",
                visible=has_paintings,
                elem_classes="nst-m-input",
            )
            gallery = gr.Gallery(
                value=[
                    (image or PLACEHOLDER, _short(card))
                    for image, card in zip(thumbnails, cards, strict=True)
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
                strength = gr.Slider(0, 1, value=1, step=0.05, label="Style strength")
                size = gr.Radio(
                    choices=[(f"{side} px", side) for side in FAST_SIZES[kind]],
                    value=engine.fast_size(None),
                    label="Output size",
                )
            preserve = gr.Checkbox(label="Keep my photo's colours")
            run = gr.Button("Stylise", variant="primary", size="lg", elem_id="fast-run")
            inputs, outputs = [photo, preset, strength, preserve, size], [result, info, recipe]
            if photos and ready:
                rows = [
                    [str(p), ready[i % len(ready)], 1.0, False, engine.fast_size(None)]
                    for i, p in enumerate(photos)
                ]
                gr.Examples(
                    rows[:MAX_EXAMPLES], inputs, outputs, fn=h.fast, cache_examples=True, cache_mode="lazy",
                    preprocess=False, visible_columns=[0, 1], label="Try an example",
                )  # fmt: skip
        with gr.Column(scale=6, elem_classes="nst-output"):
            result.render()
            info.render()
            with gr.Accordion("Recipe (also inside the downloaded PNG)", open=False):
                recipe.render()
    fast = {"concurrency_id": FAST_QUEUE, "concurrency_limit": FAST_CONCURRENCY[kind], "preprocess": False}
    run.click(h.fast, inputs, outputs, api_name="fast", **fast)
    photo.upload(h.fast, inputs, outputs, api_visibility="private", **fast)
    preset.input(h.fast_if_photo, inputs, outputs, api_visibility="private", **fast)
    gallery.select(
        h.pick, [photo, strength, preserve, size], [preset, *outputs], api_visibility="private", **fast
    )


def _short(card: PresetCard) -> str:
    """Gallery caption: name and year (once, for names that already hold it)."""
    year = str(card.preset.year)
    return card.preset.name if year in card.preset.name else f"{card.preset.name}, {year}"


def _wire_gpu_run(
    h: Handlers,
    kind: str,
    run: gr.Button,
    stop: gr.Button,
    inputs: list[Any],
    outputs: list[Any],
    status: gr.components.Component,
) -> None:
    """Run: arm this tab's stop flag, then the streamed GPU job (one at a time, nst.turns); Stop skips the
    queue."""
    run.click(h.arm(kind), None, None, queue=False, api_visibility="private").then(
        getattr(h, kind),
        inputs,
        outputs,
        api_name=kind,
        preprocess=False,
        concurrency_id=GPU_QUEUE,
        concurrency_limit=GPU_WORKERS,  # the engine's Gate runs one at a time and refuses the rest at once
        show_progress="minimal",
        show_progress_on=[status],
    )
    stop.click(h.stopper(kind), None, None, queue=False, api_name=f"stop_{kind}")


def _quality_tab(h: Handlers, photos: Sequence[Path]) -> None:
    engine, kind = h.engine, h.engine.kind
    defaults: QualitySettings = engine.quality_defaults()
    paintings = [(card.caption, card.preset.id) for card in h.cards if card.painting is not None]
    with gr.Row(equal_height=False, elem_id="quality-layout", elem_classes="nst-tab-row"):
        with gr.Column(scale=5):
            photo = _photo_input("quality-photo", height=260)
            style = gr.Dropdown(
                choices=paintings,
                value=paintings[0][1] if paintings else None,
                label="Painting",
                elem_classes="nst-m-input",
            )
            with gr.Accordion("Your own painting, or a blend of two", open=False, elem_classes="nst-m-input"):
                style_upload = _photo_input("quality-style-upload", "Your own painting (used instead)", 180)
                with gr.Row():
                    style2 = gr.Dropdown(
                        choices=[("None", ""), *paintings], value="", label="Second painting", scale=3
                    )
                    style2_upload = _photo_input("quality-style2-upload", "…or your own", height=150, scale=2)
                blend = gr.Slider(
                    BLEND.low, BLEND.high, value=0.5, step=0.05, label="Share of the second painting"
                )
            strength = gr.Slider(
                STRENGTH.low, STRENGTH.high, value=defaults.style_strength, step=0.1, label="Style strength"
            )
            with gr.Row():
                size = gr.Slider(
                    MIN_SIDE,
                    QUALITY_MAX_SIZE[kind],
                    value=defaults.size,
                    step=32,
                    label="Size (px)",
                    elem_id="quality-size",
                )
                steps = gr.Slider(
                    10,
                    QUALITY_MAX_STEPS[kind],
                    value=defaults.steps,
                    step=10,
                    label="Steps",
                    elem_id="quality-steps",
                )
            preserve = gr.Checkbox(label="Keep my photo's colours")
            with gr.Accordion("Advanced settings", open=False):
                style_layers = gr.CheckboxGroup(
                    list(LAYERS), value=list(DEFAULT_STYLE_LAYERS), label="Style layers"
                )
                content_layers = gr.CheckboxGroup(
                    list(LAYERS), value=list(DEFAULT_CONTENT_LAYERS), label="Content layers"
                )
                with gr.Row():
                    tv_weight = gr.Slider(
                        TV_WEIGHT.low, TV_WEIGHT.high, value=defaults.tv_weight, step=0.1,
                        label="Smoothing (TV weight)",
                    )  # fmt: skip
                    style_scale = gr.Slider(
                        STYLE_SCALE.low, STYLE_SCALE.high, value=defaults.style_scale, step=0.05,
                        label="Style scale",
                    )  # fmt: skip
                with gr.Row():
                    optimizer = gr.Radio(
                        [("L-BFGS", "lbfgs"), ("Adam", "adam")], value=defaults.optimizer, label="Optimiser"
                    )
                    init = gr.Radio(
                        [("Photo", "content"), ("Noise", "noise")], value=defaults.init, label="Start from"
                    )
                with gr.Row():
                    seed = gr.Number(value=defaults.seed, precision=0, label="Seed")
                    coarse_to_fine = gr.Checkbox(value=defaults.coarse_to_fine, label="Coarse-to-fine")
            eta = gr.Markdown(
                h.expected(defaults.size, defaults.steps, defaults.coarse_to_fine),
                elem_id="quality-eta",
                elem_classes="nst-m-run",
            )
            with gr.Row(elem_classes="nst-m-run"):
                run = gr.Button("Paint", variant="primary", size="lg", elem_id="quality-run")
                stop = gr.Button("Stop", variant="stop", size="lg", elem_id="quality-stop")
            if photos and paintings:
                rows = [[str(p), paintings[i % len(paintings)][1]] for i, p in enumerate(photos)]
                gr.Examples(rows[:MAX_EXAMPLES], [photo, style], cache_examples=False, label="Try an example")
        with gr.Column(scale=6, elem_classes="nst-output"):
            result = _output_image("quality-result", "Your painting", height=520)
            status = gr.HTML(elem_id="quality-status")
            with gr.Accordion("Recipe (also inside the downloaded PNG)", open=False):
                recipe = gr.JSON(show_label=False)
    inputs = [
        photo, style, style_upload, style2, style2_upload, blend, strength, steps, size, preserve,
        style_layers, content_layers, tv_weight, optimizer, init, seed, style_scale, coarse_to_fine,
    ]  # fmt: skip
    _wire_gpu_run(h, "quality", run, stop, inputs, [result, status, recipe], status)
    gr.on(
        [size.change, steps.change, coarse_to_fine.change],
        h.expected,
        [size, steps, coarse_to_fine],
        eta,
        queue=False,
        api_visibility="private",
    )
    style.change(h.advice, style, [strength, style_scale, tv_weight], queue=False, api_visibility="private")


def _compare_tab(h: Handlers, photos: Sequence[Path]) -> None:
    engine = h.engine
    defaults = engine.quality_defaults()
    ready = [
        (card.caption, card.preset.id) for card in h.cards if card.painting is not None and card.fast_ready
    ]
    expected = format_duration(engine.estimate(defaults.size, defaults.steps))
    about = (
        f"Runs the fast network and a {defaults.steps}-step quality optimisation at {defaults.size} px "
        f"(about {expected} here), then scores both the same way: content and style loss (lower is closer) "
        "and SSIM, the structure kept from the photo."
    )
    with gr.Row(equal_height=False, elem_id="compare-layout", elem_classes="nst-tab-row"):
        with gr.Column(scale=4):
            photo = _photo_input("compare-photo", height=260)
            preset = gr.Dropdown(
                choices=ready,
                value=ready[0][1] if ready else None,
                label="Painting",
                elem_classes="nst-m-input",
            )
            gr.Markdown(about if ready else "Compare needs a fast-mode network: none is installed yet.")
            with gr.Row(elem_classes="nst-m-run"):
                run = gr.Button("Compare", variant="primary", size="lg", elem_id="compare-run")
                stop = gr.Button("Stop", variant="stop", size="lg", elem_id="compare-stop")
            if photos and ready:
                rows = [[str(p), ready[i % len(ready)][1]] for i, p in enumerate(photos)]
                gr.Examples(
                    rows[:MAX_EXAMPLES], [photo, preset], cache_examples=False, label="Try an example"
                )
        with gr.Column(scale=7, elem_classes="nst-output"):
            slider = gr.ImageSlider(
                label="Fast ◀ ▶ Quality", type="pil", format="png", max_height=480, elem_id="compare-slider"
            )
            with gr.Row():
                fast = _output_image("compare-fast", "Fast", height=260)
                quality = _output_image("compare-quality", "Quality", height=260)
            status = gr.HTML(elem_id="compare-status")
            table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, elem_id="compare-table")
    _wire_gpu_run(h, "compare", run, stop, [photo, preset], [slider, fast, quality, status, table], status)


def _credits(cards: Sequence[PresetCard]) -> None:
    """Rights notes that restrict a painting stay visible; each painting's rights and source: one click."""
    notices = [c.preset.notice for c in cards if c.preset.notice]
    if notices:
        gr.Markdown(
            "\n\n".join(f"**Note:** {n}" for n in notices), elem_classes="nst-note", elem_id="notices"
        )
    lines = [
        f"- *{c.preset.painting}*, {c.preset.artist} ({c.preset.year}): {c.preset.rights} {c.preset.source}"
        for c in cards
    ]
    with gr.Accordion("About the paintings", open=False):
        gr.Markdown("\n".join(lines))


def build_demo(engine: Engine, photos: Sequence[Path] = ()) -> gr.Blocks:
    """The app for `engine`; `photos` become the examples (Fast outputs are cached on first use)."""
    uploads = ClientFiles.of([gr.utils.get_upload_folder()], photos, max_bytes=engine.limits.max_bytes)
    h = Handlers(engine, uploads)
    with gr.Blocks(title="NST Studio", delete_cache=DELETE_CACHE, analytics_enabled=False) as demo:
        _header(engine)
        with gr.Tabs():
            with gr.Tab("Fast", id="fast"):
                _fast_tab(h, photos)
            with gr.Tab("Quality", id="quality"):
                _quality_tab(h, photos)
            with gr.Tab("Compare", id="compare"):
                _compare_tab(h, photos)
            video = VideoHandlers(VideoService(engine), h, friendly, h._unopened, _session)
            with gr.Tab("Video", id="video"):
                video_tab(video, h.cards)
            with gr.Tab("Live", id="live"):
                live_tab(video, h.cards)
        _credits(h.cards)
        demo.unload(h.unload)
    return demo.queue(max_size=QUEUE_SIZE)


def launch(demo: gr.Blocks, **options: Any) -> tuple[Any, str, str]:
    """Start serving `demo` with the app's limits and look (`options` override launch arguments)."""
    look = {"theme": THEME, "css": CSS, "css_paths": [PHONE_CSS], "js": PHONE_JS.read_text(encoding="utf-8")}
    return demo.launch(**{"max_file_size": MAX_UPLOAD_BYTES, **look, **options})


def main(engine: Engine | None = None) -> None:
    """Serve the app (by default: this machine's device, the bundled presets) until interrupted."""
    use_local_data()  # a checkout beside ../shared runs offline without any setup
    fresh = tempfile.mkdtemp(prefix="nst-examples-")  # example outputs are computed anew at every start
    os.environ.setdefault("GRADIO_EXAMPLES_CACHE", fresh)
    launch(build_demo(engine or Engine(), example_photos()))


if __name__ == "__main__":
    main()
