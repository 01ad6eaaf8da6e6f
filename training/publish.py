"""Publish a trained network to the Hugging Face Hub: `create_repo` + `upload_folder`.

The upload holds config.json, model.safetensors, training.json, README.md (model card: the preset's
metadata and rights note, training settings, evaluation numbers), sample.png (a held-out photo stylised)
and style.jpg (the preset's painting: the bundled styles/<id>/style.jpg, see nst.presets.style_image_path).
The multi-style network (`styles/presets-multi`, no `--preset`) goes up with all its paintings and rights.

    python -m training.publish styles/van-gogh --repo nst-studio/fast-van-gogh --preset van-gogh
    python -m training.publish styles/van-gogh --repo nst-studio/fast-van-gogh --preset van-gogh \
        --dry-run /tmp/upload
    python -m training.publish styles/presets-multi --repo nst-studio/fast-presets-multi  # all four presets
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from huggingface_hub import HfApi
from PIL import Image

from nst.blend import export_preset
from nst.cards import RECORD_FILE, write_card
from nst.errors import NSTError, refusals_to_exit_status
from nst.fast import stylize
from nst.images import load_image, save_png
from nst.presets import Preset, get_preset, style_image_path
from nst.settings import REPO_ROOT
from nst.transformer import CONFIG_FILE, WEIGHTS_FILE, TransformerNet, load_checkpoint

SAMPLE_FILE = "sample.png"
STYLE_FILE = "style.jpg"  # the name nst.presets looks for in a preset's Hub repo (presets.toml)
SAMPLE_PHOTO = REPO_ROOT.parent / "shared" / "photos" / "chicago.jpg"  # held out from training
SAMPLE_SIDE = 512


def _networks(model: TransformerNet, preset_id: str | None) -> list[tuple[Preset, TransformerNet]]:
    """(preset, single-style network) for each painting the checkpoint holds: one for an ordinary network
    (its preset named by `preset_id`), every style of a multi-style network (named in its config)."""
    if not model.styles:
        if preset_id is None:
            raise NSTError(
                "--preset is needed: which preset's painting and rights go in this network's card?"
            )
        return [(get_preset(preset_id), model)]
    if preset_id is not None:
        raise NSTError("this is a multi-style network: its card names all its presets, so leave --preset out")
    return [(get_preset(name), export_preset(model, name)) for name in model.style_names]


def build_upload(
    folder: Path, target: Path, preset_id: str | None, sample_photo: Path = SAMPLE_PHOTO
) -> list[str]:
    """Write into `target` exactly what would be uploaded for checkpoint `folder`; returns the file names.

    A multi-style network (`preset_id` None) goes up with each painting as style-<preset>.jpg and a sample
    row of the photo in every style; an ordinary one with style.jpg (where the app fetches the painting)."""
    for name in (CONFIG_FILE, WEIGHTS_FILE, RECORD_FILE):
        if not (folder / name).is_file():
            raise NSTError(
                f"{folder} has no {name}: is it a trained checkpoint (training/train.py OUT/model)?"
            )
    networks = _networks(load_checkpoint(folder), preset_id)
    target.mkdir(parents=True, exist_ok=True)
    for name in (CONFIG_FILE, WEIGHTS_FILE, RECORD_FILE):
        shutil.copy2(folder / name, target / name)
    photo = load_image(sample_photo, max_side=SAMPLE_SIDE if len(networks) == 1 else SAMPLE_SIDE // 2)
    outputs = [stylize(photo, net, device="cpu").image for _, net in networks]
    save_png(_row(outputs), target / SAMPLE_FILE)
    styles = [STYLE_FILE] if len(networks) == 1 else [f"style-{preset.id}.jpg" for preset, _ in networks]
    for (preset, _), name in zip(networks, styles, strict=True):
        shutil.copy2(style_image_path(preset), target / name)
    write_card(target, [preset for preset, _ in networks], sample=SAMPLE_FILE, style_images=styles)
    return sorted(p.name for p in target.iterdir())


def _row(images: list[Image.Image]) -> Image.Image:
    """The images side by side (all the same size: one photo through each style)."""
    row = Image.new("RGB", (sum(image.width for image in images), images[0].height))
    for index, image in enumerate(images):
        row.paste(image, (index * images[0].width, 0))
    return row


def publish(
    folder: Path,
    repo_id: str,
    preset_id: str | None,
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
            commit_message=message or f"Upload {folder.name} ({preset_id or 'all its presets'})",
        )
    return str(getattr(info, "commit_url", info))


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="checkpoint folder (styles/<id> or a run's OUT/model)")
    parser.add_argument("--repo", required=True, help="Hub repo id, e.g. nst-studio/fast-van-gogh")
    parser.add_argument(
        "--preset",
        help="preset id whose painting and rights go in the card (left out for the multi-style network)",
    )
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
