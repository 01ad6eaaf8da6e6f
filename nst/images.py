"""Image input/output: load anything a person may hand us into a clean RGB picture, and write PNGs.

Every refusal is an ImageError with a plain message. Limits are checked on the header, before pixels are
decoded, so a decompression bomb costs nothing. Nothing user-supplied is ever written to disk.

Over ~350 lines on purpose: every way a picture enters the program is here, next to the checks it must pass.
"""

from __future__ import annotations

import errno
import functools
import io
import json
import os
import stat
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageCms, ImageOps, PngImagePlugin

from nst.errors import ImageError
from nst.settings import DEFAULT_LIMITS, ImageLimits

ImageSource = str | os.PathLike[str] | bytes | bytearray | Image.Image | np.ndarray

# File names treated as pictures when a folder is read (photo folders, datasets, example photos).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
RECIPE_KEY = "nst-recipe"  # PNG text chunk holding the settings that made an output

_NOT_AN_IMAGE = "This file is not an image (or is in a format we cannot read)."
_CORRUPT = "This image file is truncated or corrupt."
_UNSUPPORTED = "Unsupported input: please give an image file, its bytes, a picture or an array of pixels."
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N"})
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
_DRAFT_FORMATS = frozenset({"JPEG", "MPO"})  # formats whose decoder can scale down while decoding
# The formats a photo may come in. Everything else Pillow reads is refused before its reader runs: some run
# external programs (EPS: Ghostscript) or are rarely exercised parsers of hostile input.
# (MPO, the multi-picture JPEG of phones, has no reader of its own: the JPEG reader opens it.)
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
_DRAFT_SCALES = (1, 2, 4, 8)  # the reductions a JPEG decoder offers
# Anything PIL may raise while decoding a broken file (it is not consistent about which).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ArithmeticError,
)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


# --- public API -----------------------------------------------------------------------------------


def load_image(
    source: ImageSource,
    *,
    max_side: int | None = None,
    limits: ImageLimits = DEFAULT_LIMITS,
    quick: bool = False,
) -> Image.Image:
    """A fresh RGB copy of `source` (path, bytes, PIL image or pixel array), checked against `limits`.

    EXIF rotation is applied, alpha is composited on white, the first frame of an animation is used, and
    the result is downsized so its longest side is at most `max_side` (never enlarged; `quick`: see
    resize_max_side).
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    if isinstance(source, Image.Image):
        image = _from_pil(source, limits)
    elif isinstance(source, np.ndarray):
        image = _from_array(source, limits)
    elif isinstance(source, bytes | bytearray):
        image = _from_bytes(_checked_bytes(bytes(source), limits), limits, max_side)
    elif isinstance(source, str | os.PathLike):
        image = _from_bytes(_read_file(source, limits), limits, max_side)
    else:
        raise ImageError(_UNSUPPORTED)
    if max_side is not None:
        image = resize_max_side(image, max_side, quick=quick)
    image.info = {}  # pixels only: stale EXIF/ICC/transparency would describe another picture
    return image


def fit_longest_side(size: tuple[int, int], longest: int, minimum: int = 1) -> tuple[int, int]:
    """`size` (either order of sides) scaled so its longest side is `longest`, up or down, keeping the aspect;
    no side below `minimum`. The one size rule of every resize (pictures here, tensors in nst.fast)."""
    scale = longest / max(size)
    return (max(minimum, round(size[0] * scale)), max(minimum, round(size[1] * scale)))


def resize_max_side(image: Image.Image, max_side: int, *, quick: bool = False) -> Image.Image:
    """RGB copy of `image` shrunk (never enlarged) so its longest side is `max_side`, keeping the aspect.

    `quick` filters with a triangle instead of LANCZOS: a little softer, 2-3x cheaper; for webcam frames,
    where a frame's time matters more than its last bit of sharpness."""
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    rgb = _to_rgb(image)
    longest = max(rgb.size)
    if longest <= max_side:
        return rgb if rgb is not image else rgb.copy()
    size = fit_longest_side(rgb.size, max_side)
    # reducing_gap: shrink by an integer factor first (fast), then LANCZOS; visually identical.
    gap = 3.0 if longest >= 3 * max_side else None
    kernel = Image.Resampling.BILINEAR if quick else Image.Resampling.LANCZOS
    return rgb.resize(size, kernel, reducing_gap=gap)


