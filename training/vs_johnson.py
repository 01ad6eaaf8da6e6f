"""Our fast presets beside Johnson et al.'s published ECCV16 networks on the same photo and paintings.

    python -m training.vs_johnson --out docs/presets-vs-johnson.png
    python -m training.vs_johnson --multi training/state/presets-multi --out runs/pilot/a.png  # a run's state
    python -m training.vs_johnson --students training/state/students --variants standard --out ...  # students

chicago.jpg is resized to the references' 510x338 and stylised by each network; every image is scored at 256
px: `stripes` (nst.metrics.periodic_texture), `ssim` to the photo and the protocol's Gram style loss as a
ratio to the reference's (a floor only: this loss cannot rank images from different pipelines). The bar:
stripes <= the reference's (standard) or 1.2x it (CPU-fast and video), ssim >= the reference's - 0.03.
Picasso has no published reference; its row shows ours only. `--students DIR` adds distilled students not yet
shipped (DIR/<variant>/<preset>/model, as training/students.sh writes them), a column per variant.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image

from nst.blend import export_preset
from nst.checkpoints import is_complete
from nst.errors import refusals_to_exit_status
from nst.fast import stylize
from nst.images import load_image, save_png
from nst.metrics import Scorer
from nst.presets import get_preset, model_id, style_image_path
from nst.settings import SHARED_DIR, use_local_data
from nst.transformer import TransformerNet, load_checkpoint
from training.contact_sheet import image_grid

REFERENCES = {"van-gogh": "starry-night", "hokusai": "great-wave", "kandinsky": "composition-vii"}
ORDER = ("van-gogh", "hokusai", "kandinsky", "picasso")
SIZE = (510, 338)  # the published references' size
LIMITS = {"standard": 1.0, "cpu": 1.2, "video": 1.2, "multi": 1.0}  # stripes bar: × the reference's


@dataclass(frozen=True)
class Score:
    preset: str
    network: str
    stripes: float
    ssim: float
    style: float
    ref_stripes: float | None
    ref_ssim: float | None
    ref_style: float | None

    @property
    def ok(self) -> bool | None:
        if self.ref_stripes is None or self.ref_ssim is None:
            return None
        limit = LIMITS.get(self.network.split()[0], 1.0)  # "cpu" or "cpu student"
        return self.stripes <= limit * self.ref_stripes and self.ssim >= self.ref_ssim - 0.03


def networks(
    multi: Path | None, variants: list[str], students: Path | None = None
) -> dict[str, dict[str, str | TransformerNet]]:
    """{preset: {column label: model id or network}} for the bundled variants, a multi-style state and/or the
    students in `students`/<variant>/<preset>/model."""
    columns: dict[str, dict[str, str | TransformerNet]] = {p: {} for p in ORDER}
    for preset in ORDER:
        for variant in variants:
            columns[preset][variant] = model_id(preset, variant)
    if multi is not None:
        net = load_checkpoint(multi)
        state = json.loads((multi / "state.json").read_text(encoding="utf-8"))
        for preset in ORDER:
            if preset in state["presets"]:
                columns[preset]["multi"] = export_preset(net, preset).eval()
    for folder in sorted(p for p in students.iterdir() if p.is_dir()) if students else []:
        for preset in ORDER:
            if is_complete(folder / preset / "model"):
                columns[preset][f"{folder.name} student"] = load_checkpoint(folder / preset / "model")
    return columns


def compare(
    shared: Path, multi: Path | None, variants: list[str], students: Path | None = None
) -> tuple[Image.Image, list[Score]]:
    """The comparison sheet (photo, reference, ours...; blank where a network is missing) and every score."""
    photo_path = shared / "photos" / "chicago.jpg"
    big = load_image(photo_path).resize(SIZE, Image.Resampling.LANCZOS)
    blank = Image.new("RGB", SIZE, "white")
    by_preset = networks(multi, variants, students)
    columns = list(dict.fromkeys(label for nets in by_preset.values() for label in nets))
    rows, scores = [], []
    for preset, nets in by_preset.items():
        scorer = Scorer(style_image_path(get_preset(preset)), 256)
        photo = scorer.photo(photo_path)

        def measure(image: Image.Image, scorer: Scorer = scorer, photo: Image.Image = photo) -> tuple:
            small = image.resize(photo.size, Image.Resampling.LANCZOS)
            values = scorer.score(small, photo)
            return values["stripes"], values["ssim"], values["style"]

        row = [big, blank]
        ref: tuple = (None, None, None)
        if preset in REFERENCES:
            row[1] = load_image(shared / "references" / f"johnson-eccv16_chicago_{REFERENCES[preset]}.jpg")
            ref = measure(row[1])
        for label in columns:
            if label not in nets:
                row.append(blank)
                continue
            output = stylize(big, nets[label], max_side=None).image
            row.append(output)
            scores.append(Score(preset, label, *measure(output), *ref))
        rows.append(row)
    return image_grid(rows, list(by_preset), ["photo", "Johnson et al.", *columns]), scores


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    use_local_data()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="the comparison sheet (PNG)")
    p.add_argument("--multi", type=Path, default=None, help="a multi-style state folder to score as well")
    p.add_argument("--variants", nargs="*", default=["standard", "cpu"], help="bundled variants to show")
    p.add_argument(
        "--students", type=Path, default=None, help="distilled students: DIR/<variant>/<preset>/model"
    )
    p.add_argument("--shared", type=Path, default=SHARED_DIR, help="folder with photos/ and references/")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = p.parse_args(argv)
    sheet, scores = compare(args.shared, args.multi, args.variants, args.students)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_png(sheet, args.out)
    if args.json:
        print(json.dumps([{**asdict(s), "ok": s.ok} for s in scores], indent=2))
    for s in scores:
        ref = (
            f"(ref {s.ref_stripes:.3f}, ssim ref {s.ref_ssim:.2f}, style x{s.style / s.ref_style:.2f})"
            if s.ref_style
            else ""
        )
        verdict = {True: "ok", False: "short", None: "-"}[s.ok]
        print(f"{s.preset:10s} {s.network:13s} stripes {s.stripes:.3f} ssim {s.ssim:.2f} {ref} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
