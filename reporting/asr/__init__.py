"""Speech recognition for dictation: the Transcriber seam, faster-whisper engine, model
resolution, vocabulary biasing, correction, formatting and the voice-command grammar.

Importing this package loads neither faster-whisper nor the model; they load on first use.
"""

from __future__ import annotations

from reporting.asr.engine import TranscriberOptions, WhisperTranscriber, load_transcriber
from reporting.asr.fake import FakeTranscriber, transcript_from_text
from reporting.asr.formatting import FormatOptions, format_text
from reporting.asr.models import ResolvedModel, prepare_default_model, resolve_model
from reporting.asr.phrases import Phrasebook, bundled_phrases, phrasebook_for, read_phrases
from reporting.asr.processing import Flag, Processed, TextPipeline, build_pipeline
from reporting.asr.recall import RecallingTranscriber
from reporting.asr.types import SAMPLE_RATE, Segment, Transcriber, Transcript, Word

__all__ = [
    "SAMPLE_RATE",
    "FakeTranscriber",
    "Flag",
    "FormatOptions",
    "Phrasebook",
    "Processed",
    "RecallingTranscriber",
    "ResolvedModel",
    "Segment",
    "TextPipeline",
    "Transcriber",
    "TranscriberOptions",
    "Transcript",
    "WhisperTranscriber",
    "Word",
    "build_pipeline",
    "bundled_phrases",
    "format_text",
    "load_transcriber",
    "phrasebook_for",
    "prepare_default_model",
    "read_phrases",
    "resolve_model",
    "transcript_from_text",
]
