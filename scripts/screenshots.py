"""Screenshots of the app's three tabs for docs/screenshots/, taken in headless Chromium like a visitor would.

`python scripts/screenshots.py` starts the app (bundled presets, data from ../shared or the NST_* variables)
on a free port, then: Fast — uploads a photo and waits for the result; Quality — starts a run, waits for a
few previews, shoots mid-run and stops it; Compare — runs a comparison to its score table. It does this on a
desktop screen (fast.png, …) and then on a phone, 390×844 with touch (mobile-fast.png, …); `--screens`
picks one. Chromium is the Debian one (`apt-get install chromium`), driven by Playwright;
`tests/test_browser.py` reuses the helpers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent

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
    """A headless Chromium. `browser.new_page(**DESKTOP)` (or PHONE) opens a page in a context of its own (one
    Gradio session each), so one browser serves both screens at once. With `camera` (a .y4m file), a fake
    webcam plays it, allowed without asking."""
    args = CHROMIUM_ARGS + (
        [] if camera is None else [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}"]
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- driving the page -------------------------------------------------------------------------------------


def open_app(page: Page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#fast-photo", timeout=60_000)


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


# --- the screenshots --------------------------------------------------------------------------------------


def shoot(page: Page, path: Path) -> None:
    page.wait_for_timeout(500)  # let images finish painting
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def fast_tab(page: Page, photo: Path, out: Path, ready: bool, prefix: str = "") -> None:
    upload(page, "fast-photo", photo)
    if ready:  # the upload itself starts the run
        wait_for_image(page, "fast-result", timeout_s=120)
    shoot(page, out / f"{prefix}fast.png")


def quality_tab(page: Page, photo: Path, out: Path, prefix: str = "") -> None:
    open_tab(page, "Quality")
    upload(page, "quality-photo", photo)
    wait_for_image(page, "quality-photo", timeout_s=30)
    press(page, "quality-run")
    first = wait_for_image(page, "quality-result", timeout_s=300)
    wait_for_image(page, "quality-result", timeout_s=300, not_src=first)  # a later preview
    shoot(page, out / f"{prefix}quality.png")
    press(page, "quality-stop")
    wait_for_text(page, "quality-status", "Stopped at step", timeout_s=60)


def compare_tab(
    page: Page, photo: Path, out: Path, prefix: str = "", stop_after: float | None = None
) -> None:
    open_tab(page, "Compare")
    upload(page, "compare-photo", photo)
    wait_for_image(page, "compare-photo", timeout_s=30)
    press(page, "compare-run")
    if stop_after is None:
        wait_for_text(page, "compare-status", "Done:", timeout_s=1200)
    else:  # a busy machine: stop the quality half early, and the table scores the image it had reached
        wait_for_image(page, "compare-slider", timeout_s=600)
        page.wait_for_timeout(stop_after * 1000)
        press(page, "compare-stop")
        wait_for_text(page, "compare-table", "(stopped)", timeout_s=300)
    shoot(page, out / f"{prefix}compare.png")


SCREENS = {"desktop": (DESKTOP, ""), "phone": (PHONE, "mobile-")}  # name: page options, file name prefix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, help="photo to use (default: the first example photo)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--screens", choices=[*SCREENS, "both"], default="both", help="default: both")
    parser.add_argument(
        "--stop-compare-after",
        type=float,
        metavar="SECONDS",
        help="stop Compare's quality run this long after its first preview (default: let it finish)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # `python scripts/screenshots.py` from anywhere
    import studio as app
    from nst.settings import use_local_data
    from studio.engine import Engine
    from studio.models import example_photos

    use_local_data()
    os.environ.setdefault("GRADIO_EXAMPLES_CACHE", tempfile.mkdtemp(prefix="nst-examples-"))
    executable = chromium_path()
    if executable is None:
        parser.error("Chromium is not installed: apt-get install chromium")
    photos = example_photos()
    photo = args.photo or next((p for p in photos if p.stem == "tubingen"), photos[0] if photos else None)
    if photo is None:
        parser.error("no photo: pass --photo or set NST_PHOTOS_DIR")
    engine = Engine()
    ready = any(card.fast_ready for card in engine.presets)
    demo = app.build_demo(engine, photos)
    _, url, _ = app.launch(demo, prevent_thread_lock=True, server_port=free_port(), quiet=True)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with chromium(executable) as browser:
            for name, (screen, prefix) in SCREENS.items():
                if args.screens in (name, "both"):
                    page = browser.new_page(**screen)
                    open_app(page, url)
                    fast_tab(page, photo, args.out, ready, prefix)
                    quality_tab(page, photo, args.out, prefix)
                    compare_tab(page, photo, args.out, prefix, args.stop_compare_after)
                    page.close()
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
