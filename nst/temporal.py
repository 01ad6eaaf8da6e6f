"""Frame-to-frame consistency for video: smoothed instance-norm statistics, a blend along the optical flow,
scene cuts, and measures of flicker.

A fast network normalises every frame by its own instance-norm statistics, so a small change in the picture
(a hand entering the frame, a brightness flicker) shifts the colours of the whole output: the video "pumps".
`FrameStylizer` blends each frame's statistics into a running average (one pass per frame, see
TransformerNet.forward_smoothed). Its textures still pop from frame to frame under motion, so the output is
also blended with the previous output carried along the optical flow (nst.flow). Both start afresh at a scene
cut, where the past no longer fits.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from nst.color import transfer_luminance
from nst.fast import _autocast, blend_strength
from nst.flow import FlowWarper, blend_along_flow, grey_thumbnail
from nst.settings import DEFAULT_VIDEO, VideoSettings
from nst.transformer import NormStats, TransformerNet

HISTOGRAM_SIDE = 64  # frames are compared on a thumbnail this size
HISTOGRAM_BINS = 64  # per colour channel


def colour_cdfs(frame: Tensor) -> Tensor:
    """(3, HISTOGRAM_BINS) cumulative histograms of each channel of a thumbnail of (1,3,H,W) `frame` in
    [0,1]."""
    small = F.interpolate(frame.float(), size=(HISTOGRAM_SIDE, HISTOGRAM_SIDE), mode="area")[0].clamp(0, 1)
    counts = torch.stack([torch.histc(channel, bins=HISTOGRAM_BINS, min=0.0, max=1.0) for channel in small])
    return (counts / counts.sum(dim=1, keepdim=True)).cumsum(dim=1)


def scene_distance(cdfs: Tensor, last: Tensor) -> float:
    """Earth mover's distance between two frames' colour histograms (see colour_cdfs), per channel, averaged,
    in units of the full range: camera motion and an 8 % lighting flicker move them by up to ~0.06, two
    different photos by 0.08 to 0.15."""
    return float((cdfs - last.to(cdfs.device)).abs().mean())


@dataclass
class SmoothingState:
    """What a stream remembers between frames: the running statistics (on the CPU, so the state can cross
    process boundaries like a ZeroGPU worker's), the last frame's colour histograms and its shape."""

    stats: NormStats | None = None
    cdfs: Tensor | None = None
    shape: tuple[int, ...] | None = None
    scene_cuts: int = 0  # how many cuts restarted the average so far
    grey: np.ndarray | None = None  # the last frame, small and grey, for the optical flow
    output: Tensor | None = None  # the last output (uint8, CPU), for the flow blend


class FrameStylizer:
    """Stylises consecutive frames of one stream with a network, smoothing its statistics across them.

    Keep one per stream (video file), or keep its `state` (webcam session). Frames must share a size; a new
    size or a scene cut (a missed cut only means the average adapts over a few frames) starts afresh.
    """

    def __init__(
        self,
        net: TransformerNet,
        settings: VideoSettings = DEFAULT_VIDEO,
        state: SmoothingState | None = None,
    ) -> None:
        self.net = net
        self.settings = settings
        self.state = state or SmoothingState()
        self._warper = FlowWarper()

    @property
    def scene_cuts(self) -> int:
        return self.state.scene_cuts

    def _continues(self, frame: Tensor) -> bool:
        """Whether `frame` continues the last one's shot: same size, no scene cut (which is counted)."""
        state = self.state
        cdfs = colour_cdfs(frame)
        cut = state.cdfs is not None and scene_distance(cdfs, state.cdfs) >= self.settings.scene_cut
        state.cdfs = cdfs.cpu()
        if state.shape != tuple(frame.shape):
            return False
        state.scene_cuts += cut
        return not cut

    def _along_flow(self, output: Tensor, frame: Tensor, continues: bool) -> Tensor:
        """Blend `output` with the previous output carried along the motion (see nst.flow); remember it."""
        state, share = self.state, self.settings.flow_blend
        grey = grey_thumbnail(frame)
        if continues and share > 0 and state.grey is not None and state.output is not None:
            size = (frame.shape[-2], frame.shape[-1])
            motion = self._warper.motion(grey, state.grey, size, frame.device)
            previous = state.output.to(frame.device).float().div_(255)
            output = blend_along_flow(output, previous, motion, share)
        state.grey = grey
        state.output = output.mul(255).round_().clamp_(0, 255).to(torch.uint8).cpu()
        return output

    @torch.inference_mode()
    def __call__(self, frame: Tensor) -> Tensor:
        """The stylised (1,3,H,W) float32 frame in [0,1] of (1,3,H,W) `frame` in [0,1] (net's device)."""
        settings, state = self.settings, self.state
        x = frame.contiguous(memory_format=torch.channels_last)
        continues = settings.smoothing and self._continues(frame)
        with _autocast(frame.device):
            if settings.smoothing:
                previous = None
                if continues and state.stats is not None:
                    previous = [(mean.to(frame.device), var.to(frame.device)) for mean, var in state.stats]
                keep = settings.smoothing_keep if previous is not None else 0.0
                output, stats = self.net.forward_smoothed(x, previous, keep)
                state.stats = [(mean.cpu(), var.cpu()) for mean, var in stats]
            else:
                output = self.net(x)
        state.shape = tuple(frame.shape)
        output = output.float()
        if settings.preserve_color:
            output = transfer_luminance(output, frame)
        if settings.strength < 1.0:
            output = blend_strength(frame, output, settings.strength, settings.blend)
        if settings.smoothing:
            output = self._along_flow(output, frame, continues)
        return output


# --- measures of flicker -----------------------------------------------------------------------------------


def _mean_step(frames: Sequence[np.ndarray]) -> float:
    """Mean absolute difference of consecutive uint8 frames, in grey levels."""
    steps = [np.abs(b.astype(np.int16) - a.astype(np.int16)).mean() for a, b in itertools.pairwise(frames)]
    return float(np.mean(steps)) if steps else 0.0


def flicker_ratio(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """How much more the output changes from frame to frame than the input: mean |out[t+1] - out[t]| over mean
    |in[t+1] - in[t]| (uint8 HxWx3 frames of one size). 1 = as steady as the input."""
    return _mean_step(outputs) / max(_mean_step(inputs), 1e-6)


def warped_error(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Lai et al. 2018's warping error: mean |out[t+1] - warp(out[t])| in [0,1] units over the pixels whose
    optical flow (OpenCV's DIS, from input t+1 to input t) is reliable, i.e. not occluded.

    Flicker that motion does not explain shows up here; plain motion does not."""
    import cv2  # optional: only the benchmarks measure this (opencv-python-headless)

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]  # not in cv2's stubs
    errors = []
    for (a, b), (out_a, out_b) in zip(itertools.pairwise(inputs), itertools.pairwise(outputs), strict=True):
        grey_a, grey_b = (cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) for img in (a, b))
        flow = dis.calc(grey_b, grey_a, None)  # for each pixel of frame t+1: where it was in frame t
        height, width = grey_a.shape
        grid = np.stack(np.meshgrid(np.arange(width), np.arange(height)), axis=-1).astype(np.float32)
        where = grid + flow
        warped_in = cv2.remap(a, where[..., 0], where[..., 1], cv2.INTER_LINEAR)
        warped_out = cv2.remap(out_a, where[..., 0], where[..., 1], cv2.INTER_LINEAR)
        # visible in both frames: the warped input matches, and the flow stays inside the picture
        inside = (where[..., 0] >= 0) & (where[..., 0] <= width - 1) & (where[..., 1] >= 0)
        inside &= where[..., 1] <= height - 1
        valid = inside & (np.abs(warped_in.astype(np.int16) - b.astype(np.int16)).max(axis=-1) < 20)
        if valid.any():
            diff = np.abs(warped_out.astype(np.float32) - out_b.astype(np.float32)).mean(axis=-1)
            errors.append(float(diff[valid].mean()) / 255.0)
    return float(np.mean(errors)) if errors else 0.0
