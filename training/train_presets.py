"""Train the four shipped presets (standard and CPU variants) one after another, within a time budget.

CPU training on a shared machine affords a few hundred steps per network, so each variant is first trained
to reconstruct photos (style weight 0: content + TV only) and every preset is fine-tuned from that network
(`--init`): content is kept from the first step and the whole budget goes into the style. Each preset run is
`training/train.py` with the settings below; its step count is what fits its share of the remaining time at
the speed measured so far. Every command is logged to OUT/commands.txt exactly as run, and each finished
model is copied at once into styles/<model id>/ with its model card, so whatever has finished ships; runs
finished by an earlier invocation (OUT/<model id>/model exists) are kept, so the script can be restarted.

    python training/train_presets.py --data ../shared/datasets --styles-dir ../shared/styles \
        --out runs/presets --minutes 75
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python training/train_presets.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nst.presets import bundled_folder, get_preset, list_presets, model_id
from nst.transformer import CONFIG_FILE, WEIGHTS_FILE
from training.card import RECORD_FILE, write_card

TRAIN_ARGS = {
    "--size": "192",
    "--style-size": "320",
    "--batch-size": "2",
    "--lr": "2e-3",
    "--schedule": "cosine",
    "--warmup": "10",
    "--style-weight": "40",
    "--tv-weight": "10",
    "--precision": "bf16",
    "--preview-every": "50",
    "--checkpoint-every": "100",
    "--threads": "1",
}
# Hokusai's print is mostly flat cream paper and sky: at 40 its Gram matrices wash photos out into cream
# with a dotted texture (seen in the previews), so its style weight is lower.
# The small CPU network at 15 still lost most of the photo (contact sheet), hence 8 for it.
PRESET_ARGS = {"hokusai": {"--style-weight": "15"}, "hokusai-cpu": {"--style-weight": "8"}}  # by model id
RECONSTRUCT_ARGS = {**TRAIN_ARGS, "--style-weight": "0", "--lr": "3e-3", "--warmup": "20", "--steps": "120"}
SHARE = {"standard": 2.0, "cpu": 1.0}  # relative time per preset run
SECONDS_PER_STEP = {"standard": 2.2, "cpu": 1.0}  # first guesses (2 shared cores), then measured
OVERHEAD_S = 45.0  # start-up, previews, checkpoints and the final evaluation of one run
MIN_STEPS = 60


def run(command: list[str], log: Path) -> float:
    """Run one training command (logged first); returns its wall time in seconds."""
    with log.open("a", encoding="utf-8") as handle:
        handle.write(shlex.join(command) + "\n")
    started = time.monotonic()
    subprocess.run(command, check=True)
    return time.monotonic() - started


def train_command(style: Path, data: Path, out: Path, variant: str, args: dict[str, str]) -> list[str]:
    """The train.py command line for one run."""
    paths = {"--style": str(style), "--data": str(data), "--out": str(out), "--variant": variant}
    return [
        sys.executable,
        "training/train.py",
        *(item for pair in {**paths, **args}.items() for item in pair),
    ]


def ship(run_dir: Path, target: Path, preset_id: str) -> None:
    """Copy a run's final model into styles/<model id>/ and write its card with the preset's metadata."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in (CONFIG_FILE, WEIGHTS_FILE, RECORD_FILE):
        shutil.copy2(run_dir / "model" / name, target / name)
    write_card(target, get_preset(preset_id))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--styles-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("runs/presets"))
    parser.add_argument("--minutes", type=float, required=True, help="time budget for all runs")
    parser.add_argument("--presets", nargs="+", default=[p.id for p in list_presets()])
    parser.add_argument("--variants", nargs="+", default=["standard", "cpu"])
    args = parser.parse_args(argv)

    deadline = time.monotonic() + args.minutes * 60
    log = args.out / "commands.txt"
    args.out.mkdir(parents=True, exist_ok=True)
    any_style = args.styles_dir / get_preset(args.presets[0]).style_file  # unused at style weight 0
    for variant in args.variants:
        out = args.out / f"reconstruct-{variant}"
        if not (out / "model").is_dir():
            run(train_command(any_style, args.data, out, variant, RECONSTRUCT_ARGS), log)

    runs = [(v, p) for v in args.variants for p in args.presets]  # every standard network first
    runs = [(v, p) for v, p in runs if not (args.out / model_id(p, v) / "model").is_dir()]
    speed = dict(SECONDS_PER_STEP)
    for index, (variant, preset_id) in enumerate(runs):
        left = deadline - time.monotonic()
        share = SHARE[variant] / sum(SHARE[v] for v, _ in runs[index:])
        steps = max(MIN_STEPS, int((left * share - OVERHEAD_S) / speed[variant]))
        name = model_id(preset_id, variant)
        settings = {
            **TRAIN_ARGS,
            **PRESET_ARGS.get(name, {}),
            "--steps": str(steps),
            "--init": str(args.out / f"reconstruct-{variant}" / "model"),
        }
        style = args.styles_dir / get_preset(preset_id).style_file
        elapsed = run(train_command(style, args.data, args.out / name, variant, settings), log)
        speed[variant] = max(0.1, (elapsed - OVERHEAD_S) / steps)
        ship(args.out / name, bundled_folder(name), preset_id)
        print(f"{name}: {steps} steps in {elapsed / 60:.1f} min, shipped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
