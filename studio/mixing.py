"""Mixing two presets in the Fast tab: the second preset's share, declared like the options (its check and
widget come from one place), and the rule that turns what a client sent into the presets a run paints with.
A mix runs on the multi-style network (nst.blend); one preset alone runs on its own network.
"""

from __future__ import annotations

from collections.abc import Callable

from nst.blend import PresetMix
from nst.errors import PresetError
from nst.options import Declared, Option, parse
from nst.presets import get_preset
from studio import text

# A value, not a setting: it chooses the network, as the preset does.
MIX = Declared(
    "mix", 0.0, Option("the second preset's share (0 = the first preset alone)", "Mix",
                       title="Share of the second preset", kind="number", low=0.0, high=1.0, step=0.05),
)  # fmt: skip


def preset_mix(first: str, second: str | None, mix: object, can_mix: Callable[[], bool]) -> PresetMix:
    """The presets a fast run paints with: `first` alone, or mixed with `second` at share `mix` when the
    multi-style network is available (`can_mix`, asked only when a mix is wanted). Both values are hostile
    until checked here: an unknown preset or a share outside 0..1 is refused with what is allowed."""
    share = float(parse(MIX, mix) or 0.0)
    if not second or share == 0.0 or second == first:
        return PresetMix.of([(first, 1.0)])
    get_preset(second)  # an unknown id is refused with the known ones named
    if not can_mix():
        raise PresetError(text.NO_MIXING)
    return PresetMix.of([(first, 1.0 - share), (second, share)])
