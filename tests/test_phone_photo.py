"""A 48-megapixel phone photo (8000×6000 JPEG, turned by EXIF) is stylised in the app's fast path with bounded
memory: decoded at reduced scale (JPEG draft mode) straight into the output size. Measured in a fresh process
(peak resident set, imports included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from nst.settings import DEFAULT_LIMITS
from nst.transformer import build_transformer, save_checkpoint

PEAK_LIMIT_BYTES = 1.5 * 2**30
# The peak resident set of this process image: VmHWM. (ru_maxrss would also count the forking test process,
# whose peak Linux carries across exec.)
CHILD = """
import json, re, sys, time
from pathlib import Path
from studio.engine import Engine
engine = Engine("cpu", resolve_model=lambda preset, device, frames: sys.argv[2])
started = time.perf_counter()
result = engine.fast(sys.argv[1], "van-gogh", max_side=1024)
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({"size": result.image.size, "seconds": time.perf_counter() - started, "peak_kib": peak}))
"""


def phone_photo(path: Path, width: int = 8000, height: int = 6000) -> None:
    """A JPEG with a phone's pixel count and texture, stored sideways with EXIF Orientation 6."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.effect_noise((width, height), 40)
    blue = Image.linear_gradient("L").rotate(90).resize((width, height))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.merge("RGB", (red, green, blue)).save(path, quality=85, exif=exif.tobytes())


def test_a_48_megapixel_jpeg_is_stylised_in_bounded_memory(tmp_path: Path) -> None:
    photo, net = tmp_path / "phone.jpg", tmp_path / "net"
    phone_photo(photo)
    save_checkpoint(build_transformer("cpu"), net)
    with Image.open(photo) as image:
        assert image.width * image.height == 48_000_000 > DEFAULT_LIMITS.max_pixels
    assert photo.stat().st_size < DEFAULT_LIMITS.max_bytes
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(photo), str(net)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert tuple(report["size"]) == (768, 1024)  # upright: the EXIF turn is applied
    assert report["peak_kib"] * 1024 < PEAK_LIMIT_BYTES, f"peak {report['peak_kib'] / 2**20:.2f} GiB"
