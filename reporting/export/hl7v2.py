"""HL7 v2.5.1 ORU^R01 export (IHE Radiology Results Distribution style).

Segments: MSH (UTF-8 declared in MSH-18), PID, PV1, ORC, OBR, one FT OBX per report section,
and, when a PDF is given, an ED OBX carrying it as ``^application^pdf^Base64^...``.

The message is built by hand: every value goes through :func:`escape`, which applies the HL7
escape sequences for the delimiters (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``) and turns line breaks into
``\\.br\\`` (formatted text) so a receiver gets the text back character for character.
Result status follows the report status: draft/preliminary -> P, final -> F, amended -> C.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from reporting.coding import DIAGNOSTIC_IMAGING_REPORT, Code
from reporting.errors import ExportError
from reporting.export.base import Clock, now
from reporting.export.common import ExportOptions, narrative_sections
from reporting.model import Report, Section, Sex, Status

__all__ = ["to_hl7", "escape", "RESULT_STATUS", "LOCAL_SCHEME", "SEGMENT_SEPARATOR"]

SEGMENT_SEPARATOR = "\r"
#: Local coding system that carries our section name/title as OBX-3's alternate identifier.
LOCAL_SCHEME = "99RPT"

RESULT_STATUS = {
    Status.DRAFT: "P",
    Status.PRELIMINARY: "P",
    Status.FINAL: "F",
    Status.AMENDED: "C",
}
_ORDER_STATUS = {
    Status.DRAFT: "IP",
    Status.PRELIMINARY: "A",
    Status.FINAL: "CM",
    Status.AMENDED: "CM",
}

_ESCAPES = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\"}


def escape(value: str, *, formatted: bool = False) -> str:
    """Escape ``value`` for an HL7 field with the standard delimiters ``|^~\\&``.

    Line feeds become ``\\.br\\`` when ``formatted`` (FT), else a hex escape; carriage returns
    and other control characters always become hex escapes (``\\X0D\\``), so no value can end a
    segment early.
    """
    out: list[str] = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == "\n":
            out.append("\\.br\\" if formatted else "\\X0A\\")
        elif ch < " " and ch != "\t" or ch == "\x7f":
            out.append(f"\\X{ord(ch):02X}\\")
        else:
            out.append(ch)
    return "".join(out)


def _ts(value: dt.datetime) -> str:
    text = value.strftime("%Y%m%d%H%M%S")
    if value.tzinfo is not None:
        text += value.strftime("%z")
    return text


def _name(pn: str) -> str:
    """DICOM PN ``family^given^middle^prefix^suffix`` as HL7 XPN ``family^given^middle^suffix^prefix``."""
    parts = (pn.split("=")[0].split("^") + [""] * 5)[:5]
    family, given, middle, prefix, suffix = parts
    comps = [escape(x) for x in (family, given, middle, suffix, prefix)]
    return "^".join(comps).rstrip("^")


def _person(pn: str, *, sub: bool = False) -> str:
    """A person as XCN (``^family^given``) or, with ``sub``, CNN subcomponents (``&family&given``)."""
    if not pn:
        return ""
    parts = (pn.split("=")[0].split("^") + [""] * 5)[:5]
    family, given, middle, prefix, suffix = (escape(x) for x in parts)
    sep = "&" if sub else "^"
    return sep.join(["", family, given, middle, suffix, prefix]).rstrip(sep)


def _ce(code: Code) -> str:
    return "^".join(escape(x) for x in (code.value, code.meaning, code.scheme))


def _section_id(section: Section) -> str:
    """OBX-3: the CID 7001 (LOINC) heading, with our name/title as the alternate identifier."""
    alt = f"{escape(section.name)}^{escape(section.title)}^{LOCAL_SCHEME}"
    if section.code is None:
        return f"^^^{alt}"
    return f"{_ce(section.code)}^{alt}"


def _segment(name: str, fields: list[str]) -> str:
    return "|".join([name, *fields]).rstrip("|")


def _control_id(report: Report, when: dt.datetime) -> str:
    digest = hashlib.sha256(report.id.encode("utf-8")).hexdigest()[:6].upper()
    return f"{when.strftime('%Y%m%d%H%M%S')}{digest}"


def to_hl7(
    report: Report,
    *,
    clock: Clock | None = None,
    pdf: bytes | None = None,
    options: ExportOptions | None = None,
    control_id: str | None = None,
) -> str:
    """The report as an HL7 v2.5.1 ORU^R01 message (segments separated by ``\\r``).

    Encode it as UTF-8 (MSH-18 says so).  ``pdf`` adds an ED OBX with the rendered report.
    """
    options = options or ExportOptions()
    when = now(clock)
    p, s = report.patient, report.study
    if not p.id:
        raise ExportError(f"report {report.id}: HL7 needs the patient id (PID-3 is required)")
    sections = narrative_sections(report)
    if not sections and pdf is None:
        raise ExportError(f"report {report.id}: no section has text; nothing to send")
    status = RESULT_STATUS[report.status]
    msh = "MSH|^~\\&|" + "|".join(
        [
            escape(options.application),
            escape(options.institution),
            "",
            "",
            _ts(when),
            "",
            "ORU^R01^ORU_R01",
            escape(control_id or _control_id(report, when)),
            "P",
            "2.5.1",
            "",
            "",
            "",
            "",
            "",
            "UNICODE UTF-8",
        ]
    )
    pid = [""] * 8
    pid[0] = "1"
    pid[2] = f"{escape(p.id)}^^^^MR"
    pid[4] = _name(p.name) or '""'  # PID-5 is required; "" is HL7's explicit null
    pid[6] = p.birth_date.strftime("%Y%m%d") if p.birth_date else ""
    pid[7] = "" if p.sex is Sex.UNKNOWN else p.sex.value
    pv1 = ["1", "U"]
    accession = escape(s.accession)
    orc = ["RE", "", accession, "", _ORDER_STATUS[report.status]]
    procedure = (
        _ce(report.procedure.code)
        if report.procedure.code is not None
        else f"^{escape(report.procedure.description)}"
        if report.procedure.description
        else _ce(DIAGNOSTIC_IMAGING_REPORT)
    )
    obr = [""] * 33
    obr[0] = "1"
    obr[2] = accession
    obr[3] = procedure
    obr[6] = s.date.strftime("%Y%m%d") if s.date else ""
    obr[15] = _person(s.referring)
    obr[17] = accession
    obr[21] = _ts(report.signed_at or when)
    obr[23] = "RAD"
    obr[24] = status
    interpreter = report.verifier or report.author
    obr[31] = _person(interpreter, sub=True)
    if report.author and report.author != interpreter:
        obr[32] = _person(report.author, sub=True)  # assistant result interpreter
    observed = _ts(report.signed_at or when)
    responsible = _person(report.verifier)
    segments = [
        msh,
        _segment("PID", pid),
        _segment("PV1", pv1),
        _segment("ORC", orc),
        _segment("OBR", obr),
    ]
    number = 0
    if s.study_uid:
        number += 1
        obx = [
            str(number),
            "ST",
            "113014^DICOM Study^DCM",
            "",
            s.study_uid,
            "",
            "",
            "",
            "",
            "",
            status,
        ]
        segments.append(_segment("OBX", obx))
    for section in sections:
        number += 1
        obx = [
            str(number), "FT", _section_id(section), "", escape(section.text, formatted=True),
            "", "", "", "", "", status, "", "", observed, "", responsible,
        ]  # fmt: skip
        segments.append(_segment("OBX", obx))
    if pdf is not None:
        if not pdf.startswith(b"%PDF-"):
            raise ExportError(f"report {report.id}: the PDF to embed does not start with %PDF-")
        data = base64.b64encode(pdf).decode("ascii")
        obx = [
            str(number + 1), "ED", _ce(DIAGNOSTIC_IMAGING_REPORT), "",
            f"^application^pdf^Base64^{data}", "", "", "", "", "", status, "", "", observed,
        ]  # fmt: skip
        segments.append(_segment("OBX", obx))
    return SEGMENT_SEPARATOR.join(segments) + SEGMENT_SEPARATOR
