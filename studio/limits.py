"""Serving limits of the web app, per hardware ("cpu" or "cuda"): what a visitor may ask for, how many runs
share the machine and how, and how often progress is sent. A client cannot raise any of these; the ranges of
each option as such are declared once in nst.settings (this narrows sizes and lengths to the hardware)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from nst.settings import DEFAULT_LIMITS, VideoLimits
from studio.turns import RunPolicy

T = TypeVar("T")

# --- queues -------------------------------------------------------------------------------------------
RUN_POLICY = RunPolicy()  # deadlines, the duration model's band, the waiting line of long runs
GPU_QUEUE = "gpu"  # concurrency id of quality, compare and video events; the engine's Gate runs one at a time
# Gradio workers for quality/compare events: the running one, those waiting in the Gate, and as many again
# to refuse extra requests at once (so they never sit in Gradio's queue, which fast requests share).
GPU_WORKERS = 2 * (RUN_POLICY.waiting + 1)
FAST_QUEUE = "fast"
FAST_CONCURRENCY = {"cpu": 1, "cuda": 4}  # simultaneous fast requests (CPU: one uses every core)
FAST_MAX_S = 60  # a generous bound on one fast request (1024 px on a busy CPU takes a few seconds)
QUEUE_SIZE = 32  # requests waiting beyond this are refused at once ("queue full") instead of timing out
LIVE_QUEUE = "live"
LIVE_CONCURRENCY = {"cpu": 1, "cuda": 2}  # live frames served at once (one uses every CPU core)

# --- uploads --------------------------------------------------------------------------------------------
# An upload must outlive the longest wait of the request that names it: a full fast queue, or a long run's
# wait for its turn (long runs decode their photo before they wait, so this is a second line of defence).
LONGEST_WAIT_S = int(QUEUE_SIZE * FAST_MAX_S + RUN_POLICY.longest_wait_s())
UPLOAD_LIFETIME_S = LONGEST_WAIT_S + 600
DELETE_CACHE = (600, UPLOAD_LIFETIME_S)  # every 10 min, delete Gradio's files older than that
MAX_UPLOAD_BYTES = DEFAULT_LIMITS.max_bytes

# --- sizes and lengths ------------------------------------------------------------------------------------
FAST_SIZES = {"cpu": (256, 512, 1024), "cuda": (512, 1024, 2048)}  # output size choices (longest side)
FAST_DEFAULT_SIZE = {"cpu": 512, "cuda": 1024}
QUALITY_MAX_SIZE = {"cpu": 512, "cuda": 1024}
QUALITY_MAX_STEPS = {"cpu": 300, "cuda": 1000}
QUALITY_MIN_STEPS_SLIDER = 10  # the Steps slider starts here (a client may ask for fewer)
MIN_SIDE = 64  # smallest output size offered
THUMBNAIL_SIDE = 320
OOM_SHRINK = 0.7  # after a CUDA out-of-memory error, retry with the longest side times this
MIN_OOM_SIDE = 128
VIDEO_LIMITS = {
    "cpu": VideoLimits(max_bytes=100 * 2**20, max_seconds=30.0, max_pixels=1920 * 1088, max_fps=60.0),
    "cuda": VideoLimits(max_bytes=200 * 2**20, max_seconds=120.0, max_pixels=1920 * 1088, max_fps=60.0),
}
VIDEO_SIDES = {"cpu": (360, 480, 720), "cuda": (480, 720, 1080)}  # output size choices (longest side)
VIDEO_DEFAULT_SIDE = {"cpu": 480, "cuda": 720}
OUTPUT_MAX_AGE_S = 900  # finished videos are deleted this long after they were made
GPU_FRAMES_PER_S = 60  # a conservative video speed on a GPU (decode + stylise + encode at 1080p)
# Webcam frames are stylised at most this large (longest side); the page shows them at 640×480. At 640 px the
# CPU-fast network alone takes ~90 ms a frame on 2 cores, too slow for 10 frames/s; 416 px rather than 480
# leaves the browser and Gradio's round trip enough of two shared cores for 10 (docs/benchmarks.md).
LIVE_SIDE = {"cpu": 416, "cuda": 640}
LIVE_SECONDS = {"cpu": 60, "cuda": 120}  # one live view's turn
LIVE_IDLE_S = 3.0  # a live view that sent no frame for this long has ended
# The browser captures, encodes and sends a camera frame this often; the server paints the newest one when it
# is free and the others are dropped. On a CPU, faster than the server paints only costs the browser and
# the event loop work that the painting needs (docs/benchmarks.md, ninth session).
LIVE_EVERY_S = {"cpu": 0.08, "cuda": 0.05}

# --- progress ---------------------------------------------------------------------------------------------
PREVIEWS_PER_RUN = 20  # previews streamed per quality run
STATUS_INTERVAL_S = 0.25  # step/ETA/loss updates between previews are sent at most this often
VIDEO_PROGRESS_S = 0.25  # progress updates of a video run are sent at most this often


def thinned(stream: Iterator[T], keep: Callable[[T], object], interval: float) -> Iterator[T]:
    """`stream` with the items `keep` does not insist on passed at most once per `interval` seconds."""
    last = 0.0
    for item in stream:
        now = time.monotonic()
        if keep(item) or now - last >= interval:
            last = now
            yield item
