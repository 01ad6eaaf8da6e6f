"""Screenshots of the Video and Live tabs: `python -m scripts.screenshots_video` (from the checkout) writes
docs/screenshots/video.png and live.png with the bundled presets.

Headless Chromium gets a fake webcam that plays a .y4m file (a camera pan across a photo, written here), so
the live view runs as it would with a real camera. The helpers are shared with tests/test_browser_video.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from playwright.sync_api import Page

from scripts.screenshots import (
    DESKTOP,
    chromium,
    chromium_path,
    free_port,
    open_app,
    open_tab,
    shoot,
    wait_for_text,
)

ROOT = Path(__file__).resolve().parent.parent
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


def live_frames(page: Page, seconds: float, at_least: int = 1, timeout_s: float = 180) -> tuple[int, float]:
    """Different pictures the live view showed during `seconds` after the first arrived (longer when fewer
    than `at_least` came by then, up to `timeout_s`), and how many per second that was."""
    deadline = time.monotonic() + timeout_s
    while page.evaluate("window.nstFrames.length") == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to count live frames")
    args = parser.parse_args(argv)
    import studio as app
    from nst.bench.video import clip_frames, write_clip
    from nst.settings import use_local_data
    from studio.engine import Engine

    use_local_data()
    executable = chromium_path()
    if executable is None:
        parser.error("Chromium is not installed: apt-get install chromium")
    folder = Path(tempfile.mkdtemp(prefix="nst-shots-"))
    camera = write_y4m(folder / "camera.y4m", clip_frames((640, 480), 60))
    clip = folder / "pan.mp4"
    write_clip(clip, clip_frames((640, 360), 24))
    demo = app.build_demo(Engine())
    _, url, _ = app.launch(demo, prevent_thread_lock=True, server_port=free_port(), quiet=True)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with chromium(executable, camera) as browser:
            page = browser.new_page(**DESKTOP)
            open_app(page, url)
            video_tab(page, clip, args.out)
            start_live(page)
            count, rate = live_frames(page, args.seconds)
            print(f"live view: {count} stylised frames in {args.seconds:.0f} s = {rate:.1f} frames/s shown")
            shoot(page, args.out / "live.png")
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
