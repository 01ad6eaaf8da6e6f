"""Stop flags of a served app: one per run, per browser session, crossing into ZeroGPU's worker process.

A flag lives from the Run click (`arm`, before the request queues) through the run (`running`, a context
manager: adopt the armed flag, forget it afterwards) to Stop (`stop`: that session's flags only).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# --- stop signals ---------------------------------------------------------------------------------------


class StopFlag:
    """A Stop request that crosses process boundaries (ZeroGPU runs GPU work in a forked worker): a file
    that exists once set. Duck-types the `threading.Event` that nst.quality.run_quality polls every step."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self) -> None:
        self.path.touch()

    def is_set(self) -> bool:
        return self.path.exists()


class StopRegistry:
    """Stop flags per (session, kind): Stop sets that session's flags only, so no one else's run is touched.

    `arm` is called when a Run button is clicked (before the request queues), so a Stop pressed while the
    run still waits in the queue ends it as soon as it starts; `begin` adopts that flag or makes a new one.
    """

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="nst-stop-"))
        weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._pending: dict[tuple[str, str], StopFlag] = {}
        self._running: dict[tuple[str, str], set[StopFlag]] = {}
        self._lock = threading.Lock()

    def _new(self) -> StopFlag:
        return StopFlag(self._dir / uuid.uuid4().hex)

    def arm(self, session: str, kind: str) -> None:
        """A run of `kind` was requested by `session`: hold a fresh flag for it."""
        with self._lock:
            self._pending[(session, kind)] = self._new()

    def loose(self) -> StopFlag:
        """A flag outside the registry (no session can stop it): for runs started by code, not a visitor."""
        return self._new()

    @contextmanager
    def running(self, session: str, kind: str) -> Iterator[StopFlag]:
        """The whole life of one run's flag: adopt the armed one (or a new one), and forget it at the end."""
        flag = self.begin(session, kind)
        try:
            yield flag
        finally:
            self.end(session, kind, flag)

    def begin(self, session: str, kind: str) -> StopFlag:
        """The flag a starting run polls (the armed one, possibly already set)."""
        with self._lock:
            flag = self._pending.pop((session, kind), None) or self._new()
            self._running.setdefault((session, kind), set()).add(flag)
            return flag

    def end(self, session: str, kind: str, flag: StopFlag) -> None:
        """The run polling `flag` is over: forget it."""
        with self._lock:
            running = self._running.get((session, kind), set())
            running.discard(flag)
            if not running:
                self._running.pop((session, kind), None)
        flag.path.unlink(missing_ok=True)

    def stop(self, session: str, kind: str | None = None) -> int:
        """Set the flags of `session`'s runs of `kind` (all kinds when None); returns how many were set."""

        def mine(key: tuple[str, str]) -> bool:
            return key[0] == session and kind in (None, key[1])

        with self._lock:
            flags = [flag for key, group in self._running.items() if mine(key) for flag in group]
            flags += [flag for key, flag in self._pending.items() if mine(key)]
        for flag in flags:
            flag.set()
        return len(flags)
