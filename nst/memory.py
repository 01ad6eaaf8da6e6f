"""Peak memory of a block of work, for the comparison table and the benchmarks: the CUDA allocator's peak on
a GPU, the C heap's growth on a CPU (glibc's mallinfo2, else the resident set)."""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from pathlib import Path

import torch


class _MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2`."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in [
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        ]
    ]


def _find_mallinfo2() -> Callable[[], _MallInfo2] | None:
    """glibc's mallinfo2 (2.33+), or None on other C libraries."""
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    return mallinfo2


_MALLINFO2 = _find_mallinfo2()


def _heap_bytes() -> int | None:
    """Memory this process has allocated and not freed (glibc), else its resident set (Linux), else None.

    Unlike the resident set, the heap count falls when memory is freed, so a second run shows its own peak."""
    if _MALLINFO2 is not None:
        info = _MALLINFO2()
        return info.uordblks + info.hblkhd
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Peak memory of a block of work: the CUDA allocator's peak on a GPU; on a CPU, the heap's growth over
    the block's start, sampled every 10 ms (other requests running at the same time count too)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak_bytes: int | None = None
        self._done = threading.Event()
        self._sampler: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            return self
        base = _heap_bytes()
        if base is not None:
            self._sampler = threading.Thread(target=self._sample, args=(base,), daemon=True)
            self._sampler.start()
        return self

    def _sample(self, base: int) -> None:
        peak = base
        while True:
            peak = max(peak, _heap_bytes() or peak)
            self.peak_bytes = peak - base
            if self._done.wait(0.01):
                return

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            self.peak_bytes = torch.cuda.max_memory_allocated(self.device)
        elif self._sampler is not None:
            self._done.set()
            self._sampler.join()
