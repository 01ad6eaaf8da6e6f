"""The app: header, the five tabs (studio.tabs), credits, and how it is served (limits and look)."""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from nst.settings import use_local_data
from studio.clients import ClientFiles
from studio.engine import Engine
from studio.limits import DELETE_CACHE, MAX_UPLOAD_BYTES, QUEUE_SIZE
from studio.models import PresetCard, example_photos
from studio.tabs.common import Context
from studio.tabs.compare import compare_tab
from studio.tabs.fast import fast_tab
from studio.tabs.live import live_tab
from studio.tabs.quality import quality_tab
from studio.tabs.video import video_tab
from studio.video_service import VideoService

STATIC = Path(__file__).resolve().parent.parent / "static"
PHONE_CSS = STATIC / "phone.css"  # the layout on narrow screens
PHONE_JS = STATIC / "phone.js"  # brings a tapped run's result into view
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
#live-camera video, #live-result img { transform: scaleX(-1); }
#live-result img { width: 100%; height: 100%; max-width: 640px; object-fit: contain; }
"""


def _header(engine: Engine) -> None:
    gr.HTML(
        "<div class='nst-header'><h1>NST Studio</h1><p>Turn a photo into a painting. <b>Fast</b> answers in "
        "about a second; <b>Quality</b> paints it step by step while you watch; <b>Compare</b> puts the two "
        f"side by side. Running on {html.escape(engine.hardware())}.</p></div>"
    )


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
    files = ClientFiles.of([gr.utils.get_upload_folder()], photos, max_bytes=engine.limits.max_bytes)
    ctx = Context(engine, files)
    videos = VideoService(engine)
    with gr.Blocks(title="NST Studio", delete_cache=DELETE_CACHE, analytics_enabled=False) as demo:
        _header(engine)
        with gr.Tabs():
            with gr.Tab("Fast", id="fast"):
                fast_tab(ctx, photos)
            with gr.Tab("Quality", id="quality"):
                quality_tab(ctx, photos)
            with gr.Tab("Compare", id="compare"):
                compare_tab(ctx, photos)
            with gr.Tab("Video", id="video"):
                video_tab(ctx, videos)
            with gr.Tab("Live", id="live"):
                live_tab(ctx, videos)
        _credits(ctx.cards)
        demo.unload(ctx.unload)
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
