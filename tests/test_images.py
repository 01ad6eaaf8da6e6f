"""nst.images: every hostile input is generated here (no binary fixtures) and must give a plain refusal.

Over ~350 lines because nst.images is the single door for pictures and each way in is tested here."""

from __future__ import annotations

import io
import os
import struct
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin

from nst.errors import ImageError
from nst.images import (
    encode_png,
    image_to_tensor,
    load_image,
    read_recipe,
    resize_max_side,
    save_png,
    tensor_to_image,
)
from nst.settings import ImageLimits
from tests.helpers import png_claiming

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
JARGON = ("Error", "Exception", "Traceback", "<class", "errno", "NoneType", "PIL")


# --- helpers --------------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def refused(source: object, phrase: str, **kwargs: object) -> str:
    """Load `source`, expect an ImageError containing `phrase`, check it reads as plain language."""
    with pytest.raises(ImageError) as info:
        load_image(source, **kwargs)  # type: ignore[arg-type]  # hostile input on purpose
    message = str(info.value)
    assert phrase in message, message
    assert not any(word in message for word in JARGON), message
    assert message[:1].isupper(), message  # a sentence, not a code or a class name
    return message


def close(pixel: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


# --- orientation, transparency, colour modes -----------------------------------------------------


def test_exif_orientation_6_turns_a_landscape_jpeg_upright() -> None:
    stored = Image.new("RGB", (40, 20), BLUE)
    stored.paste(RED, (0, 0, 10, 10))  # red block in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    data = encode(stored, "JPEG", exif=exif.tobytes(), quality=95)

    image = load_image(data)

    assert image.mode == "RGB" and image.size == (20, 40)
    assert close(image.getpixel((14, 5)), RED)  # the block moved to the top-right corner
    assert close(image.getpixel((5, 5)), BLUE)
    assert close(image.getpixel((5, 35)), BLUE)
    assert "exif" not in image.info


def test_alpha_is_composited_on_white() -> None:
    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    rgba.paste((255, 0, 0, 128), (10, 0, 20, 20))
    image = load_image(encode(rgba, "PNG"))
    assert image.mode == "RGB"
    assert image.getpixel((2, 2)) == WHITE  # fully transparent
    assert close(image.getpixel((15, 15)), (255, 127, 127), tolerance=2)  # half red over white: pink


def test_palette_transparency_becomes_white() -> None:
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([0, 0, 0, *GREEN] + [0] * 762)
    palette.paste(0, (0, 0, 10, 20))
    image = load_image(encode(palette, "PNG", transparency=0))
    assert image.getpixel((2, 2)) == WHITE
    assert image.getpixel((15, 2)) == GREEN


def test_cmyk_jpeg_stays_red() -> None:
    data = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    image = load_image(data)
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((16, 16))
    assert red > 200 and green < 60 and blue < 60


def test_gif_palette_image() -> None:
    image = load_image(encode(Image.new("RGB", (20, 20), GREEN).convert("P"), "GIF"))
    assert image.mode == "RGB" and image.getpixel((5, 5)) == GREEN


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "TIFF"])
def test_animated_or_multipage_uses_the_first_frame(fmt: str) -> None:
    first, second = Image.new("RGB", (20, 20), RED), Image.new("RGB", (20, 20), BLUE)
    data = encode(first, fmt, save_all=True, append_images=[second])
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2
    image = load_image(data)
    assert close(image.getpixel((10, 10)), RED, tolerance=2)


def test_greyscale_l_and_la() -> None:
    assert load_image(encode(Image.new("L", (20, 20), 100), "PNG")).getpixel((3, 3)) == (100, 100, 100)
    la = Image.new("LA", (20, 20), (0, 0))
    la.paste((0, 255), (10, 0, 20, 20))
    image = load_image(encode(la, "PNG"))
    assert image.getpixel((3, 3)) == WHITE  # transparent
    assert image.getpixel((15, 3)) == (0, 0, 0)  # opaque black


def test_16_bit_png_is_scaled_not_clipped() -> None:
    ramp = np.tile(np.linspace(0, 65535, 256).round().astype(np.uint16), (16, 1))
    source = Image.fromarray(ramp)
    assert source.mode == "I;16"
    image = load_image(encode(source, "PNG"))
    grey = np.asarray(image)[0, :, 0].astype(int)
    assert grey[0] == 0 and grey[-1] == 255
    assert abs(grey[64] - 64) <= 1 and abs(grey[128] - 128) <= 1  # clipping would give 255 here
    assert np.all(np.diff(grey) >= 0)
    big_endian = Image.fromarray(ramp.astype(">u2"))
    assert big_endian.mode == "I;16B"
    assert np.array_equal(np.asarray(load_image(big_endian))[0, :, 0], grey)


