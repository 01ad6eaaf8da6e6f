"""The app served for benchmarks, screenshots and tests: in this process for the length of a block (`served`),
or as a process of its own (`free_port`, `stop_server`), and an engine that runs one network for every preset.

One place for these because each copy of "launch on a free port, hand out the address, close" was a place for
a port race or a server left running to creep back in.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the web app (Gradio) is loaded by the callers that serve it, not by every importer
    import gradio as gr

    from studio.engine import Engine


LAUNCH_ATTEMPTS = 2


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Ask a server process to end, and kill it if it has not within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def served(demo: gr.Blocks, **options: Any) -> Iterator[str]:
    """Serve `demo` in this process on a free port (studio's launch: the app's limits and look, `options`
    override launch arguments) and yield its address; the server is closed when the block ends."""
    import studio

    for attempt in range(LAUNCH_ATTEMPTS):
        try:
            _, url, _ = studio.launch(
                demo, prevent_thread_lock=True, server_port=free_port(), quiet=True, **options
            )
            break
        except ValueError as exc:
            # Gradio gives its own server one 3 s request to answer; on two busy cores it may not have
            # (it then asks for a share link). Anything else, or a second miss, is a real failure.
            demo.close()
            if "shareable link" not in str(exc) or attempt + 1 == LAUNCH_ATTEMPTS:
                raise
    try:
        yield url
    finally:
        demo.close()


def one_network_engine(net: str | os.PathLike[str], device: str = "auto", **options: Any) -> Engine:
    """An engine whose every preset runs the checkpoint folder `net`: the app before its presets are trained
    (a random-weight network of the same architecture: the page, the API and the timings do not depend on the
    weights). `options` are the Engine's other keywords (limits, policy)."""
    from studio.engine import Engine

    folder = str(net)
    return Engine(device, resolve_model=lambda preset_id, device, frames: folder, **options)
