"""Messages the TUI's workers and widgets post, as dataclasses.

High-rate updates (audio level, partial transcripts) define ``can_replace`` so that a newer
message supersedes an older one still waiting in the queue: the UI never falls behind the
microphone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message

from reporting.model import Issue

__all__ = [
    "AudioLevel",
    "PartialText",
    "Heard",
    "Revised",
    "ListenState",
    "ModelState",
    "QAReady",
    "QAUnavailable",
    "ExportDone",
    "ExportFailed",
    "IssueChosen",
]


@dataclass
class AudioLevel(Message):
    """Microphone level 0..1 (RMS, scaled) and whether speech is detected."""

    level: float
    speaking: bool = False

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AudioLevel)


@dataclass
class PartialText(Message):
    """The text recognised so far for the utterance being spoken."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PartialText)


@dataclass
class Heard(Message):
    """A finished utterance: the transcriber's ``Transcript`` (text, words with timings and
    probabilities), its 16 kHz audio (for replaying a word) and where it started (seconds)."""

    transcript: Any
    audio: Any = None
    start: float = 0.0
    index: int = -1  # the recogniser's utterance number


@dataclass
class Revised(Message):
    """Utterance ``index`` (already :class:`Heard`) decoded again as a whole: a better
    transcript that replaces its text if nothing has changed since."""

    transcript: Any
    index: int


@dataclass
class ListenState(Message):
    """``idle`` | ``listening`` | ``finished`` (the recording ended) | ``error``."""

    state: str
    detail: str = ""


@dataclass
class ModelState(Message):
    """Speech model: ``loading`` | ``ready`` | ``error``."""

    state: str
    detail: str = ""


@dataclass
class QAReady(Message):
    """QA issues for draft version ``version`` (stale results are ignored)."""

    version: int
    issues: list[Issue] = field(default_factory=list)


@dataclass
class QAUnavailable(Message):
    reason: str


@dataclass
class ExportDone(Message):
    paths: dict[str, Path]


@dataclass
class ExportFailed(Message):
    error: str


@dataclass
class IssueChosen(Message):
    """The user picked a QA issue: the editor jumps to its span."""

    issue: Issue
