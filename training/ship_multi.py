"""Ship the multi-style run into styles/: the multi-style network, each preset exported as a standalone
checkpoint (today's Hub layout), and the distilled CPU-fast and video students.

    python -m training.ship_multi --state training/state/presets-multi [--students runs/distill]
        [--video-students runs/distill-video]

`--students DIR` takes DIR/<preset>/model/ (written by `training.distill`) for `styles/<preset>-cpu/`;
`--video-students DIR` likewise for `styles/<preset>-video/` (the network Video and Live use on a CPU).
Every folder is written beside its target and renamed into place, so an interrupted ship never leaves a
half-written or missing network; the painting (`style.jpg`) and other files already bundled are kept.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from nst.blend import export_preset
from nst.cards import RECORD_FILE, write_card
from nst.checkpoints import is_complete
from nst.errors import NSTError, refusals_to_exit_status
from nst.presets import MULTI_MODEL_ID, bundled_folder, get_preset, model_id
from nst.settings import STYLES_ROOT
from nst.transformer import TransformerNet, load_checkpoint, save_checkpoint
from training.distill import PROGRESS_FILE
from training.distill_cache import fingerprint, read_json
from training.folders import partial_for, swap_in
from training.multistyle import STATE_JSON

KEPT = ("style.jpg", "style.json")  # bundled beside the network by other scripts: never dropped


def _replace(target: Path, write: Any) -> None:
    """Build the new folder beside `target` with `write(folder)`, then swap it in (old files in KEPT stay)."""
    partial = partial_for(target)
    partial.mkdir()
    write(partial)
    for name in KEPT:
        if (target / name).is_file() and not (partial / name).exists():
            shutil.copy2(target / name, partial / name)
    swap_in(partial, target)


def _record(state: dict[str, Any], variant: str, preset_id: str | None, notes: str) -> dict[str, Any]:
    preset = get_preset(preset_id) if preset_id else None
    return {
        "variant": variant,
        "style_file": preset.style_file if preset else ", ".join(state["presets"]),
        "steps": state["step"],
        "images_per_style": state["images_per_style"],
        "settings": state["settings"],
        "notes": notes,
    }


def _write(net: TransformerNet, record: dict[str, Any], preset_id: str | None) -> Any:
    def write(folder: Path) -> None:
        save_checkpoint(net, folder)
        (folder / RECORD_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        names = [preset_id] if preset_id else net.style_names  # a multi-style network: all its paintings
        write_card(folder, [get_preset(name) for name in names])

    return write


def ship(state_dir: Path, students: dict[str, Path], styles_root: Path = STYLES_ROOT) -> list[Path]:
    """Write every shipped folder; returns them. `students` maps a distilled variant ("cpu", "video") to the
    folder of its students, DIR/<preset>/model/."""
    if not (state_dir / STATE_JSON).is_file():
        raise NSTError(f"{state_dir} holds no multi-style run state ({STATE_JSON})")
    state = json.loads((state_dir / STATE_JSON).read_text(encoding="utf-8"))
    multi = load_checkpoint(state_dir)
    if not multi.styles or list(multi.style_names) != list(state["presets"]):
        raise NSTError(f"{state_dir} does not hold a multi-style network named for its presets")
    exports = {preset_id: export_preset(multi, preset_id) for preset_id in multi.style_names}
    records = {
        (variant, preset_id): _distilled(folder / preset_id, variant, fingerprint(exports[preset_id]))
        for variant, folder in students.items()
        for preset_id in multi.style_names
    }  # every student checked before anything is written
    seen = f"{state['images_per_style']} training crops per style"
    shipped = [styles_root / bundled_folder(MULTI_MODEL_ID).name]
    notes = f"Multi-style network (conditional instance norm) for {', '.join(state['presets'])}; {seen}."
    _replace(shipped[0], _write(multi, _record(state, "multi", None, notes), None))
    for preset_id, single in exports.items():
        notes = f"Exported from the multi-style network ({seen}): its {preset_id} scale/shift fixed."
        target = styles_root / bundled_folder(preset_id).name
        _replace(target, _write(single, _record(state, "standard", preset_id, notes), preset_id))
        shipped.append(target)
        for variant, folder in students.items():
            student = load_checkpoint(folder / preset_id / "model")  # complete: checked above
            notes = (
                f"Distilled from the exported standard network ({seen}): L1, relu2_2 features and the detail "
                "spectrum (weights and steps under `distillation`)."
            )
            record = _record(state, variant, preset_id, notes) | {"distillation": records[variant, preset_id]}
            target = styles_root / model_id(preset_id, variant)
            _replace(target, _write(student, record, preset_id))
            shipped.append(target)
    return shipped


def _distilled(folder: Path, variant: str, teacher: str) -> dict[str, object]:
    """The distillation record (OUT/distill.json) of a finished student of the teacher with digest
    `teacher`, or an NSTError: an unfinished student, or one of an earlier teacher, must not ship."""
    progress = read_json(folder / PROGRESS_FILE)
    if not is_complete(folder / "model") or not progress:
        raise NSTError(f"no distilled {variant} student for {folder.name} in {folder / 'model'}")
    if progress.get("teacher") != teacher:
        raise NSTError(
            f"the {variant} student in {folder} was distilled from another teacher: distil it again "
            "from this state (training/students.sh)"
        )
    step, steps = progress.get("step"), progress.get("steps")
    if not isinstance(step, int) or not isinstance(steps, int) or step < steps:
        raise NSTError(f"the {variant} student in {folder} is unfinished (step {step} of {steps})")
    return progress


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--state", type=Path, required=True, help="the multi-style run's state folder")
    p.add_argument("--students", type=Path, default=None, help="folder of distilled CPU-fast students")
    p.add_argument("--video-students", type=Path, default=None, help="folder of distilled video students")
    p.add_argument("--styles-root", type=Path, default=STYLES_ROOT, help="where the bundled networks live")
    args = p.parse_args(argv)
    given = (("cpu", args.students), ("video", args.video_students))
    students = {variant: folder for variant, folder in given if folder is not None}
    for folder in ship(args.state, students, args.styles_root):
        print(f"shipped {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
