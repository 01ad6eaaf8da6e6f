"""Files from the Hugging Face Hub: the local cache first, then a download unless the Hub is offline.

An unreachable Hub must not stall a request: reachability is probed with a short timeout
(`HUB_PROBE_TIMEOUT_S`) and the answer is remembered for `HUB_PROBE_TTL_S` (one network blip must not leave a
server offline for good). Downloads run with short timeouts (`HUB_ETAG_TIMEOUT_S`, `HUB_DOWNLOAD_TIMEOUT_S`):
they happen inside a web request. Which checkpoint files serve a model id is decided in nst.checkpoints.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache
from huggingface_hub.errors import (
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import get_session

from nst.errors import ModelError
from nst.settings import HUB_DOWNLOAD_TIMEOUT_S, HUB_ETAG_TIMEOUT_S, HUB_PROBE_TIMEOUT_S, HUB_PROBE_TTL_S

log = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}

_reachable: dict[str, tuple[bool, float]] = {}  # endpoint -> (answer of its last probe, monotonic time)
_probe_lock = threading.Lock()
if "HF_HUB_DOWNLOAD_TIMEOUT" not in os.environ:  # read per download; the host may still set its own
    constants.HF_HUB_DOWNLOAD_TIMEOUT = HUB_DOWNLOAD_TIMEOUT_S


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE is set now (read at call time) or was when huggingface_hub was imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE or bool(constants.HF_HUB_OFFLINE)


def hub_reachable() -> bool:
    """Whether the Hub endpoint answers: probed (HUB_PROBE_TIMEOUT_S), then remembered for HUB_PROBE_TTL_S."""
    endpoint = constants.ENDPOINT
    with _probe_lock:
        known = _reachable.get(endpoint)
        if known is None or time.monotonic() - known[1] >= HUB_PROBE_TTL_S:
            known = (_probe(endpoint, HUB_PROBE_TIMEOUT_S), time.monotonic())
            _reachable[endpoint] = known
            if not known[0]:
                log.info("The Hugging Face Hub at %s is unreachable; using local files only.", endpoint)
        return known[0]


def reset_hub_probe() -> None:
    """Forget remembered reachability answers (tests; or after the network came back)."""
    with _probe_lock:
        _reachable.clear()


def _probe(endpoint: str, timeout: float) -> bool:
    """True when an HTTP HEAD to `endpoint` gets any answer within `timeout` seconds (DNS included)."""
    answered: list[bool] = []

    def attempt() -> None:
        try:
            get_session().head(endpoint, timeout=timeout)  # huggingface_hub's own client, proxies and all
            answered.append(True)
        except Exception:  # whatever went wrong, the Hub did not answer
            answered.append(False)

    worker = threading.Thread(target=attempt, name="nst-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout)  # a hung DNS lookup is not bounded by httpx's timeout; this is
    return bool(answered and answered[0])


def download_blocker() -> str | None:
    """Why nothing can be downloaded now ("the Hub is offline ..."), or None when a download may work."""
    if hub_offline():
        return "the Hub is offline (HF_HUB_OFFLINE is set)"
    if not hub_reachable():
        return f"the Hub ({constants.ENDPOINT}) is unreachable"
    return None


def cached_file(
    repo_id: str, filename: str, *, revision: str | None = None, repo_type: str = "model"
) -> Path | None:
    """Path of `filename` of `repo_id` at `revision` (default: main) in the local Hub cache, or None."""
    found = try_to_load_from_cache(repo_id, filename, revision=revision, repo_type=repo_type)
    return Path(found) if isinstance(found, str) else None


def download_file(
    repo_id: str, filename: str, *, revision: str | None = None, repo_type: str = "model", force: bool = False
) -> Path:
    """Download (or re-download with `force`) one file into the Hub cache; ModelError saying why it failed."""
    blocker = download_blocker()
    what = f"{filename} from {repo_id}" + (f" at revision {revision}" if revision else "")
    if blocker is not None:
        raise ModelError(f"cannot download {what}: {blocker}")
    try:
        return Path(
            hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                repo_type=repo_type,
                force_download=force,
                etag_timeout=HUB_ETAG_TIMEOUT_S,
            )
        )
    except LocalEntryNotFoundError as exc:  # huggingface_hub's way of saying it could not reach the Hub
        with _probe_lock:
            _reachable[constants.ENDPOINT] = (False, time.monotonic())  # not again for HUB_PROBE_TTL_S
        raise ModelError(f"downloading {what} failed: the Hub ({constants.ENDPOINT}) did not answer") from exc
    except (RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError) as exc:
        raise ModelError(
            f"{what} does not exist on the Hub, or is not accessible ({type(exc).__name__})"
        ) from exc
    except (HfHubHTTPError, OSError, ValueError) as exc:  # other HTTP errors, a full disk, a failed retry
        reason = str(exc).partition("\n")[0] or type(exc).__name__
        raise ModelError(f"downloading {what} failed: {reason}") from exc


def fetch_file(repo_id: str, filename: str, *, revision: str | None = None, repo_type: str = "model") -> Path:
    """Local path of a Hub file: from the cache, else downloaded (unless offline or unreachable)."""
    found = cached_file(repo_id, filename, revision=revision, repo_type=repo_type)
    if found is not None:
        return found
    blocker = download_blocker()
    if blocker is not None:
        shown = f"{repo_id}/{filename}" + (f" (revision {revision})" if revision else "")
        raise ModelError(
            f"{shown} is not in the Hugging Face cache and {blocker}. Connect to the internet once to "
            "download it, or copy it into the cache."
        )
    return download_file(repo_id, filename, revision=revision, repo_type=repo_type)


def url_reachable(url: str) -> bool:
    """Whether the server of `url` (any host, e.g. torchvision's downloads) answers: one bounded probe per
    URL and process, remembered like the Hub's own."""
    with _probe_lock:
        if url not in _reachable:
            _reachable[url] = (_probe(url, HUB_PROBE_TIMEOUT_S), time.monotonic())
        return _reachable[url][0]


def put_in_hf_cache(
    hf_cache: Path, repo_id: str, filename: str, source: Path, commit: str = "0" * 40
) -> Path:
    """Copy `source` into the Hugging Face cache folder `hf_cache` as `filename` of `repo_id` at main
    (refs/main -> `commit`), in the cache's own layout: what a Space's `preload_from_hub` leaves behind."""
    repo = hf_cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    target = repo / "snapshots" / commit / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target