def image_to_tensor(
    image: Image.Image, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """(1,3,H,W) tensor in [0,1] of `image` (converted to RGB first) on `device` with `dtype`."""
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point type, got {dtype}")
    pixels = np.asarray(_to_rgb(image), dtype=np.uint8)
    tensor = torch.from_numpy(pixels.copy()).permute(2, 0, 1).unsqueeze(0)
    tensor = tensor.to(device=device)  # move as uint8: a quarter of the bytes of float32
    return tensor.to(torch.float32).div_(255.0).to(dtype).contiguous()


def tensor_to_image(tensor: torch.Tensor) -> Image.Image:
    """RGB image of a (1,3,H,W) or (3,H,W) tensor on any device/dtype: clamped to [0,1], rounded to 8 bit."""
    if tensor.dim() == 4 and tensor.shape[0] == 1:
        tensor = tensor[0]
    if tensor.dim() != 3 or tensor.shape[0] != 3:
        raise ValueError(f"expected a (1,3,H,W) or (3,H,W) tensor, got shape {tuple(tensor.shape)}")
    values = tensor.detach().to(device="cpu", dtype=torch.float32).nan_to_num(0.0)
    pixels = values.clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8).permute(1, 2, 0).contiguous()
    return Image.fromarray(pixels.numpy())


def encode_png(image: Image.Image, recipe: dict[str, Any] | None = None) -> bytes:
    """PNG bytes of `image`; `recipe` (if given) is stored as JSON in an iTXt chunk named "nst-recipe"."""
    if image.mode not in _PNG_MODES:
        image = _to_rgb(image)
    info = PngImagePlugin.PngInfo()
    if recipe is not None:
        info.add_itxt(RECIPE_KEY, json.dumps(recipe, ensure_ascii=False, default=str), zip=True)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def save_png(
    image: Image.Image,
    path: str | os.PathLike[str],
    recipe: dict[str, Any] | None = None,
    *,
    overwrite: bool = True,
) -> None:
    """Write `image` (and its recipe) to `path` as PNG, atomically: a crash never leaves half a file. With
    `overwrite=False` an existing file is never replaced (FileExistsError), even one created meanwhile."""
    data = encode_png(image, recipe)
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if overwrite:
            os.replace(tmp_name, target)
        else:
            try:
                os.link(tmp_name, target)  # fails if the name exists: no check-then-write race
            except FileExistsError:
                raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def read_recipe(source: str | os.PathLike[str] | bytes | bytearray | Image.Image) -> dict[str, Any] | None:
    """The recipe that encode_png/save_png stored in `source`; None when it has none or it is unreadable."""
    if isinstance(source, Image.Image):
        text = source.info.get(RECIPE_KEY)
    else:
        if isinstance(source, bytes | bytearray):
            data = _checked_bytes(bytes(source), DEFAULT_LIMITS)
        elif isinstance(source, str | os.PathLike):
            data = _read_file(source, DEFAULT_LIMITS)
        else:
            raise ImageError(_UNSUPPORTED)
        with _open_lazily(data, DEFAULT_LIMITS) as image:  # header only: text chunks precede pixels
            text = image.info.get(RECIPE_KEY)
    if not isinstance(text, str):
        return None
    try:
        recipe = json.loads(text)
    except ValueError:
        return None
    return recipe if isinstance(recipe, dict) else None


