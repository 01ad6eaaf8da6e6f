"""The Video and Live tabs in headless Chromium: a clip is uploaded, painted and played; a fake webcam (a .y4m
written here) streams into the live view, whose pictures arrive and change, with the frame rate shown.
Fails (not skips) under CI=true without Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

import studio as app
from benchmarks.browser import chromium, live_frames, open_app, start_live, video_tab, write_y4m
from benchmarks.serving import one_network_engine, served
from nst.transformer import build_transformer, save_checkpoint
from tests.helpers import pattern, write_clip

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")  # inside Gradio's queue


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-video")


@pytest.fixture(scope="module")
def url(folder: Path) -> Iterator[str]:
    """The app on 127.0.0.1, every preset served by a random-weight CPU-fast network."""
    net = save_checkpoint(build_transformer("cpu"), folder / "net")
    with served(app.build_demo(one_network_engine(net, "cpu"))) as address:
        yield address


@pytest.fixture(scope="module")
def page(chromium_executable: str, url: str, folder: Path) -> Iterator[Page]:
    camera = write_y4m(folder / "camera.y4m", [pattern(640, 480, i) for i in range(30)])
    with chromium(chromium_executable, camera) as browser:
        yield open_app(browser, url)


def test_video_tab_paints_and_plays_a_clip(page: Page, folder: Path) -> None:
    clip = folder / "clip.mp4"
    write_clip(clip, size=(96, 64), frames=6)
    video_tab(page, clip, timeout_s=300)
    status = page.locator("#video-status").inner_text()
    assert "6 frames at 96×64" in status and "sound: copied aac" in status
    src = page.locator("#video-result video").first.get_attribute("src") or ""
    assert src.endswith(".mp4")


def test_live_view_streams_the_camera(page: Page) -> None:
    start_live(page)
    count, rate = live_frames(page, seconds=5, at_least=3)
    print(f"live view: {count} new frames, {rate:.1f} frames/s shown")
    assert count >= 3  # pictures keep arriving, each a new one (the speed is a benchmark, not a test)
    shown = page.locator("#live-fps").inner_text()
    assert re.search(r"\d+(\.\d+)? frames/s", shown), shown
    page.locator("#live-camera button").filter(has_text="Stop").first.click()
