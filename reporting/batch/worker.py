"""The unit of work: check one partition of items and turn it into result lines and stats.

``process_partition`` is a pure, picklable top-level function, so the same code runs in the
calling process, in local worker processes and on Dask workers, and gives identical output.
It never raises for bad data: an item that cannot be checked becomes an error row.
"""

from __future__ import annotations

import importlib
import json
import logging
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from reporting.batch.stats import Stats
from reporting.ingest import IngestOptions, Slice, read_slice
from reporting.ingest.items import Item
from reporting.model import Issue, Report

__all__ = ["WorkOptions", "PartitionResult", "process_partition", "resolve_checker", "init_worker"]

log = logging.getLogger(__name__)

CheckMany = Callable[..., Iterator[tuple[Report, list[Issue]]]]
#: The real QA engine.
DEFAULT_CHECKER = "reporting.qa:check_many"


@dataclass(frozen=True)
class WorkOptions:
    """What every worker needs: the check function (``module:attribute``, or a picklable
    callable), the largest report it will check, whether examples are redacted, and how to
    read file slices."""

    checker: str | CheckMany = DEFAULT_CHECKER
    max_chars: int = 1_000_000
    redact: bool = False
    batch_size: int = 64
    ingest: IngestOptions = field(default_factory=IngestOptions)


@dataclass(frozen=True)
class PartitionResult:
    index: int
    #: one JSON object per input item, in input order, without newlines
    lines: tuple[str, ...]
    stats: dict[str, Any]
    #: (source, message) notes from reading a slice, e.g. Latin-1 decoding
    warnings: tuple[tuple[str, str], ...] = ()


_resolved: dict[str, CheckMany] = {}


def resolve_checker(checker: str | CheckMany) -> CheckMany:
    if callable(checker):
        return checker
    if checker not in _resolved:
        module_name, _, attr = checker.partition(":")
        module = importlib.import_module(module_name)
        _resolved[checker] = getattr(module, attr or "check_many")
    return _resolved[checker]


def init_worker() -> None:
    """Local worker processes leave Ctrl-C to the parent (no tracebacks from children)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _dumps(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _check_all(
    check_many: CheckMany, reports: Sequence[Report], batch_size: int
) -> list[list[Issue] | str]:
    """Issues per report; when the engine fails on a batch, retry one by one to isolate it."""
    if not reports:
        return []
    try:
        results = list(check_many(reports, batch_size=batch_size))
        if len(results) == len(reports):
            return [_unchecked(list(issues)) for _report, issues in results]
        log.error("checker returned %d results for %d reports", len(results), len(reports))
    except Exception as exc:  # isolate the report that breaks the engine (logged, then retried)
        log.warning("QA failed on a batch (%s); retrying report by report", type(exc).__name__)
    out: list[list[Issue] | str] = []
    for report in reports:
        try:
            out.append(_unchecked(list(next(iter(check_many([report], batch_size=1)))[1])))
        except Exception as exc:  # one report breaks the engine: an error row, the batch goes on
            # type and frames only: the exception text may quote report content
            log.warning("QA failed on report %s: %s", report.id, type(exc).__name__)
            log.debug("QA traceback:\n%s", "".join(traceback.format_tb(exc.__traceback__)))
            out.append(f"QA failed: {type(exc).__name__}: {exc}")
    return out


def _unchecked(issues: list[Issue]) -> list[Issue] | str:
    """The engine's ``qa.unchecked`` issue (it could not check the report) is an error row."""
    for issue in issues:
        if issue.code == "qa.unchecked":
            message = issue.message.removeprefix("Report could not be checked: ")
            return f"could not be checked: {message}"
    return issues


def process_partition(
    index: int, unit: Iterable[Item] | Slice, options: WorkOptions
) -> PartitionResult:
    """Check the reports of ``unit`` (items, or a file slice read here); return one JSON line
    per item and the stats."""
    warnings: list[tuple[str, str]] = []
    if isinstance(unit, Slice):
        items, warnings = read_slice(unit, options=options.ingest)
    else:
        items = list(unit)
    stats = Stats()
    rows: list[dict[str, Any] | None] = [None] * len(items)
    todo: list[tuple[int, Report]] = []
    for pos, item in enumerate(items):
        report = item.report
        if report is None:
            rows[pos] = {"id": None, "source": item.source, "error": item.error or "unreadable"}
        elif not report.text.strip():
            rows[pos] = {"id": report.id, "source": item.source, "error": "empty report (no text)"}
        elif len(report.text) > options.max_chars:
            rows[pos] = {
                "id": report.id,
                "source": item.source,
                "error": f"report has {len(report.text):,} characters; the limit is "
                f"{options.max_chars:,} (--max-chars)",
            }
        else:
            todo.append((pos, report))
    results: list[list[Issue] | str] = []
    if todo:  # the engine is loaded only when there is something to check
        try:
            check_many = resolve_checker(options.checker)
            results = _check_all(check_many, [r for _, r in todo], options.batch_size)
        except ImportError as exc:
            results = [f"QA engine unavailable: {exc}"] * len(todo)
    found: dict[int, tuple[Report, list[Issue]]] = {}
    for (pos, report), result in zip(todo, results, strict=True):
        if isinstance(result, str):
            rows[pos] = {"id": report.id, "source": items[pos].source, "error": result}
        else:
            rows[pos] = {
                "id": report.id,
                "source": items[pos].source,
                "issues": [issue.to_dict() for issue in result],
            }
            found[pos] = (report, result)
    for pos, row in enumerate(rows):
        assert row is not None
        if pos in found:
            report, issues = found[pos]
            stats.add(report, issues, row["source"], redact=options.redact)
        else:
            stats.add_error(row["source"], row["error"])
    return PartitionResult(
        index=index, lines=tuple(_dumps(r) for r in rows if r), stats=stats.to_json()
    )
