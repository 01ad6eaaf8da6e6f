"""What the tabs share: the request's session and owners, refusals turned into pop-ups (once, here), raw
uploads checked, long runs (their Stop flag and turn, Run/Stop buttons and wiring), and the photo, example
and result widgets."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from nst.errors import NSTError
from studio.clients import ClientFiles, client_keys
from studio.engine import Engine
from studio.limits import GPU_QUEUE, GPU_WORKERS
from studio.stops import StopFlag
from studio.text import public_message
from studio.turns import Turn

Upload = dict[str, Any] | str | None  # an image input's raw value (events skip Gradio's preprocessing)
MAX_EXAMPLES = 6  # all the shipped examples (examples/)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show the library's refusals (NSTError, written for people) as Gradio error pop-ups, for plain functions
    and generators alike; a message naming server internals is replaced (studio.text.public_message)."""
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


def session(request: gr.Request | None) -> str:
    """The browser tab (or API client) a request came from: Stop only reaches that session's runs."""
    return (request.session_hash if request is not None else None) or "local"


def owners(request: gr.Request | None) -> tuple[str, ...]:
    """Who a long run counts against: its session and its address (one run each, studio.turns)."""
    if request is None:
        return ()
    peer = request.client.host if request.client is not None else None
    return client_keys(request.session_hash, peer, request.headers.get("x-forwarded-for"))


def visitor(request: gr.Request | None) -> str:
    """The visitor's address: the first X-Forwarded-For entry behind a proxy (a Space), else the peer's. A
    client can forge the header, which only gets it a second live view, still bounded by the turn and the
    live queue's concurrency."""
    if request is None:
        return "local"
    forwarded = (request.headers.get("x-forwarded-for") or "").split(",")[0].strip()
    return forwarded or (request.client.host if request.client is not None else "local")


class Context:
    """What every tab's events use: the engine, and the policy for files clients name. Image events run
    with preprocess=False, so Gradio never opens an upload: nst.images decodes it after checking its header,
    and every file a client names is first checked here (inside the upload folder, or one of the examples)."""

    def __init__(self, engine: Engine, files: ClientFiles | None = None) -> None:
        self.engine = engine
        self.cards = engine.presets
        uploads = gr.utils.get_upload_folder()
        self.files = files or ClientFiles.of([uploads], max_bytes=engine.limits.max_bytes)

    def unopened(self, value: Upload) -> str | bytes | None:
        """The checked path (or data URL bytes) of an image input's value; see studio.clients.ClientFiles."""
        return self.files.resolve(value)

    @contextlib.contextmanager
    def long_run(self, request: gr.Request | None, kind: str) -> Iterator[tuple[StopFlag, Turn]]:
        """One long `kind` run of the request's client: the session's Stop flag for it, and its place in the
        line (admit refuses a second run of the same session or address at once); both end with the block."""
        engine = self.engine
        with engine.stops.running(session(request), kind) as flag, engine.admit(owners(request)) as turn:
            yield flag, turn

    def arm(self, kind: str) -> Callable[[gr.Request], None]:
        """Hold a Stop flag for the session's next `kind` run (clicked before it queues)."""

        def arm(request: gr.Request) -> None:
            self.engine.stops.arm(session(request), kind)

        return arm

    def stopper(self, kind: str) -> Callable[[gr.Request], None]:
        """Stop the session's `kind` runs: they end within a step and keep their latest image."""

        def stop(request: gr.Request) -> None:
            self.engine.stops.stop(session(request), kind)

        return stop

    def unload(self, request: gr.Request) -> None:
        """The tab closed: stop its runs so the GPU is free for the next person."""
        self.engine.stops.stop(session(request))


def wire_gpu_run(
    ctx: Context,
    kind: str,
    fn: Callable[..., Any],
    buttons: tuple[gr.Button, gr.Button],
    inputs: list[Any],
    outputs: list[Any],
    status: gr.components.Component,
    **event: Any,
) -> None:
    """Run: arm this tab's stop flag, then the streamed GPU job (one at a time, studio.turns); Stop skips the
    queue. `event` adds Gradio event arguments (the options as `inputs_kwargs`)."""
    run, stop = buttons
    options = {"preprocess": False, "concurrency_limit": GPU_WORKERS, **event}
    run.click(ctx.arm(kind), None, None, queue=False, api_visibility="private").then(
        fn,
        inputs,
        outputs,
        api_name=kind,
        concurrency_id=GPU_QUEUE,  # the engine's Gate runs one at a time and refuses the rest at once
        show_progress="minimal",
        show_progress_on=[status],
        **options,
    )
    stop.click(ctx.stopper(kind), None, None, queue=False, api_name=f"stop_{kind}")


def run_buttons(kind: str, label: str, phone: bool = True) -> tuple[gr.Button, gr.Button]:
    """A long run's Run and Stop buttons side by side (#kind-run, #kind-stop, what wire_gpu_run and the
    browser tests expect); `phone` places them in the phone layout's run slot (static/phone.css)."""
    with gr.Row(elem_classes="nst-m-run" if phone else None):
        run = gr.Button(label, variant="primary", size="lg", elem_id=f"{kind}-run")
        stop = gr.Button("Stop", variant="stop", size="lg", elem_id=f"{kind}-stop")
    return run, stop


def photo_examples(photos: Sequence[Path], photo: gr.Image, picker: gr.Dropdown) -> None:
    """The example photos under a tab's inputs, each with the next painting of `picker` in turn, so that the
    examples show every painting; nothing when there are no photos or no paintings to pick."""
    paintings = picker.choices
    if photos and paintings:
        rows = [[str(p), paintings[i % len(paintings)][1]] for i, p in enumerate(photos)]
        gr.Examples(rows[:MAX_EXAMPLES], [photo, picker], cache_examples=False, label="Try an example")


def photo_input(
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


def output_image(elem_id: str, label: str, height: int = 480, render: bool = True) -> gr.Image:
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


def painting_picker(
    ctx: Context, elem_id: str | None = None, *, fast: bool = False, painting: bool = True, phone: bool = True
) -> gr.Dropdown:
    """A dropdown of the presets whose painting is available (`painting`) and whose network is (`fast`);
    `phone` puts it among the inputs of the phone layout (static/phone.css)."""
    choices = [
        (card.caption, card.preset.id)
        for card in ctx.cards
        if (card.painting is not None or not painting) and (card.fast_ready or not fast)
    ]
    return gr.Dropdown(
        choices=choices,
        value=choices[0][1] if choices else None,
        label="Painting",
        elem_id=elem_id,
        elem_classes="nst-m-input" if phone else None,
    )
