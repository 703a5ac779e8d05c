"""Values the speech recogniser produces and the :class:`Transcriber` seam."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["SAMPLE_RATE", "Word", "Segment", "Transcript", "Transcriber", "Wrapping"]

#: Every transcriber takes 16 kHz mono float32 audio in -1..1.
SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its timing (seconds from the start of the audio) and probability."""

    word: str
    start: float
    end: float
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "probability": round(self.probability, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Word:
        return cls(
            str(data["word"]), float(data["start"]), float(data["end"]), float(data["probability"])
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of recognised speech as the decoder produced it."""

    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "no_speech_prob": round(self.no_speech_prob, 4),
            "avg_logprob": round(self.avg_logprob, 4),
        }


@dataclass(frozen=True)
class Transcript:
    """What a transcriber heard: ``text`` (raw decoder text), its words and segments."""

    text: str
    words: tuple[Word, ...] = ()
    segments: tuple[Segment, ...] = ()
    duration: float = 0.0
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()


@runtime_checkable
class Transcriber(Protocol):
    """Turns 16 kHz mono float32 audio into a :class:`Transcript`.

    ``prompt`` biases decoding (vocabulary, previous text); ``hotwords`` are extra terms.
    """

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: str | None = None
    ) -> Transcript: ...


class Wrapping:
    """A transcriber that wraps another, ``transcriber``: what it does not have itself
    (options, resolved, model, warm_up ...) comes from the wrapped one."""

    transcriber: Any

    def __getattr__(self, name: str) -> Any:
        try:
            inner = self.__dict__["transcriber"]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(inner, name)
