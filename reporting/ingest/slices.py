"""File slices: whole-line byte ranges of an uncompressed JSONL file that a worker reads itself.

Cutting a file only counts newlines (one sequential read, nothing parsed), so the process that
hands out work stays cheap however many workers read and check the slices.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from reporting.ingest.items import Item

if TYPE_CHECKING:
    from pathlib import Path

    from reporting.ingest import IngestOptions

__all__ = ["Slice", "jsonl_slices", "read_slice"]

log = logging.getLogger(__name__)
_BUFFER = 65536


@dataclass(frozen=True)
class Slice:
    """Lines ``start``..``end`` (byte offsets, whole lines) of an uncompressed JSONL file whose
    first line is line number ``first_line``: a unit of work a worker reads by itself, or,
    when it cannot see the file, from ``data`` (the bytes, read by the client, not parsed)."""

    path: str
    start: int
    end: int
    first_line: int
    data: bytes | None = None


def jsonl_slices(path: Path, target_bytes: int, *, attach: bool = False) -> Iterator[Slice]:
    """Cut a JSONL file into slices of about ``target_bytes`` ending on line ends.

    One sequential pass that only counts newlines, so cutting costs a disk read, not a parse.
    ``attach`` puts each slice's bytes in ``data`` (for workers that cannot see the file).
    """
    if attach:
        with path.open("rb") as fh:
            for part in jsonl_slices(path, target_bytes):
                yield dataclasses.replace(part, data=fh.read(part.end - part.start))
        return
    target_bytes = max(1, target_bytes)
    start, first_line, lines, pos = 0, 1, 0, 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            i = 0
            while True:
                cut_at = max(i, start + target_bytes - 1 - pos)
                newline = chunk.find(b"\n", cut_at) if cut_at < len(chunk) else -1
                if newline < 0:
                    lines += chunk.count(b"\n", i)
                    break
                lines += chunk.count(b"\n", i, newline + 1)
                end = pos + newline + 1
                yield Slice(str(path), start, end, first_line)
                first_line += lines
                start, lines, i = end, 0, newline + 1
            pos += len(chunk)
    if start < pos:
        yield Slice(str(path), start, pos, first_line)


class _Range(io.RawIOBase):
    """Bytes ``start``..``end`` of a file as a readable stream."""

    def __init__(self, fh: IO[bytes], start: int, end: int) -> None:
        self._fh = fh
        self._left = end - start
        fh.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: self._left]
        n = self._fh.readinto(view) or 0  # type: ignore[attr-defined]
        self._left -= n
        return n


def read_slice(
    part: Slice, *, options: IngestOptions | None = None
) -> tuple[list[Item], list[tuple[str, str]]]:
    """The items of one slice and the warnings reading it raised (worker side)."""
    from reporting.ingest import IngestOptions
    from reporting.ingest import text as text_readers

    opts = options or IngestOptions()
    warnings: list[tuple[str, str]] = []

    def warn(source: str, message: str) -> None:
        log.warning("%s: %s", source, message)
        warnings.append((source, message))

    try:
        with contextlib.ExitStack() as stack:
            if part.data is not None:
                stream: IO[bytes] = io.BytesIO(part.data)
            else:
                fh = stack.enter_context(open(part.path, "rb"))
                stream = io.BufferedReader(_Range(fh, part.start, part.end), buffer_size=_BUFFER)
            items = list(
                text_readers.iter_jsonl(
                    stream, part.path, warn=warn, options=opts, first_line=part.first_line
                )
            )
    except OSError as exc:
        where = f"{part.path}:{part.first_line}"
        return [Item(source=where, error=f"cannot read lines from here on: {exc}")], warnings
    return items, warnings
