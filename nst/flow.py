"""Optical flow between consecutive frames (OpenCV's DIS, on small grey copies) and warping along it.

Used to carry the previous stylised frame along the motion, so each new frame is blended with where its
pixels were painted a moment ago: textures stop "swimming" and popping from frame to frame (the warping
error of Lai et al. 2018 halves on a camera pan). Pixels the flow cannot explain (occlusions, new content)
are recognised by how badly the warped previous *input* matches the new one, and keep their own paint.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

FLOW_SIDE = 320  # the flow is computed on grey copies of at most this longest side (~2 ms a frame)
OCCLUSION_SCALE = 10 / 255  # a warped-input mismatch of this much (in [0,1]) weakens the blend by 1/e


def grey_thumbnail(frame: Tensor, side: int = FLOW_SIDE) -> np.ndarray:
    """uint8 luma (h, w) of (1,3,H,W) `frame` in [0,1], shrunk so its longest side is at most `side`."""
    height, width = frame.shape[-2:]
    scale = min(1.0, side / max(height, width))
    if scale < 1.0:
        frame = F.interpolate(
            frame, size=(max(8, round(height * scale)), max(8, round(width * scale))), mode="area"
        )
    weights = torch.tensor([0.299, 0.587, 0.114], device=frame.device).view(1, 3, 1, 1)
    luma = (frame.float() * weights).sum(dim=1)[0]
    return luma.mul(255).round().clamp(0, 255).to(torch.uint8).cpu().numpy()


class FlowWarper:
    """Backward flow from the current frame to the previous one, as a sampling grid for `warp`."""

    def __init__(self) -> None:
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)

    def grid(
        self, grey: np.ndarray, previous_grey: np.ndarray, size: tuple[int, int], device: torch.device
    ) -> Tensor:
        """(1,H,W,2) grid in [-1,1]: where each pixel of the current (H,W) frame was in the previous one."""
        flow = self._dis.calc(grey, previous_grey, None)  # (h, w, 2) pixel offsets at the thumbnail's size
        height, width = size
        field = torch.from_numpy(flow).to(device).permute(2, 0, 1)[None]
        field = F.interpolate(field, size=size, mode="bilinear", align_corners=False)
        xs = torch.arange(width, device=device, dtype=torch.float32).view(1, 1, width)
        ys = torch.arange(height, device=device, dtype=torch.float32).view(1, height, 1)
        x = xs + field[:, 0] * (width / grey.shape[1])
        y = ys + field[:, 1] * (height / grey.shape[0])
        return torch.stack((2 * x / max(width - 1, 1) - 1, 2 * y / max(height - 1, 1) - 1), dim=-1)


def warp(image: Tensor, grid: Tensor) -> Tensor:
    """`image` (1,C,H,W) resampled at `grid` (bilinear, borders repeated)."""
    return F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="border", align_corners=True)


def blend_along_flow(
    output: Tensor, frame: Tensor, previous_output: Tensor, previous_frame: Tensor, grid: Tensor, share: float
) -> Tensor:
    """`output` moved toward the previous output warped along the flow, by `share` where the warp explains
    the new frame, less where it does not (occlusions, cuts)."""
    mismatch = (warp(previous_frame, grid) - frame.float()).abs().mean(dim=1, keepdim=True)
    weight = share * torch.exp(-mismatch / OCCLUSION_SCALE)
    return torch.lerp(output, warp(previous_output, grid), weight)
