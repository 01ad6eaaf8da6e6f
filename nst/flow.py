"""Optical flow between consecutive frames (OpenCV's DIS, on small grey copies) and warping along it.

Used to carry the previous stylised frame along the motion, so each new frame is blended with where its
pixels were painted a moment ago: textures stop "swimming" and popping from frame to frame (the warping
error of Lai et al. 2018 halves on a camera pan). Pixels the flow cannot explain (occlusions, new content)
are recognised by how badly the warped previous frame matches the new one, and keep their own paint.

Everything but the final warp and blend works on the small grey copies: the occlusion test at full size
cost as much as the rest of the smoothing together (two full-size warps), and a 320 px map of where the
motion is trustworthy is as good a guide for the blend.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

FLOW_SIDE = 320  # the flow is computed on grey copies of at most this longest side (~2 ms a frame)
OCCLUSION_SCALE = 10 / 255  # a warped-frame mismatch of this much (grey, in [0,1]) weakens the blend by 1/e


def grey_thumbnail(frame: Tensor, side: int = FLOW_SIDE) -> np.ndarray:
    """uint8 luma (h, w) of (1,3,H,W) `frame` in [0,1], shrunk so its longest side is at most `side`."""
    height, width = frame.shape[-2:]
    weights = torch.tensor([0.299, 0.587, 0.114], device=frame.device).view(1, 3, 1, 1)
    luma = (frame.float() * weights).sum(dim=1, keepdim=True)  # grey first: one channel to shrink, not three
    scale = min(1.0, side / max(height, width))
    if scale < 1.0:
        luma = F.interpolate(
            luma, size=(max(8, round(height * scale)), max(8, round(width * scale))), mode="area"
        )
    return luma[0, 0].mul(255).round().clamp(0, 255).to(torch.uint8).cpu().numpy()


@dataclass(frozen=True)
class Motion:
    """How the current frame came from the previous one, at the frame's full size."""

    grid: Tensor  # (1,H,W,2) in [-1,1]: where each pixel of the current frame was in the previous one
    steady: Tensor  # (1,1,H,W) in (0,1]: how well that explains the pixel (1 = exactly, ~0 = occluded/new)


class FlowWarper:
    """Backward flow from the current frame to the previous one, with a map of where it can be trusted."""

    def __init__(self) -> None:
        self._dis = cv2.DISOpticalFlow_create(  # type: ignore[attr-defined]  # not in cv2's stubs
            cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST
        )

    def motion(
        self, grey: np.ndarray, previous_grey: np.ndarray, size: tuple[int, int], device: torch.device
    ) -> Motion:
        """The motion from `previous_grey` to `grey` (grey_thumbnails) for a frame of `size` (H, W)."""
        flow = self._dis.calc(grey, previous_grey, None)  # (h, w, 2) pixel offsets at the thumbnail's size
        small_h, small_w = grey.shape
        xs, ys = np.meshgrid(np.arange(small_w, dtype=np.float32), np.arange(small_h, dtype=np.float32))
        warped = cv2.remap(
            previous_grey, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
        mismatch = cv2.absdiff(warped, grey).astype(np.float32) / 255.0
        steady = np.exp(-mismatch / OCCLUSION_SCALE)
        fields = torch.from_numpy(np.dstack((flow, steady))).to(device).permute(2, 0, 1)[None]
        fields = F.interpolate(fields, size=size, mode="bilinear", align_corners=False)  # one resize for all
        height, width = size
        x = torch.arange(width, device=device, dtype=torch.float32).view(1, 1, width)
        y = torch.arange(height, device=device, dtype=torch.float32).view(1, height, 1)
        x = x + fields[:, 0] * (width / small_w)
        y = y + fields[:, 1] * (height / small_h)
        grid = torch.stack((2 * x / max(width - 1, 1) - 1, 2 * y / max(height - 1, 1) - 1), dim=-1)
        return Motion(grid, fields[:, 2:3])


def warp(image: Tensor, grid: Tensor) -> Tensor:
    """`image` (1,C,H,W) resampled at `grid` (bilinear, borders repeated)."""
    return F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="border", align_corners=True)


def blend_along_flow(output: Tensor, previous_output: Tensor, motion: Motion, share: float) -> Tensor:
    """`output` moved toward the previous output warped along the motion: by `share` where the motion
    explains the new frame, less where it does not (occlusions, new content)."""
    if share <= 0:
        return output
    return torch.lerp(output, warp(previous_output, motion.grid), motion.steady * share)
