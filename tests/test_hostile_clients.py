"""The served app against a hostile API client: raw HTTP to /gradio_api/call/..., no gradio_client.

Each request gets one plain refusal (no server paths, no hint whether a file exists), and a fast request from
another client is still served meanwhile. Quality runs are tiny (64 px, shallow layers) so the module stays
within a minute or so on two cores.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest

import studio as app
from benchmarks.serving import one_network_engine, served
from nst.settings import ImageLimits
from nst.transformer import build_transformer, save_checkpoint
from studio.clients import NOT_AN_UPLOAD
from studio.engine import Engine
from studio.turns import ALREADY_RUNNING, RunPolicy
from tests.helpers import gradient_image

pytestmark = [
    pytest.mark.usefixtures("vgg_weights", "styles_dir"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]

MAX_UPLOAD = 1_000_000
SHALLOW = (["relu1_1", "relu2_1"], ["relu2_1"])
NO_MIX = ("", 0.0)  # /fast's last two values: no second preset, share 0 (raw HTTP calls send every value)
FAST_USUAL_S = 20.0  # a 96×64 fast request takes well under a second; generous for a busy 2-core machine


def quality_inputs(photo: object, steps: int = 10, size: int = 64, **change: Any) -> list[Any]:
    """The /quality endpoint's inputs in the UI's order (Starry Night, shallow layers), some replaced."""
    values = {
        "photo": photo, "style": "van-gogh", "style_upload": None, "style2": "", "style2_upload": None,
        "blend": 0.5, "strength": 1.0, "steps": steps, "size": size, "preserve": False,
        "style_layers": SHALLOW[0], "content_layers": SHALLOW[1], "tv_weight": 1.0, "optimizer": "lbfgs",
        "init": "content", "seed": 0, "style_scale": 1.0, "coarse_to_fine": False,
    }  # fmt: skip
    values.update(change)
    return list(values.values())


class Call:
    """One raw API call: POST starts it, GET streams its server-sent events."""

    def __init__(self, server: str, api: str, data: list[Any], session: str | None = None, **headers: str):
        body: dict[str, Any] = {"data": data}
        if session:
            body["session_hash"] = session
        started = httpx.post(f"{server}gradio_api/call/{api}", json=body, headers=headers, timeout=30)
        assert started.status_code == 200, started.text
        self.url = f"{server}gradio_api/call/{api}/{started.json()['event_id']}"
        self.events: list[tuple[str, Any]] = []

    def stream(self, timeout: float = 120) -> Iterator[tuple[str, Any]]:
        """(event, data) pairs as they arrive: generating, complete, error."""
        with httpx.stream("GET", self.url, timeout=timeout) as answer:
            kind = ""
            for line in answer.iter_lines():
                if line.startswith("event: "):
                    kind = line[len("event: ") :]
                elif line.startswith("data: ") and kind != "heartbeat":
                    item = (kind, json.loads(line[len("data: ") :]))
                    self.events.append(item)
                    yield item

    def result(self, timeout: float = 120) -> tuple[str, Any]:
        """The last event and its data."""
        for _ in self.stream(timeout):
            pass
        return self.events[-1]


def refusal(server: str, api: str, data: list[Any], **options: Any) -> str:
    """The plain message of a refused call (it must be refused, quickly)."""
    started = time.monotonic()
    kind, answer = Call(server, api, data, **options).result(timeout=30)
    assert kind == "error", (kind, answer)
    assert time.monotonic() - started < 15
    message = answer["error"]
    assert isinstance(message, str) and message[:1].isupper(), message
    assert "Traceback" not in message and "/tmp" not in message and "python" not in message.lower()
    return message


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    gradient_image(96, 64, seed=5).save(folder / "photo.jpg", quality=90)
    gradient_image(384, 256, seed=6).save(folder / "large.jpg", quality=90)
    save_checkpoint(build_transformer("cpu"), folder / "net")
    return folder


@pytest.fixture(scope="module")
def engine(root: Path) -> Engine:
    return one_network_engine(root / "net", "cpu", limits=ImageLimits(max_bytes=MAX_UPLOAD))


@pytest.fixture(scope="module")
def server(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_EXAMPLES_CACHE", str(tmp_path_factory.mktemp("examples")))
        with served(app.build_demo(engine), max_file_size=MAX_UPLOAD) as url:
            yield url


def uploaded(server: str, path: Path) -> dict[str, Any]:
    """`path` uploaded the way the page uploads it: a FileData value naming Gradio's copy."""
    with path.open("rb") as handle:
        answer = httpx.post(f"{server}gradio_api/upload", files={"files": (path.name, handle)}, timeout=30)
    return {"path": answer.json()[0], "meta": {"_type": "gradio.FileData"}, "orig_name": path.name}


