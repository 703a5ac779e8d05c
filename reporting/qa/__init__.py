"""QA checks for radiology reports: laterality, sex, sections, required findings,
contradictions, critical-result communication, follow-up, measurements and placeholders.

    from reporting.qa import check, check_many, QAOptions
    issues = check(report)                        # list[Issue], sorted by start
    for report, issues in check_many(reports):    # streaming, input order kept
        ...

Issue codes are listed in :mod:`reporting.qa.codes`.
"""

from __future__ import annotations

from reporting.qa.base import Check
from reporting.qa.codes import CODES, DEFAULT_SEVERITY, describe
from reporting.qa.engine import CHECKS, check, check_many, run_checks
from reporting.qa.options import QAOptions

__all__ = [
    "CHECKS",
    "CODES",
    "DEFAULT_SEVERITY",
    "Check",
    "QAOptions",
    "check",
    "check_many",
    "describe",
    "run_checks",
]
