"""Exporters: DICOM SR (TID 2000), HL7 v2.5.1 ORU^R01, PDF, FHIR R4 Bundle, plain text.

Every exporter takes a ``clock`` (and the DICOM ones a ``uid_factory``) so output is
reproducible::

    from reporting.export import to_dicom_sr, to_hl7, to_pdf, to_fhir, to_text, export_all
    paths = export_all(report, "outbox/")          # {"sr": ..., "hl7": ..., "pdf": ...}

Heavy libraries (pydicom, highdicom, reportlab) load when a function is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reporting.export.base import (
    Clock,
    FixedClock,
    SequentialUids,
    UidFactory,
    random_uid,
    system_clock,
)
from reporting.export.common import ExportOptions

if TYPE_CHECKING:  # pragma: no cover
    from reporting.export.dicom_sr import dicom_bytes, to_dicom_sr
    from reporting.export.encapsulated_pdf import to_encapsulated_pdf
    from reporting.export.fhir import to_fhir
    from reporting.export.files import FORMATS, export_all, export_one, render
    from reporting.export.hl7v2 import to_hl7
    from reporting.export.pdf import to_pdf
    from reporting.export.text import to_text

__all__ = [
    "Clock",
    "UidFactory",
    "FixedClock",
    "SequentialUids",
    "ExportOptions",
    "system_clock",
    "random_uid",
    "to_dicom_sr",
    "dicom_bytes",
    "to_encapsulated_pdf",
    "to_hl7",
    "to_pdf",
    "to_fhir",
    "to_text",
    "render",
    "export_one",
    "export_all",
    "FORMATS",
]

_LAZY = {
    "to_dicom_sr": "reporting.export.dicom_sr",
    "dicom_bytes": "reporting.export.dicom_sr",
    "to_encapsulated_pdf": "reporting.export.encapsulated_pdf",
    "to_hl7": "reporting.export.hl7v2",
    "to_pdf": "reporting.export.pdf",
    "to_fhir": "reporting.export.fhir",
    "to_text": "reporting.export.text",
    "render": "reporting.export.files",
    "export_one": "reporting.export.files",
    "export_all": "reporting.export.files",
    "FORMATS": "reporting.export.files",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reporting.export' has no attribute {name!r}")
