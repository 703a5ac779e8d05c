"""Readers for report records (JSONL, JSON) and plain-text reports (one report per file).

Each reader takes a binary stream (already decompressed when the file was ``.gz``) and yields
:class:`Item` s; a broken line or record becomes an error item naming ``file:line``.  Bytes that
are not UTF-8 are decoded as Latin-1 and a warning is recorded for that source.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from reporting.errors import ReportingError
from reporting.ingest.items import Item
from reporting.records import from_record

if TYPE_CHECKING:
    from reporting.ingest import IngestOptions

__all__ = ["decode", "iter_jsonl", "iter_json", "read_txt", "items_from_object"]

Warn = Callable[[str, str], None]
_LATIN1 = "not UTF-8; decoded as Latin-1"


def decode(data: bytes, source: str, warn: Warn) -> str:
    """UTF-8 (BOM removed; UTF-16 with a BOM) or, failing that, Latin-1 with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        warn(source, _LATIN1)
        return data.decode("latin-1")


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"


def items_from_object(obj: Any, source: str, *, max_chars: int = 1_000_000) -> Iterator[Item]:
    """Items of one parsed JSON value: a record, a FHIR resource, or a list of them."""
    if isinstance(obj, dict) and "resourceType" in obj:
        yield from _fhir(obj, source)
    elif isinstance(obj, dict):
        yield _record(obj, source, max_chars)
    elif isinstance(obj, list):
        for i, element in enumerate(obj, start=1):
            yield from items_from_object(element, f"{source}:{i}", max_chars=max_chars)
    else:
        yield Item(source=source, error=f"expected a JSON object, got {type(obj).__name__}")


def _record(obj: dict[str, Any], source: str, max_chars: int) -> Item:
    text = obj.get("text")
    if isinstance(text, str) and len(text) > max_chars and "sections" not in obj:
        # Too long to check: keep the id and context but skip sectioning (an empty section
        # list with the text is a valid record); the batch runner turns it into an error row.
        obj = {**obj, "sections": []}
    try:
        return Item(source=source, report=from_record(obj))
    except ReportingError as exc:
        return Item(source=source, error=exc.one_line())


def _fhir(obj: dict[str, Any], source: str) -> Iterator[Item]:
    try:
        from reporting.ingest.fhir import read_fhir
    except ModuleNotFoundError:
        yield Item(source=source, error="FHIR input is not supported by this installation")
        return
    try:
        reports = read_fhir(obj)
    except ReportingError as exc:
        yield Item(source=source, error=exc.one_line())
        return
    if not reports:
        yield Item(source=source, error=f"FHIR {obj.get('resourceType')} holds no DiagnosticReport")
    elif len(reports) == 1:
        yield Item(source=source, report=reports[0])
    else:
        for i, report in enumerate(reports, start=1):
            yield Item(source=f"{source}#{i}", report=report)


def iter_jsonl(
    stream: IO[bytes], source: str, *, warn: Warn, options: IngestOptions, first_line: int = 1
) -> Iterator[Item]:
    """One record (or FHIR resource) per line; blank lines are skipped.

    ``first_line`` numbers the stream's first line (a slice of a larger file).
    """
    limit = options.max_record_bytes
    number = first_line - 1
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        number += 1
        where = f"{source}:{number}"
        if len(raw) > limit and not raw.endswith(b"\n"):
            while True:  # skip the rest of the over-long line without holding it
                rest = stream.readline(limit)
                if not rest or rest.endswith(b"\n"):
                    break
            yield Item(source=where, error=f"line is longer than {limit:,} bytes")
            continue
        if not raw.strip():
            continue
        line = decode(raw, where, warn)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Item(
                source=where, error=_json_error(exc).replace(" at line 1 column", " at column")
            )
            continue
        yield from items_from_object(obj, where, max_chars=options.max_chars)


def iter_json(
    stream: IO[bytes], source: str, *, warn: Warn, options: IngestOptions
) -> Iterator[Item]:
    """A whole JSON document: a record, a list of records, or FHIR; JSONL misnamed ``.json`` too."""
    import io

    data = stream.read(options.max_record_bytes + 1)
    if len(data) > options.max_record_bytes:
        yield Item(
            source=source,
            error=f"JSON document larger than {options.max_record_bytes:,} bytes; use JSONL",
        )
        return
    if not data.strip():
        yield Item(source=source, error="empty file")
        return
    text = decode(data, source, warn)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several documents, one per line: JSON Lines
            yield from iter_jsonl(io.BytesIO(data), source, warn=warn, options=options)
            return
        yield Item(source=source, error=_json_error(exc))
        return
    yield from items_from_object(obj, source, max_chars=options.max_chars)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".txt", ".text"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or path.name


def read_txt(
    stream: IO[bytes], source: str, *, path: Path, warn: Warn, options: IngestOptions
) -> Item:
    """A plain-text report; its id is the file name without extension, context from options."""
    data = stream.read(options.max_record_bytes + 1)
    if len(data) > options.max_record_bytes:
        return Item(source=source, error=f"text larger than {options.max_record_bytes:,} bytes")
    if not data.strip():
        return Item(source=source, error="empty file")
    text = decode(data, source, warn)
    if len(text) > options.max_chars:
        return Item(
            source=source,
            error=f"report has {len(text):,} characters; the limit is {options.max_chars:,} (--max-chars)",
        )
    from reporting.model import Report

    try:
        report = Report.from_text(text, id=_stem(path), **options.context())
    except ReportingError as exc:
        return Item(source=source, error=exc.one_line())
    return Item(source=source, report=report)
