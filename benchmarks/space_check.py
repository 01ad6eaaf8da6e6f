"""Serve the app exactly as a Hugging Face Space would get it, offline, and use each tab once.

The file set is what a push sends (git's tracked and unignored files, nothing from ../shared) plus what the
README card's `preload_from_hub` puts in the Space's Hub cache, where the repository holds the file it would
publish there (a preset repo's checkpoint and painting come from styles/<model id>/; a repo the repository
cannot supply, such as the loss network's, is left out and listed). The torch cache holds a thin random
VGG19 in torchvision's file (the real one is 548 MB: pass `--torch-weights` to use it instead), so the loss
network comes the way a fresh machine gets it: torchvision's route, converted on first use.

In a scratch folder, with HF_HUB_OFFLINE=1, no NST_* variable and no ../shared, it starts `python app.py`,
then with gradio_client: checks every tab's examples are served, runs the Fast example, a Fast request, a
short Quality run and a Compare run. Exit status 0 when all of it works.

    python -m benchmarks.space_check [--keep] [--scratch DIR] [--torch-weights vgg19-dcbb9e9d.pth]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import torch
from gradio_client import Client, handle_file
from huggingface_hub import SpaceCard

from benchmarks.serving import free_port, stop_server
from nst.checkpoints import model_source
from nst.hub import put_in_hf_cache
from nst.images import load_image
from nst.settings import REPO_ROOT, TORCHVISION_VGG_FILE
from nst.vgg import random_features
from nst.vgg_weights import CONVERTED_FILE

START_TIMEOUT_S = 180
THIN_VGG = (8, 16, 16, 32, 32)  # channels per block of the stand-in loss network
FAKE_COMMIT = "0" * 40
VARIABLES_CLEARED = ("NST_", "HF_", "TORCH_HOME", "XDG_CACHE_HOME", "GRADIO_", "PYTHONPATH")


def space_files(root: Path = REPO_ROOT) -> list[str]:
    """The repository's files as a push sends them: tracked plus untracked-but-not-ignored ones."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    return sorted(name for name in set(listed) if name and (root / name).is_file())


def preloads(root: Path = REPO_ROOT) -> list[tuple[str, list[str]]]:
    """(repo id, file names) of each `preload_from_hub` line of the README's Space card."""
    card = SpaceCard((root / "README.md").read_text(encoding="utf-8"))
    entries = []
    for line in card.data.get("preload_from_hub") or []:
        repo_id, _, files = line.partition(" ")
        entries.append((repo_id, [name for name in files.split(",") if name]))
    return entries


def publishable(repo_id: str, filename: str, app: Path) -> Path | None:
    """The file of the Space's file set that would be published as `filename` of `repo_id`, if any."""
    for model in (p.name for p in (app / "styles").iterdir() if p.is_dir()):
        with contextlib.suppress(Exception):  # a folder that is not a preset's
            if model_source(model).repo_id == repo_id and (app / "styles" / model / filename).is_file():
                return app / "styles" / model / filename
    return None


def build(scratch: Path, torch_weights: Path | None = None) -> tuple[Path, dict[str, str], list[str]]:
    """Lay out the Space in `scratch`: app/ (the file set), hf/ and torch/ caches, cache/ for our own files.
    Returns the app folder, the environment to run it with, and the preloads left out."""
    app = scratch / "app"
    for name in space_files():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, app / name)
    hf_home, missing = scratch / "hf", []
    for repo_id, files in preloads():
        for filename in files:
            source = publishable(repo_id, filename, app)
            if source is None:
                missing.append(f"{repo_id}/{filename}")
            else:
                put_in_hf_cache(hf_home / "hub", repo_id, filename, source, FAKE_COMMIT)
    checkpoints = scratch / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    if torch_weights is not None:
        shutil.copy2(torch_weights, checkpoints / TORCHVISION_VGG_FILE)
    else:
        torch.save(random_features(widths=THIN_VGG), checkpoints / TORCHVISION_VGG_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(VARIABLES_CLEARED)}
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HOME=str(hf_home),
        TORCH_HOME=str(scratch / "torch"),
        XDG_CACHE_HOME=str(scratch / "cache"),
        GRADIO_ANALYTICS_ENABLED="False",
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(free_port()),
    )
    return app, env, missing


