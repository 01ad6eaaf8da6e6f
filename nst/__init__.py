"""NST Studio: neural style transfer, fast (feed-forward) and quality (Gatys optimisation) modes."""

from nst.errors import ImageError, ModelError, NSTError, PresetError

__all__ = ["ImageError", "ModelError", "NSTError", "PresetError"]
__version__ = "0.1.0"
