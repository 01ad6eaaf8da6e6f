"""Command-line entry point: `python -m nst quality ...`, `python -m nst fast ...`, `python -m nst video ...`.

Each subcommand module exposes `add_parser(subparsers)`, which registers its arguments and sets
`func(args) -> int`. Refusals (NSTError) become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from nst.cli import fast, quality, video
from nst.errors import NSTError, refusals_to_exit_status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nst", description="Neural style transfer.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    quality.add_parser(subparsers)
    fast.add_parser(subparsers)
    video.add_parser(subparsers)
    return parser


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except FileExistsError as exc:  # created by someone else while we ran: still never replaced
        raise NSTError(f"{exc.filename} already exists: use --overwrite to replace it") from exc
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
