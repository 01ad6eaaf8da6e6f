"""Our fast presets beside Johnson et al.'s published ECCV16 networks on the same photo and paintings.

    python -m training.vs_johnson --out docs/presets-vs-johnson.png
    python -m training.vs_johnson --multi training/state/presets-multi --out runs/pilot/a.png  # a run's state

chicago.jpg is resized to the references' 510x338 and stylised by each network; every image is scored at 256
px: `stripes` (nst.metrics.periodic_texture), `ssim` to the photo and the protocol's Gram style loss as a
ratio to the reference's (a floor only: this loss cannot rank images from different pipelines). The bar:
stripes <= the reference's (standard) or 1.2x it (CPU-fast), ssim >= the reference's - 0.03. Picasso has no
published reference; its row shows ours only.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from PIL import Image

from nst.errors import refusals_to_exit_status
from nst.fast import stylize
from nst.images import load_image, save_png
from nst.metrics import Scorer
from nst.presets import get_preset, style_image_path
from nst.settings import SHARED_DIR, use_local_data
from nst.transformer import TransformerNet, load_checkpoint
from training.contact_sheet import image_grid

REFERENCES = {"van-gogh": "starry-night", "hokusai": "great-wave", "kandinsky": "composition-vii"}
ORDER = ("van-gogh", "hokusai", "kandinsky", "picasso")
SIZE = (510, 338)  # the published references' size
LIMITS = {"standard": 1.0, "cpu": 1.2, "multi": 1.0}  # stripes bar as a multiple of the reference's


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
        limit = LIMITS.get(self.network, 1.0)
        return self.stripes <= limit * self.ref_stripes and self.ssim >= self.ref_ssim - 0.03


def networks(multi: Path | None, variants: list[str]) -> dict[str, dict[str, str | TransformerNet]]:
    """{preset: {column label: model id or network}} for the bundled variants and/or a multi-style state."""
    columns: dict[str, dict[str, str | TransformerNet]] = {p: {} for p in ORDER}
    for preset in ORDER:
        for variant in variants:
            columns[preset][variant] = preset if variant == "standard" else f"{preset}-{variant}"
    if multi is not None:
        net = load_checkpoint(multi)
        state = json.loads((multi / "state.json").read_text(encoding="utf-8"))
        presets = list(state["presets"])
        for preset in ORDER:
            if preset in presets:
                mix = torch.nn.functional.one_hot(torch.tensor(presets.index(preset)), net.styles).float()
                columns[preset]["multi"] = net.export_style(mix).eval()
    return columns


def compare(shared: Path, multi: Path | None, variants: list[str]) -> tuple[Image.Image, list[Score]]:
    """The comparison sheet (photo, reference, ours...) and every score."""
    photo_path = shared / "photos" / "chicago.jpg"
    big = load_image(photo_path).resize(SIZE, Image.Resampling.LANCZOS)
    rows, labels, scores = [], [], []
    for preset, nets in networks(multi, variants).items():
        scorer = Scorer(style_image_path(get_preset(preset)), 256)
        photo = scorer.photo(photo_path)

        def measure(image: Image.Image, scorer: Scorer = scorer, photo: Image.Image = photo) -> tuple:
            small = image.resize(photo.size, Image.Resampling.LANCZOS)
            values = scorer.score(small, photo)
            return values["stripes"], values["ssim"], values["style"]

        row = [big]
        ref: tuple = (None, None, None)
        if preset in REFERENCES:
            reference = load_image(shared / "references" / f"johnson-eccv16_chicago_{REFERENCES[preset]}.jpg")
            row.append(reference)
            ref = measure(reference)
        else:
            row.append(Image.new("RGB", SIZE, "white"))
        for label, net in nets.items():
            output = stylize(big, net, max_side=None).image
            row.append(output)
            scores.append(Score(preset, label, *measure(output), *ref))
        rows.append(row)
        labels.append(preset)
    columns = [
        "photo",
        "Johnson et al.",
        *next(iter(networks(None, variants).values())),
        *(["multi"] if multi else []),
    ]
    return image_grid(rows, labels, columns), scores


@refusals_to_exit_status
def main(argv: list[str] | None = None) -> int:
    use_local_data()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="the comparison sheet (PNG)")
    p.add_argument("--multi", type=Path, default=None, help="a multi-style state folder to score as well")
    p.add_argument("--variants", nargs="*", default=["standard", "cpu"], help="bundled variants to show")
    p.add_argument("--shared", type=Path, default=SHARED_DIR, help="folder with photos/ and references/")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = p.parse_args(argv)
    sheet, scores = compare(args.shared, args.multi, args.variants)
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
        print(f"{s.preset:10s} {s.network:8s} stripes {s.stripes:.3f} ssim {s.ssim:.2f} {ref} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
