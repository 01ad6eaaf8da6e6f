"""The web app: the engine and event functions called directly, then the app served on 127.0.0.1 and driven
with gradio_client (fast, streamed quality previews, Stop, refused uploads while the server keeps serving).

Fast mode runs on a random-weight network (the trained presets may not exist yet); quality runs are tiny
(64 px, shallow layers) so the whole module stays well under a minute on two cores.
Over ~350 lines: it shares one served app (a module fixture) across its tests, which is what keeps it fast.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import os
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import httpx
import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

import nst.checkpoints
import studio as app
import studio.gpu
import studio.limits
import studio.models
from benchmarks.serving import one_network_engine, served
from nst.errors import NSTError
from nst.humanize import format_duration
from nst.images import read_recipe
from nst.transformer import build_transformer, save_checkpoint
from studio.clients import NOT_AN_UPLOAD, ClientFiles
from studio.engine import Engine, Styles
from studio.models import bundled_model
from studio.stops import StopRegistry
from studio.tabs.common import Context
from studio.tabs.compare import compare_values
from studio.tabs.fast import FastHandlers
from studio.tabs.quality import QualityHandlers
from tests.helpers import gradient_image, png_claiming

pytestmark = [
    pytest.mark.usefixtures("vgg_weights", "styles_dir"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),  # inside Gradio's queue, not ours
]

SHALLOW = {"style_layers": ["relu1_1", "relu2_1"], "content_layers": ["relu2_1"]}  # cheap VGG passes
MAX_UPLOAD = 1_000_000  # bytes, for the launched app (the real limit is 50 MB)


def quality_inputs(photo: object, steps: int, size: int = 64) -> list[object]:
    """The /quality endpoint's inputs, in the order of the UI: Starry Night, shallow layers."""
    return [
        photo, "van-gogh", None, "", None, 0.5, 1.0, steps, size, False,
        SHALLOW["style_layers"], SHALLOW["content_layers"], 1.0, "lbfgs", "content", 0, 1.0, False,
    ]  # fmt: skip


def digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny photo, a random fast network, a text file named .jpg, a 30000×30000 bomb, a 1×1, a big file."""
    root = tmp_path_factory.mktemp("app")
    paths = {
        name: root / name for name in ("photo.jpg", "net", "diary.jpg", "bomb.png", "dot.png", "big.jpg")
    }
    gradient_image(96, 64, seed=3).save(paths["photo.jpg"], quality=90)
    save_checkpoint(build_transformer("cpu"), paths["net"])
    paths["diary.jpg"].write_text("Dear diary, today I renamed a text file.\n" * 20)
    paths["bomb.png"].write_bytes(png_claiming(30000, 30000))
    Image.new("RGB", (1, 1)).save(paths["dot.png"])
    paths["big.jpg"].write_bytes(os.urandom(MAX_UPLOAD + 1))
    return paths


@pytest.fixture(scope="module")
def engine(files: dict[str, Path]) -> Engine:
    """A CPU engine whose presets all use the random network."""
    return one_network_engine(files["net"], "cpu")


@pytest.fixture(scope="module")
def handlers(engine: Engine, files: dict[str, Path]) -> Context:
    """Event functions that accept the test's files as uploads (the served app: Gradio's upload folder)."""
    return Context(engine, ClientFiles.of([files["net"].parent]))


@pytest.fixture(scope="module")
def examples_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples")


@pytest.fixture(scope="module")
def server(engine: Engine, files: dict[str, Path], examples_cache: Path) -> Iterator[str]:
    """The app served on 127.0.0.1 in this process (one launch for the module), with one fast example."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_EXAMPLES_CACHE", str(examples_cache))
        with served(app.build_demo(engine, [files["photo.jpg"]]), max_file_size=MAX_UPLOAD) as url:
            yield url


@pytest.fixture
def client(server: str, tmp_path: Path) -> Client:
    """A fresh client (its own session) per test."""
    return Client(server, verbose=False, analytics_enabled=False, download_files=str(tmp_path))


# --- direct calls: engine and event functions ---------------------------------------------------------


