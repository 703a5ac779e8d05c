"""Everything the TUI needs to start, as one frozen value (built by the CLI or by tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporting.resources import user_data_dir
from reporting.tui.config import TuiConfig

__all__ = ["TuiOptions", "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class TuiOptions:
    """``worklist``: JSON file or DICOM folder; ``audio_file``/``audio_device``: where dictation
    comes from; ``fake_asr``: use the fast scripted transcriber instead of Whisper;
    ``transcriber``: an already-built transcriber (tests); ``data_dir``: drafts and audit log."""

    worklist: Path | None = None
    audio_device: str | None = None
    audio_file: Path | None = None
    outbox: Path | None = None
    user: str = ""
    fake_asr: bool = False
    config: TuiConfig = field(default_factory=TuiConfig)
    data_dir: Path | None = None
    transcriber: Any = None
    qa_delay: float = 0.5
    audio_realtime: bool = True  # pace --audio-file like a microphone (tests turn it off)
    clock: Callable[[], dt.datetime] = utc_now

    @property
    def verifier(self) -> str:
        return self.user or self.config.user or "radiologist"

    @property
    def drafts_dir(self) -> Path:
        return (self.data_dir or user_data_dir()) / "drafts"

    @property
    def audit_path(self) -> Path:
        return (self.data_dir or user_data_dir()) / "audit.jsonl"

    @property
    def outbox_dir(self) -> Path:
        if self.outbox is not None:
            return self.outbox
        if self.config.outbox:
            return Path(self.config.outbox).expanduser()
        return (self.data_dir or user_data_dir()) / "outbox"