def test_32_bit_integer_image() -> None:
    wide = Image.fromarray(np.full((16, 16), 65535 // 2, dtype=np.int32))
    assert wide.mode == "I"
    assert load_image(wide).getpixel((0, 0)) == (127, 127, 127)
    narrow = Image.fromarray(np.full((16, 16), 200, dtype=np.int32))
    assert load_image(narrow).getpixel((0, 0)) == (200, 200, 200)


def test_float_image_f() -> None:
    unit = Image.fromarray(np.full((16, 16), 0.5, dtype=np.float32))
    assert unit.mode == "F"
    assert load_image(unit).getpixel((0, 0)) == (128, 128, 128)
    byte_range = Image.fromarray(np.full((16, 16), 200.0, dtype=np.float32))
    assert load_image(byte_range).getpixel((0, 0)) == (200, 200, 200)
    tiff = load_image(encode(unit, "TIFF"))  # float TIFF through the bytes path
    assert tiff.getpixel((0, 0)) == (128, 128, 128)


def test_bilevel_image() -> None:
    bilevel = Image.new("1", (20, 20), 0)
    bilevel.paste(1, (10, 0, 20, 20))
    image = load_image(encode(bilevel, "PNG"))
    assert image.getpixel((2, 2)) == (0, 0, 0) and image.getpixel((15, 2)) == WHITE


@pytest.mark.parametrize(
    ("mode", "value"), [("HSV", (0, 255, 255)), ("YCbCr", (76, 85, 255)), ("LAB", (136, 208, 195))]
)
def test_other_colour_spaces_convert_to_rgb(mode: str, value: tuple[int, int, int]) -> None:
    red, green, blue = load_image(Image.new(mode, (16, 16), value)).getpixel((8, 8))
    assert red > 200 and green < 50 and blue < 50


def test_embedded_icc_profile_is_applied_and_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = Image.new("RGB", (20, 20), (200, 100, 50))
    image = load_image(encode(source, "PNG", icc_profile=srgb))
    assert close(image.getpixel((5, 5)), (200, 100, 50), tolerance=3)
    assert "icc_profile" not in image.info
    broken = load_image(encode(source, "PNG", icc_profile=b"not a profile"))  # ignored, not refused
    assert broken.getpixel((5, 5)) == (200, 100, 50)


def swap_primaries(icc: bytes) -> bytes:
    """`icc` with its rXYZ and bXYZ tags pointing at each other's data (the ICC tag table: a count at byte
    128, then 12-byte entries of signature, offset, size)."""
    profile = bytearray(icc)
    count = int.from_bytes(profile[128:132], "big")
    entries = {bytes(profile[132 + 12 * i : 136 + 12 * i]): 136 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    profile[red : red + 8], profile[blue : blue + 8] = profile[blue : blue + 8], profile[red : red + 8]
    return bytes(profile)


def test_a_profile_that_is_not_srgb_is_applied_and_an_srgb_one_is_skipped() -> None:
    """The sRGB check is a shortcut (webcam frames carry an sRGB profile), not a way to skip real ones."""
    source = noise(32, 24)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    swapped = swap_primaries(srgb)  # a valid RGB profile whose red is sRGB's blue and vice versa
    tagged = ImageCms.ImageCmsProfile(io.BytesIO(swapped))
    expected = ImageCms.profileToProfile(source, tagged, ImageCms.createProfile("sRGB"), outputMode="RGB")
    converted = load_image(encode(source, "PNG", icc_profile=swapped))
    assert expected is not None and np.array_equal(np.asarray(converted), np.asarray(expected))
    assert np.abs(np.asarray(converted, dtype=int) - np.asarray(source)).max() > 50
    assert np.array_equal(np.asarray(load_image(encode(source, "PNG", icc_profile=srgb))), np.asarray(source))


# --- numpy arrays ---------------------------------------------------------------------------------


def test_numpy_uint8_rgb_is_exact_and_not_shared() -> None:
    array = np.asarray(noise(23, 17))
    before = array.copy()
    image = load_image(array)
    assert image.mode == "RGB" and image.size == (23, 17)
    assert np.array_equal(np.asarray(image), array)
    assert np.array_equal(array, before)


def test_numpy_rgba_composites_on_white() -> None:
    array = np.zeros((16, 16, 4), dtype=np.uint8)
    array[:, 8:] = (0, 0, 255, 255)
    image = load_image(array)
    assert image.getpixel((2, 2)) == WHITE and image.getpixel((12, 2)) == BLUE


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.full((16, 16), 7, dtype=np.uint8), 7),
        (np.full((16, 16, 1), 9, dtype=np.uint8), 9),
        (np.full((16, 16), 65535, dtype=np.uint16), 255),
        (np.full((16, 16), 257 * 100, dtype=np.uint16), 100),
        (np.ones((16, 16), dtype=bool), 255),
        (np.full((16, 16), 300, dtype=np.int64), 255),
        (np.full((16, 16), -5, dtype=np.int32), 0),
        (np.full((16, 16), 0.5, dtype=np.float32), 128),
        (np.full((16, 16), 2.0, dtype=np.float64), 255),
        (np.full((16, 16), np.nan, dtype=np.float64), 0),
    ],
)
def test_numpy_dtypes(array: np.ndarray, expected: int) -> None:
    image = load_image(array)
    assert image.mode == "RGB" and image.size == (16, 16)
    assert image.getpixel((3, 3)) == (expected, expected, expected)


