"""Utterances from a stream of audio blocks, with faster-whisper's Silero VAD.

:class:`StreamingVad` runs the Silero model window by window (512 samples), carrying its
recurrent state, so the decision for each window costs well under a millisecond.
:class:`UtteranceSegmenter` turns probabilities into utterances: speech starts after
``min_speech_ms`` of speech, ends after ``min_silence_ms`` of silence (or a zero-length block,
or ``max_utterance_s``), and keeps ``speech_pad_ms`` of audio either side (before the first
window heard as speech, even when a brief dip delayed the confirmation).
:class:`LiveRecognizer` adds a transcriber: a partial hypothesis about once a second while the
speaker talks and a final transcript per utterance.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    "Revision",
    "join_transcripts",
]

WINDOW = 512
_CONTEXT = 64
#: audio shorter than this (samples) holds no word: not worth a decode of its own
_MIN_PIECE = SAMPLE_RATE * 15 // 100
#: how far back (seconds) before confirmed speech the segmenter looks for where it began
_LOOKBACK_S = 1.0


@dataclass(frozen=True, slots=True)
class SegmenterOptions:
    threshold: float = 0.5
    min_speech_ms: int = 200
    min_silence_ms: int = 700
    speech_pad_ms: int = 250
    max_utterance_s: float = 15.0
    #: a quiet stretch at least this long inside an utterance is a pause: the live recogniser
    #: may decode the speech before it while the speaker goes on
    pause_ms: int = 200
    #: a shorter quiet stretch (at least this long) is a brief pause: a place to cut only in
    #: speech that has gone on without a pause (see ``LiveRecognizer.long_run_s``)
    brief_pause_ms: int = 64

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise AudioError(f"VAD threshold must be between 0 and 1, not {self.threshold}")
        if self.max_utterance_s <= 1.0:
            raise AudioError("max_utterance_s must be more than one second")
        if not 0 < self.brief_pause_ms <= self.pause_ms:
            raise AudioError(
                f"brief_pause_ms must be more than 0 and at most pause_ms ({self.pause_ms}), "
                f"not {self.brief_pause_ms}"
            )


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
        # speech is confirmed only after min_speech_ms of it with no dip, so the pre-roll looks
        # back to where that speech was first heard (over dips shorter than pause_ms, at most
        # _LOOKBACK_S) and keeps the pad before it: the quiet onset of a first word ("Stable",
        # "There", a "Right" whose probability dipped) is kept
        self._preroll_cap = self._pad + int(_LOOKBACK_S * SAMPLE_RATE)
        self._onset: int | None = None  # windows since speech was first heard (None: quiet)
        self._quiet_run = 0  # consecutive quiet windows before speech is confirmed
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
        self._pauses: list[tuple[int, bool]] = []  # (middle sample, at least pause_ms)

    @property
    def pauses(self) -> tuple[int, ...]:
        """Sample offsets (in the utterance in progress) of the middle of each pause of at least
        ``pause_ms`` after which speech went on: places the audio can be cut without cutting a
        word."""
        return tuple(at for at, full in self._pauses if full) if self._speaking else ()

    @property
    def brief_pauses(self) -> tuple[int, ...]:
        """Like :attr:`pauses`, for every quiet stretch of at least ``brief_pause_ms``
        (pauses included): places to cut when speech runs on with no pause."""
        return tuple(at for at, _ in self._pauses) if self._speaking else ()

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
        min_pause = max(1, int(opts.pause_ms * SAMPLE_RATE / 1000 / WINDOW))
        quiet_below = max(opts.threshold - 0.15, 0.01)  # hysteresis: quiet is clearly below
        min_brief = max(1, int(opts.brief_pause_ms * SAMPLE_RATE / 1000 / WINDOW))
        max_len = int(opts.max_utterance_s * SAMPLE_RATE)
        for i, prob in enumerate(probs):
            window = data[i * WINDOW : (i + 1) * WINDOW]
            self._position += WINDOW
            if not self._speaking:
                self._remember(window)
                loud = prob >= opts.threshold
                self._speech_run = self._speech_run + 1 if loud else 0
                self._quiet_run = self._quiet_run + 1 if prob < quiet_below else 0
                if self._quiet_run >= min_pause:
                    self._onset = None
                elif self._onset is not None or loud:
                    self._onset = (self._onset or 0) + 1
                if self._speech_run >= min_speech:
                    heard = max(self._onset or 0, self._speech_run)
                    windows = -(-(heard * WINDOW + self._pad) // WINDOW)
                    self._speaking = True
                    self._silence_run = 0
                    self._speech = list(self._preroll)[-windows:]
                    self._start = self._position - sum(len(w) for w in self._speech)
                    self._preroll.clear()
                    self._preroll_len = 0
                    self._onset = None
                    self._quiet_run = 0
                continue
            self._speech.append(window)
            length = sum(len(w) for w in self._speech)
            if prob < quiet_below:
                self._silence_run += 1
                self._quiet_at = length
            elif prob >= opts.threshold:
                if self._silence_run >= min_brief:
                    quiet = self._silence_run * WINDOW
                    middle = length - WINDOW - quiet + quiet // 2
                    self._pauses.append((middle, self._silence_run >= min_pause))
                self._silence_run = 0
            if self._silence_run >= min_silence:
                speech = length - self._silence_run * WINDOW
                utt = self._finish(speech + self._pad)
                if speech >= _MIN_PIECE:  # else the tail of a word a cut fell in: no word
                    done.append(utt)
            elif length >= max_len:
                done.append(self._finish(self._cut_at(max_len * 2 // 3, length), cut=True))
        return done

    def _cut_at(self, earliest: int, length: int) -> int:
        """Where to cut an utterance that reached ``max_utterance_s`` (``length`` samples):
        in the middle of its last pause after ``earliest`` (``pause_ms``: most often between
        sentences), else of its last brief pause (``brief_pause_ms``: between words), where
        no word is cut; else at its last quiet window after ``earliest`` (which may be a
        word's own stop, as the closure of the "p" in "pleural"); else right here."""
        for wanted in (True, False):
            pauses = [at for at, full in self._pauses if at > earliest and (full or not wanted)]
            if pauses:
                return pauses[-1]
        return self._quiet_at if self._quiet_at > earliest else length

    def _remember(self, window: np.ndarray) -> None:
        self._preroll.append(window)
        self._preroll_len += len(window)
        while self._preroll and self._preroll_len - len(self._preroll[0]) >= self._preroll_cap:
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
        self._pauses = []
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
            total = sum(len(w) for w in self._speech)
            utt = self._finish(total)
            if total >= _MIN_PIECE:  # else the tail of a word a cut fell in: no word
                out.append(utt)
        self._speaking = False
        self._pauses = []
        self._preroll.clear()
        self._preroll_len = 0
        self._onset = None
        self._quiet_run = self._speech_run = 0
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


class _Reconsiders(Protocol):
    def reconsider(
        self, audio: np.ndarray, final: Any, *, prompt: str | None = None, whole: bool = True
    ) -> Any: ...


@dataclass(frozen=True)
class Partial:
    """A provisional hypothesis for the utterance in progress."""

    index: int
    text: str


@dataclass(frozen=True)
class Final:
    """The transcript of a finished utterance; ``latency`` = seconds from end detection to text;
    ``speculative`` when all of it was decoded ahead (started during the closing silence or
    committed before it) rather than after the end was detected."""

    utterance: UtteranceAudio
    transcript: Any
    latency: float
    speculative: bool = False


@dataclass(frozen=True)
class Revision:
    """A better transcript of a finished utterance: the whole utterance decoded again, once,
    with full context (what ``reporting dictate`` would write for the same audio) -- after a
    :class:`Final` joined from pieces cut at pauses, or after any final when a reviser recalls
    report sentences like it into the prompt.  ``replaces`` is the final transcript it
    improves on; it comes only when the text differs."""

    utterance: UtteranceAudio
    transcript: Any
    replaces: Any


class LiveRecognizer:
    """Segmenter + transcriber for live audio.

    Decoding runs on one worker thread.  While the speaker talks, the speech before each pause
    (see :attr:`UtteranceSegmenter.pauses`) is decoded with the main transcriber as soon as the
    worker is free and at least ``min_chunk_s`` of new speech lies before the pause; that text is
    committed, so at the end of the utterance only the speech after the last committed pause is
    left to decode (with the committed text as the decoder's prompt).  When ``long_run_s`` of
    speech has gone by with no such pause, a brief pause (``brief_pause_ms``, e.g. between two
    sentences of a fast speaker) is used instead.  The final transcript is the committed
    pieces and that tail joined, word times relative to the whole utterance.

    As soon as a silence reaches the segment padding, the speech up to it is committed too (the
    pieces are cut inside pauses, never inside a word): if the silence goes on to end the
    utterance, everything is already decoded or being decoded, which hides most of the
    end-of-utterance wait, and if speech resumes, that decode is still used.  Each committed
    piece is shown as a :class:`Partial` (the committed text so far).  Between commits, a
    partial hypothesis (committed text + a quick decode of the rest) comes after every
    ``partial_every`` seconds of new speech (at least ``min_chunk_s`` when committing; skipped
    while the worker is busy, and spaced out to twice the last partial's decoding time on a
    slow machine: partials never queue up).
    ``partial_transcriber`` is the set-up for the hypotheses (default: the transcriber's
    ``for_partials()`` when it has one, e.g. :meth:`WhisperTranscriber.for_partials`, else the
    transcriber itself).  ``commit=False`` decodes each utterance whole (speculatively from
    the padding of the closing silence, dropped if speech resumes); by default it follows
    ``speculate`` (both are decodes ahead of the end of the utterance, which a scripted
    transcriber must not see).

    Pieces decoded apart lose context, so a final joined from several pieces is less accurate
    than a decode of the whole utterance.  With ``revise`` (default: follows ``commit``), the
    whole utterance is decoded again as soon as its final is out, while the worker would
    otherwise wait for the next pause; a :class:`Revision` follows when that text differs.
    With a ``reviser`` (e.g. :class:`reporting.asr.recall.RecallingTranscriber`), every final
    is revised by ``reviser.reconsider(audio, final, prompt=..., whole=...)`` instead: the
    second decode with report sentences like the final recalled into its prompt.
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
        commit: bool | None = None,
        min_chunk_s: float = 2.0,
        long_run_s: float = 4.0,
        revise: bool | None = None,
        reviser: _Reconsiders | None = None,
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.transcriber = transcriber
        quick = getattr(transcriber, "for_partials", None)
        self.partial_transcriber = partial_transcriber or (quick() if quick else transcriber)
        self.segmenter = segmenter or UtteranceSegmenter()
        self._prompt = prompt
        self.partial_every = partial_every
        self.partials = partials
        self.speculate = speculate
        self.commit = speculate if commit is None else commit
        self.min_chunk_s = min_chunk_s
        self.long_run_s = long_run_s
        self.revise = self.commit if revise is None else revise
        self.reviser = reviser
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr")
        self._last_partial = 0
        self._partial_job: tuple[int, Future[Any]] | None = None
        self._partial_started = 0.0
        self._partial_cost = 0.0  # seconds the last partial decode took
        # speculative decode: (start sample, end sample, result)
        self._spec: tuple[int, int, Future[Any]] | None = None
        # committed pieces of the utterance in progress: (start, end, result), contiguous
        self._chunks: list[tuple[int, int, Future[Any]]] = []
        self._announced = 0  # committed pieces already shown as a Partial
        # whole-utterance re-decodes of finals joined from pieces: (final, result)
        self._revisions: list[tuple[Final, Future[Any]]] = []

    def prompt(self) -> str | None:
        return self._prompt() if callable(self._prompt) else self._prompt

    @property
    def committed(self) -> int:
        """Samples of the utterance in progress already committed (decoded or being decoded)."""
        return self._chunks[-1][1] if self._chunks else 0

    def _prompt_after(self, chunks: list[Future[Any]]) -> str | None:
        """The prompt for speech that follows ``chunks``: the base prompt, then the end of the
        committed text (runs on the worker, after those chunks were decoded)."""
        base = self.prompt() or ""
        said = " ".join(str(getattr(f.result(), "text", "")).strip() for f in chunks).strip()
        if not said:
            return base or None
        return f"{base} {said[-400:]}".strip()

    def _decode(
        self, audio: np.ndarray, *, partial: bool = False, after: list[Future[Any]] | None = None
    ) -> Future[Any]:
        engine = self.partial_transcriber if partial else self.transcriber
        before = list(after or ())

        def run() -> Any:
            return engine.transcribe(audio, prompt=self._prompt_after(before))

        return self._pool.submit(run)

    def _busy(self) -> bool:
        jobs = [self._partial_job, self._spec, *self._chunks[-1:], *self._revisions]
        return any(job is not None and not job[-1].done() for job in jobs)

    def _revised(self, *, wait: bool = False) -> list[Revision]:
        """Revisions whose re-decode has finished (all of them with ``wait``), oldest first."""
        out: list[Revision] = []
        while self._revisions and (wait or self._revisions[0][1].done()):
            final, job = self._revisions.pop(0)
            better = job.result()
            old = str(getattr(final.transcript, "text", "")).strip()
            if str(getattr(better, "text", "")).strip() not in ("", old):
                out.append(Revision(final.utterance, better, final.transcript))
        return out

    def _said(self) -> str:
        return " ".join(
            str(getattr(f.result(), "text", "")).strip() for _, _, f in self._chunks if f.done()
        ).strip()

    def push(self, block: np.ndarray) -> list[Partial | Final | Revision]:
        events: list[Partial | Final | Revision] = list(self._revised())
        if self._partial_job is not None and self._partial_job[1].done():
            index, job = self._partial_job
            self._partial_job = None
            self._partial_cost = time.monotonic() - self._partial_started
            text = f"{self._said()} {str(getattr(job.result(), 'text', '')).strip()}".strip()
            events.append(Partial(index, text))
        done = sum(1 for _, _, f in self._chunks if f.done())
        if (
            self.partials
            and done > self._announced
            and all(f.done() for _, _, f in self._chunks[:done])
        ):
            # a committed piece is a hypothesis too (and a better one): show it at no cost
            self._announced = done
            events.append(Partial(self.segmenter._count, self._said()))
        events += self._finals(self.segmenter.push(block))
        seg = self.segmenter
        if not seg.speaking:
            return events
        if seg.silence_samples == 0:
            self._spec = None  # speech resumed: a speculative decode is stale
            if self._busy():
                return events
            audio = seg.current_audio()
            start = self.committed
            if self.commit:
                earliest = start + int(self.min_chunk_s * SAMPLE_RATE)

                def usable(points: tuple[int, ...]) -> list[int]:
                    return [p for p in points if earliest <= p <= audio.size]

                cuts = usable(seg.pauses)
                if not cuts and audio.size - start >= self.long_run_s * SAMPLE_RATE:
                    # speech running on with no pause: a brief one will do, or the whole run
                    # would be left to decode after the speaker stops
                    cuts = usable(seg.brief_pauses)
                if cuts:
                    futures = [f for _, _, f in self._chunks]
                    job = self._decode(audio[start : cuts[-1]], after=futures)
                    self._chunks.append((start, cuts[-1], job))
                    self._last_partial = cuts[-1]
                    return events
            # partials may take at most about half of the decoder's time, so the final decode
            # rarely waits behind one: on a slow machine they come less often
            every = max(self.partial_every, 2.0 * self._partial_cost)
            if self.commit:
                # committed pieces show the text as it firms up; a partial decode is only worth
                # its cost (and the final's wait behind it) after a long stretch with no pause
                every = max(every, self.min_chunk_s)
            grown = audio.size - self._last_partial >= every * SAMPLE_RATE
            if self.partials and grown:
                self._last_partial = audio.size
                self._partial_started = time.monotonic()
                futures = [f for _, _, f in self._chunks]
                self._partial_job = (
                    seg._count,
                    self._decode(audio[start:], partial=True, after=futures),
                )
        elif self.speculate and self.commit:
            # the closing silence reached the padding: the speech up to here is committed now,
            # so if the silence ends the utterance nothing is left to decode, and if speech
            # resumes the decode is still the right text for this stretch (never thrown away)
            ending = seg.ending_audio()
            start = self.committed
            if ending.size - start >= _MIN_PIECE:
                futures = [f for _, _, f in self._chunks]
                self._chunks.append(
                    (start, ending.size, self._decode(ending[start:], after=futures))
                )
        elif self.speculate and self._spec is None:
            ending = seg.ending_audio()
            if ending.size:
                self._spec = (0, ending.size, self._decode(ending))
        return events

    def _final(self, utt: UtteranceAudio) -> Final:
        self._last_partial = 0
        self._announced = 0
        spec, self._spec = self._spec, None
        chunks = [c for c in self._chunks if c[1] <= utt.audio.size]
        self._chunks = []
        start = chunks[-1][1] if chunks else 0
        pieces = [(s, f) for s, _, f in chunks]
        # decoded ahead of the end: by a speculative decode or the committed pieces
        ahead = True
        if spec is not None and spec[0] == start and spec[1] == utt.audio.size:
            pieces.append((start, spec[2]))
        elif utt.audio.size - start >= _MIN_PIECE or not pieces:
            pieces.append((start, self._decode(utt.audio[start:], after=[f for _, f in pieces])))
            ahead = False
        results = [(s, f.result()) for s, f in pieces]
        transcript = results[0][1] if len(results) == 1 else join_transcripts(results, utt.duration)
        final = Final(utt, transcript, time.monotonic() - utt.ended_at, ahead)
        if self.revise and self.reviser is not None:
            job = self._pool.submit(
                self.reviser.reconsider,
                utt.audio,
                transcript,
                prompt=self.prompt(),
                whole=len(results) == 1,
            )
            self._revisions.append((final, job))
        elif self.revise and len(results) > 1:
            self._revisions.append((final, self._decode(utt.audio)))
        return final

    def _finals(self, ended: list[UtteranceAudio]) -> list[Final | Revision]:
        """The finals of utterances that just ended, each after the revisions done before it
        (the worker runs jobs in order: an earlier utterance's revision is done by now)."""
        events: list[Final | Revision] = []
        for utt in ended:
            final = self._final(utt)
            events += self._revised()
            events.append(final)
        return events

    def flush(self) -> list[Partial | Final | Revision]:
        """End the utterance in progress and wait for the revisions still being decoded."""
        return [*self._finals(self.segmenter.flush()), *self._revised(wait=True)]

    def run(self, blocks: Iterable[np.ndarray]) -> Iterator[Partial | Final | Revision]:
        try:
            for block in blocks:
                yield from self.push(block)
            yield from self.flush()
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


#: a piece that starts with one of these, capitalised, does not start a sentence
_NOT_SENTENCE_STARTS = frozenset(
    {"I", "Dr", "Dr.", "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Prof", "Prof."}
)
_CLOSED = (".", "?", "!", ":", ";", ",")


def _starts_sentence(text: str) -> bool:
    """Whether the decoder began ``text`` as a new sentence: a capitalised ordinary word (not
    an acronym such as "CT", not "I" or a title before a name)."""
    first = text.split(maxsplit=1)[0] if text else ""
    return (
        len(first) > 1
        and first[0].isupper()
        and first[1].islower()
        and first not in _NOT_SENTENCE_STARTS
    )


def join_transcripts(pieces: Sequence[tuple[int, Any]], duration: float) -> Any:
    """One transcript from consecutive pieces of an utterance, each ``(start sample,
    transcript)``: texts joined, word and segment times moved to the whole utterance.

    Pieces are cut at pauses.  When the decoder began a piece as a new sentence but the piece
    before it has no closing punctuation (the prompt teaches it to leave punctuation to the
    speaker), a full stop closes the earlier piece: "effusion" + "No acute disease." gives
    "effusion. No acute disease.", not "effusion No acute disease."."""
    from reporting.asr.types import Transcript

    words: list[Any] = []
    segments: list[Any] = []
    texts: list[str] = []

    def moved(w: Any, shift: float) -> Any:
        return dataclasses.replace(w, start=w.start + shift, end=w.end + shift)

    def stopped(w: Any) -> Any:
        return w if w.word.endswith(_CLOSED) else dataclasses.replace(w, word=w.word + ".")

    for start, part in pieces:
        shift = start / SAMPLE_RATE
        text = str(getattr(part, "text", "")).strip()
        if text and texts and not texts[-1].endswith(_CLOSED) and _starts_sentence(text):
            texts[-1] += "."
            if words:
                words[-1] = stopped(words[-1])
            if segments:
                last = segments[-1]
                closed = (*last.words[:-1], stopped(last.words[-1])) if last.words else ()
                segments[-1] = dataclasses.replace(
                    last, text=last.text.rstrip() + ".", words=closed
                )
        if text:
            texts.append(text)
        words += [moved(w, shift) for w in getattr(part, "words", ())]
        segments += [
            dataclasses.replace(
                s,
                start=s.start + shift,
                end=s.end + shift,
                words=tuple(moved(w, shift) for w in s.words),
            )
            for s in getattr(part, "segments", ())
        ]
    return Transcript(
        " ".join(texts), tuple(words), tuple(segments), duration, {"pieces": len(pieces)}
    )
