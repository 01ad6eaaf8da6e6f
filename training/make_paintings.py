"""Make the bundled preset paintings: styles/<id>/style.jpg from the originals, for the four presets only.

Each is downsized to what the engines use (longest side at most 1024 px: quality mode scales the painting to
the output's size, at most 1024 px here; fast training used 512) and saved as a JPEG with the highest
quality that stays within 300 kB; an original JPEG already within both limits is copied as it is (no second
generation of compression). The originals (../shared/styles, the registry's `style_file`)
stay uncommitted; provenance and rights are in styles/presets.toml.

    python -m training.make_paintings                     # from ../shared/styles
    python -m training.make_paintings --source /path/to/originals
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image

from nst.errors import NSTError, refusals_to_exit_status
from nst.images import load_image
from nst.presets import Preset, bundled_painting, list_presets
from nst.settings import SHARED_DIR

MAX_SIDE = 1024
MAX_BYTES = 300_000
QUALITIES = range(95, 59, -5)  # tried from the best down; the first within MAX_BYTES wins


def encode(image: Image.Image) -> bytes:
    """The JPEG bytes of `image` at the best quality within MAX_BYTES (4:2:0, optimised Huffman tables)."""
    for quality in QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() <= MAX_BYTES:
            return buffer.getvalue()
    raise NSTError(f"Cannot fit a {image.size[0]}×{image.size[1]} painting in {MAX_BYTES} bytes")


def make_painting(preset: Preset, source_dir: Path, target: Path | None = None) -> Path:
    """Write the preset's bundled painting (or `target`) from its original in `source_dir`; its path."""
    original = source_dir / preset.style_file
    if not original.is_file():
        raise NSTError(f"The original of preset '{preset.id}' is missing: {original}")
    target = target or bundled_painting(preset)
    image = load_image(original, max_side=MAX_SIDE)  # also refuses a file that is not a whole image
    with Image.open(original) as raw:
        fits = raw.format == "JPEG" and max(raw.size) <= MAX_SIDE and original.stat().st_size <= MAX_BYTES
    target.write_bytes(original.read_bytes() if fits else encode(image))
    return target


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SHARED_DIR / "styles", help="folder of the originals")
    args = parser.parse_args(argv)
    for preset in list_presets():
        path = make_painting(preset, args.source)
        with Image.open(path) as image:
            print(f"{path}: {image.width}×{image.height}, {path.stat().st_size / 1000:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
