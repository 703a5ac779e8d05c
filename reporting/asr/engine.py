"""The faster-whisper transcriber: CPU int8 by default, one model per process, loaded lazily.

Guards keep silence and noise from becoming words: an energy/VAD gate before decoding, dropped
segments whose ``no_speech_prob`` is high and whose log-probability is low, a repetition guard
and a list of known hallucinated phrases.  Nothing is downloaded: model names resolve only from
the local cache (``HF_HUB_OFFLINE=1``, ``local_files_only=True``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from reporting.asr.models import ResolvedModel, resolve_model
from reporting.asr.types import SAMPLE_RATE, Segment, Transcript, Word
from reporting.errors import ASRError, ConfigError

__all__ = [
    "TranscriberOptions",
    "WhisperTranscriber",
    "load_transcriber",
    "options_from_config",
    "speech_regions",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TranscriberOptions:
    """How to run faster-whisper.  ``model`` is a folder or name (see :mod:`reporting.asr.models`)."""

    model: str | None = None
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 5
    language: str = "en"
    word_timestamps: bool = True
    vad_gate: bool = True
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    min_rms: float = 1e-3
    #: decoding temperatures tried in turn when a result looks wrong (faster-whisper's fallback)
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    #: cap on generated tokens (None: the model's limit); bounds the cost of a runaway decode
    max_new_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.cpu_threads < 0:
            raise ASRError(f"cpu_threads must be >= 0, not {self.cpu_threads}")
        if self.beam_size < 1:
            raise ASRError(f"beam_size must be >= 1, not {self.beam_size}")
        if self.device not in ("cpu", "cuda", "auto"):
            raise ASRError(f"device must be cpu, cuda or auto, not {self.device!r}")


_CONFIG_KEYS = {
    "model": str, "device": str, "compute_type": str, "cpu_threads": int, "beam_size": int,
    "language": str,
}  # fmt: skip


def options_from_config(**overrides: Any) -> TranscriberOptions:
    """Options from the ``[asr]`` table of ``~/.config/reporting/config.toml`` (keys: model,
    device, compute_type, cpu_threads, beam_size, language), then ``overrides`` that are not
    None.  Unknown keys and wrong types are :class:`ConfigError` naming the file and key."""
    import tomllib

    from reporting.resources import user_config_dir

    values: dict[str, Any] = {}
    path = user_config_dir() / "config.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read configuration ({exc})") from None
        table = data.get("asr", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [asr] must be a table")
        for key, value in table.items():
            kind = _CONFIG_KEYS.get(key)
            if kind is None:
                raise ConfigError(
                    f"{path}: unknown key asr.{key} (allowed: {', '.join(_CONFIG_KEYS)})"
                )
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigError(
                    f"{path}: asr.{key} must be {'an integer' if kind is int else 'a string'}"
                )
            values[key] = value
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
_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}


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
    key = f"{resolved.location}|{options.device}|{options.compute_type}|{options.cpu_threads}"
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
        _LOADED[key] = model
        log.info(
            "loaded speech model from %s in %.1f s", resolved.source, time.perf_counter() - started
        )
        return model


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
        temperature fallback and a token cap (audio cut mid-word must not send it into loops)."""
        import dataclasses

        fast = WhisperTranscriber(
            dataclasses.replace(
                self.options,
                beam_size=1,
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
        if self.options.vad_gate and not speech_regions(audio):
            return Transcript("", duration=duration, info={"gate": "vad"})
        opts = self.options
        pad = np.zeros(int(_PAD_S * SAMPLE_RATE), dtype=np.float32)
        segments_iter, info = self.model.transcribe(
            np.concatenate([pad, audio, pad]),
            language=opts.language,
            beam_size=opts.beam_size,
            initial_prompt=prompt or None,
            hotwords=hotwords or None,
            word_timestamps=opts.word_timestamps,
            condition_on_previous_text=False,
            no_speech_threshold=opts.no_speech_threshold,
            log_prob_threshold=opts.log_prob_threshold,
            compression_ratio_threshold=opts.compression_ratio_threshold,
            without_timestamps=True,
            vad_filter=False,
            temperature=list(opts.temperatures),
            max_new_tokens=opts.max_new_tokens,
        )
        kept: list[Segment] = []
        for seg in segments_iter:
            text = seg.text.strip()
            words = tuple(
                Word(
                    w.word.strip(),
                    max(0.0, w.start - _PAD_S),
                    max(0.0, w.end - _PAD_S),
                    float(w.probability),
                )
                for w in (seg.words or ())
                if w.word.strip()
            )
            if not self._keep(text, seg.no_speech_prob, seg.avg_logprob, words):
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
                        max(0.0, seg.end - _PAD_S),
                        words,
                        float(seg.no_speech_prob),
                        float(seg.avg_logprob),
                    )
                )
            # The rest is trailing padding: decoding it costs a whole window and invites
            # hallucinated endings ("Thank you.").
            if duration + _PAD_S - float(seg.end) < 1.0:
                break
        text = " ".join(s.text for s in kept).strip()
        return Transcript(
            text=text,
            words=tuple(w for s in kept for w in s.words),
            segments=tuple(kept),
            duration=duration,
            info={"language_probability": float(getattr(info, "language_probability", 0.0))},
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
