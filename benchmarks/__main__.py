"""`python -m benchmarks SUITE [--device cpu|cuda] [--sizes ...]`: run a suite and append its table."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from benchmarks import BenchContext, append_table, render_table
from nst.device import enable_fast_math, pick_device
from nst.settings import BenchSettings

SUITES = ("quality", "fast", "train", "app", "video")


def main(argv: list[str] | None = None) -> int:
    defaults = BenchSettings()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("suite", choices=SUITES)
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    parser.add_argument("--sizes", type=int, nargs="+", help="image sizes (longest side) to run")
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--repeats", type=int, default=defaults.repeats)
    parser.add_argument("--output", type=Path, default=defaults.output, help="markdown file to append to")
    parser.add_argument("--dry-run", action="store_true", help="print the table, do not append it")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    enable_fast_math()
    ctx = BenchContext(device, tuple(args.sizes) if args.sizes else None, args.warmup, args.repeats)
    suite = importlib.import_module(f"benchmarks.{args.suite}")
    text = render_table(args.suite, ctx, suite.run(ctx))
    print(text)
    if not args.dry_run:
        append_table(args.output, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
