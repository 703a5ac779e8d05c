"""FHIR export: R4B-valid Bundle with Patient, ServiceRequest, ImagingStudy and DiagnosticReport."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from export_helpers import CLOCK, check_golden, sample_report
from fhir.resources.R4B.bundle import Bundle

from reporting.export import to_fhir, to_pdf
from reporting.model import Report, Status


def _resources(bundle: dict) -> dict[str, dict]:
    return {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}


def test_bundle_validates_against_r4b() -> None:
    pdf = to_pdf(sample_report(), clock=CLOCK)
    bundle = to_fhir(sample_report(), clock=CLOCK, pdf=pdf)
    parsed = Bundle.model_validate(bundle)
    kinds = [e.resource.__resource_type__ for e in parsed.entry]
    assert kinds == ["Patient", "ServiceRequest", "ImagingStudy", "DiagnosticReport"]


def test_diagnostic_report_content() -> None:
    pdf = to_pdf(sample_report(), clock=CLOCK)
    res = _resources(to_fhir(sample_report(), clock=CLOCK, pdf=pdf))
    dr = res["DiagnosticReport"]
    assert dr["status"] == "final"
    assert [c["code"] for c in dr["code"]["coding"]] == ["18748-4", "24627-2"]
    assert dr["effectiveDateTime"] == "2026-11-27"
    assert dr["issued"] == "2026-11-28T09:30:00+01:00"
    assert dr["resultsInterpreter"] == [{"display": "Smith, John"}]
    assert dr["conclusion"] == "1. Small right upper lobe nodule.\n2. Follow-up CT in 12 months."
    forms = {f["contentType"]: base64.b64decode(f["data"]) for f in dr["presentedForm"]}
    assert forms["application/pdf"] == pdf
    assert forms["text/plain; charset=utf-8"].decode("utf-8") == sample_report().text
    assert dr["subject"]["reference"] == next(
        e["fullUrl"]
        for e in to_fhir(sample_report(), clock=CLOCK)["entry"]
        if e["resource"]["resourceType"] == "Patient"
    )
    assert res["Patient"]["name"][0]["family"] == "Müller" and res["Patient"]["name"][0][
        "given"
    ] == ["Zoë"]
    assert res["ImagingStudy"]["identifier"][0]["value"] == "urn:oid:1.2.826.0.1.3680043.8.498.42"
    assert res["ServiceRequest"]["identifier"][0]["value"] == "A2026-1"


@pytest.mark.parametrize(
    ("status", "fhir"),
    [(Status.DRAFT, "partial"), (Status.PRELIMINARY, "preliminary"), (Status.FINAL, "final")],
)
def test_status_mapping(status: Status, fhir: str) -> None:
    report = dataclasses.replace(sample_report(), status=status)
    assert _resources(to_fhir(report, clock=CLOCK))["DiagnosticReport"]["status"] == fhir


def test_addendum_is_appended() -> None:
    amended = sample_report().add_addendum("Size is 6 mm.", author="Jones^Ann")
    bundle = to_fhir(amended, clock=CLOCK)
    Bundle.model_validate(bundle)
    assert _resources(bundle)["DiagnosticReport"]["status"] == "appended"


def test_minimal_report_validates() -> None:
    bundle = to_fhir(Report.from_text("Normal.", id="m"), clock=CLOCK)
    Bundle.model_validate(bundle)
    assert set(_resources(bundle)) == {"Patient", "DiagnosticReport"}


def test_fhir_golden() -> None:
    bundle = to_fhir(sample_report(), clock=CLOCK)
    check_golden("r1.fhir.json", json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
