"""Command-line entry point: `python -m nst quality ...`, `python -m nst fast ...`, `python -m nst video ...`.

Each subcommand module exposes `add_parser(subparsers)`, which registers its arguments and sets
`func(args) -> int`. Refusals (NSTError) become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from nst.cli import fast, quality, video
from nst.errors import NSTError

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nst", description="Neural style transfer.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    quality.add_parser(subparsers)
    fast.add_parser(subparsers)
    video.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except NSTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileExistsError as exc:  # created by someone else while we ran: still never replaced
        print(f"error: {exc.filename} already exists: use --overwrite to replace it", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
