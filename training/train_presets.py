"""Train the four shipped presets (standard and CPU variants) within a time budget, and ship them.

Each network is one `training/train.py` run with the recipe below and a `--minutes` share of the budget:
one after another (`--recipe cpu`: the standard runs get twice the time of the CPU-variant runs) or, on a
GPU, all at once (`--parallel`: one process per network sharing the card, each with the whole budget).
`--init-bundled` fine-tunes the networks already in styles/ instead of starting from random weights. Every
command is logged to OUT/commands.txt exactly as run, and each finished model is copied into
styles/<model id>/ with its model card; runs finished by an earlier invocation (OUT/<model id>/model exists)
are kept, so the script can be restarted.

    python -m training.train_presets --data ../shared/datasets --styles-dir ../shared/styles \
        --out runs/presets --minutes 60 --recipe cpu --init-bundled
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from nst.cards import RECORD_FILE, write_card
from nst.presets import bundled_folder, get_preset, list_presets, model_id
from nst.transformer import CONFIG_FILE, WEIGHTS_FILE, display_path
from training.folders import partial_for, swap_in

# On top of train.py's defaults (Johnson et al.'s content layer relu2_2, style at relu1_1 ... relu4_1, TV 10,
# cosine decay), per machine:
RECIPES = {
    "gpu": {"--precision": ["bf16"], "--channels-last": [], "--size": ["256"], "--batch-size": ["8"],
            "--lr": ["1e-3"], "--warmup": ["100"], "--num-workers": ["2"], "--preview-every": ["1000"],
            "--checkpoint-every": ["1000"], "--log-every": ["100"]},
    "cpu": {"--precision": ["bf16"], "--threads": ["1"], "--size": ["192"], "--batch-size": ["2"],
            "--lr": ["1.5e-3"], "--warmup": ["20"], "--preview-every": ["25"], "--checkpoint-every": ["100"],
            "--log-every": ["5"]},
}  # fmt: skip
# Style weight per network (model id), picked from the previews: Hokusai's mostly cream print washes photos
# out into cream at 40 (more so in the small CPU network).
STYLE_WEIGHTS = {
    "van-gogh": 40, "hokusai": 15, "picasso": 40, "kandinsky": 40,
    "van-gogh-cpu": 40, "hokusai-cpu": 8, "picasso-cpu": 40, "kandinsky-cpu": 40,
}  # fmt: skip
SHARE = {"standard": 2.0, "cpu": 1.0}  # relative time per run when they go one after another


def train_command(
    style: Path, data: Path, out: Path, variant: str, recipe: str, minutes: float, init: Path | None
) -> list[str]:
    """The train.py command line for one network."""
    args = {
        "--style": [str(style)],
        "--data": [str(data)],
        "--out": [str(out)],
        "--variant": [variant],
        "--style-weight": [str(STYLE_WEIGHTS[out.name])],
        "--steps": ["1000000"],  # the time budget ends the run
        "--minutes": [f"{minutes:.2f}"],
        **RECIPES[recipe],
        **({"--init": [str(init)]} if init else {}),
    }
    flags = (x for key, values in args.items() for x in (key, *values))
    return [sys.executable, "-m", "training.train", *flags]


def ship(run_dir: Path, target: Path, preset_id: str) -> None:
    """Copy a run's final model into `target` and write its card with the preset's metadata: built beside
    and swapped in, so the bundled network is never missing or half-copied."""
    folder = partial_for(target)
    folder.mkdir()
    for name in (CONFIG_FILE, WEIGHTS_FILE, RECORD_FILE):
        shutil.copy2(run_dir / "model" / name, folder / name)
    write_card(folder, [get_preset(preset_id)])
    swap_in(folder, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--styles-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("runs/presets"))
    parser.add_argument("--minutes", type=float, required=True, help="time budget for all runs")
    parser.add_argument("--recipe", choices=list(RECIPES), default="gpu")
    parser.add_argument("--parallel", action="store_true", help="run every network at once (one GPU)")
    parser.add_argument("--init-bundled", action="store_true", help="fine-tune the networks in styles/")
    parser.add_argument("--presets", nargs="+", default=[p.id for p in list_presets()])
    parser.add_argument("--variants", nargs="+", default=["standard", "cpu"])
    parser.add_argument("--ship-to", type=Path, default=None, help="folder of the bundled presets (styles/)")
    parser.add_argument("--extra", default="", help="more train.py arguments, e.g. '--preview-photos DIR'")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    runs = [(p, v) for v in args.variants for p in args.presets]  # every standard network first
    runs = [(p, v) for p, v in runs if not (args.out / model_id(p, v) / "model").is_dir()]
    total_share = sum(SHARE[v] for _, v in runs)
    commands = []
    for preset_id, variant in runs:
        name = model_id(preset_id, variant)
        minutes = args.minutes if args.parallel else args.minutes * SHARE[variant] / total_share
        init = Path(display_path(bundled_folder(name))) if args.init_bundled else None  # cards: no home path
        style = args.styles_dir / get_preset(preset_id).style_file
        command = train_command(style, args.data, args.out / name, variant, args.recipe, minutes, init)
        commands.append((preset_id, name, [*command, *shlex.split(args.extra)]))
    with (args.out / "commands.txt").open("a", encoding="utf-8") as log:
        log.writelines(shlex.join(command) + "\n" for _, _, command in commands)

    failed = []

    def finished(preset_id: str, name: str, code: int) -> None:
        if code != 0:
            failed.append(name)
            print(f"{name}: train.py exited with {code}", file=sys.stderr)
            return
        target = args.ship_to / name if args.ship_to else bundled_folder(name)
        ship(args.out / name, target, preset_id)
        print(f"{name}: shipped to {target}", file=sys.stderr, flush=True)

    if args.parallel:
        processes = [(p, n, subprocess.Popen(c)) for p, n, c in commands]
        for preset_id, name, process in processes:
            finished(preset_id, name, process.wait())
    else:
        for preset_id, name, command in commands:
            finished(preset_id, name, subprocess.run(command, check=False).returncode)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
