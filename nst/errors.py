"""The library's exceptions: every refusal a person should read is an NSTError with a plain message."""


class NSTError(Exception):
    """Base class: the message is meant for the person using the tool, not for a developer."""


class ImageError(NSTError):
    """An input image was refused (not an image, truncated, too small, too large, ...)."""


class ModelError(NSTError):
    """Weights or a checkpoint could not be found, read or matched to the model."""


class PresetError(NSTError):
    """An unknown preset id or a preset whose files are unavailable."""


class VideoError(NSTError):
    """An input video was refused (not a video, no picture, empty, truncated, beyond the limits, ...)."""
