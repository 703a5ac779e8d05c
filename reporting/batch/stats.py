"""Mergeable batch statistics: counts by code, severity and report group, plus a few examples.

Workers build a :class:`Stats` per partition; the runner merges them in input order, so the
totals and the chosen examples are the same whatever the number of workers.  Every table is
capped, so memory stays flat on any archive size.  ``to_json``/``from_json`` store it in the
resume checkpoint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reporting.model import Issue, Report

__all__ = ["Stats", "GROUPS", "example_for", "redact_text"]

#: Report groups tabulated in the summary.
GROUPS = ("modality", "procedure", "author", "month")
#: Distinct values kept per group; the rest are counted under "(other)".
MAX_GROUP_VALUES = 500
EXAMPLES_PER_CODE = 5
ERROR_EXAMPLES = 20
_CONTEXT = 160
#: A sentence end: ., ! or ? before white space (not after Dr/Mr/Mrs/Ms/vs), or a line break.
_BOUNDARY = re.compile(r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bvs)[.!?](?=\s)|\n")


@dataclass
class Stats:
    reports: int = 0
    errors: int = 0
    flagged: int = 0
    issues: int = 0
    #: code -> [severity, issues, reports]
    by_code: dict[str, list[Any]] = field(default_factory=dict)
    #: severity -> [issues, reports]
    by_severity: dict[str, list[int]] = field(default_factory=dict)
    #: group -> value -> [reports, flagged reports, issues]
    groups: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    #: code -> example dicts (see :func:`example_for`)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: error kind (text before the first colon) -> count
    error_kinds: dict[str, int] = field(default_factory=dict)
    error_examples: list[dict[str, str]] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return self.reports - self.errors

    # ------------------------------------------------------------------ adding
    def add_error(self, source: str, error: str) -> None:
        self.reports += 1
        self.errors += 1
        kind = error.split(":", 1)[0].strip()[:60] or "error"
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
        if len(self.error_examples) < ERROR_EXAMPLES:
            self.error_examples.append({"source": source, "error": error[:300]})

    def add(self, report: Report, issues: Iterable[Issue], source: str, *, redact: bool) -> None:
        issues = list(issues)
        self.reports += 1
        self.issues += len(issues)
        if issues:
            self.flagged += 1
        seen_codes: set[str] = set()
        seen_sev: set[str] = set()
        for issue in issues:
            sev = issue.severity.value
            row = self.by_code.setdefault(issue.code, [sev, 0, 0])
            row[1] += 1
            if issue.code not in seen_codes:
                row[2] += 1
                seen_codes.add(issue.code)
                examples = self.examples.setdefault(issue.code, [])
                if len(examples) < EXAMPLES_PER_CODE:
                    examples.append(example_for(report, issue, source, redact=redact))
            srow = self.by_severity.setdefault(sev, [0, 0])
            srow[0] += 1
            if sev not in seen_sev:
                srow[1] += 1
                seen_sev.add(sev)
        for group, value in _group_values(report):
            table = self.groups.setdefault(group, {})
            if value not in table and len(table) >= MAX_GROUP_VALUES:
                value = "(other)"
            grow = table.setdefault(value, [0, 0, 0])
            grow[0] += 1
            grow[1] += 1 if issues else 0
            grow[2] += len(issues)

    # ------------------------------------------------------------------ merging
    def merge(self, other: Stats) -> None:
        """Add ``other`` (a later partition) to this one."""
        self.reports += other.reports
        self.errors += other.errors
        self.flagged += other.flagged
        self.issues += other.issues
        for code, (sev, n, r) in other.by_code.items():
            row = self.by_code.setdefault(code, [sev, 0, 0])
            row[1] += n
            row[2] += r
        for sev, (n, r) in other.by_severity.items():
            srow = self.by_severity.setdefault(sev, [0, 0])
            srow[0] += n
            srow[1] += r
        for group, values in other.groups.items():
            table = self.groups.setdefault(group, {})
            for value, counts in values.items():
                key = value if value in table or len(table) < MAX_GROUP_VALUES else "(other)"
                grow = table.setdefault(key, [0, 0, 0])
                for i in range(3):
                    grow[i] += counts[i]
        for code, examples in other.examples.items():
            mine = self.examples.setdefault(code, [])
            mine.extend(examples[: max(0, EXAMPLES_PER_CODE - len(mine))])
        for kind, n in other.error_kinds.items():
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + n
        room = ERROR_EXAMPLES - len(self.error_examples)
        self.error_examples.extend(other.error_examples[: max(0, room)])

    def severity_met(self, severity: str) -> bool:
        """True when an issue of ``severity`` or worse was found."""
        rank = {"info": 1, "warning": 2, "error": 3}
        return any(n and rank[s] >= rank[severity] for s, (n, _r) in self.by_severity.items())

    def to_json(self) -> dict[str, Any]:
        return {
            "reports": self.reports,
            "errors": self.errors,
            "flagged": self.flagged,
            "issues": self.issues,
            "by_code": self.by_code,
            "by_severity": self.by_severity,
            "groups": self.groups,
            "examples": self.examples,
            "error_kinds": self.error_kinds,
            "error_examples": self.error_examples,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stats:
        return cls(**{k: data[k] for k in cls().to_json() if k in data})


def _group_values(report: Report) -> list[tuple[str, str]]:
    out = [
        ("modality", report.modality or "(not given)"),
        ("procedure", " ".join(report.procedure.description.split())[:80] or "(not given)"),
    ]
    if report.author:
        out.append(("author", report.author[:80]))
    when = report.study.date or (report.signed_at.date() if report.signed_at else None)
    if when is not None:
        out.append(("month", f"{when.year:04d}-{when.month:02d}"))
    return out


def example_for(report: Report, issue: Issue, source: str, *, redact: bool) -> dict[str, Any]:
    """The sentence around ``issue`` split into before / span / after (redacted on request)."""
    text = report.text
    start = min(issue.start, len(text))
    end = min(max(issue.end, start), len(text))
    left = max(0, start - _CONTEXT)
    for match in _BOUNDARY.finditer(text, left, start):
        left = match.end()
    stop = min(len(text), end + _CONTEXT)
    after = _BOUNDARY.search(text, end, stop)
    right = after.start() + 1 if after else stop
    parts = [text[left:start].lstrip(), text[start:end], text[end:right].rstrip()]
    rid: str | None = report.id
    if redact:
        secrets = _secrets(report)
        parts = [redact_text(p, secrets) for p in parts]
        source = redact_text(source, secrets)
        rid = None
    return {
        "id": rid,
        "source": source,
        "code": issue.code,
        "severity": issue.severity.value,
        "message": redact_text(issue.message, _secrets(report)) if redact else issue.message,
        "section": issue.section,
        "before": parts[0],
        "span": parts[1],
        "after": parts[2],
    }


def _secrets(report: Report) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for value, label in (
        (report.id, "[ID]"),
        (report.patient.id, "[ID]"),
        (report.study.accession, "[ID]"),
        (report.study.study_uid, "[ID]"),
    ):
        if value and len(value) >= 3:
            found.append((value, label))
    for name in (report.patient.name, report.author, report.verifier, report.study.referring):
        for part in re.split(r"[\^,\s]+", name or ""):
            if len(part.strip(".")) >= 2:
                found.append((part.strip("."), "[NAME]"))
    return sorted(found, key=lambda pair: len(pair[0]), reverse=True)


_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\b"), "[DATE]"),
    (re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"), "[DATE]"),
    (re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}(?:,?\s+\d{{4}})?", re.I), "[DATE]"),
    (re.compile(rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b", re.I), "[DATE]"),
    (re.compile(rf"\b{_MONTHS}\s+\d{{4}}\b", re.I), "[DATE]"),
    (re.compile(r"\b(?:19|20)\d{6}\b"), "[DATE]"),
    (
        re.compile(
            r"\b(?:MRN|MR#|ID|Acc(?:ession)?(?:\s*(?:No|Number))?)[.:#\s]*[A-Z0-9-]{3,}\b", re.I
        ),
        "[ID]",
    ),
    (re.compile(r"\b[A-Z]*\d[A-Z0-9-]{5,}\b"), "[ID]"),
    (
        re.compile(r"\b(?:Dr|Drs|Mr|Mrs|Ms|Miss|Prof)\.?\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"),
        "[NAME]",
    ),
)


def redact_text(text: str, secrets: list[tuple[str, str]] | None = None) -> str:
    """Replace known names/ids of the report, then date, id and titled-name patterns."""
    for value, label in secrets or ():
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", label, text, flags=re.I)
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return text
