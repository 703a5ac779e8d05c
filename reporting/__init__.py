"""reporting: local-first radiology reporting.

The public API is small and typed::

    import reporting
    report = reporting.Report.from_text("FINDINGS: ...\\nIMPRESSION: ...", id="r1", sex="F")
    issues = reporting.check(report)                   # list[Issue] with spans
    record = reporting.to_record(report)               # the JSON exchange format

Importing this package loads no UI, audio or speech-recognition code; heavier parts (spaCy, the
QA engine, exporters) load on first use.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from reporting.errors import ReportingError
from reporting.model import (
    FieldValue,
    Issue,
    Laterality,
    Patient,
    Procedure,
    Report,
    Section,
    Severity,
    Sex,
    Span,
    Status,
    Study,
)
from reporting.records import from_record, to_record

if TYPE_CHECKING:  # pragma: no cover
    from reporting.qa import check, check_many

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "FieldValue",
    "Issue",
    "Laterality",
    "Patient",
    "Procedure",
    "Report",
    "ReportingError",
    "Section",
    "Severity",
    "Sex",
    "Span",
    "Status",
    "Study",
    "check",
    "check_many",
    "from_record",
    "to_record",
]

_LAZY = {"check": "reporting.qa", "check_many": "reporting.qa"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reporting' has no attribute {name!r}")