@pytest.fixture(scope="module")
def upload(server: str, root: Path) -> dict[str, Any]:
    return uploaded(server, root / "photo.jpg")


def fast(server: str, photo: Any, strength: float = 1.0, **options: Any) -> tuple[str, Any]:
    return Call(server, "fast", [photo, "van-gogh", strength, False, 256, *NO_MIX], **options).result(
        timeout=60
    )


def timed_fast(server: str, photo: Any) -> float:
    started = time.monotonic()
    kind, data = fast(server, photo, session=uuid.uuid4().hex)
    assert kind == "complete", data
    return time.monotonic() - started


# --- files ------------------------------------------------------------------------------------------------


def test_an_upload_is_served(server: str, upload: dict[str, Any]) -> None:
    kind, (_, info, recipe) = fast(server, upload)
    assert kind == "complete" and recipe["mode"] == "fast" and "96×64 px" in info


def test_server_paths_without_meta_are_refused_alike(server: str, root: Path) -> None:
    """Before: a bare path reached nst.images, and with strength 0 the server's file came back."""
    answers = {
        refusal(server, "fast", [{"path": str(path)}, "van-gogh", 0.0, False, 256, *NO_MIX])
        for path in [root / "photo.jpg", root / "missing.jpg", root, root / "net" / "model.safetensors"]
    }
    assert answers == {NOT_AN_UPLOAD}  # one answer: it does not tell what exists
    for path in ["/proc/self/fd/0", "/dev/zero"]:  # a bare string is refused by Gradio's own validation
        kind, _ = Call(server, "fast", [path, "van-gogh", 0.0, False, 256, *NO_MIX]).result(timeout=30)
        assert kind == "error"
    kind, _ = fast(server, {"path": "/dev/zero", "url": "http://example.invalid/x.jpg"})
    assert kind == "error"


def test_a_path_outside_the_uploads_with_meta_is_refused(server: str, root: Path) -> None:
    outside = {"path": str(root / "photo.jpg"), "meta": {"_type": "gradio.FileData"}}
    kind, _ = Call(server, "fast", [outside, "van-gogh", 0.0, False, 256, *NO_MIX]).result(timeout=30)
    assert kind == "error"


def test_a_fifo_in_the_upload_folder_does_not_block_the_worker(server: str, upload: dict[str, Any]) -> None:
    fifo = Path(gr.utils.get_upload_folder()) / uuid.uuid4().hex / "photo.jpg"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    try:
        assert (
            refusal(server, "fast", [{"path": str(fifo)}, "van-gogh", 1.0, False, 256, *NO_MIX])
            == NOT_AN_UPLOAD
        )
    finally:
        fifo.unlink()
    assert timed_fast(server, upload) < FAST_USUAL_S


