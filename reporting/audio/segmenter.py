"""Utterances from a stream of audio blocks, with faster-whisper's Silero VAD.

:class:`StreamingVad` runs the Silero model window by window (512 samples), carrying its
recurrent state, so the decision for each window costs well under a millisecond.
:class:`UtteranceSegmenter` turns probabilities into utterances: speech starts after
``min_speech_ms`` of speech, ends after ``min_silence_ms`` of silence (or a zero-length block,
or ``max_utterance_s``), and keeps ``speech_pad_ms`` of audio either side.
:class:`LiveRecognizer` adds a transcriber: a partial hypothesis about once a second while the
speaker talks and a final transcript per utterance.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from reporting.audio.base import SAMPLE_RATE
from reporting.errors import AudioError

__all__ = [
    "SegmenterOptions",
    "StreamingVad",
    "UtteranceSegmenter",
    "UtteranceAudio",
    "LiveRecognizer",
    "Partial",
    "Final",
]

WINDOW = 512
_CONTEXT = 64


@dataclass(frozen=True, slots=True)
class SegmenterOptions:
    threshold: float = 0.5
    min_speech_ms: int = 200
    min_silence_ms: int = 700
    speech_pad_ms: int = 250
    max_utterance_s: float = 15.0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise AudioError(f"VAD threshold must be between 0 and 1, not {self.threshold}")
        if self.max_utterance_s <= 1.0:
            raise AudioError("max_utterance_s must be more than one second")


class StreamingVad:
    """Silero VAD probabilities for consecutive 512-sample windows of a stream."""

    def __init__(self) -> None:
        try:
            from faster_whisper.vad import get_vad_model
        except ImportError:
            raise AudioError(
                "voice activity detection needs faster-whisper (and onnxruntime); install the "
                "dictation extra: pip install 'reporting[dictation]'"
            ) from None
        self._session = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, block: np.ndarray) -> np.ndarray:
        """Probabilities for every window completed by ``block`` (may be empty)."""
        data = np.concatenate([self._pending, np.asarray(block, dtype=np.float32).reshape(-1)])
        n = data.size // WINDOW
        self._pending = data[n * WINDOW :]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        windows = data[: n * WINDOW].reshape(n, WINDOW)
        contexts = np.empty((n, _CONTEXT), dtype=np.float32)
        contexts[0] = self._context
        if n > 1:
            contexts[1:] = windows[:-1, -_CONTEXT:]
        self._context = windows[-1, -_CONTEXT:].copy()
        batch = np.concatenate([contexts, windows], axis=1)
        out, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        return np.asarray(out, dtype=np.float32).reshape(-1)


@dataclass(frozen=True)
class UtteranceAudio:
    """One utterance: its audio and where it lies in the stream (seconds)."""

    index: int
    audio: np.ndarray = field(repr=False)
    start: float
    end: float
    ended_at: float = 0.0  # time.monotonic() when the end was detected
    cut: bool = False  # ended by max_utterance_s rather than silence

    @property
    def duration(self) -> float:
        return self.audio.size / SAMPLE_RATE


class UtteranceSegmenter:
    """Feed blocks with :meth:`push`; finished utterances come back as they end."""

    def __init__(
        self, options: SegmenterOptions | None = None, *, vad: StreamingVad | None = None
    ) -> None:
        self.options = options or SegmenterOptions()
        self.vad = vad or StreamingVad()
        self._pad = int(SAMPLE_RATE * self.options.speech_pad_ms / 1000)
        self._preroll: deque[np.ndarray] = deque()
        self._preroll_len = 0
        self._speech: list[np.ndarray] = []
        self._speaking = False
        self._speech_run = 0
        self._silence_run = 0
        self._position = 0  # samples seen
        self._start = 0
        self._count = 0
        self._pending = np.zeros(0, dtype=np.float32)
        self._quiet_at = 0

    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def silence_samples(self) -> int:
        """How long the speaker has been quiet inside the current utterance (samples)."""
        return self._silence_run * WINDOW if self._speaking else 0

    def ending_audio(self) -> np.ndarray:
        """The current utterance as it will be cut if the present silence ends it (speech up to
        the silence plus ``speech_pad_ms``); empty until that much silence has been heard."""
        if not self._speaking or self._silence_run * WINDOW < self._pad:
            return np.zeros(0, np.float32)
        whole = np.concatenate(self._speech)
        return whole[: whole.size - self._silence_run * WINDOW + self._pad]

    def current_audio(self) -> np.ndarray:
        """The audio of the utterance in progress (empty when nobody is speaking)."""
        return (
            np.concatenate(self._speech)
            if self._speaking and self._speech
            else np.zeros(0, np.float32)
        )

    def push(self, block: np.ndarray) -> list[UtteranceAudio]:
        if block.size == 0:
            return self.flush()
        done: list[UtteranceAudio] = []
        data = np.concatenate([self._pending, np.asarray(block, dtype=np.float32).reshape(-1)])
        n = data.size // WINDOW
        self._pending = data[n * WINDOW :]
        if n == 0:
            return done
        probs = self.vad.feed(data[: n * WINDOW])
        opts = self.options
        min_speech = max(1, int(opts.min_speech_ms * SAMPLE_RATE / 1000 / WINDOW))
        min_silence = max(1, int(opts.min_silence_ms * SAMPLE_RATE / 1000 / WINDOW))
        max_len = int(opts.max_utterance_s * SAMPLE_RATE)
        for i, prob in enumerate(probs):
            window = data[i * WINDOW : (i + 1) * WINDOW]
            self._position += WINDOW
            if not self._speaking:
                self._remember(window)
                self._speech_run = self._speech_run + 1 if prob >= opts.threshold else 0
                if self._speech_run >= min_speech:
                    self._speaking = True
                    self._silence_run = 0
                    self._speech = list(self._preroll)
                    self._start = self._position - sum(len(w) for w in self._speech)
                    self._preroll.clear()
                    self._preroll_len = 0
                continue
            self._speech.append(window)
            length = sum(len(w) for w in self._speech)
            if prob < max(opts.threshold - 0.15, 0.01):
                self._silence_run += 1
                self._quiet_at = length
            elif prob >= opts.threshold:
                self._silence_run = 0
            if self._silence_run >= min_silence:
                keep = length - (self._silence_run * WINDOW) + self._pad
                done.append(self._finish(keep))
            elif length >= max_len:
                # cut at the last quiet window in the final third, else right here
                at = self._quiet_at if self._quiet_at > max_len * 2 // 3 else length
                done.append(self._finish(at, cut=True))
        return done

    def _remember(self, window: np.ndarray) -> None:
        self._preroll.append(window)
        self._preroll_len += len(window)
        while self._preroll and self._preroll_len - len(self._preroll[0]) >= self._pad:
            self._preroll_len -= len(self._preroll.popleft())

    def _finish(self, keep: int, *, cut: bool = False) -> UtteranceAudio:
        whole = np.concatenate(self._speech)
        audio = whole[: max(0, keep)]
        start = self._start / SAMPLE_RATE
        utt = UtteranceAudio(
            self._count, audio, start, start + audio.size / SAMPLE_RATE, time.monotonic(), cut
        )
        self._count += 1
        rest = whole[audio.size :] if cut else whole[:0]
        self._speech = [rest] if rest.size else []
        self._speaking = cut  # a cut utterance goes straight on
        self._start = self._position - rest.size
        self._quiet_at = 0
        self._speech_run = 0
        self._silence_run = 0
        return utt

    def flush(self) -> list[UtteranceAudio]:
        """End the utterance in progress (push-to-talk released, stream ended)."""
        out: list[UtteranceAudio] = []
        if self._speaking and self._speech:
            if self._pending.size:
                self._speech.append(self._pending)
                self._pending = np.zeros(0, dtype=np.float32)
            out.append(self._finish(sum(len(w) for w in self._speech)))
        self._speaking = False
        self._preroll.clear()
        self._preroll_len = 0
        self.vad.reset()
        return out

    def segments(self, blocks: Iterable[np.ndarray]) -> Iterator[UtteranceAudio]:
        """All utterances of a finite stream of blocks."""
        for block in blocks:
            yield from self.push(block)
        yield from self.flush()


class _Transcribes(Protocol):
    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: str | None = None
    ) -> Any: ...


@dataclass(frozen=True)
class Partial:
    """A provisional hypothesis for the utterance in progress."""

    index: int
    text: str


@dataclass(frozen=True)
class Final:
    """The transcript of a finished utterance; ``latency`` = seconds from end detection to text;
    ``speculative`` when the decode started during the closing silence and was kept."""

    utterance: UtteranceAudio
    transcript: Any
    latency: float
    speculative: bool = False


class LiveRecognizer:
    """Segmenter + transcriber for live audio.

    Decoding runs on one worker thread.  While the speaker talks, a partial hypothesis is
    decoded about every ``partial_every`` seconds of new speech (skipped while the worker is
    busy, and spaced out to twice the last partial's decoding time on a slow machine: partials
    never queue up).  As soon as the closing silence reaches the segment padding,
    the utterance is decoded speculatively; if the silence goes on to end the utterance, that
    result is the final one, which hides most of the end-of-utterance wait.  If speech resumes,
    the speculative result is dropped.  ``partial_transcriber`` (default: ``transcriber``) may
    be a cheaper set-up for the hypotheses, e.g. :meth:`WhisperTranscriber.for_partials`.
    """

    def __init__(
        self,
        transcriber: _Transcribes,
        *,
        segmenter: UtteranceSegmenter | None = None,
        prompt: Callable[[], str | None] | str | None = None,
        partial_every: float = 1.0,
        partials: bool = True,
        speculate: bool = True,
        partial_transcriber: _Transcribes | None = None,
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.transcriber = transcriber
        self.partial_transcriber = partial_transcriber or transcriber
        self.segmenter = segmenter or UtteranceSegmenter()
        self._prompt = prompt
        self.partial_every = partial_every
        self.partials = partials
        self.speculate = speculate
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr")
        self._last_partial = 0
        self._partial_job: tuple[int, Future[Any]] | None = None
        self._partial_started = 0.0
        self._partial_cost = 0.0  # seconds the last partial decode took
        self._spec: tuple[int, Future[Any]] | None = None

    def prompt(self) -> str | None:
        return self._prompt() if callable(self._prompt) else self._prompt

    def _decode(self, audio: np.ndarray, *, partial: bool = False) -> Future[Any]:
        engine = self.partial_transcriber if partial else self.transcriber
        return self._pool.submit(engine.transcribe, audio, prompt=self.prompt())

    def _busy(self) -> bool:
        return any(job is not None and not job[1].done() for job in (self._partial_job, self._spec))

    def push(self, block: np.ndarray) -> list[Partial | Final]:
        events: list[Partial | Final] = []
        if self._partial_job is not None and self._partial_job[1].done():
            index, job = self._partial_job
            self._partial_job = None
            self._partial_cost = time.monotonic() - self._partial_started
            events.append(Partial(index, str(getattr(job.result(), "text", ""))))
        for utt in self.segmenter.push(block):
            events.append(self._final(utt))
        seg = self.segmenter
        if not seg.speaking:
            return events
        if seg.silence_samples == 0:
            self._spec = None  # speech resumed: a speculative decode is stale
            audio = seg.current_audio()
            # partials may take at most about half of the decoder's time, so the final decode
            # rarely waits behind one: on a slow machine they come less often
            every = max(self.partial_every, 2.0 * self._partial_cost)
            grown = audio.size - self._last_partial >= every * SAMPLE_RATE
            if self.partials and grown and not self._busy():
                self._last_partial = audio.size
                self._partial_started = time.monotonic()
                self._partial_job = (seg._count, self._decode(audio, partial=True))
        elif self.speculate and self._spec is None:
            ending = seg.ending_audio()
            if ending.size:
                self._spec = (ending.size, self._decode(ending))
        return events

    def _final(self, utt: UtteranceAudio) -> Final:
        self._last_partial = 0
        spec, self._spec = self._spec, None
        if spec is not None and spec[0] == utt.audio.size:
            transcript = spec[1].result()
            return Final(utt, transcript, time.monotonic() - utt.ended_at, True)
        transcript = self._decode(utt.audio).result()
        return Final(utt, transcript, time.monotonic() - utt.ended_at, False)

    def flush(self) -> list[Partial | Final]:
        return [self._final(u) for u in self.segmenter.flush()]

    def run(self, blocks: Iterable[np.ndarray]) -> Iterator[Partial | Final]:
        try:
            for block in blocks:
                yield from self.push(block)
            yield from self.flush()
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
