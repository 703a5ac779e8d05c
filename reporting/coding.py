"""Coded concepts: report section headings (DICOM CID 7001, LOINC), document and laterality codes.

Codes are facts from the DICOM standard (PS3.16) and LOINC; the table below is ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Code",
    "LOINC",
    "DCM",
    "SCT",
    "RADLEX",
    "DIAGNOSTIC_IMAGING_REPORT",
    "SECTION_CODES",
    "SECTION_NAMES",
    "section_code",
    "LATERALITY_CODES",
]

LOINC = "LN"
DCM = "DCM"
SCT = "SCT"
RADLEX = "RADLEX"

#: Coding scheme designators mapped to FHIR/HL7 system URIs.
SYSTEM_URIS = {
    LOINC: "http://loinc.org",
    SCT: "http://snomed.info/sct",
    DCM: "http://dicom.nema.org/resources/ontology/DCM",
    RADLEX: "http://radlex.org",
}


@dataclass(frozen=True, slots=True)
class Code:
    """A coded concept: ``value`` in coding ``scheme`` with its human ``meaning``."""

    value: str
    scheme: str
    meaning: str

    def __post_init__(self) -> None:
        if not self.value or not self.scheme:
            raise ValueError("a code needs a value and a coding scheme")

    @property
    def system_uri(self) -> str:
        return SYSTEM_URIS.get(self.scheme, self.scheme)

    def to_dict(self) -> dict[str, str]:
        return {"value": self.value, "scheme": self.scheme, "meaning": self.meaning}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Code:
        return cls(str(data["value"]), str(data["scheme"]), str(data.get("meaning", "")))


#: Root concept of TID 2000 and the FHIR DiagnosticReport code.
DIAGNOSTIC_IMAGING_REPORT = Code("18748-4", LOINC, "Diagnostic Imaging Report")

#: Canonical section names mapped to their CID 7001 heading (LOINC).
SECTION_CODES: dict[str, Code] = {
    "examination": Code("55111-9", LOINC, "Current Procedure Descriptions"),
    "technique": Code("55111-9", LOINC, "Current Procedure Descriptions"),
    "history": Code("11329-0", LOINC, "History"),
    "indication": Code("18785-6", LOINC, "Indications for Procedure"),
    "request": Code("55115-0", LOINC, "Request"),
    "comparison": Code("18834-2", LOINC, "Comparison Study"),
    "prior_procedures": Code("55114-3", LOINC, "Prior Procedure Descriptions"),
    "findings": Code("59776-5", LOINC, "Findings"),
    "impression": Code("19005-8", LOINC, "Impressions"),
    "conclusion": Code("55110-1", LOINC, "Conclusions"),
    "recommendation": Code("18783-1", LOINC, "Recommendations"),
    "addendum": Code("55107-7", LOINC, "Addendum"),
    "complications": Code("55109-3", LOINC, "Complications"),
    "summary": Code("55112-7", LOINC, "Document Summary"),
}

#: Display titles for canonical section names.
SECTION_NAMES: dict[str, str] = {
    "examination": "Examination",
    "technique": "Technique",
    "history": "Clinical history",
    "indication": "Indication",
    "request": "Request",
    "comparison": "Comparison",
    "prior_procedures": "Prior procedures",
    "findings": "Findings",
    "impression": "Impression",
    "conclusion": "Conclusion",
    "recommendation": "Recommendation",
    "addendum": "Addendum",
    "complications": "Complications",
    "summary": "Summary",
}


def section_code(name: str) -> Code | None:
    """The CID 7001 heading for a canonical section name, or None when there is none."""
    return SECTION_CODES.get(name)


#: SNOMED CT laterality qualifiers (DICOM CID 244).
LATERALITY_CODES: dict[str, Code] = {
    "left": Code("7771000", SCT, "Left"),
    "right": Code("24028007", SCT, "Right"),
    "bilateral": Code("51440002", SCT, "Right and left"),
}