# --- reading sources ------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    """`size` bytes as "12.3" (MB of 1024² bytes), for messages."""
    return f"{size / (1024 * 1024):.1f}"


def _check_byte_count(count: int, limits: ImageLimits) -> None:
    """ImageError when a file of `count` bytes is empty or larger than the byte limit."""
    if count == 0:
        raise ImageError("This file is empty.")
    if count > limits.max_bytes:
        raise ImageError(
            f"This file is {_megabytes(count)} MB; the largest accepted is {_megabytes(limits.max_bytes)} MB."
        )


def _checked_bytes(data: bytes, limits: ImageLimits) -> bytes:
    """`data` unchanged, or an ImageError when it is empty or larger than the byte limit."""
    _check_byte_count(len(data), limits)
    return data


def _read_file(source: str | os.PathLike[str], limits: ImageLimits) -> bytes:
    """The bytes of the regular file at `source`, size-checked before reading it.

    Opened without blocking and checked on the open descriptor: a FIFO, a device or a folder (or a file
    swapped for one after a check) is refused instead of stalling the reader."""
    path = Path(source)
    name = path.name or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ImageError(f"File not found: {name}") from None
    except IsADirectoryError:
        raise ImageError(f"This is a folder, not an image file: {name}") from None
    except (OSError, ValueError) as exc:
        raise ImageError(f"The file {name} could not be read.") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ImageError(f"This is a folder, not an image file: {name}")
        raise ImageError(f"This is not a regular file: {name}")
    with os.fdopen(fd, "rb") as handle:
        _check_byte_count(info.st_size, limits)
        try:
            data = handle.read(limits.max_bytes + 1)  # never more than the limit, whatever stat said
        except OSError as exc:
            raise ImageError(f"The file {name} could not be read.") from exc
    return _checked_bytes(data, limits)


