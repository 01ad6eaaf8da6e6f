"""Plumbing for long runs in a served app: Stop flags per session, peak-memory measurement, thinning a
stream of progress updates, and durations in words. Used by nst.service; nothing here is style transfer.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import torch

T = TypeVar("T")


# --- stop signals ---------------------------------------------------------------------------------------


class StopFlag:
    """A Stop request that crosses process boundaries (ZeroGPU runs GPU work in a forked worker): a file
    that exists once set. Duck-types the `threading.Event` that nst.quality.run_quality polls every step."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self) -> None:
        self.path.touch()

    def is_set(self) -> bool:
        return self.path.exists()


class StopRegistry:
    """Stop flags per (session, kind): Stop sets that session's flags only, so no one else's run is touched.

    `arm` is called when a Run button is clicked (before the request queues), so a Stop pressed while the
    run still waits in the queue ends it as soon as it starts; `begin` adopts that flag or makes a new one.
    """

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="nst-stop-"))
        weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._pending: dict[tuple[str, str], StopFlag] = {}
        self._running: dict[tuple[str, str], set[StopFlag]] = {}
        self._lock = threading.Lock()

    def _new(self) -> StopFlag:
        return StopFlag(self._dir / uuid.uuid4().hex)

    def arm(self, session: str, kind: str) -> None:
        """A run of `kind` was requested by `session`: hold a fresh flag for it."""
        with self._lock:
            self._pending[(session, kind)] = self._new()

    def begin(self, session: str, kind: str) -> StopFlag:
        """The flag a starting run polls (the armed one, possibly already set)."""
        with self._lock:
            flag = self._pending.pop((session, kind), None) or self._new()
            self._running.setdefault((session, kind), set()).add(flag)
            return flag

    def end(self, session: str, kind: str, flag: StopFlag) -> None:
        """The run polling `flag` is over: forget it."""
        with self._lock:
            running = self._running.get((session, kind), set())
            running.discard(flag)
            if not running:
                self._running.pop((session, kind), None)
        flag.path.unlink(missing_ok=True)

    def stop(self, session: str, kind: str | None = None) -> int:
        """Set the flags of `session`'s runs of `kind` (all kinds when None); returns how many were set."""

        def mine(key: tuple[str, str]) -> bool:
            return key[0] == session and kind in (None, key[1])

        with self._lock:
            flags = [flag for key, group in self._running.items() if mine(key) for flag in group]
            flags += [flag for key, flag in self._pending.items() if mine(key)]
        for flag in flags:
            flag.set()
        return len(flags)


# --- memory ----------------------------------------------------------------------------------------------


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


# --- progress ---------------------------------------------------------------------------------------------


def thinned(stream: Iterator[T], keep: Callable[[T], object], interval: float) -> Iterator[T]:
    """`stream` with the items `keep` does not insist on passed at most once per `interval` seconds."""
    last = 0.0
    for item in stream:
        now = time.monotonic()
        if keep(item) or now - last >= interval:
            last = now
            yield item


def format_duration(seconds: float) -> str:
    """Seconds in words: 45 s, 1 min 30 s, 12 min."""
    seconds = max(0, round(seconds))
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" if minutes >= 10 or not rest else f"{minutes} min {rest} s"
