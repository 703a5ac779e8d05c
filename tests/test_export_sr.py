"""DICOM SR export: dciodvfy-valid Enhanced SR with the TID 2000 tree, study evidence, addenda."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
from pathlib import Path

import pydicom
import pytest
from conftest import need_tool, shared_path
from export_helpers import CLOCK, check_golden, sample_report, uids

from reporting.errors import ExportError
from reporting.export import dicom_bytes, to_dicom_sr
from reporting.export.base import SequentialUids
from reporting.model import Report, Status, Study


def _write(tmp_path: Path, ds: pydicom.Dataset, name: str = "sr.dcm") -> Path:
    path = tmp_path / name
    path.write_bytes(dicom_bytes(ds))
    return path


def _dciodvfy(path: Path) -> str:
    tool = need_tool("dciodvfy")
    run = subprocess.run([tool, str(path)], capture_output=True, text=True, errors="replace")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    errors = [line for line in output.splitlines() if "Error" in line]
    assert not errors, "\n".join(errors)
    return output


def _dsrdump(path: Path) -> str:
    tool = need_tool("dsrdump")
    run = subprocess.run([tool, "+Pc", "+Pl", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_final_report_passes_dciodvfy_and_shows_tid_2000_in_dsrdump(tmp_path: Path) -> None:
    path = _write(tmp_path, to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids()))
    _dciodvfy(path)
    dump = _dsrdump(path)
    assert '<CONTAINER:(18748-4,LN,"Diagnostic Imaging Report")=SEPARATE>' in dump
    assert "(121049,DCM," in dump and "(en,RFC5646," in dump  # TID 1204 language
    assert '(121005,DCM,"Observer Type")=(121006,DCM,"Person")' in dump  # TID 1002
    assert '(121008,DCM,"Person Observer Name")="Smith^John"' in dump
    assert '(121058,DCM,"Procedure reported")=(24627-2,LN,"CT Chest")' in dump
    for heading in ("55111-9", "11329-0", "59776-5", "19005-8"):  # CID 7001 section headings
        assert f"<contains CONTAINER:({heading},LN," in dump
    assert "Müller^Zoë" in dump
    assert "5 mm × 3 mm" in dump and "10 µGy" in dump
    assert "Verification Flag   : VERIFIED" in dump and "Completion Flag     : COMPLETE" in dump


def test_paragraphs_become_separate_text_items() -> None:
    ds = to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids())
    findings = next(
        i
        for i in ds.ContentSequence
        if i.ValueType == "CONTAINER" and i.ConceptNameCodeSequence[0].CodeValue == "59776-5"
    )
    texts = [i.TextValue for i in findings.ContentSequence]
    assert texts == [
        "A 5 mm × 3 mm nodule in the right upper lobe.\nNo effusion. Dose 10 µGy.",
        "No lymphadenopathy.",
    ]
    assert {i.ConceptNameCodeSequence[0].CodeValue for i in findings.ContentSequence} == {"121071"}


@pytest.mark.parametrize(
    ("status", "completion", "verification", "preliminary"),
    [
        (Status.DRAFT, "PARTIAL", "UNVERIFIED", "PRELIMINARY"),
        (Status.PRELIMINARY, "COMPLETE", "UNVERIFIED", "PRELIMINARY"),
        (Status.FINAL, "COMPLETE", "VERIFIED", "FINAL"),
    ],
)
def test_status_sets_completion_and_verification_flags(
    tmp_path: Path, status: Status, completion: str, verification: str, preliminary: str
) -> None:
    report = dataclasses.replace(sample_report(), status=status)
    ds = to_dicom_sr(report, clock=CLOCK, uid_factory=uids())
    assert (ds.CompletionFlag, ds.VerificationFlag, ds.PreliminaryFlag) == (
        completion,
        verification,
        preliminary,
    )
    if status is Status.FINAL:
        observer = ds.VerifyingObserverSequence[0]
        assert str(observer.VerifyingObserverName) == "Smith^John"
        assert observer.VerificationDateTime == "20261128093000+0100"
    else:
        assert "VerifyingObserverSequence" not in ds
    _dciodvfy(_write(tmp_path, ds))


def test_report_without_people_or_codes_still_valid(tmp_path: Path) -> None:
    report = Report.from_text("FINDINGS: Normal.\n\nIMPRESSION: Nothing acute.", id="bare")
    ds = to_dicom_sr(report, clock=CLOCK, uid_factory=uids())
    output = _dciodvfy(_write(tmp_path, ds))
    assert "EnhancedSR" in output
    dump = _dsrdump(tmp_path / "sr.dcm")
    assert '(121005,DCM,"Observer Type")=(121007,DCM,"Device")' in dump


def test_study_image_header_fills_patient_study_and_is_evidence(tmp_path: Path) -> None:
    image_path = shared_path("external", "sr", "highdicom_testdata", "ct_image.dcm")
    image = pydicom.dcmread(image_path, stop_before_pixels=True)
    report = dataclasses.replace(sample_report(), study=Study(accession="A1"))
    report = dataclasses.replace(report, patient=dataclasses.replace(report.patient, id=""))
    ds = to_dicom_sr(report, clock=CLOCK, uid_factory=uids(), study_dataset=image)
    assert ds.StudyInstanceUID == image.StudyInstanceUID
    assert ds.PatientID == image.PatientID
    evidence = ds.CurrentRequestedProcedureEvidenceSequence[0]
    assert evidence.StudyInstanceUID == image.StudyInstanceUID
    ref = evidence.ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    assert (ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID) == (
        image.SOPClassUID,
        image.SOPInstanceUID,
    )
    _dciodvfy(_write(tmp_path, ds))


def test_study_image_of_another_patient_is_refused() -> None:
    image = pydicom.dcmread(
        shared_path("external", "sr", "highdicom_testdata", "ct_image.dcm"), stop_before_pixels=True
    )
    report = dataclasses.replace(sample_report(), study=Study())
    with pytest.raises(ExportError, match="another patient"):
        to_dicom_sr(report, clock=CLOCK, uid_factory=uids(), study_dataset=image)
    with pytest.raises(ExportError, match="another study"):
        to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids(), study_dataset=image)


def test_addendum_is_a_new_instance_naming_its_predecessor(tmp_path: Path) -> None:
    first = to_dicom_sr(
        sample_report(), clock=CLOCK, uid_factory=SequentialUids(root="1.2.826.0.1.3680043.8.498.1")
    )
    amended = sample_report().add_addendum(
        "Nodule measures 6 mm on review.", author="Jones^Ann", when=dt.datetime(2026, 11, 29, 8, 0)
    )
    second = to_dicom_sr(
        amended,
        clock=CLOCK,
        uid_factory=SequentialUids(root="1.2.826.0.1.3680043.8.498.2"),
        predecessor=first,
    )
    assert second.SOPInstanceUID != first.SOPInstanceUID
    assert second.StudyInstanceUID == first.StudyInstanceUID
    pred = (
        second.PredecessorDocumentsSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    )
    assert pred.ReferencedSOPInstanceUID == first.SOPInstanceUID
    assert second.InstanceNumber == 2
    assert str(second.VerifyingObserverSequence[0].VerifyingObserverName) == "Jones^Ann"
    path = _write(tmp_path, second)
    _dciodvfy(path)
    dump = _dsrdump(path)
    assert '<contains CONTAINER:(55107-7,LN,"Addendum")=SEPARATE>' in dump
    assert "Nodule measures 6 mm on review." in dump


def test_unknown_section_uses_local_heading_code(tmp_path: Path) -> None:
    from reporting.model import Section

    report = Report.from_sections(
        [Section("findings", "Normal."), Section("technique_notes", "Low dose.")], id="x"
    )
    path = _write(tmp_path, to_dicom_sr(report, clock=CLOCK, uid_factory=uids()))
    _dciodvfy(path)
    assert '(technique_notes,99RPT,"Technique Notes")' in _dsrdump(path)


def test_values_too_long_for_dicom_are_refused_not_cut() -> None:
    report = dataclasses.replace(sample_report(), study=Study(accession="A" * 17))
    with pytest.raises(ExportError, match="accession number is longer"):
        to_dicom_sr(report, clock=CLOCK, uid_factory=uids())


def test_empty_report_is_refused() -> None:
    with pytest.raises(ExportError, match="no section has text"):
        to_dicom_sr(Report(id="e", text=""), clock=CLOCK)


def test_same_clock_and_uids_give_identical_bytes() -> None:
    a = dicom_bytes(to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids()))
    b = dicom_bytes(to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids()))
    assert a == b


def test_sr_golden() -> None:
    ds = to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids())
    content = ds.to_json_dict()  # the dataset without file meta (implementation UID/version vary)
    check_golden(
        "r1.sr.json", json.dumps(content, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    )


def test_encapsulated_pdf_passes_dciodvfy(tmp_path: Path) -> None:
    from reporting.export import to_encapsulated_pdf, to_pdf

    pdf = to_pdf(sample_report(), clock=CLOCK)
    ds = to_encapsulated_pdf(sample_report(), pdf, clock=CLOCK, uid_factory=uids())
    path = _write(tmp_path, ds, "doc.dcm")
    _dciodvfy(path)
    back = pydicom.dcmread(path)
    assert bytes(back.EncapsulatedDocument)[: len(pdf)] == pdf
    assert back.MIMETypeOfEncapsulatedDocument == "application/pdf"


def test_odd_text_still_valid_tab_becomes_space(tmp_path: Path) -> None:
    from reporting.ingest.dicom_sr import read_sr
    from reporting.model import Section

    text = "Tab\there, back\\slash, 日本語テキスト, 🫁, Ωµ×\x07bell"
    report = Report.from_sections(
        [Section("findings", text)], id="odd", patient={"name": "山田^太郎", "id": "J1"}
    )
    path = _write(tmp_path, to_dicom_sr(report, clock=CLOCK, uid_factory=uids()))
    _dciodvfy(path)
    assert (
        read_sr(path).section("findings").text
        == "Tab here, back\\slash, 日本語テキスト, 🫁, Ωµ× bell"
    )


def test_accession_gives_referenced_request() -> None:
    ds = to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids())
    request = ds.ReferencedRequestSequence[0]
    assert request.AccessionNumber == "A2026-1"
    assert request.RequestedProcedureCodeSequence[0].CodeValue == "24627-2"
