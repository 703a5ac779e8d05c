"""Audio input for dictation: the AudioSource seam, microphone (PortAudio, loaded on use), file
and array sources, a level meter and the VAD utterance segmenter.

Importing this package loads neither sounddevice nor faster-whisper.
"""

from __future__ import annotations

from reporting.audio.base import SAMPLE_RATE, AudioSource
from reporting.audio.files import ArraySource, FileSource, load_audio, wav_bytes, write_wav
from reporting.audio.level import Level, LevelMeter, dbfs
from reporting.audio.microphone import InputDevice, MicrophoneSource, list_input_devices
from reporting.audio.segmenter import (
    Final,
    LiveRecognizer,
    Partial,
    Revision,
    SegmenterOptions,
    StreamingVad,
    UtteranceAudio,
    UtteranceSegmenter,
    join_transcripts,
)

__all__ = [
    "SAMPLE_RATE",
    "ArraySource",
    "AudioSource",
    "FileSource",
    "Final",
    "InputDevice",
    "Level",
    "LevelMeter",
    "LiveRecognizer",
    "MicrophoneSource",
    "Partial",
    "Revision",
    "SegmenterOptions",
    "StreamingVad",
    "UtteranceAudio",
    "UtteranceSegmenter",
    "dbfs",
    "join_transcripts",
    "list_input_devices",
    "load_audio",
    "wav_bytes",
    "write_wav",
]
