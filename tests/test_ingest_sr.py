"""Reading DICOM SR: ours (round trip), dcmtk/pydicom/highdicom samples, and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pydicom
import pytest
from conftest import shared_path
from export_helpers import CLOCK, sample_report, uids
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.errors import IngestError
from reporting.export import dicom_bytes, to_dicom_sr
from reporting.ingest.dicom_sr import read_sr
from reporting.model import Report, Section, Status

SR_DIR = ("external", "sr")


def _shared_srs() -> list[Path]:
    root = shared_path(*SR_DIR)
    return sorted(root.glob("*/*.dcm"))


def test_our_sr_reads_back_section_for_section() -> None:
    report = sample_report()
    back = read_sr(dicom_bytes(to_dicom_sr(report, clock=CLOCK, uid_factory=uids())))
    assert [(s.name, s.text) for s in back.sections] == [(s.name, s.text) for s in report.sections]
    assert back.status is Status.FINAL and back.verifier == "Smith^John"
    assert back.patient == report.patient
    assert back.study == report.study
    assert back.procedure.code == report.procedure.code
    assert back.signed_at == report.signed_at


def test_addendum_reads_back_as_amended() -> None:
    import datetime as dt

    first = to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids())
    amended = sample_report().add_addendum(
        "Now 6 mm.", author="Jones^Ann", when=dt.datetime(2026, 11, 29, 8, 0)
    )
    ds = to_dicom_sr(amended, clock=CLOCK, uid_factory=uids(), predecessor=first)
    back = read_sr(ds)
    assert back.status is Status.AMENDED
    assert back.section("addendum") is not None and back.section("addendum").text == "Now 6 mm."


_NAMES = [
    "examination",
    "history",
    "indication",
    "comparison",
    "findings",
    "impression",
    "recommendation",
    "my_notes",
]
_ALPHABET = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"
) | st.sampled_from("\n|^~\\&×µ")


@st.composite
def _reports(draw: st.DrawFn) -> Report:
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=5, unique=True))
    texts = [
        draw(st.text(alphabet=_ALPHABET, min_size=1, max_size=400).map(str.strip).filter(bool))
        for _ in names
    ]
    return Report.from_sections([Section(n, t) for n, t in zip(names, texts, strict=True)], id="h1")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_reports())
def test_round_trip_property(report: Report) -> None:
    back = read_sr(dicom_bytes(to_dicom_sr(report, clock=CLOCK, uid_factory=uids())))
    assert [(s.name, s.text) for s in back.sections] == [(s.name, s.text) for s in report.sections]


def test_every_shared_sr_reads_or_says_why() -> None:
    read, refused = 0, {}
    for path in _shared_srs():
        try:
            report = read_sr(path)
        except IngestError as exc:
            refused[path.name] = str(exc)
            continue
        read += 1
        assert report.sections and report.text.strip(), path
    assert set(refused) == {
        "ct_image.dcm",
        "dx_image.dcm",
        "sr_document.dcm",
        "sr_document_with_multiple_groups.dcm",
    }
    assert "not a structured report (CT Image Storage)" in refused["ct_image.dcm"]
    assert "measurement" in refused["sr_document.dcm"]
    assert read == 26


def _dsrdump_texts(path: Path) -> list[str]:
    raw = path.read_bytes().decode("utf-8", errors="replace")
    out = []
    for m in re.finditer(r'<contains TEXT:\(,,"[^"]*"\)="(.*)">$', raw, re.MULTILINE):
        value = m.group(1).replace("\\n", "\n")
        if "\ufffd" not in value:
            out.append(value)
    return out


def test_rsna_reports_match_their_dsrdump_text() -> None:
    folder = shared_path(*SR_DIR, "dcmtk_mkreport_3.6.7")
    checked = 0
    for dump in sorted((folder / "dsrdump").glob("report*.txt")):
        report = read_sr(folder / f"{dump.stem}.dcm")
        for value in _dsrdump_texts(dump):
            assert value in report.text, f"{dump.name}: {value[:60]!r}"
            checked += 1
    assert checked > 80


def test_rsna_report_sections_by_heading() -> None:
    report = read_sr(shared_path(*SR_DIR, "dcmtk_mkreport_3.6.7", "report12.dcm"))
    assert [s.name for s in report.sections] == ["request", "history", "findings"]
    assert report.section("findings").text.count("\n\n") == 2  # three Finding items
    assert report.patient.name == "Napper^Margret"


def test_reference_loop_does_not_hang() -> None:
    report = read_sr(shared_path(*SR_DIR, "dcmtk_mkreport_3.6.7", "reportlp.dcm"))
    assert "Some text." in report.text and "Some more text." in report.text


def test_verified_document_is_final() -> None:
    report = read_sr(shared_path(*SR_DIR, "dcmtk_mkreport_3.6.7", "reportfk.dcm"))
    assert report.status is Status.FINAL and report.verifier
    assert "Gallia est omnis divisa" in report.text


def test_truncated_dicom_is_a_clear_error(tmp_path: Path) -> None:
    data = dicom_bytes(to_dicom_sr(sample_report(), clock=CLOCK, uid_factory=uids()))
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="cut.dcm: truncated DICOM file"):
        read_sr(path)
    for size in range(0, len(data), 97):  # every cut is a clear error, never a crash
        with pytest.raises(IngestError):
            read_sr(data[:size], where="cut")


def test_random_bytes_and_missing_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(IngestError, match="not a DICOM file"):
        read_sr(junk)
    with pytest.raises(IngestError, match="not found"):
        read_sr(tmp_path / "nope.dcm")


def test_non_sr_dataset() -> None:
    ds = pydicom.dcmread(
        shared_path(*SR_DIR, "highdicom_testdata", "dx_image.dcm"), stop_before_pixels=True
    )
    with pytest.raises(IngestError, match="not a structured report"):
        read_sr(ds)


def test_encapsulated_pdf_report_is_read_with_pdftotext() -> None:
    from conftest import need_tool

    from reporting.export import to_encapsulated_pdf, to_pdf

    need_tool("pdftotext")
    report = sample_report()
    ds = to_encapsulated_pdf(report, to_pdf(report, clock=CLOCK), clock=CLOCK, uid_factory=uids())
    back = read_sr(dicom_bytes(ds))
    assert "5 mm × 3 mm nodule" in back.text
    assert back.patient.name == "Müller^Zoë" and back.study.accession == "A2026-1"


def test_long_text_round_trip() -> None:
    body = "\n".join(f"Line {i}: 5 mm × 3 mm | ^ ~ \\ & nodule, Müller." for i in range(400))
    report = Report.from_sections(
        [Section("findings", body), Section("impression", "Stable.")], id="long"
    )
    back = read_sr(dicom_bytes(to_dicom_sr(report, clock=CLOCK, uid_factory=uids())))
    assert back.section("findings").text == body


def test_free_text_author_survives_round_trip_without_pn_warning() -> None:
    import warnings

    from reporting import Report
    from reporting.export import to_dicom_sr
    from reporting.ingest.dicom_sr import read_sr

    report = Report.from_text(
        "FINDINGS: Clear.\nIMPRESSION: Normal.",
        id="pn",
        author="Dr Ann Lee",
        verifier="Dr Ann Lee",
        status="final",
        patient={"name": "Lee^Ann", "id": "1"},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = to_dicom_sr(report)
    assert str(ds.VerifyingObserverSequence[0].VerifyingObserverName) == "Dr Ann Lee^"
    again = read_sr(ds)
    assert again.author == "Dr Ann Lee" and again.verifier == "Dr Ann Lee"
