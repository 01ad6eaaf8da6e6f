"""Image grids: training previews, and the contact sheet of every preset on every held-out photo.

python -m training.contact_sheet --photos ../shared/photos --out docs/presets.png
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from nst.checkpoints import model_source
from nst.fast import stylize
from nst.images import load_image, save_png
from nst.presets import bundled_folder, list_presets, model_id, style_image_path
from training.data import find_images

BACKGROUND = (255, 255, 255)
GAP = 4
LABEL_SIZE = 16


def image_grid(
    rows: Sequence[Sequence[Image.Image]],
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
) -> Image.Image:
    """Rows of images, each centred in a cell the size of the largest one, with optional text labels."""
    cell_w = max(image.width for row in rows for image in row)
    cell_h = max(image.height for row in rows for image in row)
    font = ImageFont.load_default(size=LABEL_SIZE)
    left = (max(len(t) for t in row_labels) * LABEL_SIZE * 6 // 10 + 2 * GAP) if row_labels else 0
    top = LABEL_SIZE + 2 * GAP if column_labels else 0
    columns = max(len(row) for row in rows)
    sheet = Image.new(
        "RGB", (left + columns * (cell_w + GAP) + GAP, top + len(rows) * (cell_h + GAP) + GAP), BACKGROUND
    )
    draw = ImageDraw.Draw(sheet)
    for c, text in enumerate(column_labels or []):
        draw.text(
            (left + GAP + c * (cell_w + GAP) + cell_w // 2, GAP), text, fill="black", font=font, anchor="mt"
        )
    for r, row in enumerate(rows):
        y = top + GAP + r * (cell_h + GAP)
        if row_labels:
            draw.text((GAP, y + cell_h // 2), row_labels[r], fill="black", font=font, anchor="lm")
        for c, image in enumerate(row):
            x = left + GAP + c * (cell_w + GAP)
            sheet.paste(image, (x + (cell_w - image.width) // 2, y + (cell_h - image.height) // 2))
    return sheet


def contact_sheet(photos: Sequence[Path], model_ids: Sequence[str], side: int) -> Image.Image:
    """Row 0: the photos; then one row per model id (labelled), each photo stylised at `side` px."""
    originals = [load_image(path, max_side=side) for path in photos]
    rows: list[list[Image.Image]] = [[Image.new("RGB", (side, side // 2), BACKGROUND), *originals]]
    labels = ["photo"]
    for name in model_ids:
        preset = model_source(name).preset
        painting = load_image(style_image_path(preset), max_side=side) if preset else rows[0][0]
        rows.append([painting, *(stylize(image, name, device="cpu").image for image in originals)])
        labels.append(name)
    return image_grid(rows, labels, ["painting", *(path.stem for path in photos)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Every bundled preset network on every held-out photo.")
    parser.add_argument("--photos", type=Path, required=True, help="folder of held-out photos")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--variants", nargs="+", default=["standard", "cpu"])
    parser.add_argument("--side", type=int, default=256, help="longest side of each picture")
    args = parser.parse_args(argv)
    ids = [model_id(p.id, v) for p in list_presets() for v in args.variants]
    ids = [i for i in ids if bundled_folder(i).is_dir()]
    save_png(contact_sheet(find_images(args.photos), ids, args.side), args.out)
    print(f"wrote {args.out} ({len(ids)} networks)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
