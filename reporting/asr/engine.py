"""The faster-whisper transcriber: CPU int8 by default, one model per process, loaded lazily.

Guards keep silence and noise from becoming words: an energy/VAD gate before decoding, dropped
segments whose ``no_speech_prob`` is high and whose log-probability is low, a repetition guard
and a list of known hallucinated phrases.  Nothing is downloaded: model names resolve only from
the local cache (``HF_HUB_OFFLINE=1``, ``local_files_only=True``).

Whisper encodes every stretch of audio as a 30 s window; the encoder dominates the cost of a
short utterance and grows faster than the window, so audio that fits in ``window_s`` is encoded
in a window that long instead (padded with digital silence, as Whisper was trained) and decoded
with faster-whisper's own segment decoding.  A decoder loop on the short window (a phrase over
and over) is decoded again in the 30 s window.  The last two encoder outputs are kept: a second
decode of the same audio in the same window (recall's, a live revision's) skips the encoder.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from reporting.asr.models import ResolvedModel, resolve_model
from reporting.asr.skips import restore_start, skipped_start
from reporting.asr.types import SAMPLE_RATE, Segment, Transcript, Word
from reporting.errors import ASRError, ConfigError

__all__ = [
    "TranscriberOptions",
    "WhisperTranscriber",
    "asr_config",
    "load_transcriber",
    "options_from_config",
    "speech_regions",
]

log = logging.getLogger(__name__)


#: Whisper's encoder window (seconds) and the shortest window we allow in its place
_WHISPER_S = 30.0
_MIN_WINDOW_S = 10.0
#: the shortest encoder window final text uses by default (see ``TranscriberOptions.min_window_s``)
_DEFAULT_MIN_WINDOW_S = 15.0


@dataclass(frozen=True, slots=True)
class TranscriberOptions:
    """How to run faster-whisper.  ``model`` is a folder or name (see :mod:`reporting.asr.models`)."""

    model: str | None = None
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    #: decodes the model may run at once (CTranslate2's ``num_workers``): ``recognise`` then
    #: decodes that many utterances of a recording at the same time.  Whisper base uses two
    #: cores better as two decodes than as one decode on two threads (eight 14 s utterances:
    #: 12.3 s against 18.9 s), and a decode on its own is as fast as with one worker.  1 for
    #: the live path, which decodes one utterance at a time; 2 for ``transcribe`` and
    #: ``dictate`` (``--workers``, ``asr.workers``).
    workers: int = 1
    #: faster-whisper's 5.  A beam of 3 was as accurate on held-out dictation (WER 0.107 vs
    #: 0.118, same term recall) and faster, but it writes the example dictation's "small left
    #: pleural effusion. no acute disease period" as "Small-left pleural effusion, no acute
    #: disease."; set ``beam_size = 3`` in ``[asr]`` to trade that risk for speed.
    beam_size: int = 5
    language: str = "en"
    word_timestamps: bool = True
    vad_gate: bool = True
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    min_rms: float = 1e-3
    #: decoding temperatures tried in turn when a result looks wrong (faster-whisper's
    #: fallback).  Greedy/beam search at 0 only: on 72 dictation clips the fallback changed no
    #: word, but a short live piece that sounds garbled can be decoded six times over (a 4.6 s
    #: wait for one utterance's text); loops are caught by our own guards instead.
    temperatures: tuple[float, ...] = (0.0,)
    #: cap on generated tokens (None: the model's limit); bounds the cost of a runaway decode
    max_new_tokens: int | None = None
    #: encoder window (seconds) for audio that fits in it (10 to 30).  Whisper's own window is
    #: 30 s and the encoder's cost grows faster than its length: a 20 s window holds every
    #: utterance the segmenter cuts (15 s at most, plus padding), encodes about twice as fast
    #: as 30 s and was as accurate on held-out dictation.  Longer audio is decoded in 30 s
    #: windows; 30 keeps Whisper's behaviour for all audio.
    window_s: float = 20.0
    #: shortest encoder window (10 to ``window_s``; None: 15 s, or ``window_s`` when that is
    #: shorter; equal to ``window_s`` for one fixed window).
    #: Audio is encoded in the shortest window from this up to ``window_s`` that holds it with
    #: ``_WINDOW_ROOM_S`` of silence after it, so a short utterance costs a shorter encode (and
    #: cross-attention per token).  On held-out dictation, 15 s windows against one fixed 20 s
    #: window: WER 0.110 vs 0.119, same term recall, end-of-utterance latency p95 1.30 vs
    #: 1.57 s (same-run replay).  10 s windows garbled short utterances; quick partial
    #: hypotheses use them anyway (see :meth:`WhisperTranscriber.for_partials`).
    min_window_s: float | None = None
    #: decode again without the prompt, and put back the words heard before the prompted
    #: decode's first word, when its word timings show it skipped the start of the speech
    #: (see :mod:`reporting.asr.skips`); off only to measure what it saves
    restore_skipped: bool = True

    def __post_init__(self) -> None:
        if self.cpu_threads < 0:
            raise ASRError(f"cpu_threads must be >= 0, not {self.cpu_threads}")
        if self.workers < 1:
            raise ASRError(f"workers must be >= 1, not {self.workers}")
        if self.beam_size < 1:
            raise ASRError(f"beam_size must be >= 1, not {self.beam_size}")
        if self.device not in ("cpu", "cuda", "auto"):
            raise ASRError(f"device must be cpu, cuda or auto, not {self.device!r}")
        if isinstance(self.window_s, bool) or not _MIN_WINDOW_S <= self.window_s <= _WHISPER_S:
            raise ASRError(
                f"window_s (the encoder window) must be between {_MIN_WINDOW_S:g} and "
                f"{_WHISPER_S:g} seconds, not {self.window_s!r}"
            )
        shortest = self.min_window_s
        if shortest is None:
            shortest = min(_DEFAULT_MIN_WINDOW_S, self.window_s)
            object.__setattr__(self, "min_window_s", shortest)
        if isinstance(shortest, bool) or not _MIN_WINDOW_S <= shortest <= self.window_s:
            raise ASRError(
                f"min_window_s (the shortest encoder window) must be between {_MIN_WINDOW_S:g} "
                f"seconds and window_s ({self.window_s:g}), not {shortest!r}"
            )


#: utterances of a recording ``reporting transcribe`` and ``dictate`` decode at once unless
#: ``--workers`` or ``asr.workers`` say otherwise (see ``TranscriberOptions.workers``)
OFFLINE_WORKERS = 2

_CONFIG_KEYS: dict[str, tuple[type, ...]] = {
    "model": (str,), "device": (str,), "compute_type": (str,), "cpu_threads": (int,),
    "workers": (int,), "beam_size": (int,), "language": (str,), "window_s": (int, float),
    "min_window_s": (int, float),
}  # fmt: skip
#: keys of the same table read by :func:`reporting.asr.phrases.site_phrasebook` and the callers
#: that decide whether to recall phrases, not by the engine
_RECALL_KEYS: dict[str, tuple[type, ...]] = {"recall": (bool,), "phrases": (str, list)}
_KIND_NAMES = {
    (str,): "a string", (int,): "an integer", (int, float): "a number",
    (bool,): "true or false", (str, list): "a path or a list of paths",
}  # fmt: skip


def asr_config() -> tuple[Path, dict[str, Any]]:
    """The ``[asr]`` table of ``~/.config/reporting/config.toml`` (empty when there is none)
    and the file's path; unknown keys and wrong types are :class:`ConfigError` naming the file
    and key."""
    import tomllib

    from reporting.resources import user_config_dir

    values: dict[str, Any] = {}
    path = user_config_dir() / "config.toml"
    if not path.is_file():
        return path, values
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration ({exc})") from None
    table = data.get("asr", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [asr] must be a table")
    known = {**_CONFIG_KEYS, **_RECALL_KEYS}
    for key, value in table.items():
        kind = known.get(key)
        if kind is None:
            raise ConfigError(f"{path}: unknown key asr.{key} (allowed: {', '.join(known)})")
        if not isinstance(value, kind) or (isinstance(value, bool) and kind != (bool,)):
            raise ConfigError(f"{path}: asr.{key} must be {_KIND_NAMES[kind]}")
        values[key] = value
    return path, values


def options_from_config(**overrides: Any) -> TranscriberOptions:
    """Options from the ``[asr]`` table of ``~/.config/reporting/config.toml`` (keys: model,
    device, compute_type, cpu_threads, workers, beam_size, language, window_s, min_window_s), then
    ``overrides`` that are not None.  Unknown keys, wrong types and bad values are
    :class:`ConfigError` naming the file and key."""
    path, table = asr_config()
    values = {k: v for k, v in table.items() if k in _CONFIG_KEYS}
    if values:
        try:
            TranscriberOptions(**values)
        except ASRError as exc:
            raise ConfigError(f"{path}: [asr] {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TranscriberOptions(**values)


#: Phrases Whisper invents on silence, noise or trailing padding.
_HALLUCINATIONS = re.compile(
    r"^\W*(thank you( (very much|so much|for watching|for listening))?|thanks for watching|"
    r"you|bye|subtitles by.*|please subscribe.*|\.+|music|applause)\W*$",
    re.IGNORECASE,
)

#: Silence added either side of an utterance: Whisper misses words that start at sample 0.
_PAD_S = 0.3
#: silence after the audio in a fitted encoder window (shorter windows, with speech up to their
#: end, are where Whisper starts to drop or loop words)
_WINDOW_ROOM_S = 3.0
_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}
#: the last encoder outputs (see :func:`_encoded`), keyed by model, window and audio digest
_ENCODED: OrderedDict[tuple[int, int, bytes], Any] = OrderedDict()
_ENCODED_KEEP = 4  # two for each of two utterances decoded at once
_ENCODED_LOCK = threading.Lock()
#: Whisper's mel features: 100 frames a second, one every 160 samples
_HOP = 160
_FRAMES_PER_S = SAMPLE_RATE / _HOP


@cache
def _transcribe_defaults() -> dict[str, Any]:
    """faster-whisper's own defaults for every field of ``TranscriptionOptions`` (taken from
    ``WhisperModel.transcribe``'s signature, so a short-window decode matches a normal one)."""
    import dataclasses
    import inspect

    from faster_whisper import WhisperModel
    from faster_whisper.transcribe import TranscriptionOptions

    params = inspect.signature(WhisperModel.transcribe).parameters
    return {
        f.name: params[f.name].default
        for f in dataclasses.fields(TranscriptionOptions)
        if f.name in params and params[f.name].default is not inspect.Parameter.empty
    }


