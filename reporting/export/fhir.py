"""FHIR R4 export: a collection Bundle with Patient, ServiceRequest, ImagingStudy, DiagnosticReport.

The DiagnosticReport carries the status (draft -> partial, preliminary -> preliminary,
final -> final, amended (addendum) -> appended), LOINC 18748-4 plus the procedure as code,
subject, effective time (study date), issued (signing time), results interpreter (by name),
the impression as ``conclusion`` and the report as ``presentedForm`` (plain text, and the PDF
when given).  Resource ids are UUIDs derived from the report id, so output is reproducible.
The shape is checked against ``fhir.resources.R4B`` in the tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

from reporting.coding import DIAGNOSTIC_IMAGING_REPORT, Code
from reporting.errors import ExportError
from reporting.export.base import Clock, now
from reporting.export.common import display_name
from reporting.model import Report, Sex, Status

__all__ = ["to_fhir", "FHIR_STATUS"]

FHIR_STATUS = {
    Status.DRAFT: "partial",
    Status.PRELIMINARY: "preliminary",
    Status.FINAL: "final",
    Status.AMENDED: "appended",
}
_GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other", Sex.UNKNOWN: "unknown"}
_NS = uuid.UUID("7d4b1c2e-9a55-4a62-8f0e-3c1f2b6a9d10")


def _coding(code: Code) -> dict[str, str]:
    out = {"system": code.system_uri, "code": code.value}
    if code.meaning:
        out["display"] = code.meaning
    return out


def _instant(value: dt.datetime) -> str:
    """FHIR instant: seconds and a zone (naive times are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")


def _human_name(pn: str) -> dict[str, Any]:
    parts = (pn.split("=")[0].split("^") + [""] * 5)[:5]
    family, given, middle, prefix, suffix = parts
    name: dict[str, Any] = {"text": display_name(pn)}
    if "^" in pn:
        if family:
            name["family"] = family
        givens = [g for g in (given, middle) if g]
        if givens:
            name["given"] = givens
        if prefix:
            name["prefix"] = [prefix]
        if suffix:
            name["suffix"] = [suffix]
    return name


def to_fhir(
    report: Report, *, clock: Clock | None = None, pdf: bytes | None = None
) -> dict[str, Any]:
    """The report as a FHIR R4 Bundle (a JSON-ready dict)."""
    when = now(clock)
    if not report.text.strip():
        raise ExportError(f"report {report.id}: the report has no text")

    def urn(kind: str) -> str:
        return f"urn:uuid:{uuid.uuid5(_NS, f'{kind}/{report.id}')}"

    p, s = report.patient, report.study
    entries: list[dict[str, Any]] = []
    patient: dict[str, Any] = {"resourceType": "Patient", "gender": _GENDER[p.sex]}
    if p.id:
        patient["identifier"] = [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}, "value": p.id}]  # fmt: skip
    if p.name:
        patient["name"] = [_human_name(p.name)]
    if p.birth_date:
        patient["birthDate"] = p.birth_date.isoformat()
    patient_ref = {"reference": urn("Patient")}
    if p.name:
        patient_ref["display"] = display_name(p.name)
    entries.append({"fullUrl": urn("Patient"), "resource": patient})

    codings = [_coding(DIAGNOSTIC_IMAGING_REPORT)]
    if report.procedure.code is not None:
        codings.append(_coding(report.procedure.code))
    code: dict[str, Any] = {"coding": codings}
    if report.procedure.description:
        code["text"] = report.procedure.description

    diagnostic: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"system": "urn:reporting:report-id", "value": report.id}],
        "status": FHIR_STATUS[report.status],
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                        "code": "RAD",
                        "display": "Radiology",
                    }
                ]
            }
        ],  # fmt: skip
        "code": code,
        "subject": patient_ref,
        "issued": _instant(report.signed_at or when),
    }
    if s.accession:
        order = {
            "resourceType": "ServiceRequest",
            "identifier": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                "code": "ACSN",
                            }
                        ]
                    },
                    "value": s.accession,
                }
            ],  # fmt: skip
            "status": "completed" if report.status in (Status.FINAL, Status.AMENDED) else "active",
            "intent": "order",
            "code": code,
            "subject": patient_ref,
        }
        if s.referring:
            order["requester"] = {"display": display_name(s.referring)}
        entries.append({"fullUrl": urn("ServiceRequest"), "resource": order})
        diagnostic["basedOn"] = [{"reference": urn("ServiceRequest")}]
    if s.study_uid:
        study: dict[str, Any] = {
            "resourceType": "ImagingStudy",
            "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{s.study_uid}"}],
            "status": "available",
            "subject": patient_ref,
        }
        if s.date:
            study["started"] = s.date.isoformat()
        if report.modality:
            study["modality"] = [
                {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": report.modality}
            ]
        if s.accession:
            study["basedOn"] = [{"reference": urn("ServiceRequest")}]
        entries.append({"fullUrl": urn("ImagingStudy"), "resource": study})
        diagnostic["imagingStudy"] = [{"reference": urn("ImagingStudy")}]
    if s.date:
        diagnostic["effectiveDateTime"] = s.date.isoformat()
    interpreter = report.verifier or report.author
    if interpreter:
        diagnostic["resultsInterpreter"] = [{"display": display_name(interpreter)}]
    impression = report.section("impression")
    if impression is not None and impression.text.strip():
        diagnostic["conclusion"] = impression.text
    forms = [
        {
            "contentType": "text/plain; charset=utf-8",
            "language": "en",
            "data": base64.b64encode(report.text.encode("utf-8")).decode("ascii"),
            "title": "Report text",
        }
    ]
    if pdf is not None:
        forms.append(
            {
                "contentType": "application/pdf",
                "data": base64.b64encode(pdf).decode("ascii"),
                "title": "Printable report",
            }
        )
    diagnostic["presentedForm"] = forms
    entries.append({"fullUrl": urn("DiagnosticReport"), "resource": diagnostic})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(_NS, f"Bundle/{report.id}")),
        "type": "collection",
        "timestamp": _instant(when),
        "entry": entries,
    }
