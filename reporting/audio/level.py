"""A level meter for the recording indicator: RMS and peak in dBFS with a decaying peak hold."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Level", "LevelMeter", "dbfs"]

FLOOR_DB = -90.0


def dbfs(value: float) -> float:
    """Amplitude (0..1) in dB relative to full scale, floored at -90."""
    return FLOOR_DB if value <= 10 ** (FLOOR_DB / 20) else max(FLOOR_DB, 20.0 * math.log10(value))


@dataclass(frozen=True, slots=True)
class Level:
    rms_db: float
    peak_db: float
    hold_db: float
    clipping: bool

    @property
    def fraction(self) -> float:
        """0..1 for a bar display (-60 dBFS .. 0 dBFS)."""
        return min(1.0, max(0.0, (self.rms_db + 60.0) / 60.0))


class LevelMeter:
    """Feed blocks; read :attr:`level`.  The peak hold falls by ``decay_db_per_s``."""

    def __init__(self, *, sample_rate: int = 16_000, decay_db_per_s: float = 20.0) -> None:
        self.sample_rate = sample_rate
        self.decay = decay_db_per_s
        self.level = Level(FLOOR_DB, FLOOR_DB, FLOOR_DB, False)

    def update(self, block: np.ndarray) -> Level:
        if block.size == 0:
            return self.level
        data = np.asarray(block, dtype=np.float32)
        peak = float(np.max(np.abs(data)))
        rms = float(np.sqrt(np.mean(np.square(data))))
        held = self.level.hold_db - self.decay * block.size / self.sample_rate
        peak_db = dbfs(peak)
        self.level = Level(dbfs(rms), peak_db, max(peak_db, held), peak >= 0.999)
        return self.level
