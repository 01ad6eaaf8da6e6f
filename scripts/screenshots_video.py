"""Screenshots of the Video and Live tabs: `python -m scripts.screenshots_video` (from the checkout) writes
docs/screenshots/video.png and live.png with the bundled presets.

Headless Chromium gets a fake webcam that plays a .y4m file (a camera pan across a photo, written here), so
the live view runs as it would with a real camera. The helpers live in benchmarks/browser.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.browser import (
    chromium,
    chromium_path,
    live_frames,
    open_app,
    shoot,
    start_live,
    video_tab,
    write_y4m,
)
from benchmarks.serving import served
from nst.settings import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "screenshots")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to count live frames")
    parser.add_argument(
        "--warm-up", type=float, default=3.0, help="seconds of live view before counting (first frames)"
    )
    args = parser.parse_args(argv)
    import studio as app
    from benchmarks.clips import write_clip
    from benchmarks.video import SHARP, clip_frames
    from nst.settings import use_local_data
    from studio.engine import Engine

    use_local_data()
    executable = chromium_path()
    if executable is None:
        parser.error("Chromium is not installed: apt-get install chromium")
    folder = Path(tempfile.mkdtemp(prefix="nst-shots-"))
    camera = write_y4m(folder / "camera.y4m", clip_frames((640, 480), 60))
    clip = folder / "pan.mp4"
    write_clip(clip, clip_frames((640, 360), 24), options=SHARP)
    args.out.mkdir(parents=True, exist_ok=True)
    with served(app.build_demo(Engine())) as url, chromium(executable, camera) as browser:
        page = open_app(browser, url)
        video_tab(page, clip, args.out)
        start_live(page)
        count, rate = live_frames(page, args.seconds, warm_up_s=args.warm_up)
        print(f"live view: {count} stylised frames in {args.seconds:.0f} s = {rate:.1f} frames/s shown")
        shoot(page, args.out / "live.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
