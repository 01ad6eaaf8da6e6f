"""Pack what a remote GPU machine needs to train the presets into one folder, within a size budget.

The folder holds the loss network trimmed to the deepest layer the losses use, the paintings, the
held-out photos (previews and evaluation) and as many training photos as fit, re-encoded as WebP and
picked at random across the sub-folders. Point the run at it with NST_VGG_WEIGHTS=OUT/vgg19.safetensors,
`--data OUT/photos`, `--preview-photos OUT/holdout`.

    python -m training.bundle --vgg ../shared/weights/vgg19-caffe-features.fp16.safetensors \
        --styles ../shared/styles/van-gogh_starry-night.jpg ... --holdout ../shared/photos \
        --data ../shared/datasets --out .carry --budget-mb 40
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

from nst.errors import ImageError, NSTError, refusals_to_exit_status
from nst.images import load_image
from training.convert_vgg import convert
from training.data import find_images
from training.folders import contains, partial_for, swap_in

VGG_FILE = "vgg19.safetensors"
MARKER = ".nst-bundle"  # marks a folder this script wrote, which a later run may replace
WEBP_QUALITY = 75  # ~half the bytes of the JPEG q90 originals; artefacts far below what the losses see


def check_out(out: Path, inputs: list[Path]) -> None:
    """Refuse an --out that holds anything but an earlier bundle (it is replaced whole), or that is or holds
    one of the inputs: deleting it would lose data that is not ours."""
    for path in inputs:
        if contains(out, path):
            raise NSTError(f"--out {out} contains the input {path}: choose another folder.")
    if out.exists() and not out.is_dir():
        raise NSTError(f"--out {out} is a file, not a folder.")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise NSTError(
            f"--out {out} is not empty and is not an earlier bundle: choose an empty or new folder."
        )


def bundle(
    vgg: Path,
    styles: list[Path],
    holdout: Path,
    data: Path,
    out: Path,
    budget: int,
    last_layer: str,
    convention: str = "caffe",
) -> int:
    """Write the bundle into `out` (replacing an earlier bundle there, see check_out); returns how many
    training photos fit in `budget` bytes."""
    check_out(out, [vgg, *styles, holdout, data])
    final, out = out, partial_for(out)
    for folder in ("styles", "holdout", "photos"):
        (out / folder).mkdir(parents=True)
    (out / MARKER).write_text("written by training/bundle.py: --out may replace this folder\n")
    convert(vgg, out / VGG_FILE, convention, f"{vgg.name}, up to {last_layer}", last_layer)
    for path in styles:
        shutil.copy2(path, out / "styles" / path.name)
    for path in find_images(holdout):
        shutil.copy2(path, out / "holdout" / path.name)
    used = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    photos = find_images(data)
    random.Random(0).shuffle(photos)
    count = 0
    for path in photos:
        target = (out / "photos" / path.relative_to(data)).with_suffix(".webp")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            load_image(path).save(target, "WEBP", quality=WEBP_QUALITY, method=6)
        except ImageError:
            continue  # the training loader would skip it too
        size = target.stat().st_size
        if used + size > budget:
            target.unlink()
            break
        used, count = used + size, count + 1
    swap_in(out, final)
    return count


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vgg", type=Path, required=True, help="the loss network (nst.vgg format)")
    parser.add_argument("--styles", type=Path, nargs="+", required=True, help="the paintings")
    parser.add_argument("--holdout", type=Path, required=True, help="folder of held-out photos")
    parser.add_argument("--data", type=Path, required=True, help="folder of training photos")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget-mb", type=float, required=True, help="size of the whole folder, MB")
    parser.add_argument("--up-to", default="relu5_1", help="deepest VGG layer the losses use")
    parser.add_argument("--input-convention", default="caffe", help="the network's input (convert_vgg.py)")
    args = parser.parse_args(argv)
    budget = int(args.budget_mb * 1e6)
    count = bundle(
        args.vgg,
        args.styles,
        args.holdout,
        args.data,
        args.out,
        budget,
        args.up_to,
        args.input_convention,
    )
    print(f"{args.out}: {count} training photos", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
