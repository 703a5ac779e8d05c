"""Read reports from files and folders: format detection and streaming dispatch.

``iter_items(paths, options=...)`` walks files and folders (recursively, in sorted order) and
yields one :class:`Item` per report: either a :class:`~reporting.model.Report` or the reason it
could not be read.  A bad file or line never stops the stream; it becomes an error item.

Formats are recognised by extension *and* content: report-record JSONL/JSON, plain text (one
report per file), CSV/TSV, HL7 v2 (ORU^R01, single messages or FHS/BHS batches), DICOM SR and
FHIR JSON (DiagnosticReport or Bundle), and ``.gz`` versions of the text formats.  JSONL, CSV and
text are streamed; a ``.json``, HL7 or DICOM file is read whole (one document).
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from reporting.errors import ReportingError
from reporting.ingest.items import Item
from reporting.ingest.slices import Slice, jsonl_slices, read_slice

__all__ = [
    "CsvColumns",
    "IngestOptions",
    "Item",
    "ItemStream",
    "FORMATS",
    "Slice",
    "jsonl_slices",
    "read_slice",
    "detect_format",
    "iter_files",
    "iter_items",
    "total_bytes",
]

log = logging.getLogger(__name__)

#: Formats :func:`detect_format` can return.
FORMATS = ("jsonl", "json", "txt", "csv", "hl7", "dicom", "unknown")

_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".txt": "txt",
    ".text": "txt",
    ".csv": "csv",
    ".tsv": "csv",
    ".hl7": "hl7",
    ".oru": "hl7",
    ".dcm": "dicom",
}
_HL7_STARTS = (b"MSH|", b"FHS|", b"BHS|")
_HEAD_BYTES = 65536

Warn = Callable[[str, str], None]


@dataclass(frozen=True)
class CsvColumns:
    """Column names for CSV input; ``None`` means auto-detect from common header names."""

    id: str | None = None
    text: str | None = None
    procedure: str | None = None
    modality: str | None = None
    sex: str | None = None
    age: str | None = None
    laterality: str | None = None
    author: str | None = None
    date: str | None = None
    template: str | None = None


@dataclass(frozen=True)
class IngestOptions:
    """How to read inputs.

    ``procedure`` ... ``template`` give the context of plain-text reports (and CSV rows without
    such a column); ``columns`` names CSV columns; ``max_record_bytes`` caps one JSONL line or
    CSV field so a corrupt file cannot exhaust memory; a text longer than ``max_chars`` is not
    split into sections (the batch runner reports it as too long).
    """

    procedure: str = ""
    modality: str = ""
    sex: str = ""
    age: int | None = None
    laterality: str = ""
    template: str = ""
    columns: CsvColumns = field(default_factory=CsvColumns)
    max_record_bytes: int = 64 * 1024 * 1024
    max_chars: int = 1_000_000

    def context(self) -> dict[str, object]:
        """Report keyword context for plain-text reports."""
        ctx: dict[str, object] = {}
        for key in ("procedure", "modality", "sex", "laterality", "template"):
            value = getattr(self, key)
            if value:
                ctx[key] = value
        if self.age is not None:
            ctx["age"] = self.age
        return ctx


# --------------------------------------------------------------------------- files


def _wanted(path: Path) -> bool:
    """Inside folders: known extensions (also ``.gz``) and extension-less files (DICOM)."""
    if path.name.startswith("."):
        return False
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    return suffix in _EXTENSIONS or suffix == ""


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named in ``paths``; folders are walked recursively in sorted order.

    A file named explicitly is always read; inside folders, hidden files and files with other
    extensions (``.md``, ``.pdf`` ...) are skipped, and extension-less files are read only when
    their content is DICOM, HL7 or JSON.
    """
    for path, _explicit in _walk(paths):
        yield path


def _walk(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, bool]]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if _wanted(candidate):
                        yield candidate, False
                    else:
                        log.debug("skipping %s (not an input format)", candidate)
        else:
            yield path, True


def total_bytes(paths: Iterable[str | os.PathLike[str]]) -> int:
    """Sum of the sizes of the input files (for progress and ETA)."""
    total = 0
    for path in iter_files(paths):
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


