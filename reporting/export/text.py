"""Plain-text export: a short header (patient, study, exam, status) and the report text."""

from __future__ import annotations

from reporting.export.common import display_name, format_datetime, sex_label, status_label
from reporting.model import Report, Status

__all__ = ["to_text", "header_lines", "signature_line"]


def header_lines(report: Report) -> list[tuple[str, str]]:
    """``(label, value)`` rows describing patient, study and exam (empty values left out)."""
    p, s = report.patient, report.study
    patient = display_name(p.name)
    details = ", ".join(
        x
        for x in (
            f"ID {p.id}" if p.id else "",
            f"born {p.birth_date.isoformat()}" if p.birth_date else "",
            sex_label(p.sex),
            f"{report.effective_age} y" if report.effective_age is not None else "",
        )
        if x
    )
    exam = report.procedure.description
    if report.modality:
        exam = f"{exam} ({report.modality})" if exam else report.modality
    study = ", ".join(
        x
        for x in (
            s.date.isoformat() if s.date else "",
            f"accession {s.accession}" if s.accession else "",
        )
        if x
    )
    rows = [
        ("Patient", f"{patient} ({details})" if patient and details else patient or details),
        ("Exam", exam),
        ("Study", study),
        ("Referring", display_name(s.referring)),
        ("Report", report.id),
    ]
    return [(k, v) for k, v in rows if v]


def signature_line(report: Report) -> str:
    """Who signed, when, and in what status."""
    label = status_label(report.status)
    if report.status in (Status.FINAL, Status.AMENDED):
        when = f" on {format_datetime(report.signed_at)}" if report.signed_at else ""
        return f"{label} - electronically signed by {display_name(report.verifier)}{when}"
    by = f" - reported by {display_name(report.author)}" if report.author else ""
    return f"{label} - not signed{by}"


def to_text(report: Report) -> str:
    """The report as plain UTF-8 text with a header block and a signature line."""
    rows = header_lines(report)
    width = max((len(k) for k, _ in rows), default=0)
    head = [f"{k + ':':<{width + 1}} {v}" for k, v in rows]
    body = report.text.rstrip("\n")
    lines = [*head, "", body, "", signature_line(report)]
    if (
        report.author
        and report.author != report.verifier
        and report.status in (Status.FINAL, Status.AMENDED)
    ):
        lines.append(f"Reported by {display_name(report.author)}")
    return "\n".join(lines) + "\n"
