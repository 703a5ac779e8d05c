"""The report model: validation, status moves, addenda, free-text sectioning."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from reporting import Laterality, Report, Section, Sex, Status
from reporting.errors import ModelError, StatusError


def test_from_text_keeps_offsets_and_codes() -> None:
    text = "EXAMINATION: XR CHEST\nFINDINGS: Lungs clear.\nIMPRESSION: Normal chest."
    report = Report.from_text(text, id="r1", sex="female")
    assert [s.name for s in report.sections] == ["examination", "findings", "impression"]
    for sec in report.sections:
        assert sec.start is not None
        assert text[sec.start : sec.start + len(sec.text)] == sec.text
    assert report.section("findings").code.value == "59776-5"  # type: ignore[union-attr]
    assert report.section("impression").code.value == "19005-8"  # type: ignore[union-attr]
    assert report.sex is Sex.FEMALE


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Findings: a\nImpression: b", {"findings": "a", "impression": "b"}),
        (
            "FINDINGS\nThe lungs are clear.\n\nIMPRESSION\nNormal.",
            {"findings": "The lungs are clear.", "impression": "Normal."},
        ),
        (
            "EXAM: CT head\nHISTORY: fall\nCONCLUSION: no bleed",
            {"examination": "CT head", "history": "fall", "impression": "no bleed"},
        ),
        (
            "Clinical History: cough. Findings: clear lungs. Impression: normal.",
            {"history": "cough.", "findings": "clear lungs.", "impression": "normal."},
        ),
        (
            "FINDINGS The lungs are clear.\nOPINION Normal study.",
            {"findings": "The lungs are clear.", "impression": "Normal study."},
        ),
        (
            "PROCEDURE: US pelvis\nRECOMMENDATIONS: follow-up in 6 weeks",
            {"examination": "US pelvis", "recommendation": "follow-up in 6 weeks"},
        ),
        (
            "Technique - axial images\nComparison: none\nSummary: stable",
            {"technique": "axial images", "comparison": "none", "impression": "stable"},
        ),
    ],
)
def test_heading_styles(text: str, expected: dict[str, str]) -> None:
    report = Report.from_text(text, id="x")
    assert {s.name: s.text for s in report.sections} == expected


def test_words_in_sentences_are_not_headings() -> None:
    text = "FINDINGS: The impression of the diaphragm is normal. History of smoking is noted.\nIMPRESSION: Normal."
    report = Report.from_text(text, id="x")
    assert [s.name for s in report.sections] == ["findings", "impression"]
    assert report.section("findings").text.startswith("The impression")  # type: ignore[union-attr]


def test_openi_findings_and_impression_exactly_as_written(iu_records: list[dict]) -> None:
    """Every Open-i report keeps its FINDINGS and IMPRESSION text exactly."""
    pattern = {
        name: re.compile(rf"^{head}: (.*?)\n(?=[A-Z]+: |\Z)", re.S | re.M)
        for name, head in (("findings", "FINDINGS"), ("impression", "IMPRESSION"))
    }
    for rec in iu_records:
        report = Report.from_text(rec["text"], id=rec["id"])
        for name, pat in pattern.items():
            m = pat.search(rec["text"])
            assert m is not None
            section = report.section(name)
            assert section is not None, (rec["id"], name)
            assert section.text == m.group(1).strip(), (rec["id"], name)


def test_final_report_needs_verifier() -> None:
    with pytest.raises(ModelError, match="verifier"):
        Report(id="x", text="t", status=Status.FINAL)


def test_status_moves() -> None:
    draft = Report.from_text("FINDINGS: a\nIMPRESSION: b", id="x")
    prelim = draft.with_status("preliminary")
    final = prelim.with_status("final", verifier="Dr Rad", when=dt.datetime(2026, 1, 2, 3, 4))
    assert final.status is Status.FINAL and final.verifier == "Dr Rad"
    with pytest.raises(StatusError, match="addendum"):
        final.with_status("draft")
    with pytest.raises(StatusError):
        final.with_status("amended")
    with pytest.raises(StatusError, match="read-only"):
        final.with_sections([Section("findings", "changed")])


def test_addendum_creates_amended_version() -> None:
    final = Report.from_text("FINDINGS: a\nIMPRESSION: b", id="x").with_status(
        "final", verifier="Dr A"
    )
    amended = final.add_addendum("Left was meant, not right.", author="Dr B")
    assert amended.status is Status.AMENDED
    add = amended.section("addendum")
    assert add is not None and add.text == "Left was meant, not right."
    assert amended.text[add.start : add.end] == add.text  # type: ignore[index,misc]
    assert final.status is Status.FINAL  # the original is untouched
    with pytest.raises(StatusError):
        Report.from_text("FINDINGS: a", id="d").add_addendum("x", author="y")


def test_laterality_and_sex_parsing() -> None:
    assert Laterality.parse("LT") is Laterality.LEFT
    assert Laterality.parse("Bilat") is Laterality.BILATERAL
    assert Sex.parse("woman") is Sex.FEMALE
    with pytest.raises(ModelError, match="laterality"):
        Laterality.parse("up")
    with pytest.raises(ModelError, match="sex"):
        Sex.parse("q")


def test_bad_values_are_rejected() -> None:
    with pytest.raises(ModelError):
        Report(id="", text="x")
    with pytest.raises(ModelError, match="offset"):
        Report(id="a", text="hello", sections=(Section("findings", "zzz", start=0),))
    with pytest.raises(ModelError, match="UID"):
        Report.from_text("x", id="a", study={"study_uid": "1.2.abc"})
    with pytest.raises(ModelError, match="age"):
        Report.from_text("x", id="a", age=400)


def test_from_sections_composes_text() -> None:
    report = Report.from_sections(
        [Section("findings", "Lungs clear."), Section("impression", "Normal.")], id="s"
    )
    assert "FINDINGS:\nLungs clear." in report.text
    assert report.section_at(report.text.index("Normal")).name == "impression"  # type: ignore[union-attr]


def test_a_field_shows_its_unit_after_a_number_only() -> None:
    from reporting.model import FieldValue

    assert FieldValue("len", 11.0, "cm").display() == "11 cm"
    assert FieldValue("len", 10.5, "cm").display() == "10.5 cm"
    # words said into a number field are shown as said, without a stray unit after them
    assert FieldValue("len", "10.5 cm. Bladder distended.", "cm").display() == (
        "10.5 cm. Bladder distended."
    )
    assert FieldValue("ascites", False).display() == "no"
