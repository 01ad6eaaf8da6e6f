"""Headless Chromium driving the app as a visitor would: shared by the screenshot scripts (scripts/) and the
browser tests (tests/test_browser*.py).

Chromium is the Debian one (`apt-get install chromium`; Playwright's own browser download needs the internet),
driven by Playwright. Pages are found by the app's elem_ids (#fast-photo, #quality-run, ...).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Browser, Page, sync_playwright

from nst.settings import REPO_ROOT

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# Screens, as options of Browser.new_page: a laptop, and a common phone (iPhone 12 to 14) held upright.
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def chromium_path() -> str | None:
    """The system Chromium (Playwright's own browser downloads are not used: they need the internet)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium(executable: str, camera: Path | None = None) -> Iterator[Browser]:
    """A headless Chromium. Each page (`open_app`) has a browser context of its own (one Gradio session
    each), so one browser serves both screens at once. With `camera` (a .y4m file), a fake webcam plays it,
    allowed without asking."""
    args = CHROMIUM_ARGS + (
        [] if camera is None else [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}"]
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


# --- driving the page -------------------------------------------------------------------------------------


def open_app(browser: Browser, url: str, screen: dict[str, Any] = DESKTOP) -> Page:
    """A new page (a Gradio session of its own) on `screen`, with the app at `url` loaded."""
    page = browser.new_page(**screen)
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#fast-photo", timeout=60_000)
    page.wait_for_selector("html[data-nst-ready]", state="attached", timeout=60_000)  # phone.js listens
    return page


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def press(page: Page, elem_id: str) -> None:
    """Click a button, or tap it on a touch screen."""
    button = page.locator(f"#{elem_id}")
    if page.evaluate("navigator.maxTouchPoints > 0"):
        button.tap()
    else:
        button.click()


def upload(page: Page, elem_id: str, path: Path) -> None:
    """Put a file into an image input, as a visitor choosing it in the file dialog would."""
    page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))


def image_source(page: Page, elem_id: str) -> str | None:
    """The src of the picture an image component shows now, or None."""
    image = page.locator(f"#{elem_id} img")
    return image.first.get_attribute("src") if image.count() else None


def wait_for_image(page: Page, elem_id: str, timeout_s: float, not_src: str | None = None) -> str:
    """Wait until the component shows a picture (a different one from `not_src`) and return its src."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        src = image_source(page, elem_id)
        if src and src != not_src:
            return src
        page.wait_for_timeout(200)
    raise TimeoutError(f"#{elem_id} showed no {'new ' if not_src else ''}image within {timeout_s:.0f} s")


def wait_for_text(page: Page, elem_id: str, text: str, timeout_s: float) -> None:
    """Wait until `text` shows (visibly) inside the element."""
    found = page.locator(f"#{elem_id}").get_by_text(text).filter(visible=True)
    found.first.wait_for(timeout=timeout_s * 1000)


def set_number(page: Page, elem_id: str, value: float) -> None:
    """Type a value into a slider's number box and confirm it."""
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")
    box.blur()


def shoot(page: Page, path: Path) -> None:
    page.wait_for_timeout(500)  # let images finish painting
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")


# --- the Video and Live tabs ------------------------------------------------------------------------------

# Counts the different pictures the live view shows (every new frame gets a new src).
COUNT_FRAMES_JS = """() => {
  window.nstFrames = [];
  const root = document.querySelector('#live-result');
  const note = () => {
    const img = root.querySelector('img');
    if (img && img.src && img.src !== window.nstFrames[window.nstFrames.length - 1]) {
      window.nstFrames.push(img.src);
    }
  };
  new MutationObserver(note).observe(root, {subtree: true, childList: true, attributes: true});
}"""


def write_y4m(path: Path, frames: Sequence[np.ndarray], fps: int = 30) -> Path:
    """RGB frames (same size, even sides) as an uncompressed YUV 4:2:0 .y4m, Chromium's fake camera input."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            red, green, blue = (frame[..., i].astype(np.float32) for i in range(3))
            luma = 0.299 * red + 0.587 * green + 0.114 * blue
            planes = [luma, (blue - luma) * 0.564 + 128, (red - luma) * 0.713 + 128]
            planes[1:] = [p.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)) for p in planes[1:]]
            out.write(b"FRAME\n")
            for plane in planes:
                out.write(plane.clip(0, 255).round().astype(np.uint8).tobytes())
    return path


def start_live(page: Page) -> None:
    """Open the Live tab, allow the (fake) camera and start streaming."""
    open_tab(page, "Live")
    page.locator("#live-camera").get_by_text("Click to Access Webcam").click()
    record = page.locator("#live-camera button").filter(has_text="Record")
    record.first.wait_for(timeout=30_000)
    page.evaluate(COUNT_FRAMES_JS)
    record.first.click()


def live_frames(
    page: Page, seconds: float, at_least: int = 1, timeout_s: float = 180, warm_up_s: float = 0.0
) -> tuple[int, float]:
    """Different pictures the live view showed during `seconds` after the first arrived and `warm_up_s` more
    (longer when fewer than `at_least` came by then, up to `timeout_s`), and how many per second that was."""
    deadline = time.monotonic() + timeout_s
    while page.evaluate("window.nstFrames.length") == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    if warm_up_s > 0:
        page.wait_for_timeout(warm_up_s * 1000)
    first, start = page.evaluate("window.nstFrames.length"), time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    while page.evaluate("window.nstFrames.length") - first < at_least and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    count = page.evaluate("window.nstFrames.length") - first
    return count, count / (time.monotonic() - start)


def video_tab(page: Page, clip: Path, out: Path | None = None, timeout_s: float = 600) -> None:
    """Upload a clip in the Video tab, run it, wait for the player (and shoot video.png into `out`)."""
    open_tab(page, "Video")
    page.locator("#video-input input[type=file]").set_input_files(str(clip))
    page.locator("#video-result").scroll_into_view_if_needed()
    page.locator("#video-input video").first.wait_for(timeout=60_000)
    page.locator("#video-run").click()
    wait_for_text(page, "video-status", "frames/s", timeout_s=timeout_s)
    page.locator("#video-result video").first.wait_for(timeout=timeout_s * 1000)
    wait_for_text(page, "video-status", "sound:", timeout_s=timeout_s)
    if out is not None:
        page.wait_for_timeout(1500)  # the player loads its first frame
        shoot(page, out / "video.png")
