"""Reading HL7 ORU^R01: real-world samples, separators, escapes, batches, payloads, round trip."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from conftest import need_tool, shared_path
from export_helpers import CLOCK, sample_report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.errors import IngestError
from reporting.export import to_hl7, to_pdf
from reporting.ingest.hl7 import iter_hl7_reports, read_hl7, unescape
from reporting.model import Report, Section, Status

HL7 = ("external", "hl7")

#: file -> a phrase of its report text
EXPECTED = {
    "ORU^R01.hl7": "The right kidney is slightly enlarged",
    "ORU^R01-SR.hl7": "small mass in the left lung",
    "ORU^R01-CDA.hl7": "Round density in left superior hilus",
    "ORU^R01-PDF.hl7": "A Simple PDF File",
    "oru_msg1_GE_RIS_thorax_xray_v2.4.hl7": "CVK fra n. jugularis dx",
    "oru_msg2_GE_RIS_CT_cerebrum_v2.4.hl7": "Preliminary report 11:47",
    "SEC00003.hl7": "Acute appendicitis with periappendiceal inflammatory stranding",
    "SEC00004.hl7": "Complete tear of the anterior cruciate ligament",
    "SEC00006.hl7": "Lungs are clear.",
    "SEC00008.hl7": "BI-RADS Category 1",
    "SEC00010.hl7": "hepatic steatosis",
    "SEC00015.hl7": "Osteoporosis at the lumbar spine",
}


def _file(name: str) -> bytes:
    root = shared_path(*HL7)
    return next(root.glob(f"*/{name}")).read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_radiology_results_read(name: str) -> None:
    if name.endswith("PDF.hl7"):
        need_tool("pdftotext")
    items = list(iter_hl7_reports(_file(name), name))
    assert len(items) == 1 and items[0].error is None, items[0].error
    report = items[0].report
    assert report is not None
    assert EXPECTED[name] in report.text
    assert report.patient.id


def test_every_shared_oru_is_read_or_refused_clearly() -> None:
    need_tool("pdftotext")
    errors = {}
    for path in sorted(shared_path(*HL7).glob("*/*.hl7")):
        for item in iter_hl7_reports(path.read_bytes(), path.name):
            if item.error:
                errors[path.name] = item.error
    assert set(errors) == {
        "OMI^O23-ImagingOrder.hl7",
        "ORM^O01-GeneralOrder.hl7",
        "sample_hl7_GHH_LAB_ORU_R01.hl7",
    }
    assert "imaging order, not a report" in errors["OMI^O23-ImagingOrder.hl7"]
    assert (
        "without report text (only FN, SN observations)" in errors["sample_hl7_GHH_LAB_ORU_R01.hl7"]
    )


def test_sectra_formatted_text_is_split_into_sections() -> None:
    report = read_hl7(_file("SEC00008.hl7"))
    assert report.status is Status.FINAL
    assert (
        report.patient.name == "DANFORTH^Lorraine^Marie"
        and str(report.patient.birth_date) == "1970-11-04"
    )
    assert report.procedure.description == "Screening Mammogram Bilateral"
    assert [s.name for s in report.sections][-3:] == ["findings", "impression", "recommendation"]
    assert "\\.br\\" not in report.text and "\n\nFindings: No suspicious masses" in report.text


def test_cda_payload_gives_sections() -> None:
    report = read_hl7(_file("ORU^R01-CDA.hl7"))
    names = [s.name for s in report.sections]
    assert "findings" in names and "impression" in names
    assert "cardiomediastinum is within normal limits" in report.section("findings").text


def test_utf8_names_survive() -> None:
    report = read_hl7(_file("oru_msg2_GE_RIS_CT_cerebrum_v2.4.hl7"))
    assert report.patient.name.startswith("Prøveklud^")
    assert report.status is Status.PRELIMINARY


@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n"])
def test_segment_separators(sep: str) -> None:
    message = to_hl7(sample_report(), clock=CLOCK).replace("\r", sep)
    back = read_hl7(message.encode("utf-8"))
    assert [(s.name, s.text) for s in back.sections] == [
        (s.name, s.text) for s in sample_report().sections
    ]


def test_latin1_declared_in_msh18() -> None:
    message = (
        "MSH|^~\\&|RIS|H|||20260101||ORU^R01|9|P|2.3||||||8859/1\r"
        "PID|||77||Møller^Åse\r"
        "OBR|1||ACC9|^Röntgen Thorax||||||||||||||||||||F\r"
        "OBX|1|TX|^Befund||Herz und Lunge o.B. Größe normal.||||||F\r"
    ).encode("latin-1")
    report = read_hl7(message)
    assert report.patient.name == "Møller^Åse"
    assert "Größe normal" in report.text
    assert report.status is Status.FINAL and report.verifier == "unknown"


def test_round_trip_of_our_message_keeps_everything() -> None:
    report = sample_report()
    back = read_hl7(to_hl7(report, clock=CLOCK).encode("utf-8"))
    assert [(s.name, s.title, s.text) for s in back.sections] == [
        (s.name, s.title, s.text) for s in report.sections
    ]
    assert back.patient == report.patient
    assert (back.study.accession, back.study.study_uid, back.study.date) == (
        report.study.accession,
        report.study.study_uid,
        report.study.date,
    )
    assert (
        back.status is Status.FINAL
        and back.verifier == "Smith^John"
        and back.signed_at == report.signed_at
    )
    assert back.procedure.code == report.procedure.code


def test_pdf_only_message_uses_pdftotext() -> None:
    need_tool("pdftotext")
    report = sample_report()
    full = to_hl7(report, clock=CLOCK, pdf=to_pdf(report, clock=CLOCK))
    pdf_only = "\r".join(
        seg for seg in full.split("\r") if not seg.startswith("OBX|") or "|ED|" in seg
    )
    back = read_hl7(pdf_only.encode("utf-8"))
    assert "5 mm × 3 mm nodule" in back.text


def test_batch_with_one_broken_message() -> None:
    good = to_hl7(sample_report(), clock=CLOCK)
    other = to_hl7(dataclasses.replace(sample_report(), id="r2"), clock=CLOCK, control_id="CTRL2")
    broken = "MSH|^~\\&|X|Y|||20260101||ORU^R01|BAD|P|2.5.1\rPID|||1\rOBR|1\r"
    batch = "FHS|^~\\&|RIS\rBHS|^~\\&|RIS\r" + good + broken + other + "BTS|3\rFTS|1\r"
    items = list(iter_hl7_reports(batch.encode("utf-8"), "batch.hl7"))
    assert [i.source for i in items] == ["batch.hl7#1", "batch.hl7#2", "batch.hl7#3"]
    assert items[0].report is not None and items[2].report is not None
    assert items[2].report.id == "CTRL2"
    assert (
        items[1].report is None
        and "batch.hl7#2" in items[1].error
        and "without report text" in items[1].error
    )


def test_random_bytes_give_one_error_item(tmp_path: Path) -> None:
    data = os.urandom(2048)
    items = list(iter_hl7_reports(data, "noise.hl7"))
    assert len(items) == 1 and items[0].report is None
    assert "noise.hl7" in items[0].error
    with pytest.raises(IngestError):
        read_hl7(data, where="noise.hl7")


def test_read_hl7_refuses_batches() -> None:
    message = to_hl7(sample_report(), clock=CLOCK)
    with pytest.raises(IngestError, match="holds 2 messages"):
        read_hl7(message + message)


def test_unescape_formatting_and_hex() -> None:
    assert unescape("a\\.br\\b\\.sp\\c") == "a\nb\nc"
    assert unescape("\\H\\bold\\N\\ \\X41C3A9\\") == "bold Aé"
    assert unescape("broken \\ escape") == "broken \\ escape"
    assert unescape("\\Zvendor\\x") == "x"


_NAMES = [
    "examination",
    "technique",
    "history",
    "comparison",
    "findings",
    "impression",
    "addendum",
    "free_notes",
]
_ALPHABET = st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\r\t|^~\\&×µ")


@st.composite
def _reports(draw: st.DrawFn) -> Report:
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=6, unique=True))
    texts = [
        draw(st.text(alphabet=_ALPHABET, min_size=1, max_size=600).map(str.strip).filter(bool))
        for _ in names
    ]
    titles = [
        draw(st.text(alphabet=_ALPHABET, max_size=20).map(lambda t: " ".join(t.split())))
        for _ in names
    ]
    sections = [Section(n, t, title=ti) for n, t, ti in zip(names, texts, titles, strict=True)]
    return Report.from_sections(sections, id="h", patient={"id": "P1", "name": "Müller^Zoë"})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_reports())
def test_round_trip_property(report: Report) -> None:
    back = read_hl7(to_hl7(report, clock=CLOCK).encode("utf-8"))
    assert [(s.name, s.text) for s in back.sections] == [(s.name, s.text) for s in report.sections]


def test_mllp_framing_and_indented_segments() -> None:
    message = to_hl7(sample_report(), clock=CLOCK)
    framed = "\x0b" + message.replace("\rOBX", "\r  OBX") + "\x1c\r"
    back = read_hl7(framed.encode("utf-8"))
    assert back.section("findings").text == sample_report().section("findings").text


def test_declared_utf8_that_is_windows_1252() -> None:
    message = (
        "MSH|^~\\&|RIS|H|||20260101||ORU^R01|9|P|2.5||||||UNICODE UTF-8\r"
        "PID|||77||Doe^Jane\rOBR|1\rOBX|1|TX|^Report||Nodule 5 mm \u00d7 3 mm \u2013 stable.||||||P\r"
    ).encode("cp1252")
    assert "\u00d7 3 mm \u2013 stable" in read_hl7(message).text


def test_long_text_round_trip() -> None:
    body = "\n".join(f"Line {i}: 5 mm × 3 mm | ^ ~ \\ & nodule, Müller." for i in range(400))
    report = Report.from_sections([Section("findings", body)], id="long", patient={"id": "1"})
    assert read_hl7(to_hl7(report, clock=CLOCK)).section("findings").text == body
