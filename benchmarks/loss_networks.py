"""Quality@100 with two loss networks on the same photo and painting: the docs row and a side-by-side image.

Each network optimises the photo (the preset's recommended settings, the CPU defaults: 256 px, 100 steps),
then both results are scored by both networks with the fixed protocol of nst.metrics (content relu4_2,
style relu1_1 ... relu5_1, total = content + 300 × style; SSIM to the photo), since each network's own loss
is not comparable with the other's. Writes photo | network A | network B as one PNG and prints the
Markdown rows for docs/benchmarks.md.

    python -m benchmarks.loss_networks \
        --network Caffe=../shared/weights/vgg19-caffe-features.fp16.safetensors \
        --network torchvision=~/.cache/nst-studio/vgg19-dcbb9e9d.features.fp16.safetensors \
        --photo ../shared/photos/tubingen.jpg --preset van-gogh --out docs/loss-networks.png

The torchvision file appears in the user's cache after the first quality run on a machine that could
download `vgg19-dcbb9e9d.pth` (or with that file in $TORCH_HOME/hub/checkpoints): see nst/vgg_weights.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from nst.images import load_image, save_png
from nst.metrics import Scorer
from nst.presets import get_preset, style_image_path
from nst.quality import run_quality
from nst.settings import ENV_VGG_WEIGHTS, QualitySettings

HEADER = (
    "| loss network used | content ↓ (A / B scorer) | style ↓ (A / B) | total ↓ (A / B) | SSIM ↑ | s |\n"
    "|---|---:|---:|---:|---:|---:|"
)


@dataclass(frozen=True)
class Result:
    label: str
    image: Image.Image
    seconds: float
    scores: tuple[dict[str, float], ...]  # by each network's scorer, in the order given


@contextmanager
def network(path: Path) -> Iterator[None]:
    """Make `path` the loss network (NST_VGG_WEIGHTS) for the duration of the block."""
    before = os.environ.get(ENV_VGG_WEIGHTS)
    os.environ[ENV_VGG_WEIGHTS] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_VGG_WEIGHTS, None)
        else:
            os.environ[ENV_VGG_WEIGHTS] = before


def compare(
    networks: list[tuple[str, Path]], photo: Path, preset_id: str, size: int = 256, steps: int = 100
) -> list[Result]:
    """Optimise with each network, then score every result with every network."""
    preset = get_preset(preset_id)
    settings = QualitySettings.for_device("cpu", **{**preset.quality, "size": size, "steps": steps})
    painting = style_image_path(preset)
    picture = load_image(photo, max_side=size)
    made = []
    for label, path in networks:
        with network(path):
            final = list(run_quality(picture, [painting], settings))[-1]
        assert final.image is not None
        made.append((label, final.image, final.elapsed))
    results = []
    scorers = []
    for _, path in networks:
        with network(path):
            scorers.append(Scorer(painting, size))
    for label, image, seconds in made:
        scores = []
        for (_, path), scorer in zip(networks, scorers, strict=True):
            with network(path):
                scores.append(scorer.score(image, picture))
        results.append(Result(label, image, seconds, tuple(scores)))
    return results


def side_by_side(photo: Path, results: list[Result], height: int = 256) -> Image.Image:
    """The photo and each result, the same height, left to right."""
    images = [load_image(photo), *(r.image for r in results)]
    images = [
        im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS) for im in images
    ]
    sheet = Image.new("RGB", (sum(im.width for im in images) + 8 * (len(images) - 1), height), "white")
    x = 0
    for im in images:
        sheet.paste(im, (x, 0))
        x += im.width + 8
    return sheet


def rows(results: list[Result]) -> str:
    """Markdown rows: each result scored by network A / network B."""
    lines = [HEADER]
    for r in results:

        def both(key: str, digits: int, scores: tuple[dict[str, float], ...] = r.scores) -> str:
            return " / ".join(f"{s[key]:.{digits}f}" for s in scores)

        lines.append(
            f"| {r.label} | {both('content', 3)} | {both('style', 4)} | {both('total', 2)} "
            f"| {r.scores[0]['ssim']:.3f} | {r.seconds:.1f} |"
        )
    return "\n".join(lines)


def _network(text: str) -> tuple[str, Path]:
    label, _, path = text.partition("=")
    if not path:
        raise argparse.ArgumentTypeError("give LABEL=PATH")
    return label, Path(path).expanduser()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", type=_network, action="append", required=True, help="LABEL=FILE, twice")
    parser.add_argument("--photo", type=Path, required=True)
    parser.add_argument("--preset", default="van-gogh")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("docs/loss-networks.png"))
    args = parser.parse_args(argv)
    if len(args.network) != 2:
        parser.error("give exactly two --network LABEL=FILE")
    missing = [str(path) for _, path in args.network if not path.is_file()]
    if missing:
        print(f"error: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = compare(args.network, args.photo, args.preset, args.size, args.steps)
    save_png(side_by_side(args.photo, results), args.out)
    print(rows(results))
    print(f"\n![photo | {' | '.join(r.label for r in results)}]({args.out.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
