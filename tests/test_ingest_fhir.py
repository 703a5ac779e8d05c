"""Reading FHIR DiagnosticReport / Bundle into Reports (our own export and hand-written shapes)."""

from __future__ import annotations

import base64

import pytest
from export_helpers import CLOCK, sample_report

from reporting.errors import IngestError
from reporting.export import to_fhir, to_pdf
from reporting.ingest.fhir import read_fhir
from reporting.model import Status


def test_our_bundle_reads_back() -> None:
    report = sample_report()
    [back] = read_fhir(to_fhir(report, clock=CLOCK, pdf=to_pdf(report, clock=CLOCK)))
    assert back.text == report.text
    assert [(s.name, s.text) for s in back.sections] == [(s.name, s.text) for s in report.sections]
    assert back.id == "r1" and back.status is Status.FINAL
    assert back.patient == report.patient
    assert (back.study.accession, back.study.study_uid, back.study.date) == (
        "A2026-1",
        report.study.study_uid,
        report.study.date,
    )
    assert back.procedure.code == report.procedure.code
    assert back.signed_at == report.signed_at


def test_bare_diagnostic_report_with_conclusion_only() -> None:
    resource = {"resourceType": "DiagnosticReport", "id": "d1", "status": "preliminary",
                "code": {"text": "XR chest"}, "conclusion": "No acute disease."}  # fmt: skip
    [report] = read_fhir(resource)
    assert report.status is Status.PRELIMINARY
    assert report.section("impression").text == "No acute disease."
    assert report.procedure.description == "XR chest"


def test_html_presented_form_and_unknown_verifier() -> None:
    html = "<div><p>FINDINGS: Lungs clear.</p><p>IMPRESSION: Normal &amp; stable.</p></div>"
    resource = {"resourceType": "DiagnosticReport", "status": "final", "code": {},
                "presentedForm": [{"contentType": "text/html", "data": base64.b64encode(html.encode()).decode()}]}  # fmt: skip
    [report] = read_fhir(resource)
    assert report.section("impression").text == "Normal & stable."
    assert report.verifier == "unknown"


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "expected a JSON object"),
        ({"resourceType": "Patient"}, "not a DiagnosticReport or Bundle"),
        ({"resourceType": "Bundle", "entry": []}, "no DiagnosticReport"),
        ({"resourceType": "DiagnosticReport", "status": "final", "code": {}}, "has no text"),
        ({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}, "entry\\[0\\] has no resource"),
    ],
)
def test_bad_input_is_a_clear_error(obj: object, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        read_fhir(obj, where="in.json")
