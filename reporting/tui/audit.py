"""The append-only audit log: one JSON object per line, private to the user (mode 0600).

Events: ``opened``, ``created``, ``recovered``, ``dictated`` (utterance length only),
``field_edited`` (field and new length only), ``qa_override`` (with the typed reason),
``signed``, ``exported``, ``export_failed``, ``addendum``, ``draft_saved``.  Each line has the
UTC time, the user, the accession and the event's details.  Report text is never written here
(the override reason is the radiologist's own justification and is kept, as required).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporting.errors import ConfigError
from reporting.resources import user_data_dir

__all__ = ["AuditLog", "AuditEvent", "default_audit_path", "EVENTS"]

EVENTS = frozenset(
    {
        "opened",
        "created",
        "recovered",
        "dictated",
        "revised",
        "field_edited",
        "qa_override",
        "signed",
        "exported",
        "export_failed",
        "addendum",
        "draft_saved",
    }
)


def default_audit_path() -> Path:
    return user_data_dir() / "audit.jsonl"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    event: str
    user: str
    accession: str
    time: dt.datetime
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        row = {
            "time": self.time.isoformat(timespec="milliseconds"),
            "event": self.event,
            "user": self.user,
            "accession": self.accession,
            **dict(self.details),
        }
        return json.dumps(row, ensure_ascii=False, sort_keys=False)


class AuditLog:
    """Appends events with ``O_APPEND`` + fsync; never rewrites earlier lines."""

    def __init__(
        self, path: Path | None = None, *, user: str, clock: Callable[[], dt.datetime] = _utc_now
    ) -> None:
        self.path = path or default_audit_path()
        self.user = user
        self._clock = clock
        self._lock = threading.Lock()

    def record(self, event: str, accession: str, **details: Any) -> AuditEvent:
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        entry = AuditEvent(event, self.user, accession, self._clock(), details)
        line = (entry.to_json() + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise ConfigError(
                    f"{self.path}: cannot open the audit log ({exc.strerror})"
                ) from None
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def read(self) -> list[dict[str, Any]]:
        """All events so far (for tests and review)."""
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
        return rows
