"""App suite: the app as visitors meet it, driven through gradio_client; `python app.py` runs in a subprocess.

Rows: app start to the first fast request served; the round trip of a 512 px fast request beyond the engine's
own time (the recipe in the response says how long the engine took); 8 concurrent clients sending 5 fast
requests each (all must succeed; no request should wait much longer than one turn of all the clients at the
crowd's throughput, its fair share of a first-come-first-served queue) with the server's peak RSS.
When no fast-mode checkpoint is bundled yet, the app is served with a random-weight network of the same
architecture (`python -m benchmarks.app --net FOLDER`): the timings do not depend on the weights.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import torch
from gradio_client import Client, handle_file

from benchmarks import BenchContext, Measurement
from benchmarks.quality import _square
from benchmarks.serving import free_port, one_network_engine, stop_server
from nst.presets import list_presets
from nst.settings import REPO_ROOT
from nst.transformer import build_transformer, save_checkpoint
from studio.models import bundled_model, model_on_disk  # the app's benchmark drives the web app (studio)

SIZE = 512  # fast output size of every request (longest side)
ROUND_TRIPS = 20
CLIENTS, PER_CLIENT = 8, 5
START_TIMEOUT_S = 180


@dataclass(frozen=True)
class Server:
    """A running app: its address, process and when it was started."""

    url: str
    process: subprocess.Popen[bytes]
    started: float
    mode: str  # "bundled presets" or "random-weight network"


def _ready_preset(device: torch.device) -> str | None:
    """A preset whose fast network is bundled (or cached) for `device`, or None."""
    return next((p.id for p in list_presets() if model_on_disk(bundled_model(p.id, device))), None)


@contextlib.contextmanager
def _serve(device: torch.device, folder: Path) -> Iterator[Server]:
    """Start the app in a subprocess on a free port (output in folder/app.log); stop it afterwards."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    if _ready_preset(device):
        command, mode = [sys.executable, "app.py"], "bundled presets"
    else:
        net = save_checkpoint(
            build_transformer("cpu" if device.type == "cpu" else "standard"), folder / "net"
        )
        command, mode = [sys.executable, "-m", "benchmarks.app", "--net", str(net)], "random-weight network"
    with (folder / "app.log").open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield Server(f"http://127.0.0.1:{port}/", process, started, mode)
        finally:
            stop_server(process)


def _connect(server: Server, log: Path) -> Client:
    """A client, as soon as the app answers."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the app exited with code {server.process.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.url, timeout=2).status_code == 200:
                return Client(server.url, verbose=False, analytics_enabled=False)
        time.sleep(0.1)
    raise TimeoutError(f"the app did not answer within {START_TIMEOUT_S} s; see {log}")


def _fast(client: Client, photo: Path, preset: str) -> tuple[float, float]:
    """(round-trip seconds, engine seconds) of one fast request."""
    start = time.perf_counter()
    _, _, recipe = client.predict(handle_file(photo), preset, 1.0, False, SIZE, api_name="/fast")
    return time.perf_counter() - start, float(recipe["seconds"])


def _peak_rss(pid: int) -> int | None:
    """A process's peak resident set (VmHWM), in bytes."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


def _client_session(url: str, photo: Path, preset: str) -> list[float | None]:
    """One visitor sending PER_CLIENT requests in a row: each one's latency (None = failed)."""
    client = Client(url, verbose=False, analytics_enabled=False)
    latencies: list[float | None] = []
    for _ in range(PER_CLIENT):
        try:
            latencies.append(_fast(client, photo, preset)[0])
        except Exception:  # any failure counts as one; the row reports how many
            latencies.append(None)
    return latencies


def run(ctx: BenchContext) -> list[Measurement]:
    with tempfile.TemporaryDirectory(prefix="nst-bench-app-") as folder:
        photo, log = Path(folder) / "photo.png", Path(folder) / "app.log"
        _square(2 * SIZE, seed=0).save(photo)
        preset = _ready_preset(ctx.device) or list_presets()[0].id
        with _serve(ctx.device, Path(folder)) as server:
            client = _connect(server, log)
            _fast(client, photo, preset)
            startup = time.perf_counter() - server.started
            for _ in range(ctx.warmup):
                _fast(client, photo, preset)
            trips = [_fast(client, photo, preset) for _ in range(ROUND_TRIPS)]
            crowd_started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                sessions = list(
                    pool.map(lambda _: _client_session(server.url, photo, preset), range(CLIENTS))
                )
            crowd_seconds = time.perf_counter() - crowd_started
            peak = _peak_rss(server.process.pid)
    round_trip = statistics.median(t for t, _ in trips)
    engine = statistics.median(e for _, e in trips)
    done = [t for session in sessions for t in session if t is not None]
    means = [
        statistics.mean(t for t in s if t is not None) for s in sessions if any(t is not None for t in s)
    ]
    # A fair queue serves the crowd at its throughput, so one request's fair wait is a turn of all clients.
    share = CLIENTS * crowd_seconds / max(1, len(done))
    peak_text = f"{peak / 2**30:.2f} GB" if peak else "unknown"
    return [
        Measurement(
            "app start → first fast request served",
            [startup],
            notes=f"`python app.py` in a subprocess ({server.mode}); target ≤ 15 s",
        ),
        Measurement(
            f"fast {SIZE} px round trip beyond engine time (gradio_client)",
            [t - e for t, e in trips],
            notes=f"median round trip {round_trip:.3f} s, engine {engine:.3f} s; {ROUND_TRIPS} requests; "
            "target ≤ 0.5 s",
        ),
        Measurement(
            f"{CLIENTS} concurrent clients × {PER_CLIENT} fast requests: latency",
            done or [float("nan")],
            peak_mem_bytes=peak,
            notes=f"{len(done)}/{CLIENTS * PER_CLIENT} succeeded; per-client mean "
            f"{min(means, default=0):.2f}–{max(means, default=0):.2f} s; slowest "
            f"{max(done, default=0):.2f} s vs fair share {share:.2f} s; server peak RSS {peak_text} "
            "(target < 3 GB)",
        ),
    ]


def _serve_with(net: Path) -> None:
    """Serve the app with one checkpoint folder for every preset (what `run` starts without checkpoints)."""
    import studio as app

    app.main(one_network_engine(net))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the app with one network for every preset.")
    parser.add_argument("--net", type=Path, required=True, help="checkpoint folder")
    _serve_with(parser.parse_args().net)
