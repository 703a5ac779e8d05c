"""Read HL7 v2 result messages (ORU^R01, v2.3 to v2.5.1) into Reports, tolerantly.

Real traffic fails strict parsers, so this reader splits messages itself:

- segments end with ``\\r``, ``\\n`` or ``\\r\\n``; a line that does not start with a segment
  name continues the previous segment (wrapped Base64, stray line breaks);
- delimiters come from MSH-1/MSH-2; escapes (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``, ``\\.br\\``,
  ``\\Xhh\\``) are decoded, formatting commands dropped;
- text is UTF-8, else the MSH-18 character set, else Latin-1;
- batches (FHS/BHS ... BTS/FTS, or simply several MSH) yield one item per message, and a broken
  message becomes an error item while the others come through.

Report text comes from the narrative OBX (TX, FT, ST), else NTE, else an embedded document:
a PDF (text via ``pdftotext``), a CDA document (its section narrative) or a DICOM SR.
Our own messages (see :mod:`reporting.export.hl7v2`) carry section name and title in OBX-3's
alternate identifier and come back section for section.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reporting.coding import SECTION_CODES, SECTION_NAMES, Code
from reporting.errors import IngestError, ModelError
from reporting.ingest.documents import cda_sections, pdf_text, section_name, slug
from reporting.ingest.items import Item
from reporting.model import Patient, Procedure, Report, Section, Sex, Status, Study

__all__ = [
    "read_hl7",
    "iter_hl7_reports",
    "split_messages",
    "unescape",
    "Delimiters",
]

log = logging.getLogger(__name__)

_SEGMENT_START = re.compile(r"^[A-Z][A-Z0-9]{2}(?:[|]|$)")
_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_LOCAL_SCHEME = "99RPT"
_NARRATIVE = {"TX", "FT", "ST", "TEXT"}
#: OBX-3 codes that stand for "the whole report" rather than one section.
_WHOLE_REPORT = {"18782-3", "18748-4", "11526-1", "47045-0", "68604-8", "85430-7"}
#: OBX-3 codes carrying DICOM references, not report text.
_DICOM_REFS = {"113014", "113015", "113012", "121139"}
_STATUS = {"F": Status.FINAL, "C": Status.AMENDED, "P": Status.PRELIMINARY}
_CHARSETS = {
    "UNICODE UTF-8": "utf-8",
    "UNICODE": "utf-8",
    "UTF-8": "utf-8",
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "8859/2": "iso8859-2",
    "ASCII": "ascii",
}
_BY_CODE: dict[tuple[str, str], str] = {}
for _name, _code in SECTION_CODES.items():
    _BY_CODE.setdefault((_code.value, _code.scheme), _name)


@dataclass(frozen=True, slots=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


def unescape(value: str, delims: Delimiters = Delimiters()) -> str:
    """Decode HL7 escape sequences; ``\\.br\\`` becomes a line feed, formatting is dropped."""
    esc = delims.escape
    if not esc or esc not in value:
        return value
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch != esc:
            out.append(ch)
            i += 1
            continue
        end = value.find(esc, i + 1)
        if end < 0:
            out.append(value[i:])
            break
        seq = value[i + 1 : end]
        decoded = _decode_escape(seq, delims)
        if decoded is None:
            out.append(value[i : end + 1])
        else:
            out.append(decoded)
        i = end + 1
    return "".join(out)


def _decode_escape(seq: str, d: Delimiters) -> str | None:
    simple = {"F": d.field, "S": d.component, "T": d.subcomponent, "R": d.repetition, "E": d.escape}
    if seq in simple:
        return simple[seq]
    if seq in ("H", "N"):
        return ""
    low = seq.lower()
    if low == ".br":
        return "\n"
    if low.startswith(".sp"):
        count = low[3:].strip().lstrip("+")
        return "\n" * (int(count) if count.isdigit() else 1)
    if low.startswith((".in", ".ti", ".sk", ".fi", ".nf", ".ce")):
        return "\n" if low.startswith(".ce") else ""
    if seq[:1] == "X" and re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", seq[1:]):
        raw = bytes.fromhex(seq[1:])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if seq[:1] in ("C", "M", "Z"):
        return ""
    return None


# ------------------------------------------------------------------ splitting
@dataclass(frozen=True, slots=True)
class _Message:
    segments: tuple[tuple[str, ...], ...]  # each: raw fields, [0] = segment name
    delims: Delimiters
    index: int

    def all(self, name: str) -> list[tuple[str, ...]]:
        return [s for s in self.segments if s[0] == name]

    def first(self, name: str) -> tuple[str, ...] | None:
        return next((s for s in self.segments if s[0] == name), None)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    head = data[:2048].decode("latin-1")
    charset = "latin-1"
    m = re.search(r"MSH(.)", head)
    if m:
        line = re.split(r"[\r\n]", head[m.start() :], maxsplit=1)[0]
        parts = line.split(m.group(1))
        declared = parts[17].split("~")[0].strip().upper() if len(parts) > 17 else ""
        charset = _CHARSETS.get(declared, "latin-1")
    if charset == "utf-8":  # declared UTF-8 but it is not: the usual culprit is Windows-1252
        charset = "cp1252"
    return data.decode(charset, errors="replace")


def _lines(text: str) -> list[str]:
    lines: list[str] = []
    text = text.replace("\x0b", "").replace("\x1c", "")  # MLLP framing from captured traffic
    for raw in re.split(r"\r\n|\r|\n", text):
        if not raw.strip():
            continue
        if not _SEGMENT_START.match(raw) and _SEGMENT_START.match(raw.lstrip()):
            raw = raw.lstrip()
        if _SEGMENT_START.match(raw) or not lines:
            lines.append(raw)
        else:
            lines[-1] += "\n" + raw  # a wrapped or broken segment continues
    return lines


def split_messages(data: bytes | str) -> list[list[str]]:
    """The messages in ``data`` as lists of segment lines (batch envelopes dropped)."""
    text = _decode(data)
    if "\x00" in text[:4096]:
        raise IngestError("binary data, not an HL7 message")
    messages: list[list[str]] = []
    for line in _lines(text):
        name = line[:3]
        if name == "MSH":
            messages.append([line])
        elif name in ("FHS", "BHS", "BTS", "FTS"):
            continue
        elif messages:
            messages[-1].append(line)
    if not messages:
        raise IngestError("no HL7 message found (no MSH segment)")
    return messages


def _parse(lines: list[str], index: int) -> _Message:
    msh = lines[0]
    if len(msh) < 8:
        raise IngestError("MSH segment too short to name its delimiters")
    fs = msh[3]
    enc = msh[4:8].split(fs)[0]
    delims = Delimiters(
        field=fs,
        component=enc[0] if len(enc) > 0 else "^",
        repetition=enc[1] if len(enc) > 1 else "~",
        escape=enc[2] if len(enc) > 2 else "\\",
        subcomponent=enc[3] if len(enc) > 3 else "&",
    )
    segments = []
    for line in lines:
        parts = line.split(fs)
        if parts[0] == "MSH":
            parts = ["MSH", fs, *parts[1:]]  # MSH-1 is the separator itself
        segments.append(tuple(parts))
    return _Message(tuple(segments), delims, index)


def _field(seg: tuple[str, ...] | None, n: int) -> str:
    if seg is None or n >= len(seg) or seg[n] == '""':  # "" is HL7's explicit null
        return ""
    return seg[n]


def _comps(raw: str, d: Delimiters) -> list[str]:
    """Components of the first repetition, unescaped."""
    first = raw.split(d.repetition)[0] if d.repetition else raw
    return [unescape(c, d) for c in first.split(d.component)]


def _comp(raw: str, d: Delimiters, i: int) -> str:
    comps = _comps(raw, d)
    return comps[i] if i < len(comps) else ""


def _sub(value_raw: str, d: Delimiters) -> list[str]:
    return [unescape(s, d) for s in value_raw.split(d.subcomponent)]


def _text(raw: str, d: Delimiters) -> str:
    """A whole text field: repetitions are lines, components kept as written."""
    reps = raw.split(d.repetition) if d.repetition else [raw]
    return "\n".join(unescape(r, d) for r in reps)


# ------------------------------------------------------------------ people, dates
def _pn_from_parts(family: str, given: str, middle: str, suffix: str, prefix: str) -> str:
    return "^".join([family, given, middle, prefix, suffix]).rstrip("^")


def _xpn(raw: str, d: Delimiters) -> str:
    c = [c.split(d.subcomponent)[0] for c in _raw_comps(raw, d)] + [""] * 6
    return _pn_from_parts(*(unescape(x, d) for x in c[:5]))


def _raw_comps(raw: str, d: Delimiters) -> list[str]:
    first = raw.split(d.repetition)[0] if d.repetition else raw
    return first.split(d.component)


def _xcn(raw: str, d: Delimiters) -> str:
    """XCN ``id^family^given^middle^suffix^prefix`` as a DICOM-style person name."""
    c = [unescape(x.split(d.subcomponent)[0], d) for x in _raw_comps(raw, d)] + [""] * 7
    return _pn_from_parts(c[1], c[2], c[3], c[4], c[5])


def _ndl(raw: str, d: Delimiters) -> str:
    """NDL (OBR-32/33): first component is CNN with subcomponents ``id&family&given...``."""
    first = _raw_comps(raw, d)[0]
    s = _sub(first, d) + [""] * 7
    return _pn_from_parts(s[1], s[2], s[3], s[4], s[5])


def _timestamp(raw: str) -> dt.datetime | None:
    """HL7 DTM ``YYYYMMDDHHMM[SS][.S][+/-ZZZZ]`` as a datetime (None when unusable)."""
    m = re.fullmatch(r"(\d{12})(\d{2})?(?:\.\d+)?([+-]\d{4})?", raw.strip())
    if not m:
        return None
    try:
        when = dt.datetime.strptime(m.group(1) + (m.group(2) or "00"), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    if m.group(3):
        sign = 1 if m.group(3)[0] == "+" else -1
        offset = dt.timedelta(hours=int(m.group(3)[1:3]), minutes=int(m.group(3)[3:5]))
        when = when.replace(tzinfo=dt.timezone(sign * offset))
    return when


def _date(raw: str) -> dt.date | None:
    m = re.match(r"(\d{8})", raw.strip())
    if not m:
        return None
    try:
        return dt.datetime.strptime(m.group(1), "%Y%m%d").date()
    except ValueError:
        return None


# ------------------------------------------------------------------ content
@dataclass(frozen=True, slots=True)
class _Obs:
    value_type: str
    code: str
    meaning: str
    scheme: str
    alt_code: str
    alt_meaning: str
    alt_scheme: str
    text: str
    responsible: str = ""


def _observations(msg: _Message) -> tuple[list[_Obs], list[tuple[str, str, str, str]], str]:
    """Narrative observations, embedded documents (type, subtype, encoding, data), study UID."""
    d = msg.delims
    narrative: list[_Obs] = []
    documents: list[tuple[str, str, str, str]] = []
    study_uid = ""
    for seg in msg.all("OBX"):
        vt = _field(seg, 2).split(d.component)[0].strip().upper()
        ident = _comps(_field(seg, 3), d) + [""] * 6
        raw_value = _field(seg, 5)
        if vt == "ED":
            parts = raw_value.split(d.component, 4)
            if len(parts) == 5:
                documents.append(
                    (
                        parts[1].strip().lower(),
                        parts[2].strip().lower(),
                        parts[3].strip().lower(),
                        unescape(parts[4], d),
                    )
                )
            continue
        if vt not in _NARRATIVE:
            continue
        text = _text(raw_value, d)
        is_uid = _UID.match(text.strip()) is not None
        if ident[0] in _DICOM_REFS or "instance uid" in ident[1].lower() or (vt == "ST" and is_uid):
            if ident[0] == "113014" and is_uid and not study_uid:
                study_uid = text.strip()
            continue
        narrative.append(
            _Obs(
                vt,
                ident[0],
                ident[1],
                ident[2],
                ident[3],
                ident[4],
                ident[5],
                text,
                _xcn(_field(seg, 16), d),
            )
        )
    return narrative, documents, study_uid


def _join(lines: list[str]) -> str:
    return "\n".join(lines)


def _content(obs: list[_Obs]) -> tuple[list[Section] | None, str]:
    """Sections when the message names them, else the free text to split by headings."""
    if obs and all(
        o.alt_scheme == _LOCAL_SCHEME and re.fullmatch(r"[a-z][a-z0-9_]*", o.alt_code) for o in obs
    ):
        sections: list[Section] = []
        for o in obs:
            if sections and sections[-1].name == o.alt_code and sections[-1].title == o.alt_meaning:
                prev = sections[-1]
                sections[-1] = Section(
                    name=prev.name, title=prev.title, text=prev.text + "\n" + o.text
                )
            else:
                sections.append(Section(name=o.alt_code, title=o.alt_meaning, text=o.text))
        return sections, ""
    groups: list[tuple[_Obs, list[str]]] = []
    for o in obs:
        key = (o.code, o.meaning)
        if groups and (groups[-1][0].code, groups[-1][0].meaning) == key:
            groups[-1][1].append(o.text)
        else:
            groups.append((o, [o.text]))
    specific = [
        g for g in groups
        if g[0].meaning and g[0].code not in _WHOLE_REPORT
        and ((g[0].code, g[0].scheme) in _BY_CODE or section_name(g[0].meaning) or len(groups) > 1)
    ]  # fmt: skip
    if not specific:
        return None, _join([_join(lines) for _, lines in groups])
    sections = []
    for o, lines in groups:
        body = _join(lines).strip("\n")
        if not body.strip():
            continue
        if o.code in _WHOLE_REPORT or not o.meaning:
            name, title = "other", SECTION_NAMES.get("other", "Report")
        else:
            name = _BY_CODE.get((o.code, o.scheme)) or section_name(o.meaning) or slug(o.meaning)
            title = o.meaning
        sections.append(Section(name=name, title=title, text=body))
    return sections, ""


def _embedded(
    documents: list[tuple[str, str, str, str]], where: str
) -> tuple[list[Section] | None, str]:
    for kind, subtype, encoding, data in documents:
        mime = f"{kind}/{subtype}" if "/" not in subtype else subtype
        raw: bytes
        if encoding == "base64":
            try:
                raw = base64.b64decode(re.sub(r"\s+", "", data), validate=False)
            except (binascii.Error, ValueError):
                raise IngestError(f"{where}: the embedded {mime} is not valid Base64") from None
        elif encoding == "hex":
            try:
                raw = bytes.fromhex(re.sub(r"\s+", "", data))
            except ValueError:
                raise IngestError(f"{where}: the embedded {mime} is not valid hex") from None
        else:
            raw = data.encode("utf-8")
        if "pdf" in mime or raw.startswith(b"%PDF-"):
            return None, pdf_text(raw, where)
        if "xml" in mime or raw.lstrip().startswith(b"<"):
            return cda_sections(raw.decode("utf-8", errors="replace"), where), ""
        if "dicom" in mime or raw[128:132] == b"DICM":
            from reporting.ingest.dicom_sr import read_sr

            sr = read_sr(raw, where=f"{where} (embedded DICOM)")
            return list(sr.sections), ""
        if kind == "text" or "text" in mime:
            return None, raw.decode("utf-8", errors="replace")
    return None, ""


# ------------------------------------------------------------------ report
def _message_type(msg: _Message) -> tuple[str, str]:
    c = _comps(_field(msg.first("MSH"), 9), msg.delims) + ["", ""]
    return c[0].strip().upper(), c[1].strip().upper()


def _to_report(msg: _Message, where: str) -> Report:
    d = msg.delims
    kind, event = _message_type(msg)
    if kind != "ORU":
        what = {"OMI": "an imaging order", "ORM": "an order", "OMG": "an order", "ADT": "a patient administration message", "ACK": "an acknowledgement"}.get(kind, "not a result message")  # fmt: skip
        raise IngestError(
            f"{where}: {kind or '?'}^{event or '?'} is {what}, not a report (expected ORU^R01)"
        )
    pid = msg.first("PID")
    obr = msg.first("OBR")
    narrative, documents, study_uid = _observations(msg)
    sections, free_text = _content(narrative) if narrative else (None, "")
    if sections is None and not free_text.strip():
        start = next((i for i, s in enumerate(msg.segments) if s[0] == "OBR"), len(msg.segments))
        notes = [_text(_field(s, 3), d) for s in msg.segments[start:] if s[0] == "NTE"]
        free_text = "\n".join(n for n in notes if n.strip())
    if sections is None and not free_text.strip() and documents:
        sections, free_text = _embedded(documents, where)
    if not sections and not free_text.strip():
        kinds = sorted({_field(s, 2) for s in msg.all("OBX")} - {""})
        detail = f" (only {', '.join(kinds)} observations)" if kinds else " (no OBX segments)"
        raise IngestError(f"{where}: ORU message without report text{detail}")
    try:
        patient = _patient(pid, d)
    except ModelError:
        patient = Patient()
    status_code = _field(obr, 25).strip().upper()[:1] or next(
        (_field(s, 11).strip().upper()[:1] for s in msg.all("OBX") if _field(s, 11).strip()), ""
    )
    status = _STATUS.get(status_code, Status.PRELIMINARY)
    principal = _ndl(_field(obr, 32), d) if obr else ""
    assistant = _ndl(_field(obr, 33), d) if obr else ""
    responsible = next((o.responsible for o in narrative if o.responsible), "")
    verifier = responsible or principal
    if status in (Status.FINAL, Status.AMENDED) and not verifier:
        verifier = "unknown"
    if status not in (Status.FINAL, Status.AMENDED):
        verifier = ""
    procedure = _procedure(_field(obr, 4), d)
    accession = _comp(_field(obr, 18), d, 0) or _comp(_field(obr, 3), d, 0)
    study_date = _date(_field(obr, 7))
    try:
        study = Study(accession=accession, study_uid=study_uid if len(study_uid) <= 64 else "", date=study_date,
                      referring=_xcn(_field(obr, 16), d))  # fmt: skip
    except ModelError:
        study = Study(accession=accession, referring=_xcn(_field(obr, 16), d))
    report_id = (
        _comp(_field(msg.first("MSH"), 10), d, 0) or accession or f"hl7-message-{msg.index + 1}"
    )
    context = {
        "id": report_id,
        "patient": patient,
        "study": study,
        "procedure": procedure,
        "author": assistant or principal,
        "verifier": verifier,
        "status": status,
        "signed_at": _timestamp(_field(obr, 22))
        if status in (Status.FINAL, Status.AMENDED)
        else None,
    }
    try:
        if sections:
            return Report.from_sections(sections, **context)
        return Report.from_text(free_text.strip("\n") + "\n", **context)
    except ModelError as exc:
        raise IngestError(f"{where}: {exc}") from None


def _patient(pid: tuple[str, ...] | None, d: Delimiters) -> Patient:
    if pid is None:
        return Patient()
    try:
        sex = Sex.parse(_comp(_field(pid, 8), d, 0))
    except ModelError:
        sex = Sex.UNKNOWN
    name = _xpn(_field(pid, 5), d)
    pid_id = _comp(_field(pid, 3), d, 0) or _comp(_field(pid, 2), d, 0)
    birth = _date(_field(pid, 7))
    try:
        return Patient(name=name, id=pid_id, birth_date=birth, sex=sex)
    except ModelError:
        return Patient(name=name, id=pid_id, sex=sex)


def _procedure(raw: str, d: Delimiters) -> Procedure:
    c = _comps(raw, d) + ["", "", ""]
    value, meaning, scheme = c[0].strip(), c[1].strip(), c[2].strip()
    if value:
        return Procedure(description=meaning or value, code=Code(value, scheme or "L", meaning))
    return Procedure(description=meaning)


def iter_hl7_reports(data: bytes | str, source: str) -> Iterator[Item]:
    """One :class:`Item` per message in ``data`` (a single message or a batch file).

    Each ORU^R01 becomes a report; a broken or non-result message becomes an error item naming
    ``source`` and the message number, and the next message is still read.
    """
    try:
        messages = split_messages(data)
    except IngestError as exc:
        yield Item(source=source, error=f"{exc.title}: {source}: {exc.message}")
        return
    many = len(messages) > 1
    for i, lines in enumerate(messages):
        where = f"{source}#{i + 1}" if many else source
        try:
            yield Item(source=where, report=_to_report(_parse(lines, i), where))
        except IngestError as exc:
            yield Item(source=where, error=exc.one_line())
        except (ValueError, IndexError, KeyError) as exc:
            yield Item(
                source=where,
                error=f"Cannot read input: {where}: malformed message ({type(exc).__name__})",
            )


def read_hl7(data: bytes | str, *, where: str = "HL7 message") -> Report:
    """Read exactly one ORU^R01 message into a :class:`Report` (IngestError otherwise)."""
    try:
        messages = split_messages(data)
    except IngestError as exc:
        raise IngestError(f"{where}: {exc.message}") from None
    if len(messages) != 1:
        raise IngestError(f"{where}: holds {len(messages)} messages; read it with iter_hl7_reports")
    try:
        return _to_report(_parse(messages[0], 0), where)
    except (ValueError, IndexError, KeyError) as exc:
        raise IngestError(f"{where}: malformed message ({type(exc).__name__})") from None
