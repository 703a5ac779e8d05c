"""Resume checkpoint: an SQLite file (WAL mode) next to the results, one row per written partition.

A partition's rows are appended to the results file and fsynced *before* its checkpoint row is
committed; the row stores the byte length of the results file at that point (and the time,
which the batch benchmark reads).  After a kill, the
results file is cut back to the last committed length, so a resumed run neither repeats nor loses
a row.  A fingerprint of the inputs and options refuses to resume a different run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporting.batch.stats import Stats
from reporting.errors import BatchError
from reporting.ingest import iter_files

__all__ = ["Checkpoint", "ResumeState", "checkpoint_path", "fingerprint"]


def checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + ".checkpoint.sqlite")


def fingerprint(paths: Iterable[str | os.PathLike[str]], settings: dict[str, Any]) -> str:
    """Hash of every input file (path, size, modification time) and the run settings."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in iter_files(paths):
        try:
            st = path.stat()
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\0missing\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ResumeState:
    partitions: int = 0
    items: int = 0
    out_end: int = 0
    stats: Stats | None = None
    complete: bool = False


class Checkpoint:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS parts "
                "(idx INTEGER PRIMARY KEY, items INTEGER, out_end INTEGER, done_at REAL)"
            )
        except sqlite3.DatabaseError as exc:
            raise BatchError(
                f"{path}: cannot use the checkpoint ({exc}); delete it to start over"
            ) from None

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def start(self, print_: str, *, resume: bool) -> ResumeState:
        """Begin a run: a fresh checkpoint, or (``resume``) the state of the interrupted one."""
        stored = self._meta("fingerprint")
        if resume and stored is not None:
            if stored != print_:
                raise BatchError(
                    f"{self.path}: the checkpoint belongs to a run with other inputs or options; "
                    "run without --resume to start over"
                )
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(items), 0), MAX(idx) FROM parts"
            ).fetchone()
            count, items, last = int(row[0]), int(row[1]), row[2]
            if count and last != count - 1:
                raise BatchError(
                    f"{self.path}: the checkpoint is inconsistent; run without --resume"
                )
            out_end = 0
            if count:
                out_end = int(
                    self._db.execute("SELECT out_end FROM parts WHERE idx = ?", (last,)).fetchone()[
                        0
                    ]
                )
            stats_text = self._meta("stats")
            stats = Stats.from_json(json.loads(stats_text)) if stats_text else None
            return ResumeState(count, items, out_end, stats, self._meta("complete") == "1")
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("DELETE FROM parts")
        self._db.execute("DELETE FROM meta")
        self._db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (print_,))
        self._db.execute("COMMIT")
        return ResumeState()

    def record(self, index: int, items: int, out_end: int, stats: Stats) -> None:
        """Commit partition ``index`` (its rows are already fsynced in the results file)."""
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute(
            "INSERT INTO parts (idx, items, out_end, done_at) VALUES (?, ?, ?, ?)",
            (index, items, out_end, time.time()),
        )
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('stats', ?)", (json.dumps(stats.to_json()),)
        )
        self._db.execute("COMMIT")

    def finish(self) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('complete', '1')")

    def close(self) -> None:
        self._db.close()
