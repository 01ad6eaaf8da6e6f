"""Web clients: which files they may name, and who they are (for fair sharing).

A public app is called by scripts as well as by its page, so every file path a client sends is hostile until
checked here (numbers and lists are checked against their declarations, nst.options). Nothing in this module
imports Gradio: the tabs hand over plain values.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nst.errors import ImageError
from nst.settings import ENV_TRUSTED_PROXIES

log = logging.getLogger(__name__)

# One answer for every file a client may not use: it never says whether the path exists, is a folder, a FIFO
# or too big, so the server's disk cannot be probed through it.
NOT_AN_UPLOAD = "This file is not one of your uploads (uploads are deleted after a while): add it again."


# --- files named by clients --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientFiles:
    """What a client may name as an input file: regular files inside `roots` (Gradio's upload folder), or
    exactly one of `files` (the app's own examples). Data URLs are decoded only when under `max_bytes`."""

    roots: tuple[str, ...]
    files: frozenset[str] = frozenset()
    max_bytes: int = 50 * 1024 * 1024

    @classmethod
    def of(cls, roots: Iterable[str | os.PathLike[str]], files: Iterable[str | os.PathLike[str]] = (),
           max_bytes: int = 50 * 1024 * 1024) -> ClientFiles:  # fmt: skip
        """Policy for these folders and files (resolved now: symlinks and `..` are taken out once)."""
        return cls(
            tuple(os.path.realpath(root) for root in roots),
            frozenset(os.path.realpath(path) for path in files),
            max_bytes,
        )

    def resolve(self, value: Any) -> str | bytes | None:
        """An image input's raw value (Gradio FileData dict, a bare path, or None) as a checked path or the
        bytes of a data URL; None when nothing was sent; an ImageError for anything else."""
        if value is None or value == "":
            return None
        if isinstance(value, dict):
            path, url = value.get("path"), value.get("url")
            if not path and isinstance(url, str) and url.startswith("data:"):
                return decode_data_url(url, self.max_bytes)
            if not path and not url:
                return None
            value = path
        if not isinstance(value, str) or not value:
            raise ImageError(NOT_AN_UPLOAD)
        return self.check_path(value)

    def check_path(self, given: str) -> str:
        """`given` resolved (symlinks followed) when it is a regular file the client may read, else
        NOT_AN_UPLOAD, whatever the reason."""
        try:
            real = os.path.realpath(given)
            allowed = real in self.files or any(_inside(real, root) for root in self.roots)
            if allowed and stat.S_ISREG(os.stat(real).st_mode):
                return real
        except (OSError, ValueError):  # missing, unreadable, a NUL byte in the name: all the same answer
            pass
        log.info("refused a client file: %r", given)
        raise ImageError(NOT_AN_UPLOAD)


def _inside(path: str, root: str) -> bool:
    """Whether the resolved `path` lies strictly inside the resolved folder `root`."""
    return path != root and os.path.commonpath((path, root)) == root


def decode_data_url(url: str, max_bytes: int) -> bytes:
    """The bytes of a base64 `data:` URL, refused from its length before decoding when over `max_bytes`."""
    header, _, payload = url.partition(",")
    if ";base64" not in header:
        raise ImageError("This file is not an image (or is in a format we cannot read).")
    if len(payload) > 4 * (max_bytes // 3 + 1):
        largest = max_bytes / (1024 * 1024)
        raise ImageError(f"This file is over {largest:.1f} MB; the largest accepted is {largest:.1f} MB.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("This file is not an image (or is in a format we cannot read).") from None


# --- who a client is -----------------------------------------------------------------------------------


def trusted_proxies() -> int:
    """How many reverse proxies in front of the app append to X-Forwarded-For: $NST_TRUSTED_PROXIES, else 1
    on a Hugging Face Space (SPACE_ID is set), else 0 (the peer address is the client)."""
    value = os.environ.get(ENV_TRUSTED_PROXIES, "").strip()
    if value.isdigit():
        return int(value)
    return 1 if os.environ.get("SPACE_ID") else 0


def client_keys(session: str | None, peer: str | None, forwarded_for: str | None) -> tuple[str, ...]:
    """The identities a request counts against: its session and its address. The address is the peer's,
    or the one the trusted proxies saw (entries a client writes itself into X-Forwarded-For are ignored)."""
    address = peer
    hops = trusted_proxies()
    if hops and forwarded_for:
        entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        if entries:
            address = entries[-min(hops, len(entries))]
    keys = [f"session:{session}"] if session else []
    if address:
        keys.append(f"address:{address}")
    return tuple(keys)
