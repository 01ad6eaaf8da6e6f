"""What the engine hands the tabs: plain values, one type per kind of update."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from nst.quality import QualityEvent


@dataclass(frozen=True)
class FastOutput:
    """A fast-mode result: the image (carrying its recipe as PNG text), a line for people, and the recipe."""

    image: Image.Image
    info: str
    recipe: dict[str, Any]
    note: str | None = None  # e.g. the out-of-memory retry


@dataclass(frozen=True)
class QualityUpdate:
    """One step of a quality run as the UI shows it; `image` is a new preview or the final image, or None."""

    image: Image.Image | None
    event: QualityEvent
    note: str | None = None


@dataclass(frozen=True)
class CompareRow:
    """One method's line of the comparison table."""

    method: str
    seconds: float
    peak_bytes: int | None  # GPU allocator peak, or resident-memory growth on a CPU; None if unknown
    content: float
    style: float
    ssim: float


@dataclass(frozen=True)
class CompareUpdate:
    """Progress of a comparison: the fast image first, then quality previews, then both scored."""

    fast: Image.Image | None  # None only while the loss network is being fetched (event.step 0, a note)
    quality: Image.Image | None
    event: QualityEvent | None
    rows: tuple[CompareRow, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class VideoUpdate:
    """Progress of a video run as the UI shows it; `output` (an MP4 path) and `recipe` come last."""

    done: int
    total: int | None
    fps: float
    eta: float | None
    output: Path | None = None
    info: str = ""
    recipe: dict[str, object] = field(default_factory=dict)
    stopped: bool = False

    @property
    def finished(self) -> bool:
        """The result is there."""
        return self.output is not None

    @property
    def final(self) -> bool:
        """The last update of a run (the result, or the stop)."""
        return self.output is not None or self.stopped
