"""HL7 v2.5.1 ORU^R01 export: hl7apy structure, escaping, result status, embedded PDF."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from export_helpers import CLOCK, check_golden, sample_report
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.errors import ExportError
from reporting.export import to_hl7, to_pdf
from reporting.export.hl7v2 import escape
from reporting.ingest.hl7 import unescape
from reporting.model import Patient, Report, Status


def _segments(message: str) -> list[list[str]]:
    return [seg.split("|") for seg in message.split("\r") if seg]


def _validate(message: str) -> None:
    from hl7apy.parser import parse_message

    parsed = parse_message(message, find_groups=True)
    assert parsed.validate() is True


def test_message_passes_hl7apy_validation_with_pdf() -> None:
    report = sample_report()
    message = to_hl7(report, clock=CLOCK, pdf=to_pdf(report, clock=CLOCK))
    _validate(message)
    names = [s[0] for s in _segments(message)]
    assert names[:5] == ["MSH", "PID", "PV1", "ORC", "OBR"]
    assert set(names[5:]) == {"OBX"}


def test_msh_declares_utf8_and_oru_r01() -> None:
    msh = _segments(to_hl7(sample_report(), clock=CLOCK))[0]
    # MSH-n is msh[n-1]: the field separator itself is MSH-1
    assert msh[8] == "ORU^R01^ORU_R01"
    assert msh[11] == "2.5.1"
    assert msh[17] == "UNICODE UTF-8"
    assert msh[6] == "20261128100000+0100"


def test_obr_carries_accession_procedure_time_status_and_interpreter() -> None:
    segs = _segments(to_hl7(sample_report(), clock=CLOCK))
    obr = next(s for s in segs if s[0] == "OBR")
    assert obr[3] == "A2026-1" and obr[18] == "A2026-1"
    assert obr[4] == "24627-2^CT Chest^LN"
    assert obr[7] == "20261127"
    assert obr[25] == "F"
    assert obr[32] == "&Smith&John"
    pid = next(s for s in segs if s[0] == "PID")
    assert (
        pid[3] == "P123^^^^MR" and pid[5] == "Müller^Zoë" and pid[7] == "19700506" and pid[8] == "F"
    )


def test_one_ft_obx_per_section_with_escapes_and_line_breaks() -> None:
    segs = [
        s for s in _segments(to_hl7(sample_report(), clock=CLOCK)) if s[0] == "OBX" and s[2] == "FT"
    ]
    ids = [s[3].split("^")[0] for s in segs]
    assert ids == ["55111-9", "11329-0", "59776-5", "19005-8"]
    history = segs[1][5]
    assert history == "Cough \\F\\ fever \\S\\ weight loss \\R\\ 3 kg \\E\\ \\T\\ night sweats."
    findings = segs[2][5]
    assert findings == (
        "A 5 mm × 3 mm nodule in the right upper lobe.\\.br\\No effusion. Dose 10 µGy."
        "\\.br\\\\.br\\No lymphadenopathy."
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [(Status.DRAFT, "P"), (Status.PRELIMINARY, "P"), (Status.FINAL, "F")],
)
def test_result_status_follows_report_status(status: Status, code: str) -> None:
    report = dataclasses.replace(sample_report(), status=status)
    segs = _segments(to_hl7(report, clock=CLOCK))
    obr = next(s for s in segs if s[0] == "OBR")
    assert obr[25] == code
    assert {s[11] for s in segs if s[0] == "OBX"} == {code}


def test_addendum_is_a_correction() -> None:
    amended = sample_report().add_addendum("Size is 6 mm.", author="Jones^Ann")
    message = to_hl7(amended, clock=CLOCK)
    _validate(message)
    obr = next(s for s in _segments(message) if s[0] == "OBR")
    assert obr[25] == "C"
    assert "55107-7^Addendum^LN" in message


def test_ed_obx_decodes_to_the_same_pdf_bytes() -> None:
    pdf = to_pdf(sample_report(), clock=CLOCK)
    message = to_hl7(sample_report(), clock=CLOCK, pdf=pdf)
    ed = next(s for s in _segments(message) if s[0] == "OBX" and s[2] == "ED")
    source, kind, subtype, encoding, data = ed[5].split("^")
    assert (source, kind, subtype, encoding) == ("", "application", "pdf", "Base64")
    assert base64.b64decode(data) == pdf


def test_missing_patient_id_is_a_clear_error() -> None:
    report = dataclasses.replace(sample_report(), patient=Patient(name="Doe^Jane"))
    with pytest.raises(ExportError, match="patient id"):
        to_hl7(report, clock=CLOCK)


def test_minimal_report_validates() -> None:
    report = Report.from_text("Normal chest.", id="m1", patient=Patient(id="1"))
    _validate(to_hl7(report, clock=CLOCK))


def test_hl7_golden() -> None:
    message = to_hl7(sample_report(), clock=CLOCK)
    check_golden("r1.hl7", message.replace("\r", "\r\n"))


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300
)


@given(_TEXT)
def test_escape_then_unescape_is_identity(value: str) -> None:
    escaped = escape(value, formatted=True)
    assert not any(ch in escaped for ch in "|^~&\r\n")
    assert unescape(escaped) == value


def test_escape_examples() -> None:
    assert escape("a|b^c~d\\e&f") == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"
    assert escape("x\ny", formatted=True) == "x\\.br\\y"
    assert escape("x\ry") == "x\\X0D\\y"


def test_pdf_payload_must_be_a_pdf() -> None:
    with pytest.raises(ExportError, match="%PDF"):
        to_hl7(sample_report(), clock=CLOCK, pdf=b"not a pdf")


def test_long_text_validates() -> None:
    long_text = "FINDINGS:\n" + "\n".join(
        f"Line {i}: the lungs are clear | no ^ effusion." for i in range(300)
    )
    report = Report.from_text(long_text, id="long", patient=Patient(id="9"))
    _validate(to_hl7(report, clock=CLOCK))


_SECTION_NAMES = ["examination", "history", "findings", "impression", "addendum", "free_notes"]
_BODY = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\r\t|^~\\&"),
    min_size=1,
    max_size=300,
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_SECTION_NAMES), _BODY),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    )
)
def test_any_text_gives_a_valid_message(parts: list[tuple[str, str]]) -> None:
    from reporting.model import Section

    sections = [Section(name, body.strip() or "x") for name, body in parts]
    report = Report.from_sections(sections, id="p", patient=Patient(id="1", name="Müller^Zoë"))
    _validate(to_hl7(report, clock=CLOCK))
