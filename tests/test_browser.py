"""The app in a real browser: headless Debian Chromium driven by Playwright (installed by .ci/run).

A visitor uploads a photo and gets a fast result, picks another painting and gets it re-done, then starts a
quality run, watches the preview change and stops it. Fails (not skips) under CI=true without Chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

import app
from nst.service import Engine
from nst.transformer import build_transformer, save_checkpoint
from scripts.screenshots import (
    chromium,
    chromium_path,
    free_port,
    image_source,
    open_app,
    open_tab,
    set_number,
    upload,
    wait_for_image,
    wait_for_text,
)
from tests.helpers import gradient_image

pytestmark = [
    pytest.mark.usefixtures("vgg_weights", "styles_dir"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),  # inside Gradio's queue, not ours
]


@pytest.fixture(scope="module")
def executable() -> str:
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "photo.jpg"
    gradient_image(120, 80, seed=5).save(path, quality=90)
    return path


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on 127.0.0.1, every preset served by a random-weight fast network."""
    net = str(save_checkpoint(build_transformer("cpu"), tmp_path_factory.mktemp("net")))
    demo = app.build_demo(Engine("cpu", resolve_model=lambda preset_id, device: net))
    _, address, _ = app.launch(demo, prevent_thread_lock=True, server_port=free_port(), quiet=True)
    try:
        yield address
    finally:
        demo.close()


@pytest.fixture(scope="module")
def page(executable: str, url: str) -> Iterator[Page]:
    with chromium(executable) as browser:
        page = browser.new_page()
        open_app(page, url)
        yield page


def test_fast_result_and_rerun_on_another_painting(page: Page, photo: Path) -> None:
    upload(page, "fast-photo", photo)  # the upload alone starts the run
    first = wait_for_image(page, "fast-result", timeout_s=60)
    wait_for_text(page, "fast-info", "Starry Night", timeout_s=10)
    page.locator("#fast-gallery button.thumbnail-item").nth(
        1
    ).click()  # Great Wave: re-runs on the same photo
    wait_for_text(page, "fast-info", "Great Wave", timeout_s=60)
    assert wait_for_image(page, "fast-result", timeout_s=10) != first
    page.locator("#fast-run").click()
    wait_for_text(page, "fast-info", "120×80 px", timeout_s=30)


def test_quality_preview_changes_and_stop_keeps_it(page: Page, photo: Path) -> None:
    open_tab(page, "Quality")
    upload(page, "quality-photo", photo)
    wait_for_image(page, "quality-photo", timeout_s=30)
    set_number(page, "quality-size", 64)
    set_number(page, "quality-steps", 200)  # a preview every 10 steps
    page.locator("#quality-run").click()
    first = wait_for_image(page, "quality-result", timeout_s=120)
    wait_for_text(page, "quality-status", "Step", timeout_s=30)
    wait_for_image(page, "quality-result", timeout_s=120, not_src=first)  # a later preview
    assert page.locator("#quality-result img").is_visible()  # the progress display does not cover it
    page.locator("#quality-stop").click()
    wait_for_text(page, "quality-status", "Stopped at step", timeout_s=30)
    assert image_source(page, "quality-result") not in (None, first)  # the latest image stays