def test_fast_returns_image_info_and_recipe_in_the_png(engine: Engine, files: dict[str, Path]) -> None:
    out = engine.fast(str(files["photo.jpg"]), "hokusai", strength=0.6, preserve_color=True, max_side=256)
    assert out.image.size == (96, 64)  # never enlarged
    assert out.recipe["preset"] == "hokusai" and out.recipe["settings"]["strength"] == 0.6
    assert "96×64 px" in out.info and " s on CPU" in out.info
    served = gr.processing_utils.save_pil_to_cache(out.image, str(files["net"].parent), format="png")
    assert read_recipe(served) == out.recipe  # the PNG Gradio serves for download carries the recipe


@pytest.mark.parametrize(
    ("photo", "preset", "size", "message"),
    [
        (None, "van-gogh", 256, "Add a photo first"),
        ("diary.jpg", "van-gogh", 256, "This file is not an image"),
        (
            "bomb.png",
            "van-gogh",
            256,
            "This image is 30000×30000 (900.0 MP); the largest accepted is 40.0 MP",
        ),
        ("dot.png", "van-gogh", 256, "it must be at least 16 px on each side"),
        ("gone.jpg", "van-gogh", 256, "This file is not one of your uploads"),
        ("photo.jpg", "rembrandt", 256, "Unknown preset 'rembrandt'"),
        ("photo.jpg", "", 256, "Pick a painting first"),
        ("photo.jpg", "van-gogh", 4096, "between 64 and 1024 px"),
        ("photo.jpg", "van-gogh", "huge", "The output size must be a number"),
    ],
)
def test_event_functions_answer_refusals_with_plain_messages(
    handlers: Context, files: dict[str, Path], photo: str | None, preset: str, size: object, message: str
) -> None:
    path = None if photo is None else str(files["net"].parent / photo)
    with pytest.raises(gr.Error) as info:
        FastHandlers(handlers).fast(path, preset, strength=1.0, preserve=False, size=size)  # API names
    assert message in info.value.message


