"""Audio from files and arrays: wav/flac/ogg through soundfile, mp3 and others through PyAV
(faster-whisper's ``decode_audio``); everything is resampled to 16 kHz mono float32."""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from reporting.audio.base import SAMPLE_RATE
from reporting.errors import AudioError
from reporting.resources import atomic_write_bytes

__all__ = ["load_audio", "write_wav", "wav_bytes", "ArraySource", "FileSource"]


def _resample(audio: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE or audio.size == 0:
        return audio
    duration = audio.size / rate
    n = int(round(duration * SAMPLE_RATE))
    x_old = np.linspace(0.0, duration, num=audio.size, endpoint=False)
    x_new = np.linspace(0.0, duration, num=n, endpoint=False)
    return np.interp(x_new, x_old, audio).astype(np.float32)


def load_audio(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode ``path`` to 16 kHz mono float32; a clear :class:`AudioError` when it cannot, or
    when the file holds no audio at all (an empty recording, or bytes that only look like a
    container: FFmpeg "decodes" those to nothing, which would pass for silence)."""
    p = Path(path)
    if not p.is_file():
        raise AudioError(f"{p}: audio file not found")
    audio = _decode(p)
    if audio.size == 0:
        raise AudioError(f"{p}: no audio in this file (it is empty or not an audio file)")
    return audio


def _decode(p: Path) -> np.ndarray:
    try:
        import soundfile as sf

        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
        return _resample(np.ascontiguousarray(data.mean(axis=1), dtype=np.float32), int(rate))
    except ImportError:
        pass
    except (
        Exception
    ):  # soundfile raises LibsndfileError/RuntimeError for formats it lacks (mp3 on old libsndfile)
        pass
    try:
        from faster_whisper.audio import decode_audio
    except ImportError:
        raise AudioError(
            f"{p}: cannot decode this format without soundfile or faster-whisper; "
            "install the dictation extra: pip install 'reporting[dictation]'"
        ) from None
    try:
        return np.ascontiguousarray(
            decode_audio(str(p), sampling_rate=SAMPLE_RATE), dtype=np.float32
        )
    except Exception as exc:  # PyAV raises many error types for broken files
        raise AudioError(f"{p}: not a readable audio file ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    """What the decoder said, without its error number and the path the message already
    names ("[Errno 1094995529] Invalid data found when processing input: '/x.wav'" ->
    "invalid data found when processing input")."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(text))
    text = re.sub(r":\s*'[^']*'$", "", text).strip()
    return (text[:1].lower() + text[1:]) if text else type(exc).__name__


def wav_bytes(audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit PCM WAV bytes of float audio."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(
        buf,
        np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0),
        sample_rate,
        format="WAV",
        subtype="PCM_16",
    )
    return buf.getvalue()


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, *, mode: int | None = 0o600) -> Path:
    """Write ``audio`` as a 16 kHz 16-bit WAV file atomically (private by default)."""
    return atomic_write_bytes(path, wav_bytes(audio), mode=mode)


class ArraySource:
    """Audio from an array, in blocks of ``block_ms``; ``realtime`` paces it like a microphone."""

    sample_rate = SAMPLE_RATE

    def __init__(self, audio: np.ndarray, *, block_ms: int = 100, realtime: bool = False) -> None:
        if block_ms <= 0:
            raise AudioError(f"block_ms must be positive, not {block_ms}")
        self.audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        self.block = SAMPLE_RATE * block_ms // 1000
        self.realtime = realtime
        self._closed = False

    def blocks(self) -> Iterator[np.ndarray]:
        started = time.monotonic()
        for i in range(0, self.audio.size, self.block):
            if self._closed:
                return
            if self.realtime:
                due = started + i / SAMPLE_RATE
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield self.audio[i : i + self.block]

    def close(self) -> None:
        self._closed = True

    @property
    def duration(self) -> float:
        return self.audio.size / SAMPLE_RATE


class FileSource(ArraySource):
    """Audio from a wav/flac/mp3 file (decoded once, then served in blocks)."""

    def __init__(
        self, path: str | os.PathLike[str], *, block_ms: int = 100, realtime: bool = False
    ) -> None:
        self.path = Path(path)
        super().__init__(load_audio(self.path), block_ms=block_ms, realtime=realtime)
