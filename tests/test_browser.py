"""The app in a real browser: headless Debian Chromium driven by Playwright (installed by .ci/run).

A visitor uploads a photo and gets a fast result, picks another painting and gets it re-done, then starts a
quality run, watches the preview change and stops it. On a phone (390×844, touch) each tab reads in the order
of use: the result sits right below the photo and painting and comes into view when a run starts, the page
never scrolls sideways, the four paintings are reachable in the sideways gallery strip, and every control
is a 44 px tap target. Fails (not skips) under CI=true without Chromium.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

import studio as app
from benchmarks.browser import (
    PHONE,
    chromium,
    image_source,
    open_app,
    open_tab,
    press,
    set_number,
    upload,
    wait_for_image,
    wait_for_text,
)
from benchmarks.serving import one_network_engine, served
from nst.transformer import build_transformer, save_checkpoint
from tests.helpers import gradient_image

pytestmark = [
    pytest.mark.usefixtures("vgg_weights", "styles_dir"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),  # inside Gradio's queue, not ours
]


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "photo.jpg"
    gradient_image(120, 80, seed=5).save(path, quality=90)
    return path


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on 127.0.0.1, every preset served by a random-weight fast network."""
    net = save_checkpoint(build_transformer("cpu"), tmp_path_factory.mktemp("net"))
    with served(app.build_demo(one_network_engine(net, "cpu"))) as address:
        yield address


@pytest.fixture(scope="module")
def browser(chromium_executable: str) -> Iterator[Browser]:
    with chromium(chromium_executable) as browser:
        yield browser


@pytest.fixture(scope="module")
def page(browser: Browser, url: str) -> Page:
    return open_app(browser, url)


@pytest.fixture(scope="module")
def phone(browser: Browser, url: str) -> Page:
    """The same app on a phone: 390×844 CSS pixels, mobile viewport, touch."""
    return open_app(browser, url, PHONE)


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
    set_number(page, "quality-size", 128)  # long enough (300 steps) that Stop comes before the end, even
    set_number(page, "quality-steps", 300)  # on a quiet machine; a preview every 15 steps
    page.locator("#quality-run").click()
    first = wait_for_image(page, "quality-result", timeout_s=120)
    wait_for_text(page, "quality-status", "Step", timeout_s=30)
    wait_for_image(page, "quality-result", timeout_s=120, not_src=first)  # a later preview
    assert page.locator("#quality-result img").is_visible()  # the progress display does not cover it
    page.locator("#quality-stop").click()
    wait_for_text(page, "quality-status", "Stopped at step", timeout_s=30)
    assert image_source(page, "quality-result") not in (None, first)  # the latest image stays


# --- on a phone ---------------------------------------------------------------------------------------------

BOX = "id => { const r = document.getElementById(id).getBoundingClientRect(); return [r.top, r.bottom]; }"
SMALL_TARGETS = """() => {
  // Every visible control of the open tab, as the box a finger hits: a radio button or checkbox is its label,
  // a dropdown its field. The block captions (label.float) only name a component; the 1 px tab buttons in
  // .visually-hidden are Gradio's measuring copies.
  const small = [];
  for (const el of document.querySelectorAll("button, a[href], input, select, textarea")) {
    if (el.closest(".visually-hidden") || el.type === "file") continue;
    const target = el.matches("input[type=radio], input[type=checkbox]") ? el.closest("label")
      : el.closest(".wrap-inner") || el;
    const r = target.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(target).visibility === "hidden") continue;
    if (r.width < 44 || r.height < 44) {
      const name = el.getAttribute("aria-label") || el.innerText || el.value || el.type;
      small.push(`${el.tagName.toLowerCase()} "${String(name).trim().slice(0, 30)}" ${r.width}x${r.height}`);
    }
  }
  return small;
}"""


def _top_and_bottom(page: Page, elem_id: str) -> tuple[float, float]:
    """An element's top and bottom in page coordinates (whatever the scroll position)."""
    top, bottom = page.evaluate(BOX, elem_id)
    scroll = page.evaluate("window.scrollY")
    return top + scroll, bottom + scroll


def _tap_low(page: Page, elem_id: str) -> None:
    """Tap a button scrolled to the bottom edge of the screen, as a thumb would reach it; the page stays put
    (Playwright's own tap would first scroll the button to the middle)."""
    page.locator(f"#{elem_id}").evaluate("e => e.scrollIntoView({block: 'end'})")
    box = page.locator(f"#{elem_id}").bounding_box()
    assert box is not None
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _brought_to_top(page: Page, result_id: str) -> bool:
    """The result's top is in the top quarter of the screen: phone.js scrolls it to the top, or as near as the
    page's end allowed when the run started (before the picture made the page longer)."""
    return 0 <= page.evaluate(BOX, result_id)[0] <= page.evaluate("innerHeight") / 4


