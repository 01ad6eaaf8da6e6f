"""Render the example photos that ship with the app (examples/*.jpg): procedural scenes, free to redistribute.

No photograph goes in: each scene is drawn from seeded noise, gradients and shapes (sky, sun or moon, hills,
buildings, water with reflections), so the files are ours to give away (CC0, see examples/README.md) and the
same script and versions make the same pixels. Each is at most 768 px and 150 kB.

    python -m training.make_examples            # rewrites examples/*.jpg
    python -m training.make_examples --out DIR
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from nst.settings import EXAMPLES_DIR

W, H = 768, 512
JPEG_QUALITY = 88
MAX_BYTES = 150_000
Array = np.ndarray


# --- building blocks (float RGB arrays in [0, 1], shape H x W x 3) ----------------------------------------


def noise(rng: np.random.Generator, h: int, w: int, base: int = 4, octaves: int = 5) -> Array:
    """Fractal value noise in [0, 1]: random grids upsampled smoothly, each octave finer and fainter."""
    total, weight = np.zeros((h, w)), 0.0
    for octave in range(octaves):
        cells = base * 2**octave
        grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
        layer = Image.fromarray(grid, mode="F").resize((w, h), Image.Resampling.BICUBIC)
        total += np.asarray(layer) * 0.5**octave
        weight += 0.5**octave
    return np.clip(total / weight, 0, 1)


def ridge(rng: np.random.Generator, y: float, amplitude: float, base: int = 3, octaves: int = 6) -> Array:
    """A fractal skyline (one height in pixels per column) around row `y`."""
    line = noise(rng, 1, W, base, octaves)[0]
    return y + (line - line.mean()) * 2 * amplitude


def gradient(stops: list[tuple[float, tuple[int, int, int]]], h: int = H) -> Array:
    """A vertical gradient through (position 0..1, colour) stops."""
    rows = np.linspace(0, 1, h)
    positions = [p for p, _ in stops]
    channels = [np.interp(rows, positions, [c[i] / 255 for _, c in stops]) for i in range(3)]
    return np.broadcast_to(np.stack(channels, -1)[:, None, :], (h, W, 3)).copy()


def paint(image: Array, mask: Array, colour: Array | tuple[float, ...], soften: float = 1.0) -> None:
    """Blend `colour` (RGB 0..1, or an image) into `image` where `mask` (0..1) says, edges softened."""
    if soften > 0:
        blurred = Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(soften))
        mask = np.asarray(blurred) / 255
    image[:] = image * (1 - mask[..., None]) + np.asarray(colour) * mask[..., None]


def below(line: Array) -> Array:
    """Mask of the pixels under a skyline."""
    return (np.arange(H)[:, None] >= line[None, :]).astype(float)


def disc(cx: float, cy: float, radius: float, glow: float = 0.0) -> Array:
    """A filled circle (1 inside), with an optional soft halo of width `glow` times the radius."""
    yy, xx = np.mgrid[0:H, 0:W]
    distance = np.hypot(xx - cx, yy - cy) / radius
    inside = (distance <= 1).astype(float)
    return inside if glow <= 0 else np.maximum(inside, np.clip(1 - (distance - 1) / glow, 0, 1) ** 3 * 0.6)


def triangle(cx: float, base: float, half_width: float, height: float) -> Array:
    """An upright triangle (a roof, a fir tree) standing on row `base`."""
    yy, xx = np.mgrid[0:H, 0:W]
    rise = (base - yy) / height  # 0 at the base, 1 at the tip
    return ((rise >= 0) & (rise <= 1) & (np.abs(xx - cx) <= half_width * (1 - rise))).astype(float)


def rect(x0: float, y0: float, x1: float, y1: float) -> Array:
    mask = np.zeros((H, W))
    mask[int(y0) : int(y1), int(x0) : int(x1)] = 1
    return mask


def reflect(image: Array, horizon: int, rng: np.random.Generator, tint: tuple[int, int, int]) -> None:
    """Water below `horizon`: the scene above mirrored, rippled, darkened and tinted."""
    rows = np.arange(horizon, H)
    ripple = noise(rng, H - horizon, W, base=2, octaves=4) - 0.5
    depth = (rows - horizon)[:, None] / (H - horizon)
    source = np.clip(2 * horizon - rows[:, None] - 2 + ripple * (6 + 30 * depth), 0, horizon - 1).astype(int)
    columns = np.clip(np.arange(W)[None, :] + (ripple * 10).astype(int), 0, W - 1)
    mirrored = image[source, columns]
    water = np.asarray(tint) / 255
    shade = 0.55 + 0.2 * (1 - depth)
    image[horizon:] = mirrored * shade[..., None] * 0.8 + water * 0.2 + (ripple[..., None] * 0.06)


def texture(image: Array, rng: np.random.Generator, amount: float = 0.04) -> None:
    """Fine grain, as every camera adds: flat areas are not perfectly flat."""
    image += (rng.random((H, W, 1)) - 0.5) * amount


# --- the scenes -------------------------------------------------------------------------------------------


def lake_sunset(rng: np.random.Generator) -> Array:
    image = gradient(
        [(0, (52, 40, 110)), (0.35, (214, 96, 88)), (0.55, (252, 186, 96)), (1, (252, 210, 140))]
    )
    paint(image, disc(470, 175, 34, glow=2.5), (1.0, 0.93, 0.7), soften=0)
    for y, amplitude, colour in [(190, 90, (118, 78, 120)), (250, 50, (72, 48, 88)), (295, 18, (36, 28, 52))]:
        paint(image, below(ridge(rng, y, amplitude, base=4)), np.asarray(colour) / 255)
    for x in (40, 75, 100, 640, 680, 700, 735):  # firs on the near shore
        height = rng.uniform(50, 90)
        paint(image, triangle(x, 318, height * 0.22, height), (0.1, 0.09, 0.14), soften=0.5)
    reflect(image, 318, rng, (40, 40, 90))
    texture(image, rng)
    return image


def city_dusk(rng: np.random.Generator) -> Array:
    image = gradient(
        [(0, (18, 30, 80)), (0.45, (70, 80, 150)), (0.62, (240, 150, 110)), (1, (250, 190, 130))]
    )
    paint(image, disc(140, 90, 18, glow=1.5), (0.97, 0.96, 0.88), soften=0)
    x = 0.0
    while x < W:
        width, top = rng.uniform(30, 80), rng.uniform(130, 300)
        shade = rng.uniform(0.08, 0.22)
        paint(image, rect(x, top, x + width, 330), (shade, shade * 1.05, shade * 1.3), soften=0.5)
        for wy in np.arange(top + 8, 320, 14):
            for wx in np.arange(x + 5, x + width - 8, 11):
                if rng.random() < 0.35:
                    paint(image, rect(wx, wy, wx + 5, wy + 7), (1.0, 0.82, 0.45), soften=0)
        x += width + rng.uniform(0, 8)
    reflect(image, 330, rng, (20, 30, 70))
    texture(image, rng)
    return image


def countryside(rng: np.random.Generator) -> Array:
    image = gradient([(0, (70, 130, 210)), (0.5, (150, 195, 240)), (1, (190, 220, 245))])
    clouds = np.clip((noise(rng, H, W, base=3, octaves=6) - 0.48) * 4, 0, 1)
    paint(image, clouds * np.linspace(1, 0.3, H)[:, None], (1.0, 1.0, 1.0), soften=0)
    for y, amplitude, colour in [
        (250, 35, (110, 150, 80)),
        (310, 30, (80, 130, 50)),
        (380, 25, (60, 110, 40)),
    ]:
        grass = noise(rng, H, W, base=16, octaves=3)[..., None] * 0.25 + 0.85
        paint(image, below(ridge(rng, y, amplitude)), np.asarray(colour) / 255 * grass)
    paint(image, rect(430, 300, 520, 360), (0.92, 0.88, 0.78), soften=0.5)  # a house
    paint(image, triangle(475, 302, 58, 40), (0.66, 0.2, 0.15), soften=0.5)
    paint(image, rect(462, 325, 488, 360), (0.35, 0.22, 0.15), soften=0)
    for tx, ty, r in [(250, 330, 34), (300, 345, 26), (600, 350, 30), (650, 340, 38)]:
        paint(image, rect(tx - 4, ty, tx + 4, ty + r * 1.6), (0.3, 0.2, 0.12), soften=0)
        leaves = noise(rng, H, W, base=24, octaves=2)[..., None] * 0.3 + 0.7
        paint(image, disc(tx, ty, r), np.array([0.18, 0.4, 0.16]) * leaves)
    texture(image, rng)
    return image


def seaside(rng: np.random.Generator) -> Array:
    image = gradient([(0, (40, 110, 190)), (0.55, (160, 205, 235)), (1, (160, 205, 235))])
    clouds = np.clip((noise(rng, H, W, base=2, octaves=6) - 0.5) * 3, 0, 1) * np.linspace(1, 0, H)[:, None]
    paint(image, clouds, (0.98, 0.98, 1.0), soften=0)
    paint(image, disc(160, 110, 30, glow=2.0), (1.0, 0.97, 0.8), soften=0)
    sea = gradient([(0, (30, 90, 140)), (1, (40, 130, 160))])
    waves = noise(rng, H, W, base=6, octaves=4)[..., None]
    paint(image, rect(0, 280, W, H), sea * (0.8 + 0.4 * waves), soften=0)
    shore = ridge(rng, 420, 25)
    paint(image, below(shore), np.array([0.88, 0.8, 0.62]) * (0.9 + 0.2 * waves))
    paint(image, below(shore - 6) * (1 - below(shore + 4)), (0.97, 0.98, 1.0), soften=1.5)  # surf
    rock = disc(640, 560, 262) * below(ridge(rng, 300, 14, base=8))  # a headland
    paint(
        image,
        rock,
        np.array([0.34, 0.31, 0.28]) * (0.7 + 0.5 * noise(rng, H, W, base=12, octaves=3))[..., None],
    )
    for band in range(6):  # a lighthouse on the rocks
        y0 = 150 + band * 25
        paint(image, rect(590 - band, y0, 622 + band, y0 + 25), (0.85, 0.1, 0.1) if band % 2 else (0.96,) * 3)
    paint(image, rect(583, 128, 629, 150), (0.25, 0.25, 0.28), soften=0.5)
    paint(image, triangle(606, 129, 26, 22), (0.7, 0.1, 0.1), soften=0.5)
    texture(image, rng)
    return image


def night_village(rng: np.random.Generator) -> Array:
    image = gradient([(0, (8, 14, 48)), (0.6, (30, 50, 110)), (1, (40, 60, 110))])
    stars = (rng.random((H, W)) > 0.9985) * np.linspace(1, 0, H)[:, None]
    paint(image, stars, (1.0, 1.0, 0.9), soften=0.6)
    paint(image, disc(600, 100, 36, glow=2.0), (1.0, 0.95, 0.7), soften=0)
    paint(image, below(ridge(rng, 290, 50)), (0.1, 0.14, 0.24))
    paint(image, below(ridge(rng, 360, 20)), (0.06, 0.1, 0.12))
    for hx in (120, 200, 300, 380, 470):
        top = 340 + rng.uniform(-10, 10)
        paint(image, rect(hx, top, hx + 60, top + 60), (0.16, 0.14, 0.16), soften=0.5)
        paint(image, triangle(hx + 30, top + 1, 38, 28), (0.22, 0.12, 0.12), soften=0.5)
        paint(image, rect(hx + 12, top + 18, hx + 24, top + 32), (1.0, 0.78, 0.35), soften=0)
        paint(image, rect(hx + 36, top + 18, hx + 48, top + 32), (1.0, 0.78, 0.35), soften=0)
    paint(image, rect(545, 270, 575, 420), (0.14, 0.12, 0.15), soften=0.5)  # a church with its spire
    paint(image, triangle(560, 271, 17, 80), (0.14, 0.12, 0.15), soften=0.5)
    paint(image, rect(553, 300, 567, 318), (1.0, 0.78, 0.35), soften=0)
    paint(image, triangle(40, 480, 34, 330) * disc(40, 320, 200), (0.04, 0.08, 0.06), soften=1.0)  # a cypress
    texture(image, rng, 0.03)
    return image


SCENES: dict[str, Callable[[np.random.Generator], Array]] = {
    "lake-sunset": lake_sunset,
    "city-dusk": city_dusk,
    "countryside": countryside,
    "seaside": seaside,
    "night-village": night_village,
}


def render(name: str, seed: int = 0) -> Image.Image:
    """One scene as an 8-bit RGB picture (768×512)."""
    rng = np.random.default_rng([seed, *name.encode()])
    pixels = np.clip(SCENES[name](rng), 0, 1)
    return Image.fromarray((pixels * 255).round().astype(np.uint8), "RGB")


def write_all(out: Path) -> list[Path]:
    """Render every scene into `out` as JPEG; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SCENES:
        path = out / f"{name}.jpg"
        render(name).save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        if path.stat().st_size > MAX_BYTES:
            raise SystemExit(f"{path} is {path.stat().st_size} bytes (limit {MAX_BYTES})")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=EXAMPLES_DIR)
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(f"{path}: {path.stat().st_size / 1000:.0f} kB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
