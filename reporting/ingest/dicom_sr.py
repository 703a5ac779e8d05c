"""Read DICOM Structured Reports (Basic Text, Enhanced, Comprehensive) into a Report.

Encapsulated PDF and CDA reports are read too (PDF text through ``pdftotext``).

Our own TID 2000 documents come back section for section: each CONTAINS container is a
section (name from its CID 7001 or local ``99RPT`` heading code), its TEXT items joined with a
blank line.  SR from other systems is read the same way: a container becomes a section titled
with its concept name, a text item directly under the root becomes a section of its own,
nested containers become headed blocks, and CONTINUOUS containers run their items together.
Content items referenced by position (by-reference relationships) are not followed, and the
depth is bounded, so a document with a reference loop cannot hang the reader.

Documents without narrative text (a TID 1500 measurement report) and files that are not SR
raise :class:`IngestError` saying why.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import Dataset

from reporting.coding import SECTION_CODES, SECTION_NAMES, Code
from reporting.errors import IngestError, ModelError, ReportingError
from reporting.ingest.items import Item
from reporting.model import Patient, Procedure, Report, Section, Sex, Status, Study

__all__ = ["read_sr", "iter_sr_reports", "SR_STORAGE_CLASSES"]

log = logging.getLogger(__name__)

#: SOP classes whose content tree we read (Basic Text, Enhanced, Comprehensive, Comprehensive 3D,
#: Extensible, Key Object Selection is excluded: it carries no report text).
SR_STORAGE_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR",
    "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
    "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
    "1.2.840.10008.5.1.4.1.1.88.35": "Extensible SR",
}
_MAX_DEPTH = 32
_LOCAL_SCHEME = "99RPT"
_MEASUREMENT_REPORT = ("126000", "DCM")
#: LOINC heading code -> our section name (first listed wins: 55111-9 -> examination).
_BY_CODE: dict[tuple[str, str], str] = {}
for _name, _code in SECTION_CODES.items():
    _BY_CODE.setdefault((_code.value, _code.scheme), _name)
_SECOND_USE = {"examination": "technique"}


@dataclass(frozen=True, slots=True)
class _Node:
    value_type: str
    relationship: str
    concept: tuple[str, str, str] | None  # value, scheme, meaning
    dataset: Dataset


def read_sr(
    source: str | os.PathLike[str] | bytes | Dataset, *, where: str | None = None
) -> Report:
    """Read one SR (a path, the file's bytes, or a pydicom Dataset) into a :class:`Report`."""
    ds, name = _load(source, where)
    try:
        return _report(ds, name)
    except IngestError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, ModelError) as exc:
        raise IngestError(
            f"{name}: malformed structured report ({type(exc).__name__}: {exc})"
        ) from None


def iter_sr_reports(paths: list[str | os.PathLike[str]]) -> Iterator[Item]:
    """One :class:`Item` per file: the report, or the reason it could not be read."""
    for path in paths:
        try:
            yield Item(source=str(path), report=read_sr(path))
        except IngestError as exc:
            yield Item(source=str(path), error=exc.one_line())


def _load(
    source: str | os.PathLike[str] | bytes | Dataset, where: str | None
) -> tuple[Dataset, str]:
    import io

    import pydicom
    from pydicom.errors import InvalidDicomError

    if isinstance(source, Dataset):
        return source, where or "dataset"
    name = where or ("DICOM bytes" if isinstance(source, bytes) else str(source))
    try:
        if isinstance(source, bytes):
            ds = pydicom.dcmread(io.BytesIO(source), force=False)
        else:
            ds = pydicom.dcmread(Path(source), force=False)
        _check_complete(ds, name)
    except FileNotFoundError:
        raise IngestError(f"{name}: file not found") from None
    except InvalidDicomError:
        raise IngestError(f"{name}: not a DICOM file (no DICM marker)") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, LookupError) as exc:
        raise IngestError(
            f"{name}: unreadable or truncated DICOM ({type(exc).__name__}: {exc})"
        ) from None
    return ds, name


