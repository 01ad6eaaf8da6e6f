"""Run a size-preserving image function over a large image in overlapping tiles with feathered seams.

Memory stays bounded by the tile size. A tile is least reliable near its own border, where it cannot see its
neighbours: there its weight is 0 over the outer quarter of the overlap, then rises with a raised cosine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import product

import torch
from torch import Tensor

TileProgress = Callable[[int, int], None]  # (tiles done, tiles in all): a callback, not training's Progress


def tile_layout(length: int, tile: int, overlap: int, align: int = 1) -> tuple[int, list[int]]:
    """(window size, offsets) of the fewest equal windows of at most `tile` px covering `length`, neighbours
    overlapping by at least `overlap`. Windows are no larger than needed (less work than full-size tiles), and
    with `length` a multiple of `align`, sizes and offsets are too. Needs tile >= 2 * overlap + align."""
    if length <= tile:
        return length, [0]
    if tile < 2 * overlap + align:
        raise ValueError(f"tile ({tile}) must be at least 2 * overlap + align ({2 * overlap + align})")
    count = math.ceil((length - overlap) / (tile - overlap))
    while True:  # the slack of `align` per seam absorbs rounding the offsets down to multiples of align
        size = -(-math.ceil((length + (count - 1) * (overlap + align)) / count) // align) * align
        if size <= tile:
            break
        count += 1
    last = length - size
    return size, [i * last // (count - 1) // align * align for i in range(count - 1)] + [last]


def count_tiles(height: int, width: int, tile: int, overlap: int, align: int = 1) -> int:
    """How many tiles `run_tiled` uses for a height x width image."""
    rows, cols = tile_layout(height, tile, overlap, align)[1], tile_layout(width, tile, overlap, align)[1]
    return len(rows) * len(cols)


def _feather(start: int, size: int, length: int, overlap: int, device: torch.device) -> Tensor:
    """1-D weights of a window. Sides with a neighbour get 0 over the outer quarter of the overlap (the
    least reliable pixels) and a raised-cosine ramp over the rest."""
    weight = torch.ones(size, device=device)
    overlap = min(overlap, size // 2)
    margin = overlap // 4
    if overlap - margin <= 0:
        return weight
    steps = torch.arange(overlap - margin, device=device) + 0.5
    ramp = torch.cat(
        [torch.zeros(margin, device=device), 0.5 - 0.5 * torch.cos(math.pi * steps / (overlap - margin))]
    )
    if start > 0:
        weight[:overlap] = ramp
    if start + size < length:
        weight[-overlap:] = torch.minimum(weight[-overlap:], ramp.flip(0))
    return weight


def run_tiled(
    fn: Callable[[Tensor], Tensor],
    x: Tensor,
    *,
    tile: int,
    overlap: int,
    align: int = 1,
    progress: TileProgress | None = None,
) -> Tensor:
    """fn over (1,C,H,W) `x` in tiles of at most tile x tile (see tile_layout), blended into one float32
    (1,C',H,W) result.

    `fn` must keep the spatial size. Tile sizes and offsets are multiples of `align` when H and W are: pass a
    network's downsampling factor, so every tile sees the same pixel grid as the whole image.
    """
    height, width = x.shape[-2:]
    tile_h, ys = tile_layout(height, tile, overlap, align)
    tile_w, xs = tile_layout(width, tile, overlap, align)
    output: Tensor | None = None
    total = torch.zeros((1, 1, height, width), device=x.device)
    for done, (top, left) in enumerate(product(ys, xs), start=1):
        piece = fn(x[..., top : top + tile_h, left : left + tile_w]).float()
        weight = _feather(top, tile_h, height, overlap, x.device)[:, None] * _feather(
            left, tile_w, width, overlap, x.device
        )
        if output is None:
            output = torch.zeros((1, piece.shape[1], height, width), device=x.device)
        output[..., top : top + tile_h, left : left + tile_w].addcmul_(piece, weight)
        total[..., top : top + tile_h, left : left + tile_w] += weight
        if progress is not None:
            progress(done, len(ys) * len(xs))
    assert output is not None
    return output.div_(total)
