"""Choosing the torch device and the speed switches that leave results unchanged by eye."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import torch

from nst.errors import NSTError


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """Resolve "auto" to CUDA when present, else CPU; pass anything else through torch.device."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def checked_device(device: str | torch.device = "auto") -> torch.device:
    """pick_device, with a clear NSTError for unknown names or an absent GPU (a person typed it)."""
    try:
        target = pick_device(device)
    except RuntimeError as exc:
        raise NSTError(f"Unknown device '{device}': use auto, cpu or cuda.") from exc
    if target.type == "cuda" and not torch.cuda.is_available():
        raise NSTError("A GPU (cuda) was requested but none is available: use --device cpu or auto.")
    return target


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's ceiling for it on 64-bit systems
_TRIM_THRESHOLD = 128 * 1024 * 1024  # free heap kept for reuse before it is given back to the system


@functools.cache
def keep_cpu_buffers() -> bool:
    """Let glibc's malloc reuse freed activation buffers instead of unmapping them.

    By default each tensor over ~128 KiB gets fresh pages from the kernel (mmap) and gives them back when
    freed, so every layer of every frame pays page faults and zeroing: on 2 cores a CPU-fast pass over a
    640×360 frame ran ~25 % faster with buffers of up to 32 MiB served from the heap (medians of
    interleaved runs). Peak memory is unchanged; at most _TRIM_THRESHOLD of freed heap stays mapped.
    Process-wide, once; False where the C library is not glibc (nothing changes there).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mapped = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    return bool(mapped) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))


def enable_fast_math() -> None:
    """Allow TF32 matmuls/convs on CUDA (~10x faster on Ampere+, differences invisible in images); on the CPU,
    keep activation buffers in the heap (keep_cpu_buffers)."""
    keep_cpu_buffers()
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