def detect_format(name: str, head: bytes) -> str:
    """Format of a (decompressed) file from its name and first bytes.

    Content wins where it is unambiguous (HL7 segments, the DICOM preamble, a JSON document in a
    ``.txt``), the extension decides the rest, and text without a known extension is a report.
    """
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    suffix = Path(name.lower()).suffix
    by_ext = _EXTENSIONS.get(suffix)
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    if body.startswith(_HL7_STARTS):
        return "hl7"
    if by_ext == "dicom":
        return "dicom"
    if by_ext in ("jsonl", "json", "csv"):
        return by_ext
    if body[:1] in (b"{", b"["):
        return "json" if by_ext is None else "jsonl" if body[:1] == b"{" else "json"
    if by_ext is not None:
        return by_ext
    if not head:
        return "txt"
    if _looks_binary(head):
        return "unknown"
    return "txt"


def _looks_binary(head: bytes) -> bool:
    """At least 8 control bytes making up more than 5 % of the head (NUL included; tab, newlines
    and form feed excluded): random bytes are, a report with a stray control character is not."""
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls >= 8 and controls > len(sample) * 0.05


# --------------------------------------------------------------------------- streaming


class _Counter(io.RawIOBase):
    """A raw file whose read position is visible while a gzip/text layer reads from it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        n = self._fh.readinto(buffer)  # type: ignore[attr-defined]
        self.position += n or 0
        return n or 0

    def close(self) -> None:
        self._fh.close()
        super().close()


class ItemStream:
    """Iterate the items of ``paths``; ``bytes_done``/``bytes_total`` drive a progress bar and
    ``warnings`` collects per-source notes (``not UTF-8; decoded as Latin-1``)."""

    def __init__(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        options: IngestOptions | None = None,
        count_bytes: bool = True,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.options = options or IngestOptions()
        self.bytes_total = total_bytes(self.paths) if count_bytes else 0
        self._done_files = 0
        self._current: _Counter | None = None
        self.warnings: list[tuple[str, str]] = []
        self.files = 0

    @property
    def bytes_done(self) -> int:
        return self._done_files + (self._current.position if self._current is not None else 0)

    def warn(self, source: str, message: str) -> None:
        log.warning("%s: %s", source, message)
        if len(self.warnings) < 1000:
            self.warnings.append((source, message))

    def __iter__(self) -> Iterator[Item]:
        for path, explicit in _walk(self.paths):
            self.files += 1
            yield from self._read_file(path, explicit)

    @property
    def bytes_before_current(self) -> int:
        """Input bytes of the files finished so far."""
        return self._done_files

    def units(self, *, slice_lines: int, attach: bool = False) -> Iterator[Item | Slice]:
        """Like iteration, but uncompressed JSONL files come as :class:`Slice` s of about
        ``slice_lines`` lines, for workers to read themselves (nothing is parsed here);
        ``attach`` sends the slices' bytes along for workers that cannot see the files."""
        for path, explicit in _walk(self.paths):
            self.files += 1
            target = self._slice_bytes(path, slice_lines)
            if target is None:
                yield from self._read_file(path, explicit)
                continue
            try:
                size = path.stat().st_size
                yield from jsonl_slices(path, target, attach=attach)
            except OSError as exc:
                yield Item(source=str(path), error=f"cannot read file: {exc.strerror or exc}")
                size = 0
            self._done_files += size

    @staticmethod
    def _slice_bytes(path: Path, slice_lines: int) -> int | None:
        """Slice size for a plain JSONL file (from its average line length), else None."""
        try:
            with path.open("rb") as fh:
                head = fh.read(_HEAD_BYTES)
        except OSError:
            return None
        if not head or head[:2] == b"\x1f\x8b" or _looks_binary(head):
            return None
        if detect_format(path.name, head) != "jsonl":
            return None
        average = len(head) / max(1, head.count(b"\n"))
        return max(1024, int(average * slice_lines))

    def _read_file(self, path: Path, explicit: bool = True) -> Iterator[Item]:
        source = str(path)
        try:
            size = path.stat().st_size
            fh = path.open("rb")
        except OSError as exc:
            yield Item(source=source, error=f"cannot open file: {exc.strerror or exc}")
            return
        counter = _Counter(fh)
        self._current = counter
        count = 0
        try:
            stream: IO[bytes] = io.BufferedReader(counter, buffer_size=_HEAD_BYTES)
            head = stream.peek(_HEAD_BYTES)[:_HEAD_BYTES]  # type: ignore[attr-defined]
            name = path.name
            if head[:2] == b"\x1f\x8b":
                stream = io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), _HEAD_BYTES)  # type: ignore[arg-type]
                head = stream.peek(_HEAD_BYTES)[:_HEAD_BYTES]  # type: ignore[attr-defined]
                name = name[:-3] if name.lower().endswith(".gz") else name
                compressed = True
            else:
                compressed = False
            fmt = detect_format(name, head)
            if not explicit and not Path(name).suffix and fmt not in ("dicom", "hl7", "json"):
                log.debug("%s: skipped (no extension, content is not DICOM, HL7 or JSON)", source)
                return
            log.debug("%s: format %s%s", source, fmt, " (gzip)" if compressed else "")
            for item in self._dispatch(fmt, path, stream, source, head, compressed):
                count += 1
                yield item
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            where = f"after {count} report(s)" if count else "before the first report"
            yield Item(source=source, error=f"truncated or corrupt compressed data {where}: {exc}")
        except ReportingError as exc:
            yield Item(source=source, error=exc.one_line())
        except (OSError, ValueError, UnicodeError) as exc:
            log.info("%s: reading stopped: %s", source, type(exc).__name__)
            yield Item(source=source, error=f"reading stopped after {count} report(s): {exc}")
        except Exception as exc:  # a reader bug or a library's own error type: keep the batch going
            # type and frames only: the exception text may quote report content
            log.warning("%s: reader failed: %s", source, type(exc).__name__)
            log.debug("reader traceback:\n%s", "".join(traceback.format_tb(exc.__traceback__)))
            yield Item(
                source=source,
                error=f"cannot read ({type(exc).__name__}: {exc}) after {count} report(s)",
            )
        finally:
            self._current = None
            self._done_files += size
            fh.close()

    def _dispatch(
        self, fmt: str, path: Path, stream: IO[bytes], source: str, head: bytes, compressed: bool
    ) -> Iterator[Item]:
        from reporting.ingest import text as text_readers

        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16 text has NUL bytes
        if fmt in ("jsonl", "json", "csv", "txt") and head and _looks_binary(head) and not utf16:
            yield Item(source=source, error=f"binary data, not {fmt.upper()} text")
            return
        if fmt == "jsonl":
            yield from text_readers.iter_jsonl(stream, source, warn=self.warn, options=self.options)
        elif fmt == "json":
            yield from text_readers.iter_json(stream, source, warn=self.warn, options=self.options)
        elif fmt == "txt":
            yield text_readers.read_txt(
                stream, source, path=path, warn=self.warn, options=self.options
            )
        elif fmt == "csv":
            from reporting.ingest.csv import iter_csv

            tsv = path.name.lower().removesuffix(".gz").endswith(".tsv")
            yield from iter_csv(stream, source, warn=self.warn, options=self.options, tsv=tsv)
        elif fmt == "hl7":
            from reporting.ingest.hl7 import iter_hl7_reports

            yield from iter_hl7_reports(stream.read(), source)
        elif fmt == "dicom":
            if compressed:
                yield Item(
                    source=source, error="gzip-compressed DICOM is not supported; decompress it"
                )
                return
            from reporting.ingest.dicom_sr import read_sr

            yield _one(source, lambda: read_sr(path))
        else:
            what = (
                "empty file"
                if not head
                else "unrecognised format (not JSON, CSV, text, HL7 or DICOM)"
            )
            yield Item(source=source, error=what)


def _one(source: str, read: Callable[[], object]) -> Item:
    from reporting.model import Report

    try:
        report = read()
    except ReportingError as exc:
        return Item(source=source, error=exc.one_line())
    if not isinstance(report, Report):
        return Item(source=source, error="the reader returned no report")
    return Item(source=source, report=report)


def iter_items(
    paths: Iterable[str | os.PathLike[str]], *, options: IngestOptions | None = None
) -> Iterator[Item]:
    """Stream the reports in ``paths`` (files and folders) as :class:`Item` s, in input order."""
    return iter(ItemStream(paths, options=options, count_bytes=False))