def test_uploads_reach_the_engine_unopened_and_only_from_the_upload_folder(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Image events skip Gradio's preprocessing (which would open the file): the checked path goes to
    nst.images. Anything outside the upload folder gets one answer, whether or not it exists."""
    policy = ClientFiles.of([files["net"].parent], [tmp_path / "example.jpg"], max_bytes=1000)
    bomb = str(files["bomb.png"])
    assert policy.resolve({"path": bomb, "url": None, "orig_name": "bomb.png"}) == bomb
    assert policy.resolve(bomb) == bomb and policy.resolve(None) is None and policy.resolve("") is None
    data = files["dot.png"].read_bytes()
    assert (
        policy.resolve({"path": None, "url": "data:image/png;base64," + base64.b64encode(data).decode()})
        == data
    )
    with pytest.raises(NSTError, match=r"the largest accepted is 0\.0 MB"):
        policy.resolve({"url": "data:image/png;base64," + "A" * 1400})
    (tmp_path / "example.jpg").write_bytes(data)
    (tmp_path / "other.jpg").write_bytes(data)  # outside the upload folder, and not an example
    assert policy.resolve(str(tmp_path / "example.jpg")) == str((tmp_path / "example.jpg").resolve())
    (files["net"].parent / "link.jpg").symlink_to("/etc/hostname")  # a link in the folder, leading out
    for given in [tmp_path / "other.jpg", files["net"].parent / "link.jpg",
                  files["net"], files["net"].parent, f"{files['net'].parent}/../{tmp_path.name}/other.jpg",
                  "relative.jpg", "/etc/passwd", "bad\0name", 42]:  # fmt: skip
        with pytest.raises(NSTError) as refused:
            policy.resolve(given if isinstance(given, int) else {"path": str(given)})
        assert str(refused.value) == NOT_AN_UPLOAD
    (files["net"].parent / "link.jpg").unlink()


def test_preset_gallery_and_model_choice(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = engine.presets
    assert [card.preset.id for card in cards] == ["van-gogh", "hokusai", "picasso", "kandinsky"]
    assert all(card.painting is not None and card.fast_ready for card in cards)
    assert engine.thumbnail(cards[0]).size[0] <= studio.limits.THUMBNAIL_SIDE  # type: ignore[union-attr]  # every preset has a painting here
    assert cards[1].caption == "Great Wave · Katsushika Hokusai, 1831"
    # The real resolver: the CPU variant on a CPU, else whichever variant is bundled.
    monkeypatch.setattr(nst.checkpoints, "bundled_folder", lambda model: tmp_path / model)
    save_checkpoint(build_transformer("standard"), tmp_path / "van-gogh")
    assert bundled_model("van-gogh", torch.device("cpu")) == "van-gogh"
    save_checkpoint(build_transformer("cpu"), tmp_path / "van-gogh-cpu")
    assert bundled_model("van-gogh", torch.device("cpu")) == "van-gogh-cpu"
    assert bundled_model("van-gogh", torch.device("cuda")) == "van-gogh"
    assert bundled_model("hokusai", torch.device("cpu")) == "hokusai-cpu"  # nothing bundled: nst.fast decides


def test_the_picasso_rights_note_is_always_visible(engine: Engine) -> None:
    demo = app.build_demo(engine)
    notes = [block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "notices"]
    assert len(notes) == 1 and notes[0].visible and "in the public domain in the US only" in notes[0].value


def test_quality_defaults_estimate_and_guards(engine: Engine, handlers: Context) -> None:
    defaults = engine.quality_defaults()
    assert (defaults.size, defaults.steps) == (256, 100)  # the CPU setting (a GPU gets 512 / 300)
    assert "Expected time: **about" in QualityHandlers(handlers).expected(256, 100, False)
    assert engine.estimate(256, 200) > engine.estimate(256, 100) > engine.estimate(128, 100)
    assert engine.estimate(256, 100, coarse_to_fine=True) < engine.estimate(256, 100)
    settings = engine.quality_settings(size=64, steps=40, **SHALLOW)
    assert settings.preview_every == 2 and settings.device == "cpu"
    for values, message in [
        ({"size": 2048}, "between 64 and 512 px"),
        ({"steps": 5000}, "At most 300 steps"),
        ({"style_layers": ["relu9_9"]}, "Unknown layer"),
        ({"size": 512, "steps": 300}, "Lower the size or the number of steps"),
        ({"size": "big"}, "The size must be a number"),
        ({"seed": -1}, "The seed must be a whole number"),
    ]:
        with pytest.raises(NSTError, match=message):
            engine.quality_settings(**values)
    assert (
        format_duration(42) == "42 s"
        and format_duration(90) == "1 min 30 s"
        and format_duration(900) == "15 min"
    )


def test_quality_streams_previews_and_stops_keeping_the_latest_image(
    engine: Engine, files: dict[str, Path]
) -> None:
    starry = Styles(("van-gogh", None))
    flag = engine.stops.begin("direct", "quality")
    updates = list(engine.quality(str(files["photo.jpg"]), starry, flag, size=64, steps=6, **SHALLOW))
    previews = [u.image for u in updates if u.image is not None and not u.event.done]
    assert (
        len(previews) == 5 and updates[-1].event.done
    )  # steps 1-5, then the final image and not updates[-1].event.stopped
    assert read_recipe(updates[-1].image)["mode"] == "quality"  # type: ignore[arg-type,index]  # the final update carries an image
    stream = engine.quality(str(files["photo.jpg"]), starry, flag, size=64, steps=200, **SHALLOW)
    first = next(stream)
    flag.set()
    last = list(stream)[-1]
    assert first.image is not None and last.event.stopped and last.event.step < 20 and last.image is not None
    engine.stops.end("direct", "quality", flag)


def test_two_paintings_blend(engine: Engine, files: dict[str, Path]) -> None:
    settings, styles = engine.prepare_quality(
        Styles(("van-gogh", None), ("", str(files["photo.jpg"])), 0.25), size=64, steps=2, **SHALLOW
    )
    assert len(styles) == 2 and settings.style_blend == (0.75, 0.25)
    with pytest.raises(NSTError, match="Choose a painting"):
        engine.prepare_quality(Styles(("", None)), size=64, steps=2)
    with pytest.raises(NSTError, match="The blend must be between 0 and 1"):
        engine.prepare_quality(Styles(("van-gogh", None), ("hokusai", None), 1.5), size=64, steps=2)


def test_compare_streams_fast_then_quality_then_scores(engine: Engine, files: dict[str, Path]) -> None:
    flag = engine.stops.begin("direct", "compare")
    updates = list(engine.compare(str(files["photo.jpg"]), "kandinsky", flag, steps=4, **SHALLOW))
    engine.stops.end("direct", "compare", flag)
    assert updates[0].event is None and updates[0].fast.size == (96, 64)  # the fast result comes first
    final = updates[-1]
    assert final.quality is not None and final.quality.size == final.fast.size
    fast_row, quality_row = final.rows
    assert fast_row.method.startswith("Fast") and quality_row.method.startswith("Quality")
    for row in final.rows:
        assert row.seconds > 0 and row.content >= 0 and row.style >= 0 and -1 <= row.ssim <= 1
    slider, _, quality, status, table = compare_values(final)  # what the tab shows
    assert slider == (final.fast, final.quality) and quality is final.quality and "Done: 4 steps" in status
    assert [row[0] for row in table] == [fast_row.method, quality_row.method] and len(table[0]) == 6


def test_out_of_memory_is_retried_smaller_with_a_note(
    engine: Engine, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fast, real_quality = studio.gpu.fast_on_device, studio.gpu.quality_on_device
    failures = {"fast": 1, "quality": 1}

    def fast_once(*args: object) -> object:
        if failures["fast"]:
            failures["fast"] -= 1
            raise torch.OutOfMemoryError("CUDA out of memory")
        return real_fast(*args)  # type: ignore[arg-type]  # the wrapper passes its arguments through

    def quality_once(*args: object) -> Iterator[object]:
        if failures["quality"]:
            failures["quality"] -= 1
            raise torch.OutOfMemoryError("CUDA out of memory")
        yield from real_quality(*args)  # type: ignore[arg-type]  # the wrapper passes its arguments through

    monkeypatch.setattr(studio.gpu, "fast_on_device", fast_once)
    monkeypatch.setattr(studio.gpu, "quality_on_device", quality_once)
    photo = tmp_path / "wide.jpg"
    gradient_image(200, 150).save(photo)
    big = engine.fast(str(photo), "van-gogh", max_side=256)
    assert big.note == "The GPU ran out of memory at 200 px, so this result was made at 140 px."
    assert big.image.size == (140, 105)
    failures["fast"] = 1
    with pytest.raises(NSTError, match="The GPU is out of memory right now"):  # 67 px would be too small
        engine.fast(str(files["photo.jpg"]), "van-gogh", max_side=256)
    flag = engine.stops.begin("direct", "quality")
    starry = Styles(("van-gogh", None))
    last = list(engine.quality(str(photo), starry, flag, size=192, steps=2, **SHALLOW))[-1]
    engine.stops.end("direct", "quality", flag)
    assert last.note == "The GPU ran out of memory at 192 px, so this result was made at 134 px."
    assert max(last.image.size) == 134  # type: ignore[union-attr]  # the last update carries an image


def test_stop_reaches_only_its_own_session_and_queued_runs() -> None:
    stops = StopRegistry()
    stops.arm("tab-a", "quality")
    assert stops.stop("tab-a", "quality") == 1  # pressed while the run still waits in the queue
    queued = stops.begin("tab-a", "quality")
    other = stops.begin("tab-b", "quality")
    assert queued.is_set() and not other.is_set()
    assert stops.stop("tab-b", "compare") == 0 and not other.is_set()
    assert stops.stop("tab-b") == 1 and other.is_set()
    stops.end("tab-a", "quality", queued)
    assert not queued.path.exists() and stops.stop("tab-a") == 0


def test_stop_button_and_closing_the_tab_stop_that_tab_only(handlers: Context) -> None:
    stops = handlers.engine.stops
    quality, compare = stops.begin("tab-c", "quality"), stops.begin("tab-c", "compare")
    other = stops.begin("tab-d", "quality")
    handlers.stopper("quality")(gr.Request(session_hash="tab-c"))
    assert quality.is_set() and not compare.is_set() and not other.is_set()
    handlers.unload(gr.Request(session_hash="tab-c"))
    assert compare.is_set() and not other.is_set()
    for session, kind, flag in [
        ("tab-c", "quality", quality),
        ("tab-c", "compare", compare),
        ("tab-d", "quality", other),
    ]:
        stops.end(session, kind, flag)


def test_gpu_functions_are_plain_off_spaces() -> None:
    """spaces.GPU is a no-op here: the functions stay themselves (generators stay generators)."""
    for fn in (
        studio.gpu.fast_on_device,
        studio.gpu.quality_on_device,
        studio.gpu.compare_on_device,
    ):
        assert not hasattr(fn, "zerogpu")
    assert inspect.isgeneratorfunction(studio.gpu.quality_on_device)
    settings = Engine("cpu").quality_defaults()
    assert 15 < studio.gpu.quality_gpu_seconds(None, [], settings, None) < 120  # type: ignore[arg-type]  # the estimate ignores the photo
    big = Image.new("RGB", (2048, 1536))
    assert 15 < studio.gpu.fast_gpu_seconds(big, "van-gogh", 1.0, False, "cuda") < 30


# --- the served app, through gradio_client ------------------------------------------------------------


def test_client_fast_predict(client: Client, files: dict[str, Path]) -> None:
    image, info, recipe = client.predict(
        handle_file(files["photo.jpg"]), "van-gogh", 1.0, False, 256, api_name="/fast"
    )
    assert Image.open(image).size == (96, 64)
    assert read_recipe(image) == recipe and recipe["mode"] == "fast"
    assert info.startswith("**Starry Night** (Vincent van Gogh, 1889) · 96×64 px")


def test_client_fast_example_is_computed_on_first_use_then_cached(
    client: Client, examples_cache: Path
) -> None:
    assert not list(examples_cache.rglob("log.csv"))  # nothing computed at start-up
    image, info, recipe = client.predict(0, api_name="/load_example")
    assert Image.open(image).size == (96, 64) and recipe["preset"] == "van-gogh" and "96×64 px" in info
    assert list(examples_cache.rglob("log.csv"))


def test_client_quality_streams_distinct_previews(client: Client, files: dict[str, Path]) -> None:
    job = client.submit(*quality_inputs(handle_file(files["photo.jpg"]), steps=10), api_name="/quality")
    final_image, final_status, recipe = job.result(timeout=120)
    outputs = job.outputs()
    previews = {digest(image) for image, _, _ in outputs[:-1] if image}
    assert len(previews) >= 4, f"only {len(previews)} distinct previews in {len(outputs)} outputs"
    assert "Done: 10 steps" in final_status and recipe["steps_done"] == 10
    assert read_recipe(final_image)["mode"] == "quality"  # type: ignore[index]  # a quality PNG has a recipe


def test_client_stop_ends_the_run_early_and_only_for_its_session(
    client: Client, server: str, files: dict[str, Path], tmp_path: Path
) -> None:
    job = client.submit(*quality_inputs(handle_file(files["photo.jpg"]), steps=300), api_name="/quality")
    deadline = time.monotonic() + 60
    while len(job.outputs()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    bystander = Client(server, verbose=False, analytics_enabled=False, download_files=str(tmp_path))
    bystander.predict(api_name="/stop_quality")  # another tab's Stop
    seen = len(job.outputs())
    while len(job.outputs()) <= seen + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not job.done(), "a Stop in another session ended this run"
    pressed = time.monotonic()
    client.predict(api_name="/stop_quality")
    image, status, recipe = job.result(timeout=30)
    assert time.monotonic() - pressed < 10
    assert "Stopped at step" in status and recipe["steps_done"] < 300
    assert Image.open(image).size == (64, 43)  # the latest image, kept


def test_client_refused_uploads_while_the_server_keeps_serving(
    client: Client, server: str, files: dict[str, Path]
) -> None:
    for name, message in [("diary.jpg", "This file is not an image"), ("bomb.png", "30000×30000")]:
        with pytest.raises(AppError, match=message):
            client.predict(handle_file(files[name]), "van-gogh", 1.0, False, 256, api_name="/fast")
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        client.predict(handle_file(files["big.jpg"]), "van-gogh", 1.0, False, 256, api_name="/fast")
    with files["big.jpg"].open("rb") as handle:  # the server enforces the limit too, whoever uploads
        answer = httpx.post(f"{server}gradio_api/upload", files={"files": ("big.jpg", handle)}, timeout=30)
    assert answer.status_code == 413
    # Gradio's preprocessing is skipped for image inputs, but not its check that a path is one of its uploads.
    outside = {"path": str(files["photo.jpg"]), "meta": {"_type": "gradio.FileData"}}
    started = httpx.post(f"{server}gradio_api/call/fast", json={"data": [outside, "van-gogh", 1, False, 256]})
    answer = httpx.get(f"{server}gradio_api/call/fast/{started.json()['event_id']}", timeout=30)
    assert "event: error" in answer.text and "event: complete" not in answer.text
    with pytest.raises(AppError, match="Unknown preset 'rembrandt'"):
        client.predict(handle_file(files["photo.jpg"]), "rembrandt", 1.0, False, 256, api_name="/fast")
    _, info, _ = client.predict(handle_file(files["photo.jpg"]), "picasso", 1.0, False, 256, api_name="/fast")
    assert info.startswith("**Self-Portrait 1907** (Pablo Picasso, 1907)")
