"""Where a study's draft lives: ``drafts/<accession>/`` with the saved record (``report.json``)
and the dictation journal (``journal.jsonl``), both private to the user (0600)."""

from __future__ import annotations

import enum
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from reporting.errors import RecordError
from reporting.model import Report, Status
from reporting.records import dumps_record, loads_record
from reporting.resources import atomic_write_text

__all__ = ["DraftState", "DraftStore", "StudyFiles", "safe_name"]


class DraftState(enum.StrEnum):
    NEW = "new"
    DRAFT = "draft"
    RECOVERABLE = "recover"
    FINAL = "final"


def safe_name(accession: str) -> str:
    """A folder name for an accession number (no separators, no leading dot)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", accession.strip()) or "_"
    return name.lstrip(".") or "_"


@dataclass(frozen=True, slots=True)
class StudyFiles:
    folder: Path

    @property
    def record(self) -> Path:
        return self.folder / "report.json"

    @property
    def journal(self) -> Path:
        return self.folder / "journal.jsonl"


class DraftStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def files(self, accession: str) -> StudyFiles:
        return StudyFiles(self.root / safe_name(accession))

    def prepare(self, accession: str) -> StudyFiles:
        files = self.files(accession)
        files.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return files

    def load(self, accession: str) -> Report | None:
        path = self.files(accession).record
        if not path.exists():
            return None
        try:
            return loads_record(path.read_text(encoding="utf-8"))
        except (RecordError, ValueError) as exc:
            raise RecordError(f"{path}: {exc}") from None

    def save(self, report: Report) -> Path:
        """Save the current version; signed versions are also kept, never overwritten,
        under ``versions/`` (a final report and each amended one)."""
        files = self.prepare(report.study.accession or report.id)
        data = dumps_record(report) + "\n"
        if report.status in (Status.FINAL, Status.AMENDED):
            folder = files.folder / "versions"
            folder.mkdir(exist_ok=True, mode=0o700)
            number = len(list(folder.glob("*.json"))) + 1
            target = folder / f"{number:03d}-{report.status.value}.json"
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        return atomic_write_text(files.record, data, mode=0o600)

    def versions(self, accession: str) -> list[Report]:
        """The signed versions of a study, oldest first."""
        folder = self.files(accession).folder / "versions"
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        return [loads_record(path.read_text(encoding="utf-8"), where=str(path)) for path in paths]

    def state(self, accession: str) -> DraftState:
        self.files(accession)
        saved: Report | None
        try:
            saved = self.load(accession)
        except RecordError:
            saved = None
        if saved is not None and saved.status in (Status.FINAL, Status.AMENDED):
            return DraftState.FINAL
        if self.journal_pending(accession):
            return DraftState.RECOVERABLE
        if saved is not None:
            return DraftState.DRAFT
        return DraftState.NEW

    def journal_pending(self, accession: str) -> bool:
        """The dictation journal holds work the saved record lacks: an interrupted session.

        The journal starts from the draft at its last checkpoint and then lists utterances, so
        it is pending when it has an utterance, or when it starts from a different text than
        the saved record (typing that was never saved).
        """
        files = self.files(accession)
        if not files.journal.exists() or files.journal.stat().st_size == 0:
            return False
        start: dict[str, object] | None = None
        try:
            with files.journal.open(encoding="utf-8") as fh:
                for number, line in enumerate(fh):
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:
                        break  # a half-written last line: what came before still counts
                    if not isinstance(entry, dict):
                        break
                    if number == 0:
                        start = entry
                    elif entry.get("type") == "utterance":
                        return True
        except (OSError, UnicodeDecodeError):
            return True  # unreadable: let recovery report the problem
        if start is None or start.get("type") != "start":
            return False
        try:
            saved = self.load(accession)
        except RecordError:
            saved = None
        report = start.get("report")
        text = report.get("text") if isinstance(report, dict) else None
        return saved is None or text != saved.text

    def discard_journal(self, accession: str) -> None:
        """Remove the journal and the utterance audio kept beside it."""
        path = self.files(accession).journal
        path.unlink(missing_ok=True)
        for wav in path.parent.glob(f"{path.stem}-*.wav"):
            wav.unlink(missing_ok=True)
