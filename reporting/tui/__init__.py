"""The radiologist's terminal UI (Textual).  Build it with :func:`create_app`.

Screens: the worklist (JSON file or DICOM folder; type to filter; F2 changes the suggested
template) and the report (template sections and fields, dictation, live QA, preview,
sign/export, addenda).  Modal dialogs return typed results (recover, template, sign with an
override reason, addendum, help).

Where things live (``reporting.resources.user_data_dir()``):

- ``drafts/<accession>/report.json`` - the saved draft or signed report (0600);
  ``versions/NNN-final.json`` / ``NNN-amended.json`` - every signed version, never rewritten;
  ``journal.jsonl`` (+ ``journal-NNNN.wav``) - the dictation journal since the last save,
  which is what a restart offers to recover after a crash.
- ``audit.jsonl`` - append-only audit log (0600): who did what and when, never report text.
- ``outbox/<accession>-<status>-<time>/`` - SR, HL7, PDF, FHIR and text of each signed version
  (``--outbox`` or ``[tui] outbox`` elsewhere).

Threads: audio capture only enqueues; recognition, QA and export run in thread workers and
report back with the messages of :mod:`reporting.tui.messages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from reporting.tui.app import ReportingApp, create_app
    from reporting.tui.options import TuiOptions

__all__ = ["ReportingApp", "TuiOptions", "create_app"]


def __getattr__(name: str) -> Any:
    if name in ("ReportingApp", "create_app"):
        from reporting.tui import app

        return getattr(app, name)
    if name == "TuiOptions":
        from reporting.tui.options import TuiOptions

        return TuiOptions
    raise AttributeError(f"module 'reporting.tui' has no attribute {name!r}")
