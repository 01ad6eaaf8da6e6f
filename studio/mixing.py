"""Two paintings at once: the Quality tab's blend of two paintings and the Fast tab's mix of two presets. Each
second share is declared like the options (its check and widget come from one place); `preset_mix` turns
what a client sent into the presets a fast run paints with. A mix runs on the multi-style network
(nst.blend); one preset alone runs on its own network.
"""

from __future__ import annotations

from collections.abc import Callable

from nst.blend import PresetMix
from nst.errors import PresetError
from nst.options import Declared, Option, parse
from nst.presets import get_preset
from studio import text

# The second painting's share in a Quality blend: a value of the tab, not a setting (it becomes
# QualitySettings.style_blend).
BLEND = Declared(
    "blend", 0.5, Option("the second painting's share", "Blend", title="Share of the second painting",
                         kind="number", low=0.0, high=1.0, step=0.05),
)  # fmt: skip

# The second preset's share in a Fast mix: a value, not a setting (it picks the network, as a preset does).
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
