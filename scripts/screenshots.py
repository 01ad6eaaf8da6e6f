"""Screenshots of the app's three tabs for docs/screenshots/, taken in headless Chromium like a visitor would.

`python -m scripts.screenshots` (from the checkout) starts the app (bundled presets, data from ../shared or
the NST_* variables) on a free port, then: Fast — uploads a photo and waits for the result; Quality — starts a
run, waits for a few previews, shoots mid-run and stops it; Compare — runs a comparison to its score table. It
does this on a desktop screen (fast.png, …) and then on a phone, 390×844 with touch (mobile-fast.png, …);
`--screens` picks one. Chromium is the Debian one (`apt-get install chromium`), driven by Playwright; the
helpers live in benchmarks/browser.py (the browser tests use them too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page

from benchmarks.browser import (
    DESKTOP,
    PHONE,
    chromium,
    chromium_path,
    open_app,
    open_tab,
    press,
    shoot,
    upload,
    wait_for_image,
    wait_for_text,
)
from benchmarks.serving import served
from nst.settings import REPO_ROOT

# --- the screenshots --------------------------------------------------------------------------------------


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
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "screenshots")
    parser.add_argument("--screens", choices=[*SCREENS, "both"], default="both", help="default: both")
    parser.add_argument(
        "--stop-compare-after",
        type=float,
        metavar="SECONDS",
        help="stop Compare's quality run this long after its first preview (default: let it finish)",
    )
    args = parser.parse_args(argv)
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
    args.out.mkdir(parents=True, exist_ok=True)
    with served(app.build_demo(engine, photos)) as url, chromium(executable) as browser:
        for name, (screen, prefix) in SCREENS.items():
            if args.screens in (name, "both"):
                page = open_app(browser, url, screen)
                fast_tab(page, photo, args.out, ready, prefix)
                quality_tab(page, photo, args.out, prefix)
                compare_tab(page, photo, args.out, prefix, args.stop_compare_after)
                page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
