"""Result files: the JSONL sink (whole lines, fsync per partition) and CSV/Parquet conversions.

The JSONL file is the record of truth: CSV and Parquet are derived from it when the run is
complete (streamed, written to a temporary file and renamed), so a resumed run produces them too.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from reporting.errors import BatchError
from reporting.resources import atomic_output

__all__ = ["LineSink", "CSV_COLUMNS", "flat_rows", "write_csv", "write_parquet"]

#: Columns of the CSV and Parquet outputs: one row per issue (or one per clean/error report).
CSV_COLUMNS = (
    "id",
    "source",
    "status",
    "code",
    "severity",
    "message",
    "start",
    "end",
    "section",
    "error",
)


class LineSink:
    """Append whole lines to ``path`` (cut back to ``start`` first) and optionally echo them.

    Without a path the lines are only echoed.
    """

    def __init__(self, path: Path | None, start: int, *, echo: IO[str] | None = None) -> None:
        self.path = path
        self.echo = echo
        self.committed = start
        self._fd = -1
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BatchError(f"{path}: cannot write results ({exc.strerror})") from None
        size = os.fstat(self._fd).st_size
        if size < start:
            os.close(self._fd)
            raise BatchError(f"{path}: shorter than the checkpoint says; run without --resume")
        os.ftruncate(self._fd, start)
        os.lseek(self._fd, start, os.SEEK_SET)
        self.committed = start

    def write(self, lines: tuple[str, ...] | list[str]) -> int:
        """Write and fsync ``lines``; returns the new committed length of the file."""
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        if self._fd >= 0:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
        self.committed += len(data)
        if self.echo is not None:
            self.echo.write(data.decode("utf-8"))
            self.echo.flush()
        return self.committed

    def rollback(self) -> None:
        """Cut an interrupted write back to the last whole partition."""
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, self.committed)
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def flat_rows(path: Path) -> Iterator[dict[str, Any]]:
    """One flat row per issue; a report without issues or with an error gets one row."""
    for row in _rows(path):
        base = {"id": row.get("id"), "source": row.get("source")}
        if "error" in row:
            yield {**base, "status": "error", "error": row["error"]}
            continue
        issues = row.get("issues") or []
        if not issues:
            yield {**base, "status": "ok"}
        for issue in issues:
            yield {
                **base,
                "status": "flagged",
                **{
                    k: issue.get(k)
                    for k in ("code", "severity", "message", "start", "end", "section")
                },
            }


def write_csv(results: Path, target: Path) -> Path:
    with atomic_output(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in flat_rows(results):
            writer.writerow(row)
    return target


def write_parquet(results: Path, target: Path, *, rows_per_group: int = 65536) -> Path:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise BatchError(
            "--parquet needs pyarrow: pip install 'reporting[parquet]'", title="Missing dependency"
        ) from None
    schema = pa.schema(
        [(c, pa.int64() if c in ("start", "end") else pa.string()) for c in CSV_COLUMNS]
    )
    with atomic_output(target) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for row in flat_rows(results):
            chunk.append(row)
            if len(chunk) >= rows_per_group:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                chunk = []
        if chunk:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    return target
