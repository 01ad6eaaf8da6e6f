"""The loss network's layer names, and the one check of a layer list that a person or a client gives.

Kept apart from nst.vgg (which loads weights) so that the settings can name the layers without importing
torch code: nst.settings declares the layer options, nst.options checks them with `layer_list`.
"""

from __future__ import annotations

from collections.abc import Sequence

from nst.errors import NSTError

# VGG19 configuration: output channels per conv, "M" = 2x2 max-pool (torchvision's layout and indices).
VGG19_CONFIG = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512,
)  # fmt: skip


def _module_names() -> tuple[str, ...]:
    """Names of the modules in torchvision order: conv1_1, relu1_1, ..., pool4, conv5_1, ..., relu5_4."""
    names: list[str] = []
    block, index = 1, 1
    for item in VGG19_CONFIG:
        if item == "M":
            names.append(f"pool{block}")
            block, index = block + 1, 1
        else:
            names += [f"conv{block}_{index}", f"relu{block}_{index}"]
            index += 1
    return tuple(names)


MODULE_NAMES = _module_names()
LAYERS = tuple(name for name in MODULE_NAMES if name.startswith("relu"))  # the layers a loss may use


def layer_list(layers: object, what: str, noun: str = "layer") -> tuple[str, ...]:
    """A layer list (from a person, a command line or a web client), de-duplicated in order; a list longer
    than the network has layers is refused before anything is looked at (a Gram matrix per entry would
    otherwise be computed), and so is an unknown name or an empty list."""
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise NSTError(f"{what} must be a list of layer names.")
    if len(layers) > len(LAYERS):
        raise NSTError(f"Choose at most {len(LAYERS)} {what.lower()} (got {len(layers)}).")
    if not all(isinstance(name, str) for name in layers):
        raise NSTError(f"{what} must be a list of layer names.")
    for name in layers:
        if name not in LAYERS:
            raise NSTError(f"Unknown {noun} {name!r}; choose from {', '.join(LAYERS)}.")
    if not layers:
        raise NSTError(f"Give at least one of the {what.lower()}.")
    return tuple(dict.fromkeys(layers))
