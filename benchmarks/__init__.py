"""Benchmark harness: warm-up + repeated timed runs, peak memory, and a table appended to docs/benchmarks.md.

A suite is a module `benchmarks.<name>` with `run(ctx: BenchContext) -> list[Measurement]`.
"""

from __future__ import annotations

import datetime as dt
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch


@dataclass(frozen=True)
class BenchContext:
    """What the command line asked for."""

    device: torch.device
    sizes: tuple[int, ...] | None
    warmup: int
    repeats: int


@dataclass
class Measurement:
    """One benchmark row: repeated wall times (seconds) and the peak memory seen."""

    name: str
    times_s: list[float]
    unit: str = "s"  # "s" per run, or e.g. "s/step" when a run's time was divided by its steps
    peak_mem_bytes: int | None = None
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.times_s)


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(fn: Callable[[], object], device: torch.device) -> float:
    """Wall time of one call, synchronising CUDA so queued kernels are counted."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def measure(
    name: str, fn: Callable[[], object], ctx: BenchContext, *, per: int = 1, unit: str = "s", notes: str = ""
) -> Measurement:
    """Run `fn` ctx.warmup times untimed, then ctx.repeats times timed; each time is divided by `per`."""
    for _ in range(ctx.warmup):
        fn()
    if ctx.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(ctx.device)
    times = [timed(fn, ctx.device) / per for _ in range(ctx.repeats)]
    peak = torch.cuda.max_memory_allocated(ctx.device) if ctx.device.type == "cuda" else peak_rss_bytes()
    return Measurement(name, times, unit=unit, peak_mem_bytes=peak, notes=notes)


def hardware(device: torch.device) -> str:
    """A one-line description of the machine the numbers came from."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {torch.get_num_threads()} threads"


def _fmt_time(value: float, unit: str) -> str:
    if not unit.startswith("s"):  # a plain quantity (a ratio, a score), not a time
        return f"{value:.3g}"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def render_table(suite: str, ctx: BenchContext, rows: list[Measurement]) -> str:
    """Markdown section for one harness run."""
    import nst

    mem_kind = "peak GPU alloc" if ctx.device.type == "cuda" else "peak RSS"
    lines = [
        f"### `{suite}` on {ctx.device.type} — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Hardware: {hardware(ctx.device)}. Versions: nst {nst.__version__}, torch {torch.__version__}, "
        f"Python {sys.version.split()[0]}. {ctx.warmup} warm-up + {ctx.repeats} timed runs per row.",
        "",
        f"| case | median | min | max | per | {mem_kind} | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        mem = f"{row.peak_mem_bytes / 2**20:.0f} MiB" if row.peak_mem_bytes else "—"
        lines.append(
            f"| {row.name} | {_fmt_time(row.median, row.unit)} | {_fmt_time(min(row.times_s), row.unit)} | "
            f"{_fmt_time(max(row.times_s), row.unit)} | {row.unit} | {mem} | {row.notes} |"
        )
    return "\n".join(lines) + "\n"


def append_table(path: Path, text: str) -> None:
    """Append a section to the benchmarks file, creating it with a title if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("# Benchmarks\n\nAppended by `python -m benchmarks SUITE`; newest sections last.\n")
    with path.open("a") as fh:
        fh.write("\n" + text)
