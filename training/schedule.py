"""What the long CPU runs share: a learning rate that survives restarts, and stopping cleanly on a signal.

Both the multi-style run and the distillation runs are interrupted (sessions end, machines change) and
continue from committed state with fresh optimiser moments, so each restart warms the learning rate up again
while the cosine keeps its place in the whole schedule.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Callable


def cosine_lr(peak: float, step: int, steps: int, start: int, warmup: int, floor: float) -> float:
    """The learning rate at `step` of `steps`: cosine decay from `peak` to `floor` × peak, times a linear
    warm-up over `warmup` steps after this (re)start at step `start`."""
    progress = min(1.0, step / steps)
    lr = peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
    since = step - start
    return lr * min(1.0, (since + 1) / warmup) if warmup else lr


def stop_on_signal() -> Callable[[], bool]:
    """SIGTERM/SIGINT end the run after the current step, with its state written (pausing work keeps it)."""
    received: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: received.append(number))
    return lambda: bool(received)
