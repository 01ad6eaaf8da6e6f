"""Fair use of the one GPU (or CPU) that quality and compare runs share: a short waiting line with at most one
run per client, a hard deadline per run, and a duration model that other people's runs cannot skew.

Gradio's own queue is shared by every event, so a client that filled it with ten-minute runs would block the
one-second fast requests of everyone else. Long runs therefore wait here instead, where a client holds at most
one place (by session and by address) and the line has a fixed length.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from nst.errors import NSTError

ALREADY_RUNNING = (
    "You already have a run going (or waiting for its turn). Wait for it to finish, or press Stop, "
    "then start the next one."
)
LINE_FULL = "The painter is busy with other people's runs right now. Please try again in a few minutes."
STOPPED_WAITING = "Stopped before it started (it was still waiting for its turn)."
POLL_S = 0.25  # how often a waiting run looks at its Stop flag


class Flag(Protocol):
    """What a run polls to stop (studio.stops.StopFlag, threading.Event)."""

    def set(self) -> None: ...
    def is_set(self) -> bool: ...


class Turn:
    """One place in a Gate's line, held from admission until the run ends (a context manager)."""

    def __init__(self, gate: Gate, owners: tuple[str, ...]) -> None:
        self.gate = gate
        self.owners = owners

    def wait(self, stop: Flag | None = None) -> None:
        """Block until this is the first place in line; an NSTError when `stop` is set meanwhile."""
        self.gate._wait(self, stop)

    def ahead(self) -> int:
        """Runs before this one (0 once it is running)."""
        return self.gate._ahead(self)

    def release(self) -> None:
        self.gate._leave(self)

    def __enter__(self) -> Turn:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class Gate:
    """One run at a time, in arrival order; at most `waiting` runs wait behind it, one place per owner."""

    def __init__(self, waiting: int) -> None:
        self.waiting = waiting
        self._line: list[Turn] = []
        self._owners: set[str] = set()
        self._changed = threading.Condition()

    def admit(self, owners: Sequence[str] = ()) -> Turn:
        """A place at the end of the line, or an NSTError when an owner already has one or the line is full.

        Anonymous callers (no owners: the library's own calls) are only limited by the line's length."""
        with self._changed:
            if any(owner in self._owners for owner in owners):
                raise NSTError(ALREADY_RUNNING)
            if len(self._line) > self.waiting:
                raise NSTError(LINE_FULL)
            turn = Turn(self, tuple(owners))
            self._line.append(turn)
            self._owners.update(owners)
            return turn

    def _wait(self, turn: Turn, stop: Flag | None) -> None:
        with self._changed:
            while self._line[0] is not turn:
                if stop is not None and stop.is_set():
                    raise NSTError(STOPPED_WAITING)
                self._changed.wait(POLL_S)

    def _ahead(self, turn: Turn) -> int:
        with self._changed:
            return self._line.index(turn) if turn in self._line else 0

    def _leave(self, turn: Turn) -> None:
        with self._changed:
            if turn in self._line:
                self._line.remove(turn)
                self._owners.difference_update(turn.owners)
            self._changed.notify_all()

    def __len__(self) -> int:
        with self._changed:
            return len(self._line)


class Deadline:
    """Sets a run's Stop flag after `seconds` (a context manager: the timer starts on entry). `expired` tells
    a deadline from a person's Stop."""

    def __init__(self, seconds: float, flag: Flag) -> None:
        self.seconds = seconds
        self.expired = False
        self._flag = flag
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        self._flag.set()

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


@dataclass(frozen=True)
class RunPolicy:
    """How long runs may take. A run's deadline is `factor` x its expected time + `margin_s`, between
    `min_deadline_s` and `max_deadline_s`; runs expected to take over `max_expected_s` are refused. The
    learned seconds per megapixel-step stay within `rate_band` x the device's default, and runs shorter than
    `min_learn_s` teach nothing (a few tiny runs must not make a long one look short)."""

    factor: float = 2.0
    margin_s: float = 30.0
    min_deadline_s: float = 60.0
    max_deadline_s: float = 900.0
    max_expected_s: float = 600.0
    rate_band: tuple[float, float] = (0.7, 4.0)
    min_learn_s: float = 5.0
    waiting: int = 4  # runs that may wait behind the running one

    def deadline(self, expected_s: float) -> float:
        """The wall-clock limit of a run expected to take `expected_s` seconds."""
        return min(self.max_deadline_s, max(self.min_deadline_s, self.factor * expected_s + self.margin_s))

    def learned_rate(self, current: float, measured: float, default: float, elapsed_s: float) -> float:
        """The next seconds-per-megapixel-step: a moving average of runs long enough to tell, kept in band."""
        if elapsed_s < self.min_learn_s:
            return current
        low, high = self.rate_band
        return min(high * default, max(low * default, 0.5 * current + 0.5 * measured))

    def longest_wait_s(self) -> float:
        """The longest a run can wait for its turn: every place ahead running to its deadline."""
        return self.waiting * self.max_deadline_s