def _check_complete(ds: Dataset, name: str) -> None:
    """pydicom reads a cut-off file silently; a value shorter than its length means truncation."""
    from pydicom.dataelem import RawDataElement

    for tag in list(ds.keys()):
        raw = ds.get_item(tag)
        if (
            isinstance(raw, RawDataElement)
            and isinstance(raw.value, bytes)
            and raw.length != 0xFFFFFFFF
            and len(raw.value) < raw.length
        ):
            raise IngestError(f"{name}: truncated DICOM file (element {tag} is cut off)")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _pn_text(value: Any) -> str:
    """A PN value as text; a single component marked by one trailing caret loses the caret."""
    text = _text(value)
    if text.endswith("^") and text.count("^") == 1:
        return text[:-1]
    return text


def _concept(item: Dataset) -> tuple[str, str, str] | None:
    seq = item.get("ConceptNameCodeSequence")
    if not seq:
        return None
    c = seq[0]
    return (_text(c.get("CodeValue") or c.get("LongCodeValue") or c.get("URNCodeValue")),
            _text(c.get("CodingSchemeDesignator")), _text(c.get("CodeMeaning")))  # fmt: skip


def _children(item: Dataset) -> list[_Node]:
    out = []
    for child in item.get("ContentSequence") or []:
        if "ReferencedContentItemIdentifier" in child:
            continue  # by-reference relationship: the target is read where it stands
        out.append(
            _Node(
                value_type=_text(child.get("ValueType")).upper(),
                relationship=_text(child.get("RelationshipType")).upper(),
                concept=_concept(child),
                dataset=child,
            )
        )
    return out


def _value(node: _Node) -> str:
    """The readable value of a non-container item ('' for images, coordinates ...)."""
    ds, vt = node.dataset, node.value_type
    if vt == "TEXT":
        return _text(ds.get("TextValue"))
    if vt == "CODE":
        seq = ds.get("ConceptCodeSequence")
        return _text(seq[0].get("CodeMeaning")) if seq else ""
    if vt == "NUM":
        seq = ds.get("MeasuredValueSequence")
        if not seq:
            return ""
        mv = seq[0]
        unit_seq = mv.get("MeasurementUnitsCodeSequence")
        unit = _text(unit_seq[0].get("CodeValue")) if unit_seq else ""
        number = _text(mv.get("NumericValue"))
        return f"{number} {unit}".strip() if unit not in ("1", "{-}") else number
    if vt == "PNAME":
        return _person(_text(ds.get("PersonName")))
    if vt in ("DATE", "TIME", "DATETIME"):
        key = {"DATE": "Date", "TIME": "Time", "DATETIME": "DateTime"}[vt]
        return _text(ds.get(key))
    return ""


def _person(pn: str) -> str:
    parts = [p for p in pn.split("^") if p]
    if len(parts) >= 2:
        return " ".join([*parts[1:], parts[0]])
    return pn


def _render(node: _Node, depth: int) -> str:
    """Text of a container: SEPARATE items as paragraphs, CONTINUOUS items run together."""
    if depth > _MAX_DEPTH:
        raise IngestError(f"content tree deeper than {_MAX_DEPTH} levels")
    continuous = _text(node.dataset.get("ContinuityOfContent")).upper() == "CONTINUOUS"
    parts: list[str] = []
    for child in _children(node.dataset):
        if child.relationship not in ("CONTAINS", ""):
            continue
        if child.value_type == "CONTAINER":
            body = _render(child, depth + 1)
            title = child.concept[2] if child.concept else ""
            if body:
                parts.append(f"{title}:\n{body}" if title and not continuous else body)
            continue
        value = _value(child)
        if value:
            parts.append(value)
    if continuous:
        joined = ""
        for piece in parts:
            if (
                joined
                and not joined.endswith((" ", "\n"))
                and not piece.startswith((" ", ".", ",", ";", ":", "\n"))
            ):
                joined += " "
            joined += piece
        return joined
    return "\n\n".join(parts)


def _has_text(item: Dataset, depth: int = 0) -> bool:
    if depth > _MAX_DEPTH:
        return False
    for child in _children(item):
        if child.value_type == "TEXT" and _text(child.dataset.get("TextValue")).strip():
            return True
        if child.value_type == "CONTAINER" and _has_text(child.dataset, depth + 1):
            return True
    return False


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    if not slug:
        return "other"
    return slug if slug[0].isalpha() else f"section_{slug}"


