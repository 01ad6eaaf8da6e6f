"""The model card of a fast network (README.md beside config.json and model.safetensors): one template.

`TransformerNet.save_pretrained` renders it with what it knows (the variant, if given); `write_card` renders
it again from the training record (training.json) once a run has finished or a network is published: the
painting and its rights, the training settings and the evaluation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huggingface_hub import ModelCard, ModelCardData

if TYPE_CHECKING:  # nst.presets imports nst.hub, which imports nst.transformer, which uses this template
    from nst.presets import Preset

RECORD_FILE = "training.json"  # written by training (python -m training.train) next to the checkpoint
PAPER_URL = "https://arxiv.org/abs/1603.08155"
REPO_URL = "https://github.com/nst-studio/nst-studio"
LICENSE = "other"  # weights trained by NST Studio; the painting's rights are stated in the card

TEMPLATE = """---
{{ card_data }}
---

# {{ title | default("NST Studio fast style network", true) }}

Feed-forward style-transfer network for [NST Studio]({{ repo_url }}) (Johnson et al.,
[paper]({{ paper_url }}), with instance normalisation, reflection padding and nearest-upsample + conv
decoding).

- Variant: {{ variant | default("not recorded", true) }}
- Weights: fp16 `model.safetensors`; architecture: `config.json`
- Load with `nst.transformer.TransformerNet.from_pretrained(...)` or
  `nst.fast.stylize(image, "<repo or folder>")`

## Style
{{ style_section | default("Not recorded.", true) }}

## Training
{{ training_section | default("Not recorded.", true) }}

## Evaluation
{{ evaluation_section | default("Not evaluated.", true) }}
"""


def _style_section(record: dict[str, Any], presets: Sequence[Preset], style_images: Sequence[str]) -> str:
    lines = []
    for preset in presets:
        lines += [
            f"- Painting: {preset.artist}, *{preset.painting}*, {preset.year} (preset `{preset.id}`)",
            f"  - Rights of the painting: {preset.rights}",
            f"  - Source of the reproduction: {preset.source}",
        ]
    lines.append(f"- Style image used in training: `{record.get('style_file', 'unknown')}`")
    lines += [f"\n**Note ({preset.id}):** {preset.notice}" for preset in presets if preset.notice]
    lines += [f"\n![style image]({name})" for name in style_images]
    return "\n".join(lines)


def _training_section(record: dict[str, Any]) -> str:
    settings = record.get("settings", {})
    lines = ["| setting | value |", "|---|---|"]
    skipped = {"style", "data", "out", "preview_photos", "device"}
    lines += [f"| {k} | `{json.dumps(v)}` |" for k, v in settings.items() if k not in skipped]
    if record.get("notes"):
        lines.append(f"\n{record['notes']}")
    return "\n".join(lines)


def _evaluation_section(record: dict[str, Any], sample: str | None) -> str:
    evaluation = record.get("evaluation", {})
    if not evaluation:
        return "Not evaluated."
    photos = ", ".join(record.get("eval_photos", [])) or "held-out photos"
    lines = [
        f"Protocol of `python -m training.evaluate` ({photos}; means): content = relative relu4_2 error, "
        "style = relative Gram error relu1_1..relu5_1, total = content + 300 × style.",
        "",
        "| output | content ↓ | style ↓ | total ↓ | SSIM ↑ | s / image |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in evaluation.items():
        lines.append(
            f"| {name} | {r['content']:.3f} | {r['style']:.5f} | {r['total']:.3f} | {r['ssim']:.3f} "
            f"| {r['seconds']:.2f} |"
        )
    if sample:
        lines.append(f"\n![sample output]({sample})")
    return "\n".join(lines)


def _title(presets: Sequence[Preset]) -> str:
    if len(presets) == 1:
        return f"Fast style: {presets[0].artist}, {presets[0].painting}"
    if presets:
        return f"Fast styles, one network: {', '.join(p.artist for p in presets)}"
    return "NST Studio fast style network"


def render_card(
    record: dict[str, Any],
    presets: Sequence[Preset] = (),
    sample: str | None = None,
    style_images: Sequence[str] = (),
) -> str:
    """The README.md text for a checkpoint whose training record is `record`: `presets` are the paintings it
    was trained on (one, or all of a multi-style network's), `style_images` the paintings' files beside it."""
    data = ModelCardData(
        license=LICENSE,
        library_name="nst-studio",
        pipeline_tag="image-to-image",
        tags=["style-transfer", "neural-style-transfer", "image-to-image", "pytorch"],
    )
    card = ModelCard.from_template(
        data,
        template_str=TEMPLATE,
        repo_url=REPO_URL,
        paper_url=PAPER_URL,
        title=_title(presets),
        variant=record.get("variant", "unknown"),
        style_section=_style_section(record, presets, style_images),
        training_section=_training_section(record),
        evaluation_section=_evaluation_section(record, sample),
    )
    return str(card)


def write_card(
    folder: Path, presets: Sequence[Preset] = (), sample: str | None = None, style_images: Sequence[str] = ()
) -> Path:
    """(Re)write folder/README.md from folder/training.json."""
    record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    path = folder / "README.md"
    path.write_text(render_card(record, presets, sample, style_images), encoding="utf-8")
    return path