@contextlib.contextmanager
def serve(app: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`python app.py` in `app` with `env`; yields its URL once it answers, stops it afterwards."""
    url = f"http://127.0.0.1:{env['GRADIO_SERVER_PORT']}/"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=app, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the app exited ({process.returncode}):\n{_tail(log)}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not answer within {START_TIMEOUT_S} s:\n{_tail(log)}")
                time.sleep(0.5)
            yield url
        finally:
            stop_server(process)


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def check_examples(url: str) -> list[str]:
    """Each tab's examples, served by the running app: one line per tab, or an AssertionError."""
    config = httpx.get(f"{url}config", timeout=30).json()
    datasets = [c for c in config["components"] if c.get("type") == "dataset"]
    assert len(datasets) == 3, f"expected examples in 3 tabs, found {len(datasets)}"
    report = []
    for tab, dataset in zip(("fast", "quality", "compare"), datasets, strict=True):
        samples = dataset["props"]["samples"]
        assert samples, "a tab has no examples"
        for sample in samples:
            image = sample[0]
            answer = httpx.get(image["url"], timeout=30)
            assert answer.status_code == 200 and answer.content[:3] == b"\xff\xd8\xff", image
        names = ", ".join(Path(sample[0]["path"]).name for sample in samples)
        report.append(f"{tab}: {len(samples)} served ({names})")
    return report


def drive(url: str, app: Path, downloads: Path) -> list[str]:
    """Use each tab once through the API, as a visitor's browser would; one report line per call."""
    client = Client(url, verbose=False, analytics_enabled=False, download_files=str(downloads))
    photo = sorted((app / "examples").glob("*.jpg"))[0]
    small = downloads / "small.png"
    load_image(photo, max_side=96).save(small)
    lines = [f"examples: {line}" for line in check_examples(url)]

    image, _, recipe = client.predict(0, api_name="/load_example")
    assert Path(image).is_file() and recipe["mode"] == "fast", recipe
    lines.append(f"fast example: {recipe['preset']} with {recipe['model']} in {recipe['seconds']} s")
    image, info, recipe = client.predict(handle_file(photo), "picasso", 1.0, False, 256, api_name="/fast")
    assert Path(image).is_file() and recipe["output_size"] == [256, 171], recipe
    lines.append(f"fast: {info.splitlines()[0]}")

    # Compare first: the app learns its duration model from finished quality runs, and a tiny one on a busy
    # machine would make it refuse the comparison's default settings as too long.
    *_, status, table = client.predict(handle_file(small), "kandinsky", api_name="/compare")
    rows = table["data"]
    assert len(rows) == 2 and "Done" in status, (status, table)
    lines.append(f"compare: {rows[0][0]} {rows[0][1]} vs {rows[1][0]} {rows[1][1]}")
    values = [handle_file(small), "hokusai", None, "", None, 0.5, 1.0, 5, 64, False]
    values += [["relu1_1", "relu2_1", "relu3_1"], ["relu2_1"], 1.0, "lbfgs", "content", 0, 1.0, False]
    image, status, recipe = client.predict(*values, api_name="/quality")
    assert "Done: 5 steps" in status and Path(image).is_file(), status
    assert recipe["loss_network"]["file"] == CONVERTED_FILE, recipe["loss_network"]
    lines.append(f"quality: 5 steps, loss network {recipe['loss_network']['file']}")

    return lines


def check(scratch: Path, torch_weights: Path | None = None) -> list[str]:
    """Build the Space in `scratch`, serve it and drive it; the report (an exception says what failed)."""
    app, env, missing = build(scratch, torch_weights)
    report = [f"file set: {sum(1 for p in app.rglob('*') if p.is_file())} files, no ../shared"]
    if missing:
        report.append(f"preloads not publishable from this repository (left out): {', '.join(missing)}")
    downloads = scratch / "downloads"
    downloads.mkdir()
    with serve(app, env, scratch / "app.log") as url:
        report += drive(url, app, downloads)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scratch", type=Path, help="build here (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--torch-weights", type=Path, help="torchvision's real vgg19-dcbb9e9d.pth")
    args = parser.parse_args(argv)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="nst-space-"))
    try:
        for line in check(scratch, args.torch_weights):
            print(line)
    except (AssertionError, RuntimeError) as exc:
        print(f"space check failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print("space check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