def test_float_numpy_colour_array_is_clipped_to_unit_range() -> None:
    array = np.zeros((16, 16, 3), dtype=np.float64)
    array[..., 0], array[..., 1], array[..., 2] = -0.5, 0.5, 2.0
    assert load_image(array).getpixel((0, 0)) == (0, 128, 255)


def test_unusable_arrays_are_refused() -> None:
    refused(np.zeros((16, 16, 5), dtype=np.uint8), "height×width")
    refused(np.zeros((16,), dtype=np.uint8), "height×width")
    refused(np.zeros((16, 16), dtype=np.complex64), "pixel values")
    refused(np.zeros((0, 0, 3), dtype=np.uint8), "at least 16 px")


# --- broken, tiny, huge and foreign inputs -------------------------------------------------------


def test_truncated_jpeg_and_png_are_refused(tmp_path: Path) -> None:
    picture = noise(64, 64)
    for fmt in ("JPEG", "PNG"):
        data = encode(picture, fmt)
        refused(data[: len(data) // 2], "truncated or corrupt")
        path = tmp_path / f"cut.{fmt.lower()}"
        path.write_bytes(data[: len(data) // 2])
        refused(path, "truncated or corrupt")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_too_small_images_are_refused() -> None:
    refused(encode(Image.new("RGB", (1, 1)), "PNG"), "This image is 1×1 pixels; it must be at least 16 px")
    refused(encode(Image.new("RGB", (15, 200)), "PNG"), "15×200")
    assert load_image(encode(Image.new("RGB", (16, 200)), "PNG")).size == (16, 200)


def test_empty_inputs_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    refused(empty, "This file is empty")
    refused(b"", "This file is empty")
    refused(bytearray(), "This file is empty")


def test_non_images_are_refused(tmp_path: Path) -> None:
    fake = tmp_path / "holiday.jpg"
    fake.write_text("Dear diary, today I renamed a text file.\n" * 20)
    refused(fake, "This file is not an image (or is in a format we cannot read).")
    refused(np.random.default_rng(1).bytes(4096), "not an image")
    refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image")  # a PNG signature and nothing usable


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (10000, 10000), (8000, 6000)])
def test_decompression_bombs_are_refused_from_the_header(width: int, height: int) -> None:
    """900 MP and 100 MP trip PIL's own bomb guard (error, warning), 48 MP only ours; none is decoded."""
    data = png_claiming(width, height)
    filters = list(warnings.filters)
    max_pixels = Image.MAX_IMAGE_PIXELS
    start = time.perf_counter()
    message = refused(data, f"This image is {width}×{height} ({width * height / 1e6:.1f} MP)")
    assert time.perf_counter() - start < 1.0
    assert "the largest accepted is 40.0 MP" in message
    assert max_pixels == Image.MAX_IMAGE_PIXELS and warnings.filters == filters  # no global changes


def test_custom_pixel_budget() -> None:
    limits = ImageLimits(max_pixels=1000)
    refused(encode(Image.new("RGB", (40, 40)), "PNG"), "40×40 (1,600 pixels)", limits=limits)
    refused(Image.new("RGB", (40, 40)), "the largest accepted is 1,000 pixels", limits=limits)
    refused(np.zeros((40, 40, 3), dtype=np.uint8), "40×40", limits=limits)
    assert load_image(Image.new("RGB", (20, 50)), limits=limits).size == (20, 50)


def test_byte_limit(tmp_path: Path) -> None:
    data = encode(noise(64, 64), "PNG")
    assert len(data) > 5000
    limits = ImageLimits(max_bytes=1000)
    path = tmp_path / "big.png"
    path.write_bytes(data)
    refused(path, "the largest accepted is 0.0 MB", limits=limits)
    refused(data, "MB", limits=limits)
    message = refused(
        b"x" * (2 * 1024 * 1024 + 1), "This file is 2.0 MB", limits=ImageLimits(max_bytes=2**20)
    )
    assert "the largest accepted is 1.0 MB" in message


def test_unsupported_types_and_missing_files(tmp_path: Path) -> None:
    refused(42, "Unsupported input")
    refused([[0, 0, 0]], "Unsupported input")
    refused(tmp_path / "nope.png", "File not found: nope.png")
    refused(str(tmp_path / "nope.png"), "File not found: nope.png")
    refused(tmp_path, "This is a folder, not an image file")


# --- sizes ----------------------------------------------------------------------------------------


def test_max_side_downsizes_keeping_aspect_and_never_upsizes() -> None:
    data = encode(noise(300, 100), "PNG")
    assert load_image(data, max_side=150).size == (150, 50)
    assert load_image(data, max_side=1000).size == (300, 100)
    assert load_image(data, max_side=300).size == (300, 100)
    tall = load_image(np.zeros((101, 33, 3), dtype=np.uint8), max_side=50)
    assert tall.size == (16, 50)


def test_resize_max_side_returns_rgb_copies() -> None:
    rgba = Image.new("RGBA", (80, 40), (0, 0, 0, 0))
    small = resize_max_side(rgba, 20)
    assert small.mode == "RGB" and small.size == (20, 10) and small.getpixel((5, 5)) == WHITE
    rgb = Image.new("RGB", (80, 40), RED)
    same = resize_max_side(rgb, 100)
    assert same is not rgb and same.size == (80, 40)
    with pytest.raises(ValueError):
        resize_max_side(rgb, 0)


def test_quick_resize_matches_the_careful_one_closely() -> None:
    """Webcam frames are shrunk with a triangle filter: same size and aspect, pixels close to LANCZOS's on a
    smooth picture (the live view's downscale 640 -> 416 px)."""
    ramp = np.linspace(0, 255, 640, dtype=np.float32)
    smooth = np.stack(
        [np.tile(ramp, (480, 1)), np.tile(ramp[:480, None], (1, 640)), np.full((480, 640), 90.0)], -1
    )
    data = encode(Image.fromarray(smooth.round().astype(np.uint8)), "PNG")
    quick, careful = load_image(data, max_side=416, quick=True), load_image(data, max_side=416)
    assert quick.size == careful.size == (416, 312) and quick.mode == "RGB"
    difference = np.abs(np.asarray(quick, np.int16) - np.asarray(careful, np.int16))
    assert difference[4:-4, 4:-4].max() <= 2


def test_large_jpeg_is_decoded_at_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    photo = Image.new("RGB", (4000, 3000), RED)
    photo.paste(BLUE, (2000, 0, 4000, 3000))
    data = encode(photo, "JPEG", quality=90)
    drafts: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        result = original_draft(self, mode, size)
        drafts.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    image = load_image(data, max_side=512)

    assert image.mode == "RGB" and image.size == (512, 384)
    assert drafts == [(1000, 750)]  # decoded at 1/4 scale, then resized precisely
    assert close(image.getpixel((100, 192)), RED) and close(image.getpixel((400, 192)), BLUE)


# --- tensors, PNG output, recipes -----------------------------------------------------------------


def test_tensor_round_trip_is_exact() -> None:
    original = noise(23, 17, seed=3)
    tensor = image_to_tensor(original)
    assert tensor.shape == (1, 3, 17, 23) and tensor.dtype == torch.float32
    assert float(tensor.min()) >= 0.0 and float(tensor.max()) <= 1.0
    assert tensor_to_image(tensor).tobytes() == original.tobytes()
    assert tensor_to_image(tensor[0]).tobytes() == original.tobytes()
    half = image_to_tensor(original, device="cpu", dtype=torch.float16)
    assert half.dtype == torch.float16 and half.device.type == "cpu"


def test_tensor_to_image_clamps_and_checks_shape() -> None:
    tensor = torch.tensor([-1.0, 0.5, 3.0], dtype=torch.float64).view(3, 1, 1).expand(3, 16, 16)
    image = tensor_to_image(tensor)
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (0, 128, 255)
    with pytest.raises(ValueError):
        tensor_to_image(torch.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError):
        tensor_to_image(torch.zeros(1, 4, 4))


def test_png_recipe_round_trip(tmp_path: Path) -> None:
    recipe = {
        "mode": "fast",
        "style": {"id": "candy", "blend": [1.0, 0.5], "extra": {"deep": [1, {"x": None}]}},
        "note": "Tübingen ✓",
        "steps": 300,
        "preserve_color": True,
    }
    picture = noise(20, 16)
    data = encode_png(picture, recipe)
    assert data.startswith(b"\x89PNG") and b"nst-recipe" in data
    assert read_recipe(data) == recipe
    assert load_image(data).tobytes() == picture.tobytes()

    path = tmp_path / "out.png"
    save_png(picture, path, recipe)
    assert read_recipe(path) == recipe and read_recipe(str(path)) == recipe
    with Image.open(path) as reopened:
        assert read_recipe(reopened) == recipe
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temporary file left behind

    assert read_recipe(encode_png(picture)) is None
    assert read_recipe(encode(picture, "JPEG")) is None
    with pytest.raises(ImageError, match="not an image"):
        read_recipe(b"hello")


def test_callers_image_is_not_mutated() -> None:
    rgba = Image.new("RGBA", (32, 24), (10, 20, 30, 40))
    rgba.info["note"] = "keep me"
    before = rgba.tobytes()
    result = load_image(rgba, max_side=16)
    assert result is not rgba and result.mode == "RGB" and result.size == (16, 12)
    assert rgba.mode == "RGBA" and rgba.size == (32, 24) and rgba.tobytes() == before
    assert rgba.info == {"note": "keep me"}

    rgb = Image.new("RGB", (20, 20), GREEN)
    copy = load_image(rgb)
    assert copy is not rgb
    copy.paste(RED, (0, 0, 20, 20))
    assert rgb.getpixel((0, 0)) == GREEN


def test_real_photo(photos_dir: Path) -> None:
    path = photos_dir / "tubingen.jpg"
    with Image.open(path) as header:
        full_size = header.size
    image = load_image(path, max_side=256)
    assert image.mode == "RGB" and max(image.size) == 256
    ratio = full_size[0] / full_size[1]
    assert abs(image.size[0] / image.size[1] - ratio) < 0.02
    assert 20 < float(np.asarray(image).mean()) < 235  # a real picture, not blank


# --- allowed formats, special files, phone-sized JPEGs (issue 10) ----------------------------------


@pytest.mark.parametrize("fmt", ["PPM", "PCX", "TGA", "ICO", "EPS"])
def test_formats_outside_the_allow_list_are_refused(fmt: str) -> None:
    """Pillow reads these (EPS would run Ghostscript where installed); a photo never needs them."""
    data = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 32 32\n" if fmt == "EPS" else None
    data = data or encode(Image.new("RGB", (32, 32), RED), fmt)
    refused(data, "This file is not an image (or is in a format we cannot read).")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"])
def test_allowed_formats_load(fmt: str) -> None:
    assert load_image(encode(Image.new("RGB", (32, 24), RED), fmt)).size == (32, 24)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    started = time.perf_counter()
    refused(fifo, "This is not a regular file: photo.jpg")
    assert time.perf_counter() - started < 1.0


def test_big_jpegs_decode_at_reduced_scale_into_the_budget() -> None:
    """Phone-sized JPEGs (scaled down here with the budget) are decoded at 1/2-1/8 scale, not refused."""
    data = encode(noise(400, 300), "JPEG", quality=80)
    limits = ImageLimits(max_pixels=10_000, max_draft_pixels=200_000)
    image = load_image(data, limits=limits)  # 120,000 px: 1/4 scale (7,500 px) is the first that fits
    assert image.size == (100, 75)
    assert load_image(data, limits=limits, max_side=40).size == (40, 30)  # 1/8, then resized exactly
    refused(encode(noise(400, 300), "PNG"), "the largest accepted is 10,000 pixels", limits=limits)
    refused(data, "the largest accepted is 10,000 pixels", limits=ImageLimits(10_000, 100_000))


def test_a_200_megapixel_jpeg_header_is_accepted_then_decoded_small() -> None:
    """Over PIL's own bomb limit (179 MP), a JPEG still opens by its reader and decodes at 1/4 scale."""
    small = bytearray(encode(Image.new("RGB", (16, 16), RED), "JPEG"))
    at = small.index(b"\xff\xc0") + 5  # SOF0: precision, then height and width
    small[at : at + 4] = struct.pack(">HH", 12000, 16800)  # 201.6 MP claimed
    started = time.perf_counter()
    assert load_image(bytes(small)).size == (4200, 3000)  # 1/4 scale: 12.6 MP (libjpeg pads the data)
    assert load_image(bytes(small), max_side=1024).size == (1024, 731)  # 1/8 scale, then resized
    assert time.perf_counter() - started < 5
    refused(png_claiming(16800, 12000), "the largest accepted is 40.0 MP")
