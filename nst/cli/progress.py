"""A small progress bar on stderr (redrawn in place on a terminal, one line per update elsewhere)."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    """`update(done, total, message)` redraws `[#####.....] done/total message`."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()

    def update(self, done: int, total: int, message: str = "") -> None:
        filled = int(self.width * done / max(total, 1))
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {message}"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
