"""Read FHIR DiagnosticReports (alone or in a Bundle) into Reports.

Report text comes from ``presentedForm`` (plain text first, then HTML with tags removed, then a
PDF through ``pdftotext``), else ``conclusion``, else the narrative ``text.div``.  The patient
comes from ``subject`` (resolved inside the Bundle), the study from ``imagingStudy`` and
``basedOn``.  Works for R4, R4B and R5 shapes (only fields common to them are read).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import re
from collections.abc import Mapping
from typing import Any

from reporting.coding import SYSTEM_URIS, Code
from reporting.errors import IngestError, ModelError
from reporting.model import Patient, Procedure, Report, Sex, Status, Study

__all__ = ["read_fhir"]

_STATUS = {
    "registered": Status.DRAFT,
    "partial": Status.DRAFT,
    "preliminary": Status.PRELIMINARY,
    "final": Status.FINAL,
    "amended": Status.AMENDED,
    "corrected": Status.AMENDED,
    "appended": Status.AMENDED,
}
_SCHEMES = {uri: scheme for scheme, uri in SYSTEM_URIS.items()}
_LOINC = "http://loinc.org"


def read_fhir(obj: Any, *, where: str = "FHIR resource") -> list[Report]:
    """The reports in a DiagnosticReport or a Bundle (JSON already parsed into a dict)."""
    if not isinstance(obj, Mapping):
        raise IngestError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    kind = obj.get("resourceType")
    if kind == "DiagnosticReport":
        return [_report(obj, {}, where)]
    if kind != "Bundle":
        raise IngestError(
            f"{where}: a {kind or 'resource without resourceType'} is not a DiagnosticReport or Bundle"
        )
    index: dict[str, Mapping[str, Any]] = {}
    reports: list[Mapping[str, Any]] = []
    for i, entry in enumerate(obj.get("entry") or []):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("resource"), Mapping):
            raise IngestError(f"{where}: entry[{i}] has no resource")
        res = entry["resource"]
        if entry.get("fullUrl"):
            index[str(entry["fullUrl"])] = res
        if res.get("id") and res.get("resourceType"):
            index[f"{res['resourceType']}/{res['id']}"] = res
        if res.get("resourceType") == "DiagnosticReport":
            reports.append(res)
    if not reports:
        raise IngestError(f"{where}: the Bundle holds no DiagnosticReport")
    many = len(reports) > 1
    return [_report(r, index, f"{where}[{i}]" if many else where) for i, r in enumerate(reports)]


def _resolve(ref: Any, index: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    if not isinstance(ref, Mapping):
        return None
    target = ref.get("reference")
    return index.get(str(target)) if target else None


def _text(res: Mapping[str, Any], where: str) -> str:
    forms = [f for f in res.get("presentedForm") or [] if isinstance(f, Mapping) and f.get("data")]
    by_type = sorted(forms, key=lambda f: _rank(str(f.get("contentType", ""))))
    for form in by_type:
        ctype = str(form.get("contentType", "")).lower()
        try:
            raw = base64.b64decode(str(form["data"]), validate=False)
        except (binascii.Error, ValueError):
            raise IngestError(f"{where}: presentedForm ({ctype}) is not valid Base64") from None
        if ctype.startswith("text/plain"):
            return raw.decode(_charset(ctype), errors="replace")
        if ctype.startswith(("text/html", "application/xhtml")):
            return _strip_html(raw.decode(_charset(ctype), errors="replace"))
        if ctype.startswith("application/pdf"):
            from reporting.ingest.documents import pdf_text

            return pdf_text(raw, where)
    if res.get("conclusion"):
        return f"IMPRESSION:\n{res['conclusion']}"
    div = (res.get("text") or {}).get("div") if isinstance(res.get("text"), Mapping) else None
    if div:
        return _strip_html(str(div))
    raise IngestError(
        f"{where}: the DiagnosticReport has no text (no presentedForm, conclusion or narrative)"
    )


def _rank(ctype: str) -> int:
    c = ctype.lower()
    return 0 if c.startswith("text/plain") else 1 if "html" in c else 2 if "pdf" in c else 3


def _charset(ctype: str) -> str:
    m = re.search(r"charset=([A-Za-z0-9_-]+)", ctype)
    return m.group(1) if m else "utf-8"


def _strip_html(markup: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h[1-6]>|</li>", "\n", markup)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _name(human: Any) -> str:
    if not isinstance(human, Mapping):
        return ""
    family = str(human.get("family") or "")
    given = [str(g) for g in human.get("given") or []]
    if family or given:
        parts = [family, given[0] if given else "", " ".join(given[1:])]
        prefix = " ".join(str(p) for p in human.get("prefix") or [])
        suffix = " ".join(str(s) for s in human.get("suffix") or [])
        return "^".join([*parts, prefix, suffix]).rstrip("^")
    return str(human.get("text") or "")


def _iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _patient(res: Mapping[str, Any] | None, ref: Any) -> Patient:
    if res is None:
        display = ref.get("display", "") if isinstance(ref, Mapping) else ""
        return Patient(name=str(display))
    names = res.get("name") or []
    idents = [i for i in res.get("identifier") or [] if isinstance(i, Mapping) and i.get("value")]
    try:
        sex = Sex.parse({"female": "F", "male": "M", "other": "O"}.get(str(res.get("gender")), "U"))
        return Patient(
            name=_name(names[0]) if names else "",
            id=str(idents[0]["value"]) if idents else "",
            birth_date=_iso_date(res.get("birthDate")),
            sex=sex,
        )
    except ModelError:
        return Patient(
            name=_name(names[0]) if names else "", id=str(idents[0]["value"]) if idents else ""
        )


def _procedure(code: Any) -> Procedure:
    if not isinstance(code, Mapping):
        return Procedure()
    codings = [c for c in code.get("coding") or [] if isinstance(c, Mapping) and c.get("code")]
    other = [c for c in codings if not (c.get("system") == _LOINC and c.get("code") == "18748-4")]
    text = str(code.get("text") or "")
    if other:
        c = other[0]
        system = str(c.get("system") or "")
        proc = Code(
            str(c["code"]), _SCHEMES.get(system, system or "L"), str(c.get("display") or "")
        )
        return Procedure(description=text or proc.meaning, code=proc)
    return Procedure(description=text)


def _report(res: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]], where: str) -> Report:
    text = _text(res, where)
    status = _STATUS.get(str(res.get("status")), Status.PRELIMINARY)
    interpreters = res.get("resultsInterpreter") or []
    verifier = ""
    if interpreters and isinstance(interpreters[0], Mapping):
        target = _resolve(interpreters[0], index)
        verifier = (
            _name((target.get("name") or [None])[0])
            if target
            else str(interpreters[0].get("display") or "")
        )
    if status in (Status.FINAL, Status.AMENDED) and not verifier:
        verifier = "unknown"
    subject = res.get("subject")
    patient = _patient(_resolve(subject, index), subject)
    accession, study_uid, date = "", "", None
    for ref in res.get("basedOn") or []:
        order = _resolve(ref, index)
        for ident in (order or {}).get("identifier") or []:
            accession = accession or str(ident.get("value") or "")
    for ref in res.get("imagingStudy") or []:
        study = _resolve(ref, index)
        for ident in (study or {}).get("identifier") or []:
            value = str(ident.get("value") or "")
            if value.startswith("urn:oid:"):
                study_uid = study_uid or value[8:]
        if study and study.get("started"):
            date = str(study["started"])[:10]
    effective = res.get("effectiveDateTime")
    if effective:
        date = str(effective)[:10]
    idents = [i for i in res.get("identifier") or [] if isinstance(i, Mapping) and i.get("value")]
    report_id = str(idents[0]["value"]) if idents else str(res.get("id") or where)
    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        day = None
    try:
        study_value = Study(accession=accession, study_uid=study_uid, date=day)
    except ModelError:
        study_value = Study(accession=accession)
    signed_at = None
    if status in (Status.FINAL, Status.AMENDED) and res.get("issued"):
        try:
            signed_at = dt.datetime.fromisoformat(str(res["issued"]).replace("Z", "+00:00"))
        except ValueError:
            signed_at = None
    try:
        return Report.from_text(
            text,
            signed_at=signed_at,
            id=report_id,
            patient=patient,
            study=study_value,
            procedure=_procedure(res.get("code")),
            verifier=verifier if status in (Status.FINAL, Status.AMENDED) else "",
            author=verifier,
            status=status,
        )
    except ModelError as exc:
        raise IngestError(f"{where}: {exc}") from None