def _open_lazily(data: bytes, limits: ImageLimits) -> Image.Image:
    """PIL image of `data` with only the header read; bombs and non-images become ImageErrors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _open_large(data, limits)
    except Exception as exc:  # PIL raises many types for unreadable headers; all mean the same here
        raise ImageError(_NOT_AN_IMAGE) from exc


def _open_large(data: bytes, limits: ImageLimits) -> Image.Image:
    """Open an image PIL flagged as a possible bomb: a JPEG that reduced-scale decoding brings within the
    budget (see _draft_factor), or any image `limits` explicitly allow; else refuse."""
    probed = _probe(data)
    if probed is None:
        raise ImageError(
            f"This image is too large to open; the largest accepted is {_amount(limits.max_pixels)}."
        )
    if probed.format in _DRAFT_FORMATS and _draft_factor(probed.size, limits) is not None:
        return probed  # opened by its reader directly: Image.open's bomb check would refuse it
    size = probed.size
    probed.close()
    _check_dimensions(*size, limits)
    try:  # the caller raised max_pixels above PIL's warning threshold: honour that
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        hard_limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        raise ImageError(
            f"This image is {size[0]}×{size[1]} ({_amount(size[0] * size[1])}); the largest that can "
            f"be opened safely is {_amount(hard_limit)}."
        ) from None
    except Exception as exc:
        raise ImageError(_NOT_AN_IMAGE) from exc


def _probe(data: bytes) -> Image.Image | None:
    """An image PIL refused to open as a possible bomb, opened (header only) by its allowed format's reader.

    Image.open runs the bomb check itself and its error does not say the dimensions; the readers do not.
    """
    Image.init()
    prefix = data[:16]
    for name in ALLOWED_FORMATS:
        factory, accept = Image.OPEN[name]
        if accept is not None and not accept(prefix):
            continue
        try:
            return factory(io.BytesIO(data), "")
        except Exception:  # not this format: try the next reader, as Image.open does
            continue
    return None


def _draft_factor(size: tuple[int, int], limits: ImageLimits, max_side: int | None = None) -> int | None:
    """The JPEG reduction (1, 2, 4 or 8) to decode a `size` picture at: the smallest that fits the pixel
    budget, larger when `max_side` allows it without going under; None when even 1/8 does not fit.

    Phones take 48-200 MP photos: decoded at reduced scale they cost a fraction of the memory, and the result
    is downsized to the output size anyway."""
    width, height = size
    fitting = [f for f in _DRAFT_SCALES if -(-width // f) * -(-height // f) <= limits.max_pixels]
    if not fitting or width * height > limits.max_draft_pixels:
        return None
    factor = fitting[0]
    if max_side is not None:
        factor = max([factor, *(f for f in _DRAFT_SCALES if max(width, height) // f >= max_side)])
    return factor


# --- decoding -----------------------------------------------------------------------------------


def _amount(pixels: int) -> str:
    """A pixel count for messages: "12.3 MP", or "1,600 pixels" for budgets too small for megapixels."""
    return f"{pixels / 1_000_000:.1f} MP" if pixels >= 100_000 else f"{pixels:,} pixels"


def _check_dimensions(width: int, height: int, limits: ImageLimits) -> None:
    """ImageError when a width×height picture is over the pixel budget or has a side under min_side."""
    if width * height > limits.max_pixels:
        raise ImageError(
            f"This image is {width}×{height} ({_amount(width * height)}); "
            f"the largest accepted is {_amount(limits.max_pixels)}."
        )
    if min(width, height) < limits.min_side:
        raise ImageError(
            f"This image is {width}×{height} pixels; it must be at least {limits.min_side} px on each side."
        )


def _from_bytes(data: bytes, limits: ImageLimits, max_side: int | None) -> Image.Image:
    """Decode encoded image bytes: header checks first, then (possibly reduced-scale) decoding."""
    with _open_lazily(data, limits) as image:
        factor = _draft_factor(image.size, limits, max_side) if image.format in _DRAFT_FORMATS else None
        if factor is not None and factor > 1:
            # JPEG can decode at 1/2, 1/4 or 1/8 scale: fast and small for big photos. The draft is never
            # smaller than `max_side`, and the LANCZOS resize afterwards gives the exact size.
            image.draft("RGB", (image.width // factor, image.height // factor))
        _check_dimensions(*image.size, limits)  # after the draft: the size that will be decoded
        _decode(image)
        return _to_rgb(_to_srgb(_upright(image)))


def _decode(image: Image.Image) -> None:
    """Decode the pixels of a lazily opened image; broken data becomes an ImageError."""
    try:
        image.load()
    except _DECODE_ERRORS as exc:
        raise ImageError(_CORRUPT) from exc


def _upright(image: Image.Image) -> Image.Image:
    """A copy of `image` turned as its EXIF Orientation says (phones store photos sideways)."""
    try:
        upright = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:  # malformed EXIF: show the picture as stored rather than refuse it
        upright = None
    return upright if upright is not None else image.copy()


def _from_pil(image: Image.Image, limits: ImageLimits) -> Image.Image:
    """RGB copy of a caller's PIL image (its current frame); the caller's object is not changed."""
    _check_dimensions(*image.size, limits)
    _decode(image)  # a lazily opened image: decode (the caller would have to anyway), map errors
    return _to_rgb(_to_srgb(_upright(image)))


def _from_array(array: np.ndarray, limits: ImageLimits) -> Image.Image:
    """RGB image of an HxW, HxWx1, HxWx2 (grey+alpha), HxWx3 or HxWx4 pixel array."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        shape = "×".join(str(n) for n in array.shape) or "a single value"
        raise ImageError(
            f"Unsupported input: an array of pixels must be height×width (grey) or height×width×3 "
            f"(colour, ×4 with transparency); this one is {shape}."
        )
    _check_dimensions(array.shape[1], array.shape[0], limits)
    return _to_rgb(Image.fromarray(np.ascontiguousarray(_array_to_uint8(array))))