def _section_name(concept: tuple[str, str, str] | None, seen: set[str]) -> tuple[str, str]:
    """(name, title) for a section heading concept."""
    if concept is None:
        return ("other", "")
    value, scheme, meaning = concept
    if scheme == _LOCAL_SCHEME and re.fullmatch(r"[a-z][a-z0-9_]*", value):
        return (value, meaning)
    name = _BY_CODE.get((value, scheme))
    if name is not None:
        if name in seen and name in _SECOND_USE:
            name = _SECOND_USE[name]
        return (name, SECTION_NAMES.get(name, meaning))
    from reporting.sectioning import canonical_section

    try:
        canonical = canonical_section(meaning)
    except ReportingError as exc:  # a broken lexicon must not stop reading
        log.warning("section lexicon unavailable: %s", exc.title)
        canonical = None
    return (canonical or _slug(meaning), meaning)


def _sections(root: Dataset) -> list[Section]:
    sections: list[Section] = []
    seen: set[str] = set()
    for child in _children(root):
        if child.relationship not in ("CONTAINS", ""):
            continue
        if child.value_type == "CONTAINER":
            text = _render(child, 1)
            concept = child.concept
            if concept is None:  # unnamed container: title from its first named item
                inner = next((c.concept for c in _children(child.dataset) if c.concept), None)
                concept = inner
        else:
            text = _value(child)
            concept = child.concept
        if not text.strip():
            continue
        name, title = _section_name(concept, seen)
        prev = sections[-1] if sections else None
        if (
            prev is not None
            and child.value_type != "CONTAINER"
            and prev.title == title
            and prev.name == name
        ):
            sections[-1] = Section(name=name, title=title, text=f"{prev.text}\n\n{text}")
            continue
        seen.add(name)
        sections.append(Section(name=name, title=title or SECTION_NAMES.get(name, name), text=text))
    return sections


def _observer(root: Dataset) -> str:
    for child in _children(root):
        if child.relationship == "HAS OBS CONTEXT" and child.value_type == "PNAME":
            return _pn_text(child.dataset.get("PersonName"))
    return ""


def _procedure(root: Dataset, ds: Dataset) -> Procedure:
    for child in _children(root):
        if (
            child.relationship == "HAS CONCEPT MOD"
            and child.concept
            and child.concept[:2] == ("121058", "DCM")
        ):
            seq = child.dataset.get("ConceptCodeSequence")
            if seq:
                c = seq[0]
                code = Code(
                    _text(c.CodeValue), _text(c.CodingSchemeDesignator), _text(c.get("CodeMeaning"))
                )
                return Procedure(
                    description=_text(ds.get("StudyDescription")) or code.meaning, code=code
                )
    return Procedure(description=_text(ds.get("StudyDescription")))


def _da(raw: str) -> dt.date | None:
    """A DICOM DA value (``YYYYMMDD``) as a date; None when empty or invalid."""
    try:
        return dt.datetime.strptime(raw.strip()[:8], "%Y%m%d").date() if raw.strip() else None
    except ValueError:
        return None


def _study(ds: Dataset) -> Study:
    uid = _text(ds.get("StudyInstanceUID"))
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", uid) or len(uid) > 64:
        uid = ""
    try:
        date = _da(_text(ds.get("StudyDate")))
        return Study(
            accession=_text(ds.get("AccessionNumber")),
            study_uid=uid,
            date=date,
            referring=_text(ds.get("ReferringPhysicianName")),
        )
    except ModelError:
        return Study(accession=_text(ds.get("AccessionNumber")), study_uid=uid,
                     referring=_text(ds.get("ReferringPhysicianName")))  # fmt: skip


def _patient(ds: Dataset) -> Patient:
    try:
        sex = Sex.parse(_text(ds.get("PatientSex")))
    except ModelError:
        sex = Sex.UNKNOWN
    name, pid = _text(ds.get("PatientName")), _text(ds.get("PatientID"))
    try:
        return Patient(
            name=name, id=pid, birth_date=_da(_text(ds.get("PatientBirthDate"))), sex=sex
        )
    except ModelError:
        return Patient(name=name, id=pid, sex=sex)