def _assert_brought_to_top(page: Page, result_id: str) -> None:
    """The tap that started the run scrolled the result to the top of the screen (phone.js)."""
    deadline = time.monotonic() + 10  # the scroll is smooth: let it arrive
    while not _brought_to_top(page, result_id) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert _brought_to_top(page, result_id), f"#{result_id} was not brought into view"


def _assert_phone_layout(page: Page, photo_id: str, result_id: str) -> None:
    """The result follows the photo within one screen and was brought into view, nothing is wider than the
    screen and every control is a 44 px tap target."""
    height, width = page.evaluate("[innerHeight, innerWidth]")
    assert width == 390
    photo_bottom = _top_and_bottom(page, photo_id)[1]
    result_top = _top_and_bottom(page, result_id)[0]
    assert 0 <= result_top - photo_bottom < height, (photo_bottom, result_top)
    _assert_brought_to_top(page, result_id)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    assert page.evaluate(SMALL_TARGETS) == []


def test_desktop_keeps_two_columns(page: Page) -> None:
    open_tab(page, "Fast")
    photo, result = page.locator("#fast-photo").bounding_box(), page.locator("#fast-result").bounding_box()
    assert photo is not None and result is not None
    assert photo["x"] + photo["width"] <= result["x"] and abs(photo["y"] - result["y"]) < 5


def test_phone_fast_result_under_the_photo_and_gallery_strip(phone: Page, photo: Path) -> None:
    upload(phone, "fast-photo", photo)  # the upload alone starts the run
    wait_for_image(phone, "fast-result", timeout_s=60)
    _assert_phone_layout(phone, "fast-photo", "fast-result")

    thumbs = phone.locator("#fast-gallery button.thumbnail-item")
    assert thumbs.count() == 4
    phone.locator("#fast-gallery").evaluate("e => e.scrollIntoView({block: 'center'})")
    boxes = [thumbs.nth(i).bounding_box() for i in range(4)]
    assert all(b is not None and b["width"] >= 44 and b["height"] >= 44 for b in boxes)
    assert len({round(b["y"]) for b in boxes if b}) == 1, "the paintings are not one strip"
    phone.locator("#fast-gallery .grid-wrap").evaluate("e => { e.scrollLeft = e.scrollWidth; }")  # a swipe
    last, strip = thumbs.nth(3).bounding_box(), phone.locator("#fast-gallery").bounding_box()
    assert last is not None and strip is not None
    right = min(strip["x"] + strip["width"], 390)  # the strip's visible right edge
    assert strip["x"] - 1 <= last["x"] and last["x"] + last["width"] <= right + 1
    phone.touchscreen.tap(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2)
    wait_for_text(phone, "fast-info", "Composition VII", timeout_s=60)  # the last painting, re-painted
    _assert_brought_to_top(phone, "fast-result")
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390


def test_phone_quality_result_under_the_photo(phone: Page, photo: Path) -> None:
    phone.evaluate("window.scrollTo(0, 0)")
    open_tab(phone, "Quality")
    upload(phone, "quality-photo", photo)
    wait_for_image(phone, "quality-photo", timeout_s=30)
    set_number(phone, "quality-size", 128)  # long enough to be stopped below (a finished tiny run would also
    set_number(phone, "quality-steps", 300)  # skew the time estimate)
    _tap_low(phone, "quality-run")
    wait_for_image(phone, "quality-result", timeout_s=120)
    _assert_phone_layout(phone, "quality-photo", "quality-result")
    press(phone, "quality-stop")
    wait_for_text(phone, "quality-status", "Stopped", timeout_s=60)


def test_phone_compare_result_under_the_photo(phone: Page, photo: Path) -> None:
    phone.evaluate("window.scrollTo(0, 0)")
    open_tab(phone, "Compare")
    upload(phone, "compare-photo", photo)
    wait_for_image(phone, "compare-photo", timeout_s=30)
    _tap_low(phone, "compare-run")
    wait_for_image(phone, "compare-fast", timeout_s=60)  # the fast half; the quality half would take minutes
    _assert_phone_layout(phone, "compare-photo", "compare-slider")
    press(phone, "compare-stop")
    wait_for_text(phone, "compare-status", "Stopped", timeout_s=60)
