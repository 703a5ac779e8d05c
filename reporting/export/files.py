"""Render a report as bytes in any format, and write one or all formats (atomic writes)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from pydicom import Dataset

from reporting.errors import ExportError
from reporting.export.base import Clock, FixedClock, UidFactory, now
from reporting.export.common import ExportOptions
from reporting.model import Report
from reporting.resources import atomic_write_bytes

__all__ = ["FORMATS", "DEFAULT_FORMATS", "render", "export_one", "export_all", "safe_stem"]

#: format name -> file suffix
FORMATS: dict[str, str] = {
    "sr": ".sr.dcm",
    "hl7": ".hl7",
    "pdf": ".pdf",
    "fhir": ".fhir.json",
    "text": ".txt",
    "encapsulated-pdf": ".pdf.dcm",
}
DEFAULT_FORMATS: tuple[str, ...] = ("sr", "hl7", "pdf", "fhir", "text")


def safe_stem(report_id: str) -> str:
    """A file-name stem from a report id (no path separators or odd characters)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", report_id).strip("._")
    return stem[:120] or "report"


def render(
    report: Report,
    fmt: str,
    *,
    clock: Clock | None = None,
    uid_factory: UidFactory | None = None,
    study_dataset: Dataset | None = None,
    predecessor: Dataset | None = None,
    options: ExportOptions | None = None,
    pdf: bytes | None = None,
) -> bytes:
    """``report`` as the bytes of format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "text":
        from reporting.export.text import to_text

        return to_text(report).encode("utf-8")
    if fmt == "sr":
        from reporting.export.dicom_sr import dicom_bytes, to_dicom_sr

        ds = to_dicom_sr(
            report, clock=clock, uid_factory=uid_factory, study_dataset=study_dataset,
            predecessor=predecessor, options=options,
        )  # fmt: skip
        return dicom_bytes(ds)
    from reporting.export.pdf import to_pdf

    document = pdf if pdf is not None else to_pdf(report, clock=clock)
    if fmt == "pdf":
        return document
    if fmt == "hl7":
        from reporting.export.hl7v2 import to_hl7

        return to_hl7(report, clock=clock, pdf=document, options=options).encode("utf-8")
    if fmt == "fhir":
        from reporting.export.fhir import to_fhir

        bundle = to_fhir(report, clock=clock, pdf=document)
        return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    from reporting.export.dicom_sr import dicom_bytes
    from reporting.export.encapsulated_pdf import to_encapsulated_pdf

    ds = to_encapsulated_pdf(
        report, document, clock=clock, uid_factory=uid_factory, study_dataset=study_dataset,
        options=options,
    )  # fmt: skip
    return dicom_bytes(ds)


def export_one(report: Report, fmt: str, out: str | os.PathLike[str], **kwargs: object) -> Path:
    """Render ``report`` as ``fmt`` (keywords as :func:`render`) and write it atomically."""
    return atomic_write_bytes(out, render(report, fmt, **kwargs))  # type: ignore[arg-type]


def export_all(
    report: Report,
    outdir: str | os.PathLike[str],
    *,
    clock: Clock | None = None,
    uid_factory: UidFactory | None = None,
    study_dataset: Dataset | None = None,
    predecessor: Dataset | None = None,
    options: ExportOptions | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
) -> dict[str, Path]:
    """Write ``report`` in each of ``formats`` to ``outdir/<id><suffix>``; returns the paths.

    All formats are rendered (with one time stamp and one PDF) before the first file is
    written, so a report that cannot be exported leaves no partial set of files behind.
    """
    from reporting.export.pdf import to_pdf

    stable = FixedClock(now(clock))
    pdf = to_pdf(report, clock=stable)
    rendered = {
        fmt: render(
            report,
            fmt,
            clock=stable,
            uid_factory=uid_factory,
            study_dataset=study_dataset,
            predecessor=predecessor,
            options=options,
            pdf=pdf,
        )
        for fmt in formats
    }
    folder = Path(outdir)
    stem = safe_stem(report.id)
    return {
        fmt: atomic_write_bytes(folder / f"{stem}{FORMATS[fmt]}", data)
        for fmt, data in rendered.items()
    }
