"""The QA engine: run every check on a report, or stream many reports through ``nlp.pipe``.

``check`` analyses one report; ``check_many`` batches texts through
:func:`reporting.nlp.analyze_many` (memory stays flat, input order is kept) and, with
``processes > 1``, farms chunks out to worker processes with a bounded number in flight.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reporting.errors import QAError, ReportingError
from reporting.model import Issue, Report
from reporting.qa.base import Check
from reporting.qa.codes import DEFAULT_SEVERITY
from reporting.qa.context import Context
from reporting.qa.critical import CriticalCheck
from reporting.qa.findings import ContradictionCheck, TopicCheck
from reporting.qa.followup import FollowupCheck
from reporting.qa.laterality import FindingsImpressionCheck, OrderedSideCheck
from reporting.qa.measurement import MeasurementCheck
from reporting.qa.options import QAOptions
from reporting.qa.placeholders import PlaceholderCheck
from reporting.qa.sections import SectionCheck
from reporting.qa.sex import SexCheck

if TYPE_CHECKING:  # pragma: no cover
    from reporting.nlp import Analysis
    from reporting.templating import TemplateSpec

__all__ = ["CHECKS", "check", "check_many", "run_checks"]

log = logging.getLogger(__name__)

#: Every check, in the order they run.
_CHECKS: list[Check] = [
    SectionCheck(),
    PlaceholderCheck(),
    OrderedSideCheck(),
    FindingsImpressionCheck(),
    SexCheck(),
    TopicCheck(),
    ContradictionCheck(),
    CriticalCheck(),
    FollowupCheck(),
    MeasurementCheck(),
]
CHECKS: tuple[Check, ...] = tuple(_CHECKS)


def _as_report(report_or_text: Report | str, context: dict[str, Any]) -> Report:
    if isinstance(report_or_text, Report):
        if context:
            raise QAError(
                f"check(): context keywords ({', '.join(sorted(context))}) only apply to text; "
                "this is already a Report"
            )
        return report_or_text
    if isinstance(report_or_text, str):
        try:
            return Report.from_text(report_or_text, **context)
        except ReportingError as exc:
            raise QAError(f"cannot build a report to check: {exc}") from None
    raise QAError(f"check() takes a Report or a str, not {type(report_or_text).__name__}")


def _guard(report: Report, options: QAOptions) -> None:
    if len(report.text) > options.max_chars:
        raise QAError(
            f"report {report.id!r} is {len(report.text):,} characters long; QA checks reports up "
            f"to {options.max_chars:,} characters (QAOptions.max_chars)"
        )


@lru_cache(maxsize=512)
def _template_for(template_id: str, procedure: str, modality: str) -> TemplateSpec | None:
    from reporting import templating

    if template_id:
        return templating.load_template(template_id)
    return templating.match_template(procedure, modality)


def _template(report: Report, options: QAOptions) -> TemplateSpec | None:
    chosen = options.template or report.template
    try:
        return _template_for(chosen, report.procedure.description, report.modality)
    except ReportingError as exc:
        raise QAError(f"report {report.id!r}: {exc}") from None


def run_checks(report: Report, analysis: Analysis | None, options: QAOptions) -> list[Issue]:
    """All enabled checks on one analysed report; issues sorted by position."""
    ctx = Context(report, analysis, _template(report, options), options)
    out: list[Issue] = []
    for chk in CHECKS:
        if not any(options.runs(code) for code in chk.codes):
            continue
        counts: dict[str, int] = {}
        for issue in chk.run(ctx):
            if not options.runs(issue.code):
                continue
            if issue.severity.rank < options.min_severity.rank:
                continue
            n = counts.get(issue.code, 0)
            if n >= options.max_issues_per_code:
                continue
            counts[issue.code] = n + 1
            out.append(issue)
    out.sort(key=lambda i: (i.start, i.end, i.code))
    return out


def check(
    report_or_text: Report | str, *, options: QAOptions | None = None, **context: Any
) -> list[Issue]:
    """QA issues for one report (or text plus ``context`` such as ``sex="F"``, ``procedure=``).

    Raises :class:`~reporting.errors.QAError` for input it cannot check (wrong type, longer than
    ``options.max_chars``, an unknown template id).
    """
    from reporting import nlp

    opts = options or QAOptions()
    report = _as_report(report_or_text, context)
    _guard(report, opts)
    try:
        analysis = nlp.analyze(report.text)
    except ReportingError as exc:
        raise QAError(f"report {report.id!r}: {exc}") from None
    return run_checks(report, analysis, opts)


def _unchecked(report: Report, reason: str) -> list[Issue]:
    return [
        Issue(
            code="qa.unchecked",
            severity=DEFAULT_SEVERITY["qa.unchecked"],
            message=f"Report could not be checked: {reason}",
        )
    ]


def _check_chunk(chunk: Sequence[Report], options: QAOptions, batch_size: int) -> list[list[Issue]]:
    """Issues for each report of ``chunk``, in order; failures become ``qa.unchecked``."""
    from reporting import nlp

    results: list[list[Issue] | None] = [None] * len(chunk)
    todo: list[int] = []
    for i, report in enumerate(chunk):
        if len(report.text) > options.max_chars:
            results[i] = _unchecked(
                report, f"{len(report.text):,} characters exceeds the {options.max_chars:,} limit"
            )
        else:
            todo.append(i)
    try:
        analyses: list[Analysis | None] = list(
            nlp.analyze_many((chunk[i].text for i in todo), batch_size=batch_size)
        )
    except ReportingError:
        analyses = []
        for i in todo:  # find the report that broke the batch; the others still get checked
            try:
                analyses.append(nlp.analyze(chunk[i].text))
            except ReportingError as exc:
                results[i] = _unchecked(chunk[i], str(exc))
                analyses.append(None)
    for i, analysis in zip(todo, analyses, strict=True):
        if results[i] is not None:
            continue
        try:
            results[i] = run_checks(chunk[i], analysis, options)
        except ReportingError as exc:
            log.warning("report %s could not be checked: %s", chunk[i].id, exc.title)
            results[i] = _unchecked(chunk[i], str(exc))
    return [r if r is not None else [] for r in results]


def _as_reports(items: Iterable[Report | str]) -> Iterator[Report]:
    for n, item in enumerate(items, 1):
        if isinstance(item, Report):
            yield item
        elif isinstance(item, str):
            yield Report.from_text(item, id=f"report-{n}")
        else:
            raise QAError(f"check_many(): item {n} is a {type(item).__name__}, not a Report")


def _chunks(items: Iterable[Report], size: int) -> Iterator[list[Report]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def check_many(
    reports: Iterable[Report | str],
    *,
    options: QAOptions | None = None,
    batch_size: int = 256,
    processes: int = 1,
) -> Iterator[tuple[Report, list[Issue]]]:
    """``(report, issues)`` for every report, streaming, in input order.

    Texts go through ``nlp.analyze_many`` in batches of ``batch_size``.  With ``processes > 1``
    chunks of ``batch_size`` reports run in worker processes, at most ``2 * processes`` chunks
    in flight, so memory stays flat on any input size.  A report that cannot be checked gets a
    single ``qa.unchecked`` issue instead of stopping the stream.
    """
    if batch_size < 1:
        raise QAError("check_many(): batch_size must be at least 1")
    if processes < 1:
        raise QAError("check_many(): processes must be at least 1")
    opts = options or QAOptions()
    chunks = _chunks(_as_reports(reports), batch_size)
    if processes == 1:
        for chunk in chunks:
            yield from zip(chunk, _check_chunk(chunk, opts, batch_size), strict=True)
        return
    with ProcessPoolExecutor(max_workers=processes) as pool:
        pending: deque[tuple[list[Report], Future[list[list[Issue]]]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_check_chunk, chunk, opts, batch_size)))
            while len(pending) >= 2 * processes:
                done_chunk, fut = pending.popleft()
                yield from zip(done_chunk, fut.result(), strict=True)
        while pending:
            done_chunk, fut = pending.popleft()
            yield from zip(done_chunk, fut.result(), strict=True)
