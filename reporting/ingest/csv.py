"""CSV/TSV reader: one report per row, columns named by options or recognised from the header.

The delimiter is sniffed (``,`` ``;`` tab ``|``).  Without ``--text-col`` the report text is the
first column called report, report_text, text, narrative ...; with only ``findings`` and
``impression`` columns the text is composed from both under their headings.  A row without an id
column gets ``<file stem>:<line>``.  Rows are streamed; a bad row is an error item, not the end.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import IO, TYPE_CHECKING

from reporting.errors import IngestError, ReportingError
from reporting.ingest.items import Item

if TYPE_CHECKING:
    from reporting.ingest import CsvColumns, IngestOptions

__all__ = ["AUTO_COLUMNS", "iter_csv", "resolve_columns"]

Warn = Callable[[str, str], None]

#: Header names recognised for each column (compared lower-case, ignoring spaces, - and _).
AUTO_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "reportid", "report_id", "accession", "accessionnumber", "accessionno", "acc",
           "uid", "studyid", "examid"),
    "text": ("report", "reporttext", "text", "narrative", "reportbody", "body", "content",
             "fulltext", "result", "resulttext"),
    "procedure": ("procedure", "proceduredescription", "studydescription", "examination",
                  "exam", "examdescription", "study"),
    "modality": ("modality",),
    "sex": ("sex", "gender", "patientsex"),
    "age": ("age", "patientage", "ageyears"),
    "laterality": ("laterality", "side"),
    "author": ("author", "radiologist", "reader", "reportingphysician", "signedby", "dictatedby"),
    "date": ("date", "studydate", "examdate", "reportdate", "signeddate"),
    "template": ("template",),
}  # fmt: skip
_SECTION_COLUMNS = ("history", "indication", "technique", "comparison", "findings", "impression")

_csv_limit_raised = False


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def resolve_columns(header: Sequence[str], columns: CsvColumns, source: str) -> dict[str, int]:
    """Map each known column role to its index; explicit names must exist (IngestError)."""
    index = {_norm(h): i for i, h in reversed(list(enumerate(header)))}
    found: dict[str, int] = {}
    for f in fields(columns):
        wanted = getattr(columns, f.name)
        if wanted:
            key = _norm(wanted)
            if key not in index:
                raise IngestError(
                    f"{source}: no column {wanted!r} (--{f.name}-col); the header has "
                    + ", ".join(repr(h) for h in header[:20])
                )
            found[f.name] = index[key]
            continue
        for alias in AUTO_COLUMNS[f.name]:
            if _norm(alias) in index:
                found[f.name] = index[_norm(alias)]
                break
    return found


def _sections(header: Sequence[str]) -> list[tuple[str, int]]:
    index = {_norm(h): i for i, h in enumerate(header)}
    return [(name, index[name]) for name in _SECTION_COLUMNS if name in index]


def _fix(value: str, where: str, warn: Warn) -> str:
    """Cells decoded with surrogateescape: bytes that were not UTF-8 become Latin-1."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        warn(where, "not UTF-8; decoded as Latin-1")
        return value.encode("utf-8", "surrogateescape").decode("latin-1")
    return value


def iter_csv(
    stream: IO[bytes], source: str, *, warn: Warn, options: IngestOptions, tsv: bool = False
) -> Iterator[Item]:
    """One report per data row; the header row is row 1, so sources read ``file.csv:2`` on."""
    global _csv_limit_raised
    if not _csv_limit_raised:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        _csv_limit_raised = True
    head = stream.peek(65536)[:65536] if hasattr(stream, "peek") else b""  # type: ignore[attr-defined]
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    text_stream = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
    sample = head.decode("utf-8", "replace")
    if tsv:
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(sample[:16384], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(text_stream, delimiter=delimiter)
    try:
        header = [_fix(h, f"{source}:1", warn) for h in next(reader)]
    except StopIteration:
        yield Item(source=source, error="empty file")
        return
    cols = resolve_columns(header, options.columns, source)
    parts = [] if "text" in cols else _sections(header)
    if "text" not in cols and not parts:
        raise IngestError(
            f"{source}: no report text column (tried {', '.join(AUTO_COLUMNS['text'][:6])}, "
            "findings/impression); name it with --text-col"
        )
    stem = Path(source).name.split(".")[0]
    defaults = options.context()
    limit = options.max_record_bytes
    row_number = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Item(source=f"{source}:{row_number + 1}", error=f"malformed CSV row: {exc}")
            row_number = reader.line_num
            continue
        where = f"{source}:{row_number + 1}"  # the line the record starts on
        row_number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if sum(len(cell) for cell in row) > limit:
            yield Item(source=where, error=f"row larger than {limit:,} characters")
            continue
        row = [_fix(cell, where, warn) for cell in row]
        line = where.rsplit(":", 1)[1]
        yield _row_item(row, cols, parts, stem, line, defaults, where, options.max_chars)


def _cell(row: Sequence[str], cols: dict[str, int], key: str) -> str:
    i = cols.get(key)
    return row[i].strip() if i is not None and i < len(row) else ""


def _row_item(
    row: Sequence[str],
    cols: dict[str, int],
    parts: list[tuple[str, int]],
    stem: str,
    line: str,
    defaults: dict[str, object],
    where: str,
    max_chars: int,
) -> Item:
    from reporting.model import Report

    if "text" in cols:
        i = cols["text"]
        text = row[i] if i < len(row) else ""
    else:
        blocks = [
            f"{name.upper()}: {row[i].strip()}"
            for name, i in parts
            if i < len(row) and row[i].strip()
        ]
        text = "\n".join(blocks) + ("\n" if blocks else "")
    if len(text) > max_chars:
        return Item(
            source=where,
            error=f"report has {len(text):,} characters; the limit is {max_chars:,} (--max-chars)",
        )
    context: dict[str, object] = dict(defaults)
    for key in ("procedure", "modality", "sex", "laterality", "author", "template"):
        value = _cell(row, cols, key)
        if value:
            context[key] = value
    age = _cell(row, cols, "age")
    try:
        if age:
            context["age"] = int(float(age.rstrip("yY ")))
        date = _cell(row, cols, "date")
        if date:
            context["study"] = {"date": date}  # Report.from_text parses and checks it
        report_id = _cell(row, cols, "id") or f"{stem}:{line}"
        return Item(source=where, report=Report.from_text(text, id=report_id, **context))
    except ValueError:
        return Item(source=where, error=f"age {age!r} is not a number of years")
    except ReportingError as exc:
        return Item(source=where, error=exc.one_line())