def speech_regions(audio: np.ndarray, *, min_silence_ms: int = 500) -> list[tuple[int, int]]:
    """Speech regions ``(start, end)`` in samples found by faster-whisper's Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.size == 0:
        return []
    opts = VadOptions(
        min_silence_duration_ms=min_silence_ms, speech_pad_ms=200, min_speech_duration_ms=150
    )
    return [(int(c["start"]), int(c["end"])) for c in get_speech_timestamps(audio, opts)]


def _load_model(resolved: ResolvedModel, options: TranscriberOptions) -> Any:
    key = (
        f"{resolved.location}|{options.device}|{options.compute_type}|{options.cpu_threads}"
        f"|{options.workers}"
    )
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ASRError(
                "faster-whisper is not installed; install the dictation extra: "
                "pip install 'reporting[dictation]'",
                title="Speech recognition unavailable",
            ) from None
        started = time.perf_counter()
        try:
            model = WhisperModel(
                resolved.location,
                device=options.device,
                compute_type=options.compute_type,
                cpu_threads=options.cpu_threads,
                num_workers=options.workers,
                local_files_only=True,
            )
        except Exception as exc:  # faster-whisper raises hub, OS and runtime errors alike
            if not resolved.is_local:
                raise ASRError(
                    f"speech model {resolved.location!r} is not in the local cache and nothing is "
                    "downloaded at run time (offline); pass --model PATH to a CTranslate2 Whisper "
                    "folder or use the default model",
                    title="Speech model missing",
                ) from None
            raise ASRError(
                f"{resolved.location}: cannot load the speech model ({type(exc).__name__}: {exc})",
                title="Speech model broken",
            ) from None
        _LOADED.clear()  # one model per process
        with _ENCODED_LOCK:
            _ENCODED.clear()
        _LOADED[key] = model
        log.info(
            "loaded speech model from %s in %.1f s", resolved.source, time.perf_counter() - started
        )
        return model


def _encoded(model: Any, window: np.ndarray, frames: int) -> Any:
    """The encoder output of ``window`` (``frames`` mel frames), from :data:`_ENCODED` when
    the same window of the same model was among the last four encoded: a second decode
    of an utterance (recall's, a revision's) skips the encoder, most of a short decode's
    cost."""
    from faster_whisper.audio import pad_or_trim

    key = (id(model), frames, hashlib.blake2b(window.tobytes(), digest_size=16).digest())
    with _ENCODED_LOCK:
        if key in _ENCODED:
            _ENCODED.move_to_end(key)
            return _ENCODED[key]
    encoded = model.encode(pad_or_trim(model.feature_extractor(window, padding=0), frames))
    with _ENCODED_LOCK:
        _ENCODED[key] = encoded
        while len(_ENCODED) > _ENCODED_KEEP:
            _ENCODED.popitem(last=False)
    return encoded


def _looped(text: str) -> bool:
    """True when the words are one phrase of three or more words said over and over (a
    decoder loop: "no effusion seen. no effusion seen. no effusion"), or end with such a
    phrase three times or more after the real words ("disc bulge at L4-5. mild narrowing.
    disc bulge at L4-5. disc bulge at L4-5. disc bulge at L4-5.")."""
    words = re.findall(r"[\w']+", text.lower())
    size = len(words)
    for period in range(3, size // 2 + 1):
        same = _repeated_tail(words, period)
        if same == size - period or same >= 2 * period:
            return True
    return False


def _repeated_tail(keys: list[str], period: int, *, cut_short: bool = False) -> int:
    """How many of the last ``keys`` equal the key ``period`` before them; with ``cut_short``
    the very last may be the start of its key ("... the diaphragm. Multi-level midthorac")."""
    n = len(keys)
    same = int(cut_short and n > period and keys[n - 1 - period].startswith(keys[n - 1]))
    while same < n - period and keys[n - 1 - same] == keys[n - 1 - same - period]:
        same += 1
    return same


#: a segment whose every word the decoder gave less than this, and that is the prompt's own
#: words, was copied from the prompt, not heard
_COPY_MAX_PROBABILITY = 0.05


def _copied(words: tuple[Word, ...], prompt: str | None) -> bool:
    """True when ``words`` are two or more words that stand in a row in ``prompt`` and the
    decoder gave each of them almost no chance: "Lung volumes are low." said alone (espeak
    en+m3) was written "No acute disease period", the end of the default prompt, at
    probabilities 0.00-0.01.  Real speech decoded so had runs of such words ("Low lung" at
    0.02 and 0.003), never a whole segment of the prompt's words."""
    if not prompt or len(words) < 2:
        return False
    if any(w.probability >= _COPY_MAX_PROBABILITY for w in words):
        return False
    said = " ".join(re.findall(r"[\w']+", " ".join(w.word for w in words).lower()))
    return f" {said} " in " " + " ".join(re.findall(r"[\w']+", prompt.lower())) + " "


def _repetitive(text: str) -> bool:
    """True for decoder loops: highly compressible text or one word/phrase repeated."""
    words = re.findall(r"[\w']+", text.lower())
    if len(words) >= 8:
        data = text.encode("utf-8")
        if len(data) / max(1, len(zlib.compress(data))) > 2.6:
            return True
        for n in (1, 2, 3):
            grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
            if grams and max(grams.count(g) for g in set(grams)) * n > 0.6 * len(words):
                return True
    return False


def _unlooped(words: tuple[Word, ...]) -> tuple[Word, ...]:
    """``words`` up to where the decoder began to repeat itself: it wrote what was said (four
    words or more), then wrote it again word for word, at least once whole, to the end of the
    segment.  Unchanged when no such loop ends the segment; short loops ("Thank you. Thank
    you. ...") are not cut, so the repetition guard still drops them."""
    keys = [re.sub(r"[^\w']+", "", w.word.lower()) for w in words]
    n, cut, unit = len(keys), len(keys), 0
    for period in range(1, n // 2 + 1):
        run = _repeated_tail(keys, period, cut_short=True)
        if run >= max(period, 2) and n - run < cut:
            cut, unit = n - run, period
    return words[:cut] if unit >= 4 else words


class WhisperTranscriber:
    """A :class:`~reporting.asr.types.Transcriber` running faster-whisper."""

    def __init__(self, options: TranscriberOptions | None = None) -> None:
        self.options = options or TranscriberOptions()
        self._resolved: ResolvedModel | None = None

    @property
    def resolved(self) -> ResolvedModel:
        if self._resolved is None:
            self._resolved = resolve_model(self.options.model)
        return self._resolved

    @property
    def model(self) -> Any:
        return _load_model(self.resolved, self.options)

    def for_partials(self) -> WhisperTranscriber:
        """The same model set up for quick partial hypotheses: greedy, no word timings, no
        temperature fallback, the shortest encoder window and a token cap (audio cut mid-word
        must not send it into loops)."""
        return self._quick(min_window_s=_MIN_WINDOW_S)

    def for_first_pass(self) -> WhisperTranscriber:
        """Quick decoding as :meth:`for_partials`, but in this transcriber's own encoder
        windows: the first decode of a recalling transcriber.  A full decode of the same audio
        right after it reuses its encoder output instead of encoding the audio again."""
        return self._quick(min_window_s=self.options.min_window_s)

    def for_recall(self) -> WhisperTranscriber:
        """This transcriber without the skipped-start check, for recall's second decode: a
        second decode that skipped words is refused by recall's consistency rule and the
        utterance decoded again with the plain prompt (checked), which hears more than
        splicing words in front of a skipping decode does."""
        import dataclasses

        return WhisperTranscriber(dataclasses.replace(self.options, restore_skipped=False))

    def _quick(self, *, min_window_s: float | None) -> WhisperTranscriber:
        import dataclasses

        fast = WhisperTranscriber(
            dataclasses.replace(
                self.options,
                beam_size=1,
                min_window_s=min_window_s,
                word_timestamps=False,
                temperatures=(0.0,),
                max_new_tokens=96,
            )
        )
        fast._resolved = self._resolved
        return fast

    def warm_up(self) -> None:
        """Load the model now (it loads on first use otherwise)."""
        _ = self.model

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: str | None = None
    ) -> Transcript:
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        duration = audio.size / SAMPLE_RATE
        if audio.size < SAMPLE_RATE // 10:
            return Transcript("", duration=duration)
        if float(np.sqrt(np.mean(np.square(audio)))) < self.options.min_rms:
            return Transcript("", duration=duration, info={"gate": "energy"})
        regions = speech_regions(audio) if self.options.vad_gate else None
        if regions is not None and not regions:
            return Transcript("", duration=duration, info={"gate": "vad"})
        pad = np.zeros(int(_PAD_S * SAMPLE_RATE), dtype=np.float32)
        padded = np.concatenate([pad, audio, pad])
        frames = self._window_frames(padded.size)
        if frames is not None:
            kept = self._segments(
                self._decode_window(padded, frames, prompt, hotwords),
                duration,
                short=True,
                prompt=prompt,
            )
            if _looped(" ".join(s.text for s in kept)):
                # a short window can send the decoder round in a loop: Whisper's own window
                log.debug("decoder loop on a %.0f s window: decoding again in 30 s", frames / 100)
                frames = None
            language_probability = 1.0
        if frames is None:
            segments_iter, info = self._decode_whisper(padded, prompt, hotwords)
            kept = self._segments(segments_iter, duration, short=False, prompt=prompt)
            language_probability = float(getattr(info, "language_probability", 0.0))
        text = " ".join(s.text for s in kept).strip()
        transcript = Transcript(
            text=text,
            words=tuple(w for s in kept for w in s.words),
            segments=tuple(kept),
            duration=duration,
            info={"language_probability": language_probability, "window_s": self._window_s(frames)},
        )
        if self.options.restore_skipped and (prompt or hotwords) and transcript.words:
            if regions is None:
                regions = speech_regions(audio)
            if skipped_start(transcript.words, regions):
                # the prompt made the decoder take the first words as said: hear them again
                restored = restore_start(transcript, self.transcribe(audio))
                log.debug(
                    "prompted decode skipped its start: %d words restored",
                    restored.info.get("restored_start_words", 0),
                )
                return restored
        return transcript

    def _segments(
        self, found: Iterable[Any], duration: float, *, short: bool, prompt: str | None = None
    ) -> list[Segment]:
        """The decoder's segments that pass the guards (``prompt``: the decode's, whose words
        a segment may have copied instead of hearing), times relative to the unpadded audio."""
        kept: list[Segment] = []
        for seg in found:
            text = seg.text.strip()
            spoken = [w for w in (seg.words or ()) if w.word.strip()]
            words = tuple(
                Word(
                    w.word.strip(),
                    max(0.0, w.start - _PAD_S),
                    max(0.0, w.end - _PAD_S),
                    float(w.probability),
                )
                for w in spoken
            )
            end = min(duration, max(0.0, seg.end - _PAD_S))
            if _repetitive(text) and words:
                # a decoder loop after real speech: keep what came before it, not nothing
                unlooped = _unlooped(words)
                if len(unlooped) < len(words):
                    log.debug("cut a decoder loop: %d of %d words kept", len(unlooped), len(words))
                    said = "".join(w.word for w in spoken[: len(unlooped)])
                    words, text = unlooped, said.strip()
                    end = min(end, unlooped[-1].end)
            if _copied(words, prompt):
                log.debug("dropped a segment of %d words copied from the prompt", len(words))
            elif not self._keep(text, seg.no_speech_prob, seg.avg_logprob, words):
                log.debug(
                    "dropped a segment (no-speech %.2f, logprob %.2f)",
                    seg.no_speech_prob,
                    seg.avg_logprob,
                )
            else:
                kept.append(
                    Segment(
                        text,
                        max(0.0, seg.start - _PAD_S),
                        end,
                        words,
                        float(seg.no_speech_prob),
                        float(seg.avg_logprob),
                    )
                )
            # The rest is trailing padding: decoding it costs a whole window and invites
            # hallucinated endings ("Thank you.").  A short window held all of the audio.
            if short or duration + _PAD_S - float(seg.end) < 1.0:
                break
        return kept

    def _window_frames(self, samples: int) -> int | None:
        """Mel frames of the short encoder window for audio of ``samples``: the shortest whole
        number of seconds from ``min_window_s`` that leaves ``_WINDOW_ROOM_S`` after the audio,
        or ``window_s`` itself, which need only hold it; None when the audio does not fit in
        ``window_s`` (or that is Whisper's own window): then Whisper's 30 s windows."""
        opts = self.options
        if opts.window_s >= _WHISPER_S:
            return None
        longest = round(opts.window_s * _FRAMES_PER_S)
        if samples // _HOP >= longest:
            return None
        fitted = math.ceil(samples / SAMPLE_RATE + _WINDOW_ROOM_S)
        shortest = opts.min_window_s or opts.window_s
        return min(longest, round(max(shortest, fitted) * _FRAMES_PER_S))

    @staticmethod
    def _window_s(frames: int | None) -> float:
        return _WHISPER_S if frames is None else frames / _FRAMES_PER_S

    def _decode_window(
        self, audio: np.ndarray, frames: int, prompt: str | None, hotwords: str | None
    ) -> Iterable[Any]:
        """faster-whisper's own segment decoding (prompt, temperature fallback, no-speech skip,
        word alignment) on one encoder window of ``frames`` mel frames instead of 3000.

        The encoder output is handed to ``generate_segments``, which uses it for the window at
        the start of the audio; the caller stops after that window's segment."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import TranscriptionOptions, get_suppressed_tokens

        model = self.model
        opts = self.options
        features = model.feature_extractor(audio)
        # the encoder sees the audio followed by digital silence up to the window, as Whisper
        # was trained (faster-whisper pads the features with zeros instead, which on a short
        # window sends the decoder into loops)
        window = np.zeros(frames * _HOP, dtype=np.float32)
        window[: audio.size] = audio
        encoder_output = _encoded(model, window, frames)
        multilingual = bool(model.model.is_multilingual)
        tokenizer = Tokenizer(
            model.hf_tokenizer,
            multilingual,
            task="transcribe",
            language=opts.language if multilingual else "en",
        )
        # speech is under 8 tokens a second: more is a decoder loop, cut short to save time
        # (and prompt + new tokens must stay within the decoder's length)
        said = tokenizer.encode(" " + prompt.strip()) if prompt else []
        room = model.max_length - len(
            model.get_prompt(tokenizer, said, without_timestamps=True, hotwords=hotwords or None)
        )
        cap = min(room, int(24 + 12 * audio.size / SAMPLE_RATE), opts.max_new_tokens or room)
        values = dict(_transcribe_defaults())
        values.update(
            **self._settings(prompt, hotwords),
            temperatures=list(opts.temperatures),
            max_new_tokens=cap if cap > 0 else None,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            clip_timestamps="0",
        )
        options = TranscriptionOptions(**values)
        return model.generate_segments(features, tokenizer, options, False, encoder_output)

    def _settings(self, prompt: str | None, hotwords: str | None) -> dict[str, Any]:
        """Decoding settings both paths share (the 30 s one names temperatures differently)."""
        opts = self.options
        return {
            "beam_size": opts.beam_size,
            "initial_prompt": prompt or None,
            "hotwords": hotwords or None,
            "word_timestamps": opts.word_timestamps,
            "condition_on_previous_text": False,
            "no_speech_threshold": opts.no_speech_threshold,
            "log_prob_threshold": opts.log_prob_threshold,
            "compression_ratio_threshold": opts.compression_ratio_threshold,
            "without_timestamps": True,
        }

    def _decode_whisper(
        self, audio: np.ndarray, prompt: str | None, hotwords: str | None
    ) -> tuple[Iterable[Any], Any]:
        opts = self.options
        return self.model.transcribe(  # type: ignore[no-any-return]
            audio,
            language=opts.language,
            **self._settings(prompt, hotwords),
            vad_filter=False,
            temperature=list(opts.temperatures),
            max_new_tokens=opts.max_new_tokens,
        )

    def _keep(
        self, text: str, no_speech: float, avg_logprob: float, words: tuple[Word, ...]
    ) -> bool:
        if not text:
            return False
        if (
            no_speech > self.options.no_speech_threshold
            and avg_logprob < self.options.log_prob_threshold
        ):
            return False
        if _HALLUCINATIONS.match(text):
            mean = sum(w.probability for w in words) / len(words) if words else 0.0
            if mean < 0.9 or no_speech > 0.3:
                return False
        return not _repetitive(text)


def load_transcriber(options: TranscriberOptions | None = None) -> WhisperTranscriber:
    """A transcriber for ``options``; the model itself loads on first use (once per process)."""
    return WhisperTranscriber(options)
