"""How long a quality run will take: overhead + steps × megapixels × a rate, the rate refined by every
finished run (within the RunPolicy's band, so a few tiny runs cannot make a long one look short)."""

from __future__ import annotations

import dataclasses
import threading

from nst.settings import QualitySettings
from studio.turns import RunPolicy

SECONDS_PER_MEGAPIXEL_STEP = {"cpu": 14.0, "cuda": 0.12}
RUN_OVERHEAD_S = {"cpu": 4.0, "cuda": 3.0}


def work_units(settings: QualitySettings) -> float:
    """Steps x megapixels of a run (square worst case); coarse-to-fine spends half its steps at a quarter."""
    megapixels = settings.size**2 / 1e6
    factor = 0.625 if settings.coarse_to_fine and settings.steps >= 2 else 1.0
    return settings.steps * megapixels * factor


def estimate_seconds(settings: QualitySettings, device_type: str, rate: float | None = None) -> float:
    """Expected duration of a quality run on `device_type` (the seconds per megapixel-step may be given)."""
    rate = SECONDS_PER_MEGAPIXEL_STEP[device_type] if rate is None else rate
    return RUN_OVERHEAD_S[device_type] + rate * work_units(settings)


class DurationModel:
    """The engine's running estimate for its hardware `kind`, shared by every session (thread-safe)."""

    def __init__(self, kind: str, policy: RunPolicy) -> None:
        self.kind = kind
        self.policy = policy
        self.rate = SECONDS_PER_MEGAPIXEL_STEP[kind]
        self._lock = threading.Lock()

    def estimate(self, settings: QualitySettings) -> float:
        with self._lock:
            return estimate_seconds(settings, self.kind, self.rate)

    def learn(self, settings: QualitySettings, steps_done: int, elapsed: float) -> None:
        """Refine the rate from a finished run (moving average, overhead excluded, kept in the policy's band
        around the device's default)."""
        done = dataclasses.replace(settings, steps=max(1, steps_done))
        measured = max(0.0, elapsed - RUN_OVERHEAD_S[self.kind]) / work_units(done)
        default = SECONDS_PER_MEGAPIXEL_STEP[self.kind]
        with self._lock:
            self.rate = self.policy.learned_rate(self.rate, measured, default, elapsed)
