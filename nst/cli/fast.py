"""`python -m nst fast`: stylise files or folders with a feed-forward network (work in progress)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `fast` subcommand."""
    parser = subparsers.add_parser("fast", help="Fast (feed-forward) style transfer.")
    parser.set_defaults(func=lambda args: 0)
