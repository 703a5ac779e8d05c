"""The audio seam: every source yields 16 kHz mono float32 blocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["SAMPLE_RATE", "AudioSource"]

SAMPLE_RATE = 16_000


@runtime_checkable
class AudioSource(Protocol):
    """A source of 16 kHz mono float32 audio.

    ``blocks()`` yields arrays until the source ends or is stopped.  A zero-length block means
    "the speaker stopped talking" (push-to-talk released): segmenters end the utterance there.
    """

    sample_rate: int

    def blocks(self) -> Iterator[np.ndarray]: ...

    def close(self) -> None: ...
