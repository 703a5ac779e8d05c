"""Worklists: the studies waiting for a report, from a JSON file or a folder of DICOM files.

A JSON worklist looks like::

    {"description": "...", "studies": [{"accession": "A1", "patient_name": "Müller^Zoë",
      "patient_id": "P1", "birth_date": "1961-04-02", "sex": "F", "modality": "CR",
      "study_description": "XR CHEST PA AND LATERAL", "body_part": "CHEST",
      "laterality": "", "date": "2026-11-27", "study_uid": "1.2.3", "referring": "Smith^Jo"}]}

Unknown keys are errors naming the file and the key.  A DICOM folder is read header-only
(``stop_before_pixels``); images of one study collapse into one worklist entry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporting.errors import IngestError, ModelError
from reporting.model import Laterality, Patient, Sex, Study
from reporting.resources import read_json

__all__ = ["WorklistEntry", "Worklist", "load_worklist", "entry_from_dataset"]

log = logging.getLogger(__name__)

_REQUIRED = ("accession",)
_KEYS = frozenset(
    {
        "accession",
        "patient_name",
        "patient_id",
        "birth_date",
        "sex",
        "modality",
        "study_description",
        "body_part",
        "laterality",
        "date",
        "study_uid",
        "referring",
        "template",
    }
)


@dataclass(frozen=True, slots=True)
class WorklistEntry:
    """One study to report.  ``template`` is an explicit template id (else it is suggested)."""

    accession: str
    patient_name: str = ""
    patient_id: str = ""
    birth_date: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    modality: str = ""
    study_description: str = ""
    body_part: str = ""
    laterality: Laterality = Laterality.NONE
    date: dt.date | None = None
    study_uid: str = ""
    referring: str = ""
    template: str = ""

    @property
    def display_name(self) -> str:
        """``Müller^Zoë`` shown as ``Müller, Zoë``."""
        family, _, given = self.patient_name.partition("^")
        given = given.replace("^", " ").strip()
        return f"{family}, {given}" if given else family

    @property
    def procedure(self) -> str:
        """The text the template is matched on: description, else body part."""
        return self.study_description or self.body_part

    def haystack(self) -> str:
        """Lower-case text that the worklist filter searches."""
        parts = (
            self.accession,
            self.patient_name,
            self.display_name,
            self.patient_id,
            self.modality,
            self.study_description,
            self.body_part,
            self.laterality.value if self.laterality is not Laterality.NONE else "",
            self.date.isoformat() if self.date else "",
        )
        return " ".join(p for p in parts if p).casefold()

    def matches(self, query: str) -> bool:
        """Every whitespace-separated word of ``query`` occurs somewhere in the entry."""
        hay = self.haystack()
        return all(word in hay for word in query.casefold().split())

    def patient(self) -> Patient:
        return Patient(
            name=self.patient_name, id=self.patient_id, birth_date=self.birth_date, sex=self.sex
        )

    def study(self) -> Study:
        return Study(
            accession=self.accession,
            study_uid=self.study_uid,
            date=self.date,
            referring=self.referring,
        )

    def report_context(self) -> dict[str, Any]:
        """Keyword context for ``Report``/``new_draft``: id, patient, study, procedure ..."""
        return {
            "id": self.accession,
            "patient": self.patient(),
            "study": self.study(),
            "procedure": self.study_description or self.body_part,
            "modality": self.modality,
            "laterality": self.laterality,
        }


@dataclass(frozen=True, slots=True)
class Worklist:
    source: str
    entries: tuple[WorklistEntry, ...]
    skipped: tuple[str, ...] = ()  # files that were not readable DICOM (named, not fatal)

    def filter(self, query: str) -> list[WorklistEntry]:
        return [e for e in self.entries if e.matches(query)]

    def find(self, accession: str) -> WorklistEntry | None:
        return next((e for e in self.entries if e.accession == accession), None)


def load_worklist(path: str | Path) -> Worklist:
    """Read a JSON worklist file or a folder of DICOM files."""
    p = Path(path)
    if p.is_dir():
        return _from_dicom_folder(p)
    if not p.exists():
        raise IngestError(f"{p}: worklist not found")
    return _from_json(p)


# ---------------------------------------------------------------- JSON
def _from_json(path: Path) -> Worklist:
    data = read_json(path, error=IngestError)
    if isinstance(data, Mapping):
        unknown = set(data) - {"description", "studies"}
        if unknown:
            raise IngestError(
                f"{path}: unknown key {sorted(unknown)[0]!r} (expected description, studies)"
            )
        studies = data.get("studies")
    else:
        studies = data
    if not isinstance(studies, list):
        raise IngestError(f"{path}: expected a list of studies under 'studies'")
    entries = []
    seen: set[str] = set()
    for i, item in enumerate(studies):
        where = f"{path}: studies[{i}]"
        entry = _entry_from_mapping(item, where)
        if entry.accession in seen:
            raise IngestError(f"{where}: accession {entry.accession!r} appears twice")
        seen.add(entry.accession)
        entries.append(entry)
    return Worklist(source=str(path), entries=tuple(entries))


def _entry_from_mapping(item: object, where: str) -> WorklistEntry:
    if not isinstance(item, Mapping):
        raise IngestError(f"{where}: expected an object")
    unknown = set(item) - _KEYS
    if unknown:
        raise IngestError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    for key in _REQUIRED:
        if not str(item.get(key) or "").strip():
            raise IngestError(f"{where}: {key!r} is required")
    for key, value in item.items():
        if value is not None and not isinstance(value, str):
            raise IngestError(f"{where}: {key!r} must be a string")
    try:
        return WorklistEntry(
            accession=str(item["accession"]).strip(),
            patient_name=str(item.get("patient_name") or ""),
            patient_id=str(item.get("patient_id") or ""),
            birth_date=_date(item.get("birth_date")),
            sex=Sex.parse(item.get("sex")),
            modality=str(item.get("modality") or "").upper(),
            study_description=str(item.get("study_description") or ""),
            body_part=str(item.get("body_part") or ""),
            laterality=Laterality.parse(item.get("laterality")),
            date=_date(item.get("date")),
            study_uid=str(item.get("study_uid") or ""),
            referring=str(item.get("referring") or ""),
            template=str(item.get("template") or ""),
        )
    except (ModelError, ValueError) as exc:
        raise IngestError(f"{where}: {exc}") from None


def _date(value: object) -> dt.date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    for fmt, width in (("%Y-%m-%d", 10), ("%Y%m%d", 8)):
        try:
            return dt.datetime.strptime(text[:width], fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date like 2026-11-28 or 20261128")


# ---------------------------------------------------------------- DICOM
def _from_dicom_folder(folder: Path) -> Worklist:
    import pydicom
    from pydicom.errors import InvalidDicomError

    by_study: dict[str, WorklistEntry] = {}
    skipped: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError, EOFError):
            skipped.append(str(path))
            continue
        try:
            entry = entry_from_dataset(ds)
        except (ModelError, ValueError) as exc:
            log.warning("skipping %s: %s", path.name, type(exc).__name__)
            skipped.append(str(path))
            continue
        if entry is None:
            skipped.append(str(path))
            continue
        key = entry.study_uid or entry.accession
        if key not in by_study or (
            by_study[key].laterality is Laterality.NONE and entry.laterality is not Laterality.NONE
        ):
            by_study[key] = entry
    if not by_study:
        raise IngestError(f"{folder}: no DICOM studies with an accession number or study UID")
    entries = sorted(
        by_study.values(), key=lambda e: (e.date or dt.date.min, e.accession), reverse=True
    )
    return Worklist(source=str(folder), entries=tuple(entries), skipped=tuple(skipped))


_NOT_IMAGES = frozenset({"SR", "KO", "PR", "DOC"})


def entry_from_dataset(ds: Any) -> WorklistEntry | None:
    """A worklist entry from one DICOM header, or None when it names no study."""
    accession = str(ds.get("AccessionNumber", "") or "").strip()
    study_uid = str(ds.get("StudyInstanceUID", "") or "").strip()
    if not accession and not study_uid:
        return None
    if str(ds.get("Modality", "") or "").upper() in _NOT_IMAGES:
        return None  # reports, key objects and presentation states are not studies to report
    lat = ""
    for keyword in ("Laterality", "ImageLaterality", "FrameLaterality"):
        value = str(ds.get(keyword, "") or "").strip()
        if value and value.upper() != "U":
            lat = value
            break
    try:
        laterality = Laterality.parse(lat)
    except ModelError:
        laterality = Laterality.NONE
    try:
        sex = Sex.parse(str(ds.get("PatientSex", "") or ""))
    except ModelError:
        sex = Sex.UNKNOWN
    return WorklistEntry(
        accession=accession or study_uid,
        patient_name=str(ds.get("PatientName", "") or ""),
        patient_id=str(ds.get("PatientID", "") or ""),
        birth_date=_safe_date(ds.get("PatientBirthDate", "")),
        sex=sex,
        modality=str(ds.get("Modality", "") or "").upper(),
        study_description=str(ds.get("StudyDescription", "") or ""),
        body_part=str(ds.get("BodyPartExamined", "") or ""),
        laterality=laterality,
        date=_safe_date(ds.get("StudyDate", "")),
        study_uid=study_uid if _uid_ok(study_uid) else "",
        referring=str(ds.get("ReferringPhysicianName", "") or ""),
    )


def _safe_date(value: object) -> dt.date | None:
    try:
        return _date(str(value or ""))
    except ValueError:
        return None


def _uid_ok(uid: str) -> bool:
    return bool(uid) and len(uid) <= 64 and all(part.isdigit() for part in uid.split("."))
