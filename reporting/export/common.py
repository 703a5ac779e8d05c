"""Small helpers every exporter needs: options, person-name display, status wording, paragraphs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reporting.model import Report, Section, Sex, Status

__all__ = [
    "ExportOptions",
    "display_name",
    "status_label",
    "sex_label",
    "paragraphs",
    "narrative_sections",
    "format_datetime",
]


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Who is sending: written into DICOM (institution, manufacturer) and HL7 (MSH-3/4)."""

    institution: str = ""
    department: str = ""
    application: str = "REPORTING"
    manufacturer: str = "reporting"
    language: str = "en"


def display_name(pn: str) -> str:
    """``Müller^Zoë^^Dr`` (DICOM person name) as ``Müller, Zoë`` for people to read."""
    if "^" not in pn:
        return pn.strip()
    parts = (pn.split("=")[0].split("^") + [""] * 5)[:5]
    family, given, middle, prefix, suffix = (p.strip() for p in parts)
    first = " ".join(p for p in (prefix, given, middle) if p)
    name = f"{family}, {first}" if family and first else family or first
    return f"{name}, {suffix}" if suffix else name


def status_label(status: Status) -> str:
    return {
        Status.DRAFT: "DRAFT",
        Status.PRELIMINARY: "PRELIMINARY",
        Status.FINAL: "FINAL",
        Status.AMENDED: "FINAL (AMENDED)",
    }[status]


def sex_label(sex: Sex) -> str:
    return {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other", Sex.UNKNOWN: ""}[sex]


def paragraphs(text: str) -> list[str]:
    """Split section text at blank lines, when that can be undone exactly.

    Joining the result with ``"\\n\\n"`` gives ``text`` back; when a split piece would be empty
    or carry leading/trailing white space (which DICOM UT and HL7 readers may trim) the text
    stays one piece.
    """
    pieces = text.split("\n\n")
    if all(p and p == p.strip() for p in pieces):
        return pieces
    return [text]


def narrative_sections(report: Report) -> list[Section]:
    """Sections with text to export (empty ones carry nothing)."""
    return [s for s in report.sections if s.text.strip()]


def format_datetime(value: dt.datetime) -> str:
    """``2026-11-28 09:30`` (with ``+01:00`` when the time is zone-aware) for people to read."""
    text = value.strftime("%Y-%m-%d %H:%M")
    if value.tzinfo is not None:
        offset = value.strftime("%z")
        text += f" {offset[:3]}:{offset[3:]}" if offset else ""
    return text
