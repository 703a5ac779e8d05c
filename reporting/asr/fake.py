"""A scripted :class:`~reporting.asr.types.Transcriber` for fast tests and the TUI's demo mode."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from reporting.asr.types import SAMPLE_RATE, Segment, Transcript, Word

__all__ = ["FakeTranscriber", "transcript_from_text"]


def transcript_from_text(
    text: str,
    *,
    duration: float = 0.0,
    probabilities: Mapping[str, float] | None = None,
    default: float = 0.98,
) -> Transcript:
    """A transcript whose words are spread evenly over ``duration`` (0.3 s each when 0)."""
    tokens = text.split()
    probs = {k.lower(): v for k, v in (probabilities or {}).items()}
    step = duration / len(tokens) if tokens and duration else 0.3
    words = tuple(
        Word(
            tok,
            round(i * step, 3),
            round((i + 1) * step, 3),
            probs.get(tok.strip(".,;:?!").lower(), default),
        )
        for i, tok in enumerate(tokens)
    )
    end = words[-1].end if words else 0.0
    segments = (Segment(text, 0.0, end, words),) if tokens else ()
    return Transcript(text, words, segments, duration or end)


class FakeTranscriber:
    """Returns scripted transcripts: the next item of ``script`` per call, or ``respond(audio)``.

    Silence (all-zero or near-silent audio) gives an empty transcript without using the script,
    like the real engine's gate.  ``calls`` records ``(samples, prompt)`` for assertions.
    """

    def __init__(
        self,
        script: Iterable[str | Transcript] = (),
        *,
        respond: Callable[[np.ndarray], str | Transcript] | None = None,
        probabilities: Mapping[str, float] | None = None,
    ) -> None:
        self._script = list(script)
        self._respond = respond
        self._probabilities = dict(probabilities or {})
        self._lock = threading.Lock()
        self.calls: list[tuple[int, str | None]] = []

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: str | None = None
    ) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = audio.size / SAMPLE_RATE
        with self._lock:
            self.calls.append((int(audio.size), prompt))
            if audio.size == 0 or float(np.max(np.abs(audio))) < 1e-3:
                return Transcript("", duration=duration, info={"gate": "energy"})
            if self._respond is not None:
                item: str | Transcript = self._respond(audio)
            elif self._script:
                item = self._script.pop(0)
            else:
                item = ""
        if isinstance(item, Transcript):
            return item
        return transcript_from_text(item, duration=duration, probabilities=self._probabilities)