def _array_to_uint8(array: np.ndarray) -> np.ndarray:
    """8-bit copy of a pixel array: bool, uint8, uint16 (full range), other ints (0-255), floats (0-1)."""
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        return np.rint(array.astype(np.float32) / 257.0).astype(np.uint8)  # 65535 / 255 = 257
    if kind in "iu":
        return np.clip(array, 0, 255).astype(np.uint8)
    if kind == "f":
        values = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        return np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    raise ImageError(
        "Unsupported input: pixel values must be whole numbers (0–255 or 16-bit) or decimals from 0 to 1."
    )


# --- colour modes ---------------------------------------------------------------------------------


def _to_rgb(image: Image.Image) -> Image.Image:
    """`image` as 8-bit "RGB": wide-range modes rescaled, alpha composited on white.

    Returns `image` itself when it is already plain RGB.
    """
    mode = image.mode
    if mode in _SIXTEEN_BIT_MODES or mode in ("I", "F"):
        return _wide_to_rgb(image)
    if mode in _ALPHA_MODES or "transparency" in image.info:
        return _composite_on_white(image)
    if mode == "RGB":
        return image
    try:
        return image.convert("RGB")
    except ValueError as exc:
        raise ImageError(f"This image uses a colour format we cannot read ({mode}).") from exc


def _wide_to_rgb(image: Image.Image) -> Image.Image:
    """Grey RGB of a 16-bit, 32-bit integer or float image, scaled (not clipped) to 8 bits.

    16-bit modes span 0-65535. "I" spans 0-255 if it fits, else 0-65535 (PNG/TIFF 16-bit), else its maximum.
    "F" spans 0-1 if its maximum is at most 1, else 0-255.
    """
    values = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    top = float(values.max()) if values.size else 0.0
    if image.mode in _SIXTEEN_BIT_MODES:
        span = 65535.0
    elif image.mode == "F":
        span = 1.0 if top <= 1.0 else 255.0
    else:
        span = 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
    grey = np.rint(np.clip(values / span, 0.0, 1.0) * 255.0).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


def _composite_on_white(image: Image.Image) -> Image.Image:
    """RGB of an image with transparency, laid over a white background (transparent -> white)."""
    try:
        rgba = image.convert("RGBA")
    except ValueError as exc:
        raise ImageError(f"This image uses a colour format we cannot read ({image.mode}).") from exc
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB/CMYK `image` converted from its embedded colour profile to sRGB; unchanged without a usable one.

    Phones store wide-gamut (Display P3) photos and print files carry CMYK profiles; the networks expect sRGB.
    """
    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "CMYK") or not icc:
        return image
    try:
        transform = _srgb_transform(bytes(icc), image.mode)
        converted = image if transform is None else ImageCms.applyTransform(image, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: show the pixels as stored rather than refuse the picture
    return converted if converted is not None else image


_PROBE_LEVELS = np.linspace(0, 255, 8).round().astype(np.uint8)
_PROBE = np.stack(np.meshgrid(_PROBE_LEVELS, _PROBE_LEVELS, _PROBE_LEVELS), axis=-1).reshape(1, -1, 3)


@functools.lru_cache(maxsize=8)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """The transform from the profile `icc` to sRGB for `mode` pixels, or None where it would change no
    colour of a 512-colour probe by more than one level (the profile is sRGB).

    Building a transform costs ~9 ms and applying one ~16 ms a 640x480 frame, so both are saved where they
    can be: browsers tag every webcam frame with an sRGB profile, and the live view receives ~10 a second.
    """
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    transform = ImageCms.buildTransform(profile, _SRGB, mode, "RGB")
    if mode == "RGB":
        probed = np.asarray(ImageCms.applyTransform(Image.fromarray(_PROBE), transform), dtype=np.int16)
        if np.abs(probed - _PROBE).max() <= 1:
            return None
    return transform
