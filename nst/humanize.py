"""Numbers in words for people, shared by the command lines and the web app: durations and frame rates."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """Seconds in words: 45 s, 1 min 30 s, 12 min."""
    seconds = max(0, round(seconds))
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" if minutes >= 10 or not rest else f"{minutes} min {rest} s"


def format_rate(fps: float) -> str:
    """Frames per second in words, with the digits that matter ("24 frames/s", "2.5 …", "0.04 …")."""
    digits = 0 if fps >= 10 else 1 if fps >= 1 else 2
    return f"{fps:.{digits}f} frames/s"
