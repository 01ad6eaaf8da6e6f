"""Publish a trained network to the Hugging Face Hub: `create_repo` + `upload_folder`.

The upload holds config.json, model.safetensors, training.json, README.md (model card: the preset's
metadata and rights note, training settings, evaluation numbers), sample.png (a held-out photo stylised)
and style.jpg (the preset's painting: the bundled styles/<id>/style.jpg, see nst.presets.style_image_path).

    python -m training.publish styles/van-gogh --repo nst-studio/fast-van-gogh --preset van-gogh
    python -m training.publish styles/van-gogh --repo nst-studio/fast-van-gogh --preset van-gogh \
        --dry-run /tmp/upload
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from huggingface_hub import HfApi

from nst.cards import RECORD_FILE, write_card
from nst.errors import NSTError, refusals_to_exit_status
from nst.fast import stylize
from nst.images import load_image, save_png
from nst.presets import get_preset, style_image_path
from nst.settings import REPO_ROOT
from nst.transformer import CONFIG_FILE, WEIGHTS_FILE, load_checkpoint

SAMPLE_FILE = "sample.png"
STYLE_FILE = "style.jpg"  # the name nst.presets looks for in a preset's Hub repo (presets.toml)
SAMPLE_PHOTO = REPO_ROOT.parent / "shared" / "photos" / "chicago.jpg"  # held out from training
SAMPLE_SIDE = 512


def build_upload(folder: Path, target: Path, preset_id: str, sample_photo: Path = SAMPLE_PHOTO) -> list[str]:
    """Write into `target` exactly what would be uploaded for checkpoint `folder`; returns the file names."""
    preset = get_preset(preset_id)
    for name in (CONFIG_FILE, WEIGHTS_FILE, RECORD_FILE):
        if not (folder / name).is_file():
            raise NSTError(
                f"{folder} has no {name}: is it a trained checkpoint (training/train.py OUT/model)?"
            )
    target.mkdir(parents=True, exist_ok=True)
    for name in (CONFIG_FILE, WEIGHTS_FILE, RECORD_FILE):
        shutil.copy2(folder / name, target / name)
    model = load_checkpoint(folder)
    photo = load_image(sample_photo, max_side=SAMPLE_SIDE)
    save_png(stylize(photo, model, device="cpu").image, target / SAMPLE_FILE)
    shutil.copy2(style_image_path(preset), target / STYLE_FILE)
    write_card(target, preset, sample=SAMPLE_FILE, style_image=STYLE_FILE)
    return sorted(p.name for p in target.iterdir())


def publish(
    folder: Path,
    repo_id: str,
    preset_id: str,
    *,
    private: bool = False,
    message: str | None = None,
    sample_photo: Path = SAMPLE_PHOTO,
) -> str:
    """Create the repo if needed and upload the built folder in one commit; returns the commit URL."""
    api = HfApi()
    with tempfile.TemporaryDirectory(prefix="nst-publish-") as tmp:
        build_upload(folder, Path(tmp), preset_id, sample_photo)
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type="model",
            folder_path=tmp,
            commit_message=message or f"Upload {folder.name} ({preset_id})",
        )
    return str(getattr(info, "commit_url", info))


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="checkpoint folder (styles/<id> or a run's OUT/model)")
    parser.add_argument("--repo", required=True, help="Hub repo id, e.g. nst-studio/fast-van-gogh")
    parser.add_argument("--preset", required=True, help="preset id whose metadata goes in the card")
    parser.add_argument("--dry-run", type=Path, metavar="OUTDIR", help="write the upload folder here only")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--revision-note", help="commit message")
    parser.add_argument("--sample-photo", type=Path, default=SAMPLE_PHOTO)
    args = parser.parse_args(argv)
    if args.dry_run:
        for name in build_upload(args.folder, args.dry_run, args.preset, args.sample_photo):
            print(args.dry_run / name)
        return 0
    url = publish(
        args.folder,
        args.repo,
        args.preset,
        private=args.private,
        message=args.revision_note,
        sample_photo=args.sample_photo,
    )
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
