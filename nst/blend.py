"""Blending presets live: one multi-style network whose per-style norm scale/shift are mixed by weight.

The multi-style network (conditional instance norm, `nst.transformer`) shares every convolution between the
presets; a mix of presets is a weighted mix of their scale/shift rows, fixed into an ordinary single-style
network by `TransformerNet.export_style`. So a blend costs no more than one preset, and a 1.0/0.0 mix is that
preset's own network exactly (the standalone preset checkpoints are exports of the same rows).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from nst.errors import PresetError
from nst.fast import load_model
from nst.presets import MULTI_MODEL_ID, get_preset
from nst.transformer import TransformerNet

MAX_MIXED = 4  # presets in one mix
_CACHE_SIZE = 8
_exports: OrderedDict[tuple[str, str, tuple[tuple[str, float], ...]], TransformerNet] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class PresetMix:
    """Preset ids with weights that sum to 1, in the order given (zero weights dropped)."""

    weights: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, float]]) -> PresetMix:
        """Checked and normalised; a PresetError says what is wrong."""
        merged: dict[str, float] = {}
        for preset_id, weight in pairs:
            get_preset(preset_id)  # unknown ids are refused with the list of known ones
            if not 0.0 <= float(weight) <= 1e6:
                raise PresetError(
                    f"A preset weight must be between 0 and 1000000, got {weight} for {preset_id}."
                )
            merged[preset_id] = merged.get(preset_id, 0.0) + float(weight)
        total = sum(merged.values())
        if not merged or total <= 0:
            raise PresetError("A preset mix needs at least one preset with a positive weight.")
        if len(merged) > MAX_MIXED:
            raise PresetError(f"At most {MAX_MIXED} presets can be mixed, got {len(merged)}.")
        return cls(tuple((p, w / total) for p, w in merged.items() if w > 0))

    @classmethod
    def parse(cls, specs: Iterable[str]) -> PresetMix:
        """From command-line specs: "van-gogh" (weight 1) or "van-gogh:0.7"."""
        pairs = []
        for spec in specs:
            preset_id, _, weight = spec.partition(":")
            try:
                pairs.append((preset_id.strip(), float(weight) if weight else 1.0))
            except ValueError:
                raise PresetError(f"'{spec}' is not PRESET or PRESET:WEIGHT (e.g. van-gogh:0.7).") from None
        return cls.of(pairs)

    @property
    def single(self) -> str | None:
        """The preset id when the mix is one preset alone (its own network serves it)."""
        return self.weights[0][0] if len(self.weights) == 1 else None

    def label(self) -> str:
        return " + ".join(f"{p} {round(100 * w)}%" for p, w in self.weights)

    def as_recipe(self) -> dict[str, float]:
        return {p: round(w, 6) for p, w in self.weights}


def mix_vector(net: TransformerNet, mix: PresetMix) -> torch.Tensor:
    """The (styles,) weight row of `mix` for a multi-style network with named styles."""
    missing = [p for p, _ in mix.weights if p not in net.style_names]
    if not net.styles or missing:
        raise PresetError(f"The multi-style network has no style for {', '.join(missing) or 'any preset'}.")
    row = torch.zeros(net.styles)
    for preset_id, weight in mix.weights:
        row[net.style_names.index(preset_id)] = weight
    return row


def export_preset(net: TransformerNet, preset_id: str) -> TransformerNet:
    """One named style of a multi-style network fixed into an ordinary network (its 1.0 mix): what the
    standalone preset checkpoints, the distillation teacher and the evaluations are made from."""
    if preset_id not in net.style_names:
        raise PresetError(
            f"'{preset_id}' is not one of this multi-style network's styles: {', '.join(net.style_names)}."
        )
    return net.export_style(torch.eye(net.styles)[net.style_names.index(preset_id)])


def mixed_network(
    mix: PresetMix, device: str | torch.device = "auto", model: str = MULTI_MODEL_ID
) -> TransformerNet:
    """A single-style network for `mix`, exported from the multi-style network (bounded LRU of exports)."""
    multi = load_model(model, device)
    key = (model, str(multi.head.weight.device), mix.weights)
    with _lock:
        if key in _exports:
            _exports.move_to_end(key)
            return _exports[key]
    net = multi.export_style(mix_vector(multi, mix)).eval().requires_grad_(False)
    with _lock:
        _exports[key] = net
        while len(_exports) > _CACHE_SIZE:
            _exports.popitem(last=False)
    return net