def test_data_urls_are_capped_before_decoding(server: str, root: Path) -> None:
    small = base64.b64encode((root / "photo.jpg").read_bytes()).decode()
    kind, (_, info, _) = fast(server, {"url": f"data:image/jpeg;base64,{small}"})
    assert kind == "complete" and "96×64 px" in info
    huge = "data:image/jpeg;base64," + "A" * (4 * MAX_UPLOAD // 3 + 8)
    message = refusal(server, "fast", [{"url": huge}, "van-gogh", 1.0, False, 256, *NO_MIX])
    assert "the largest accepted is 1.0 MB" in message


# --- bounded runs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"style_layers": ["relu1_1"] * 5000}, "Choose at most 16 style layers (got 5000)"),
        ({"content_layers": ["relu2_1"] * 17}, "Choose at most 16 content layers"),
        ({"style_scale": 4}, "The style scale must be between 0.25 and 2 (got 4)"),
        ({"strength": 50}, "The style strength must be between 0 and 3"),
        ({"tv_weight": 1e9}, "The smoothing must be between 0 and 5"),
        ({"steps": 100_000}, "At most 300 steps here"),
        ({"size": 4096}, "px (got 4096)"),
        ({"size": 512, "steps": 300}, "Lower the size or the number of steps"),
        ({"blend": 7, "style2": "hokusai"}, "The blend must be between 0 and 1"),
    ],
)
def test_run_settings_beyond_the_ui_are_refused(
    server: str, upload: dict[str, Any], change: dict[str, Any], phrase: str
) -> None:
    assert phrase in refusal(server, "quality", quality_inputs(upload, **change))


def test_fast_settings_beyond_the_ui_are_refused(server: str, upload: dict[str, Any]) -> None:
    assert "between 0 and 1" in refusal(server, "fast", [upload, "van-gogh", 9.0, False, 256, *NO_MIX])
    assert "between 64 and 1024 px" in refusal(
        server, "fast", [upload, "van-gogh", 1.0, False, 10**9, *NO_MIX]
    )
    mix = refusal(server, "fast", [upload, "van-gogh", 1.0, False, 256, "hokusai", 7.0])
    assert "mix" in mix.lower() and "between 0 and 1" in mix
    assert (
        "preset"
        in refusal(server, "fast", [upload, "van-gogh", 1.0, False, 256, "../../etc/passwd", 0.5]).lower()
    )


def test_one_long_run_per_client_while_fast_is_still_served(
    server: str, upload: dict[str, Any], root: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = timed_fast(server, upload)
    monkeypatch.setattr(engine, "policy", RunPolicy(min_deadline_s=30.0, max_deadline_s=30.0))
    long_run = quality_inputs(uploaded(server, root / "large.jpg"), steps=300, size=256)  # minutes, or 30 s
    first = Call(server, "quality", long_run)
    events = first.stream(timeout=120)
    assert next(events)[0] == "generating"  # running
    # New sessions from the same address (a script's next calls). The same session is refused too
    # (tests/test_turns.py): Gradio cannot stream two calls of one session at once over /call/.
    assert refusal(server, "quality", quality_inputs(upload)) == ALREADY_RUNNING
    assert refusal(server, "compare", [upload, "van-gogh"]) == ALREADY_RUNNING
    assert timed_fast(server, upload) < max(FAST_USUAL_S, 10 * usual)  # another client is not held up
    for _ in events:  # the first run ends at its deadline
        pass
    kind, (_, status, recipe) = first.events[-1]
    assert kind == "complete" and "time limit" in status and recipe["steps_done"] < 300
    kind, _ = Call(server, "quality", quality_inputs(upload, steps=2)).result(timeout=60)
    assert kind == "complete"  # the place is free again


def test_a_run_that_overruns_is_stopped_by_its_deadline(
    server: str, upload: dict[str, Any], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "policy", RunPolicy(min_deadline_s=1.0, max_deadline_s=1.0))
    started = time.monotonic()
    kind, (image, status, recipe) = Call(server, "quality", quality_inputs(upload, steps=300)).result()
    assert kind == "complete" and time.monotonic() - started < 30
    assert "Stopped at step" in status and "reached the server&#x27;s time limit (1 s)" in status
    assert 0 < recipe["steps_done"] < 300 and image is not None
