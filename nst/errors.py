"""The library's exceptions: every refusal a person should read is an NSTError with a plain message."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec

P = ParamSpec("P")


class NSTError(Exception):
    """Base class: the message is meant for the person using the tool, not for a developer."""


class ImageError(NSTError):
    """An input image was refused (not an image, truncated, too small, too large, ...)."""


class ModelError(NSTError):
    """Weights or a checkpoint could not be found, read or matched to the model."""


class PresetError(NSTError):
    """An unknown preset id or a preset whose files are unavailable."""


class VideoError(NSTError):
    """An input video was refused (not a video, no picture, empty, truncated, beyond the limits, ...)."""


EXIT_REFUSED = 2  # a command line's exit status when it refused its input (argparse uses 2 as well)


def refusals_to_exit_status(main: Callable[P, int]) -> Callable[P, int]:
    """The command-line edge of the error model, written once for `python -m nst` and every training tool:
    an NSTError raised anywhere below becomes one `error: …` line on stderr and exit status 2, never a
    traceback; anything else is a bug and keeps its traceback."""

    @functools.wraps(main)
    def edge(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except NSTError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_REFUSED

    return edge
