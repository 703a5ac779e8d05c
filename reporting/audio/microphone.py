"""The microphone through PortAudio (``sounddevice``, imported only when a microphone is used).

The PortAudio callback does one thing: copy the block into a bounded queue (or count an overrun
when the queue is full).  Conversion, level metering and segmentation happen in the consumer.
Two modes: ``toggle`` (``toggle()`` starts/stops listening) and ``push_to_talk`` (``press()`` /
``release()``); releasing or toggling off ends the utterance (a zero-length block).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import numpy as np

from reporting.audio.base import SAMPLE_RATE
from reporting.audio.level import Level, LevelMeter
from reporting.errors import AudioError

__all__ = [
    "InputDevice",
    "MicrophoneSource",
    "list_input_devices",
    "import_sounddevice",
    "playback_problem",
]

log = logging.getLogger(__name__)

Mode = Literal["toggle", "push_to_talk"]
_END = np.zeros(0, dtype=np.float32)


def import_sounddevice() -> ModuleType:
    """``sounddevice``, or an :class:`AudioError` that says what to install."""
    try:
        import sounddevice
    except ImportError:
        raise AudioError(
            "the Python package 'sounddevice' is not installed; install the dictation extra: "
            "pip install 'reporting[dictation]'",
            title="Microphone unavailable",
        ) from None
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise AudioError(
            f"the PortAudio library is missing ({exc}); install it: apt-get install libportaudio2 "
            "(Debian/Ubuntu), brew install portaudio (macOS)",
            title="Microphone unavailable",
        ) from None
    return sounddevice


@dataclass(frozen=True, slots=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_samplerate: float
    hostapi: str
    is_default: bool = False

    def describe(self) -> str:
        mark = "*" if self.is_default else " "
        return f"{mark} {self.index:>2}  {self.name}  ({self.hostapi}, {self.channels} ch, {self.default_samplerate:g} Hz)"


def list_input_devices() -> list[InputDevice]:
    """Every device with input channels (PortAudio's view)."""
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0] if sd.default.device else -1
    except Exception as exc:  # PortAudioError has no stable import path across versions
        raise AudioError(
            f"cannot list audio devices ({exc})", title="Microphone unavailable"
        ) from None
    out = []
    for index, dev in enumerate(devices):
        if int(dev.get("max_input_channels", 0)) > 0:
            out.append(
                InputDevice(
                    index,
                    str(dev["name"]),
                    int(dev["max_input_channels"]),
                    float(dev["default_samplerate"]),
                    str(apis[dev["hostapi"]]["name"]),
                    index == default_in,
                )
            )
    return out


def playback_problem(sd: Any, exc: BaseException) -> str:
    """What to tell the user when playing audio through ``sd`` (sounddevice) failed with
    ``exc``: that there is no output device at all, when PortAudio lists none (its own
    message is "Error querying device -1"), or the error."""
    try:
        devices = list(sd.query_devices())
    except Exception:  # PortAudioError has no stable import path across versions
        devices = None
    if devices is not None and not any(int(d.get("max_output_channels", 0)) for d in devices):
        return "no audio output device (speakers or headphones) was found"
    return f"the audio output failed ({exc})"


class MicrophoneSource:
    """A live microphone as an :class:`~reporting.audio.base.AudioSource`.

    ``device`` is an index, a (part of a) device name or None for the default input.
    ``queue_blocks`` bounds the buffer between the callback and the consumer; blocks that do
    not fit are dropped and counted in :attr:`overruns`.
    """

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        device: int | str | None = None,
        *,
        mode: Mode = "toggle",
        block_ms: int = 100,
        queue_blocks: int = 100,
        listening: bool | None = None,
    ) -> None:
        if mode not in ("toggle", "push_to_talk"):
            raise AudioError(f"mode must be 'toggle' or 'push_to_talk', not {mode!r}")
        if queue_blocks < 1 or block_ms < 10:
            raise AudioError("queue_blocks must be >= 1 and block_ms >= 10")
        self.device = device
        self.mode = mode
        self.blocksize = SAMPLE_RATE * block_ms // 1000
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=queue_blocks)
        self._listening = (mode == "toggle") if listening is None else listening
        self._stream: Any = None
        self._stopped = threading.Event()
        self.overruns = 0
        self.input_overflows = 0
        self.meter = LevelMeter()

    # ------------------------------------------------------------------ PortAudio side
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.input_overflows += 1
        if not self._listening:
            return
        try:
            self._queue.put_nowait(indata.copy())
        except queue.Full:
            self.overruns += 1

    # ------------------------------------------------------------------ control
    def start(self) -> MicrophoneSource:
        """Open the device and start capturing."""
        if self._stream is not None:
            return self
        sd = import_sounddevice()
        self._check_device(sd)
        try:
            self._stream = sd.InputStream(
                device=self.device,
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=self.blocksize,
                callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError / ValueError from sounddevice
            self._stream = None
            raise AudioError(
                f"cannot open the microphone {self.device!r} at 16 kHz mono ({exc}); "
                f"input devices: {self._device_names()}",
                title="Microphone unavailable",
            ) from None
        self._stopped.clear()
        return self

    def _device_names(self) -> str:
        try:
            names = [d.describe().strip() for d in list_input_devices()]
        except AudioError:
            return "unknown"
        return "; ".join(names) or "none"

    def _check_device(self, sd: ModuleType) -> None:
        devices = list_input_devices()
        if not devices:
            raise AudioError(
                "no audio input device found; connect a microphone (PortAudio sees no inputs)",
                title="Microphone unavailable",
            )
        if self.device is None:
            return
        if isinstance(self.device, int):
            if not any(d.index == self.device for d in devices):
                raise AudioError(
                    f"no input device with index {self.device}; input devices: {self._device_names()}",
                    title="Microphone unavailable",
                )
        elif not any(str(self.device).lower() in d.name.lower() for d in devices):
            raise AudioError(
                f"no input device named {self.device!r}; input devices: {self._device_names()}",
                title="Microphone unavailable",
            )

    def stop(self) -> None:
        """Stop capturing; :meth:`blocks` ends after the queued audio."""
        self._stopped.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # closing a vanished device must not hide the audio we have
                log.warning("closing the microphone failed: %s", exc)
        self._end_utterance()

    close = stop

    def _end_utterance(self) -> None:
        try:
            self._queue.put_nowait(_END)
        except queue.Full:
            self.overruns += 1

    @property
    def listening(self) -> bool:
        return self._listening

    def toggle(self) -> bool:
        """Toggle mode: start or stop listening; returns the new state."""
        self._listening = not self._listening
        if not self._listening:
            self._end_utterance()
        return self._listening

    def press(self) -> None:
        """Push-to-talk: start listening."""
        self._listening = True

    def release(self) -> None:
        """Push-to-talk: stop listening and end the utterance."""
        self._listening = False
        self._end_utterance()

    @property
    def level(self) -> Level:
        return self.meter.level

    # ------------------------------------------------------------------ consumer side
    def blocks(self, *, timeout: float = 0.1) -> Iterator[np.ndarray]:
        """Float32 blocks as they arrive; a zero-length block marks the end of an utterance."""
        self.start()
        while True:
            try:
                raw = self._queue.get(timeout=timeout)
            except queue.Empty:
                if self._stopped.is_set():
                    return
                continue
            if raw.size == 0:
                yield _END
                if self._stopped.is_set() and self._queue.empty():
                    return
                continue
            block = raw.reshape(-1).astype(np.float32) / 32768.0
            self.meter.update(block)
            yield block

    def __enter__(self) -> MicrophoneSource:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