def _status(ds: Dataset, sections: list[Section]) -> tuple[Status, str]:
    verified = _text(ds.get("VerificationFlag")).upper() == "VERIFIED"
    complete = _text(ds.get("CompletionFlag")).upper() == "COMPLETE"
    verifier = ""
    observers = ds.get("VerifyingObserverSequence") or []
    if observers:
        verifier = _pn_text(observers[-1].get("VerifyingObserverName"))
    if verified:
        amended = "PredecessorDocumentsSequence" in ds and any(
            s.name == "addendum" for s in sections
        )
        return (Status.AMENDED if amended else Status.FINAL, verifier or "unknown")
    return (Status.PRELIMINARY if complete else Status.DRAFT, verifier)


_ENCAPSULATED = {"1.2.840.10008.5.1.4.1.1.104.1": "PDF", "1.2.840.10008.5.1.4.1.1.104.2": "CDA"}


def _encapsulated(ds: Dataset, name: str, kind: str) -> Report:
    """An Encapsulated PDF or CDA report: its text via pdftotext or the CDA narrative."""
    from reporting.ingest.documents import cda_sections, pdf_text

    data = bytes(ds.get("EncapsulatedDocument") or b"")
    length = ds.get("EncapsulatedDocumentLength")
    if length:
        data = data[: int(length)]
    if not data:
        raise IngestError(f"{name}: encapsulated {kind} document is empty")
    context = {
        "id": _text(ds.get("SOPInstanceUID")) or name,
        "procedure": Procedure(
            description=_text(ds.get("DocumentTitle") or ds.get("StudyDescription"))
        ),
        "patient": _patient(ds),
        "study": _study(ds),
    }
    if kind == "PDF":
        return Report.from_text(pdf_text(data.rstrip(b"\x00"), name), **context)
    sections = cda_sections(data.rstrip(b"\x00").decode("utf-8", errors="replace"), name)
    return Report.from_sections(sections, **context)


def _report(ds: Dataset, name: str) -> Report:
    sop_class = _text(ds.get("SOPClassUID"))
    meta = getattr(ds, "file_meta", None)
    declared = _text(meta.get("MediaStorageSOPClassUID")) if meta is not None else ""
    if not sop_class and declared:
        raise IngestError(f"{name}: the file ends before its SOP Class UID (truncated DICOM file)")
    if sop_class in _ENCAPSULATED:
        return _encapsulated(ds, name, _ENCAPSULATED[sop_class])
    if sop_class not in SR_STORAGE_CLASSES:
        try:
            from pydicom.uid import UID

            kind = UID(sop_class).name if sop_class else "no SOP class"
        except ValueError:
            kind = sop_class
        raise IngestError(f"{name}: not a structured report ({kind})")
    if ds.get("ValueType") != "CONTAINER" or "ContentSequence" not in ds:
        hint = " (truncated file?)" if "SOPInstanceUID" not in ds or "ContentDate" not in ds else ""
        raise IngestError(f"{name}: structured report without a content tree{hint}")
    root_concept = _concept(ds)
    if root_concept and root_concept[:2] == _MEASUREMENT_REPORT:
        raise IngestError(
            f"{name}: a TID 1500 imaging measurement report holds measurements, not report text"
        )
    if not _has_text(ds):
        what = root_concept[2] if root_concept else "untitled document"
        raise IngestError(f"{name}: '{what}' has no narrative text to read")
    sections = _sections(ds)
    if not sections:
        raise IngestError(f"{name}: no section with text under the document root")
    status, verifier = _status(ds, sections)
    observer = _observer(ds)
    report_id = _text(ds.get("SOPInstanceUID")) or name
    return Report.from_sections(
        sections,
        id=report_id,
        procedure=_procedure(ds, ds),
        patient=_patient(ds),
        study=_study(ds),
        author=observer,
        verifier=verifier,
        status=status,
        signed_at=_verified_at(ds) if status in (Status.FINAL, Status.AMENDED) else None,
    )


def _verified_at(ds: Dataset) -> dt.datetime | None:
    observers = ds.get("VerifyingObserverSequence") or []
    if not observers:
        return None
    raw = _text(observers[-1].get("VerificationDateTime"))
    m = re.fullmatch(r"(\d{14})(?:\.\d+)?([+-]\d{4})?", raw)
    if not m:
        return None
    try:
        when = dt.datetime.strptime(m.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    if m.group(2):
        sign = 1 if m.group(2)[0] == "+" else -1
        offset = dt.timedelta(hours=int(m.group(2)[1:3]), minutes=int(m.group(2)[3:5]))
        when = when.replace(tzinfo=dt.timezone(sign * offset))
    return when
