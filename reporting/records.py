"""The report record: the JSON exchange format (one object per report) used by the CLI and services.

``to_record(report)`` and ``from_record(obj)`` round-trip losslessly.  Only ``id`` and ``text``
(or ``sections``) are required; top-level ``sex`` and ``age`` are shorthands for the patient's.
The JSON Schema is :data:`RECORD_SCHEMA` (also printed by ``reporting schema``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from reporting.coding import Code
from reporting.errors import ModelError, RecordError
from reporting.model import FieldValue, Patient, Procedure, Report, Section, Sex, Study

__all__ = ["RECORD_SCHEMA", "from_record", "to_record", "loads_record", "dumps_record"]

_TOP_KEYS = {
    "id", "text", "modality", "procedure", "procedure_code", "laterality", "sex", "age",
    "template", "patient", "study", "author", "verifier", "status", "sections", "signed_at",
}  # fmt: skip
_PATIENT_KEYS = {"name", "id", "birth_date", "sex"}
_STUDY_KEYS = {"accession", "study_uid", "date", "referring"}
_SECTION_KEYS = {"name", "title", "text", "code", "fields", "start"}
_FIELD_KEYS = {"id", "value", "unit"}

_CODE_SCHEMA = {
    "type": "object",
    "required": ["value", "scheme"],
    "properties": {
        "value": {"type": "string"},
        "scheme": {"type": "string"},
        "meaning": {"type": "string"},
    },
    "additionalProperties": False,
}

#: JSON Schema (draft 2020-12) of a report record.
RECORD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "reporting report record",
    "type": "object",
    "required": ["id"],
    "anyOf": [{"required": ["text"]}, {"required": ["sections"]}],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1, "description": "unique report id"},
        "text": {
            "type": "string",
            "description": "the report text; split into sections by heading when 'sections' is absent",
        },
        "modality": {
            "type": "string",
            "description": "DICOM modality (CR, DX, CT, MR, US, MG, ...)",
        },
        "procedure": {
            "type": "string",
            "description": "ordered procedure description, e.g. 'XR KNEE LEFT 3 VIEWS'",
        },
        "procedure_code": _CODE_SCHEMA,
        "laterality": {
            "enum": ["left", "right", "bilateral", "none"],
            "description": "ordered side",
        },
        "sex": {"enum": ["F", "M", "O", "U"], "description": "shorthand for patient.sex"},
        "age": {
            "type": "integer",
            "minimum": 0,
            "maximum": 150,
            "description": "age in years at the study",
        },
        "template": {
            "type": "string",
            "description": "template id; matched from procedure/modality when absent",
        },
        "patient": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "description": "DICOM PN style, e.g. 'Müller^Zoë'"},
                "id": {"type": "string"},
                "birth_date": {"type": "string", "format": "date"},
                "sex": {"enum": ["F", "M", "O", "U"]},
            },
        },
        "study": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "accession": {"type": "string"},
                "study_uid": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)*$", "maxLength": 64},
                "date": {"type": "string", "format": "date"},
                "referring": {"type": "string"},
            },
        },
        "author": {"type": "string"},
        "verifier": {"type": "string"},
        "status": {"enum": ["draft", "preliminary", "final", "amended"]},
        "signed_at": {"type": "string", "format": "date-time"},
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "title": {"type": "string"},
                    "text": {"type": "string"},
                    "code": _CODE_SCHEMA,
                    "start": {"type": "integer", "minimum": 0},
                    "fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string"},
                                "value": {"type": ["string", "number", "boolean", "null"]},
                                "unit": {"type": ["string", "null"]},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _check_keys(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(obj) - allowed
    if unknown:
        raise RecordError(f"{where}: unknown key {sorted(unknown)[0]!r}")


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RecordError(f"{where}: {key!r} must be a string")
    return str(value)


def from_record(obj: Any, *, where: str = "record") -> Report:
    """Build a :class:`Report` from a record object; raises :class:`RecordError` when unusable."""
    if not isinstance(obj, Mapping):
        raise RecordError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    _check_keys(obj, _TOP_KEYS, where)
    rid = _str(obj, "id", where)
    if not rid:
        raise RecordError(f"{where}: missing 'id'")
    where = f"{where} {rid!r}"
    if "text" not in obj and "sections" not in obj:
        raise RecordError(f"{where}: needs 'text' or 'sections'")
    try:
        patient_obj = obj.get("patient") or {}
        if not isinstance(patient_obj, Mapping):
            raise RecordError(f"{where}: 'patient' must be an object")
        _check_keys(patient_obj, _PATIENT_KEYS, f"{where} patient")
        sex = obj.get("sex") or patient_obj.get("sex")
        patient = Patient(
            name=_str(patient_obj, "name", where),
            id=_str(patient_obj, "id", where),
            birth_date=patient_obj.get("birth_date") or None,
            sex=Sex.parse(sex),
        )
        study_obj = obj.get("study") or {}
        if not isinstance(study_obj, Mapping):
            raise RecordError(f"{where}: 'study' must be an object")
        _check_keys(study_obj, _STUDY_KEYS, f"{where} study")
        study = Study(
            accession=_str(study_obj, "accession", where),
            study_uid=_str(study_obj, "study_uid", where),
            date=study_obj.get("date") or None,
            referring=_str(study_obj, "referring", where),
        )
        code = obj.get("procedure_code")
        procedure = Procedure(
            description=_str(obj, "procedure", where),
            code=Code.from_dict(code) if isinstance(code, Mapping) else None,
        )
        age = obj.get("age")
        if age is not None and (isinstance(age, bool) or not isinstance(age, (int, float))):
            raise RecordError(f"{where}: 'age' must be a number of years")
        signed_raw = obj.get("signed_at")
        signed_at = dt.datetime.fromisoformat(signed_raw) if signed_raw else None
        context: dict[str, Any] = {
            "id": rid,
            "procedure": procedure,
            "modality": _str(obj, "modality", where),
            "laterality": obj.get("laterality") or "none",
            "patient": patient,
            "study": study,
            "age": int(age) if age is not None else None,
            "author": _str(obj, "author", where),
            "verifier": _str(obj, "verifier", where),
            "status": obj.get("status") or "draft",
            "template": _str(obj, "template", where),
            "signed_at": signed_at,
        }
        if "sections" in obj:
            sections = _sections(obj["sections"], where)
            if "text" in obj and all(s.start is not None for s in sections):
                text = obj["text"]
                if not isinstance(text, str):
                    raise RecordError(f"{where}: 'text' must be a string")
                return Report(text=text, sections=sections, **context)
            return Report.from_sections(sections, **context)
        text = obj["text"]
        if not isinstance(text, str):
            raise RecordError(f"{where}: 'text' must be a string")
        return Report.from_text(text, **context)
    except (ModelError, ValueError, TypeError) as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(f"{where}: {exc}") from None


def _sections(raw: Any, where: str) -> tuple[Section, ...]:
    if not isinstance(raw, list):
        raise RecordError(f"{where}: 'sections' must be a list")
    out: list[Section] = []
    for i, item in enumerate(raw):
        here = f"{where} sections[{i}]"
        if not isinstance(item, Mapping):
            raise RecordError(f"{here}: expected an object")
        _check_keys(item, _SECTION_KEYS, here)
        fields: list[FieldValue] = []
        for j, f in enumerate(item.get("fields") or ()):
            if not isinstance(f, Mapping):
                raise RecordError(f"{here} fields[{j}]: expected an object")
            _check_keys(f, _FIELD_KEYS, f"{here} fields[{j}]")
            value = f.get("value")
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise RecordError(f"{here} fields[{j}]: value must be a string, number or boolean")
            fields.append(FieldValue(id=str(f.get("id", "")), value=value, unit=f.get("unit")))
        code = item.get("code")
        start = item.get("start")
        out.append(
            Section(
                name=str(item.get("name", "")),
                text=str(item.get("text") or ""),
                title=str(item.get("title") or ""),
                code=Code.from_dict(code) if isinstance(code, Mapping) else None,
                fields=tuple(fields),
                start=int(start) if start is not None else None,
            )
        )
    return tuple(out)


def to_record(report: Report, *, sections: bool = True) -> dict[str, Any]:
    """The record for ``report``; empty optional fields are left out."""
    out: dict[str, Any] = {"id": report.id, "text": report.text}
    if report.modality:
        out["modality"] = report.modality
    if report.procedure.description:
        out["procedure"] = report.procedure.description
    if report.procedure.code is not None:
        out["procedure_code"] = report.procedure.code.to_dict()
    if report.laterality.value != "none":
        out["laterality"] = report.laterality.value
    if report.age is not None:
        out["age"] = report.age
    if report.template:
        out["template"] = report.template
    p = report.patient
    patient = {
        k: v
        for k, v in (
            ("name", p.name),
            ("id", p.id),
            ("birth_date", p.birth_date.isoformat() if p.birth_date else ""),
            ("sex", p.sex.value if p.sex is not Sex.UNKNOWN else ""),
        )
        if v
    }
    if patient:
        out["patient"] = patient
    s = report.study
    study = {
        k: v
        for k, v in (
            ("accession", s.accession),
            ("study_uid", s.study_uid),
            ("date", s.date.isoformat() if s.date else ""),
            ("referring", s.referring),
        )
        if v
    }
    if study:
        out["study"] = study
    if report.author:
        out["author"] = report.author
    if report.verifier:
        out["verifier"] = report.verifier
    out["status"] = report.status.value
    if report.signed_at is not None:
        out["signed_at"] = report.signed_at.isoformat()
    if sections:
        out["sections"] = [_section_dict(sec) for sec in report.sections]
    return out


def _section_dict(sec: Section) -> dict[str, Any]:
    d: dict[str, Any] = {"name": sec.name, "title": sec.title, "text": sec.text}
    if sec.code is not None:
        d["code"] = sec.code.to_dict()
    if sec.fields:
        d["fields"] = [{"id": f.id, "value": f.value, "unit": f.unit} for f in sec.fields]
    if sec.start is not None:
        d["start"] = sec.start
    return d


def loads_record(line: str | bytes, *, where: str = "record") -> Report:
    """Parse one JSON record (a JSONL line or a whole ``.json`` file)."""
    try:
        if isinstance(line, bytes):
            line = line.decode("utf-8")
        obj = json.loads(line)
    except UnicodeDecodeError as exc:
        raise RecordError(f"{where}: not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise RecordError(
            f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    return from_record(obj, where=where)


def dumps_record(report: Report, *, sections: bool = True) -> str:
    return json.dumps(to_record(report, sections=sections), ensure_ascii=False)
