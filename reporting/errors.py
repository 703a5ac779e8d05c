"""One error hierarchy for the whole package.

Every error carries a user-facing ``title`` (a few words) and a message a radiologist or an
integrating engineer can act on.  The CLI prints ``title: message`` on one line of stderr and
exits with ``exit_code``; the TUI shows it as a notification; batch runs record it as an error row.
"""

from __future__ import annotations

__all__ = [
    "EXIT_OK",
    "EXIT_FAIL_ON",
    "EXIT_USAGE",
    "EXIT_PARTIAL",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "ReportingError",
    "ConfigError",
    "ModelError",
    "StatusError",
    "RecordError",
    "TemplateError",
    "LexiconError",
    "NLPError",
    "QAError",
    "IngestError",
    "ExportError",
    "AudioError",
    "ASRError",
    "DictationError",
    "BatchError",
]

#: The run completed (issues found or not).
EXIT_OK = 0
#: ``--fail-on SEVERITY`` was met.
EXIT_FAIL_ON = 1
#: Usage error: unknown option, missing argument, bad value.
EXIT_USAGE = 2
#: Some inputs could not be read (the others were processed).
EXIT_PARTIAL = 3
#: A ReportingError stopped the command (bad template, unreadable file, missing model ...).
EXIT_ERROR = 4
#: Interrupted by the user (Ctrl-C).
EXIT_INTERRUPTED = 130


class ReportingError(Exception):
    """Base class: ``message`` for the user, ``title`` names what failed."""

    title = "Error"
    exit_code = EXIT_ERROR

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """``title: message`` folded onto one line, for stderr and error rows."""
        text = " ".join(self.message.split())
        return f"{self.title}: {text}"


class ConfigError(ReportingError):
    title = "Configuration error"


class ModelError(ReportingError):
    title = "Invalid report"


class StatusError(ModelError):
    title = "Illegal status change"


class RecordError(ReportingError):
    title = "Unreadable record"


class TemplateError(ReportingError):
    title = "Template error"


class LexiconError(ReportingError):
    title = "Lexicon error"


class NLPError(ReportingError):
    title = "NLP error"


class QAError(ReportingError):
    title = "QA error"


class IngestError(ReportingError):
    title = "Cannot read input"


class ExportError(ReportingError):
    title = "Export failed"


class AudioError(ReportingError):
    title = "Audio error"


class ASRError(ReportingError):
    title = "Speech recognition error"


class DictationError(ReportingError):
    title = "Dictation error"


class BatchError(ReportingError):
    title = "Batch error"
