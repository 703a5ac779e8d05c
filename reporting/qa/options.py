"""QA options: one frozen dataclass, validated on construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reporting.errors import QAError
from reporting.model import Severity
from reporting.qa.codes import CODES

__all__ = ["QAOptions"]


@dataclass(frozen=True)
class QAOptions:
    """What the QA engine checks and how it grades.

    ``enabled``: the codes to run (None = all); ``disabled``: codes to skip; ``severity``:
    per-code severity overrides; ``min_severity``: drop issues below it; ``template``: force a
    template id instead of the record's or the matched one; ``critical_uncertain``: also flag
    hedged critical findings ("possible pneumothorax"); ``max_chars``: longer reports are refused
    (:class:`~reporting.errors.QAError`) rather than analysed; ``max_issues_per_code``: cap per
    report and code.
    """

    enabled: frozenset[str] | None = None
    disabled: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    min_severity: Severity = Severity.INFO
    template: str | None = None
    critical_uncertain: bool = False
    max_chars: int = 1_000_000
    max_issues_per_code: int = 20

    def __post_init__(self) -> None:
        if self.enabled is not None:
            object.__setattr__(self, "enabled", frozenset(self.enabled))
        object.__setattr__(self, "disabled", frozenset(self.disabled))
        for code in (*(self.enabled or ()), *self.disabled, *self.severity):
            if code not in CODES:
                raise QAError(f"unknown QA code {code!r}; known codes: {', '.join(CODES)}")
        overrides = {code: Severity(value) for code, value in self.severity.items()}
        object.__setattr__(self, "severity", overrides)
        object.__setattr__(self, "min_severity", Severity(self.min_severity))
        if self.max_chars < 1:
            raise QAError("QAOptions.max_chars must be a positive number of characters")
        if self.max_issues_per_code < 1:
            raise QAError("QAOptions.max_issues_per_code must be at least 1")

    def runs(self, code: str) -> bool:
        """True when ``code`` is switched on."""
        if code in self.disabled:
            return False
        return self.enabled is None or code in self.enabled

    def severity_for(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def __hash__(self) -> int:
        return hash(
            (
                self.enabled,
                self.disabled,
                tuple(sorted(self.severity.items())),
                self.min_severity,
                self.template,
                self.critical_uncertain,
                self.max_chars,
                self.max_issues_per_code,
            )
        )
