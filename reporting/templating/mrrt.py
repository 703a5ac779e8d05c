"""Import IHE MRRT report templates (RSNA RadReport HTML5) into our template format.

An MRRT template is an HTML5 document whose ``<head>`` holds a ``<title>``, one
``<meta charset>``, Dublin Core ``<meta name="dcterms.*">`` metadata and one
``<script type="text/xml">`` with a ``<template_attributes>`` element (coding schemes, template
terms such as modality and body part, and ``<coded_content>`` entries that code the fields by id).
The ``<body>`` holds ``<section data-section-name>`` elements with ``<header>``, text and
fields: ``<textarea>``, ``<input>`` (text, number, checkbox, radio, date), ``<select>``, with
``data-field-type``, ``data-field-units``, ``data-field-verbal-trigger`` and
``data-field-completion-action`` attributes.

:func:`parse_mrrt` checks the structure the IHE MRRT profile and its XML schema require and
reports every violation in one :class:`TemplateError`; :func:`mrrt_to_spec` maps the result to a
:class:`TemplateSpec`; :func:`import_mrrt` writes ``spec.toml`` and the two Jinja2 files.
Parsing uses only the standard library (``html.parser`` for the HTML, ``xml.etree`` for the
coded attributes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reporting.errors import TemplateError
from reporting.resources import atomic_write_text
from reporting.sectioning import canonical_section
from reporting.templating.loader import SECTION_NAMES_ALLOWED, parse_spec, read_spec
from reporting.templating.mrrt_parse import MrrtField, MrrtSection, MrrtTemplate, parse_mrrt, slug
from reporting.templating.render import HTML_FILE, TEXT_FILE
from reporting.templating.spec import TemplateSpec
from reporting.templating.tomlwrite import spec_to_toml

__all__ = [
    "MrrtField",
    "MrrtSection",
    "MrrtTemplate",
    "parse_mrrt",
    "mrrt_to_spec",
    "import_mrrt",
    "template_id_for",
]

_MODALITY_MEANINGS = {
    "computed tomography": "CT", "ct": "CT", "projection radiography": "CR", "radiography": "CR",
    "x-ray": "CR", "magnetic resonance imaging": "MR", "magnetic resonance": "MR", "mri": "MR",
    "ultrasound": "US", "ultrasonography": "US", "mammography": "MG",
    "positron emission tomography": "PT", "nuclear medicine": "NM", "fluoroscopy": "RF",
}  # fmt: skip
_TITLE_MODALITIES = [
    (r"\bCT\b|\bCOMPUTED TOMOGRAPHY\b", "CT"), (r"\bMRI?\b|\bMAGNETIC\b", "MR"),
    (r"\bX ?RAY\b|\bXR\b|\bRADIOGRA", "CR"), (r"\bULTRASOUND\b|\bUS\b|\bSONO", "US"),
    (r"\bMAMMO", "MG"), (r"\bPET\b", "PT"),
]  # fmt: skip


# --------------------------------------------------------------------------- conversion
def _modality(tpl: MrrtTemplate) -> str:
    for _, code in tpl.terms:
        found = _MODALITY_MEANINGS.get(code.meaning.lower())
        if found:
            return found
    title = tpl.title.upper()
    for pattern, code_value in _TITLE_MODALITIES:
        if re.search(pattern, title):
            return code_value
    return "OT"


def _body_part(tpl: MrrtTemplate) -> str:
    parts = [c.meaning for kind, c in tpl.terms if kind == "body part"]
    if not parts:
        parts = [
            c.meaning
            for kind, c in tpl.terms
            if not kind and c.meaning.lower() not in _MODALITY_MEANINGS
        ]
    return ", ".join(parts[:3]) or "unspecified"


def _section_name(section: MrrtSection) -> str:
    for candidate in (section.name, section.title):
        name = canonical_section(candidate) if candidate else None
        if name in SECTION_NAMES_ALLOWED:
            return name
    return "findings"


def mrrt_to_spec(tpl: MrrtTemplate, *, template_id: str) -> TemplateSpec:
    """Map a parsed MRRT template onto a :class:`TemplateSpec` (validated like a spec.toml)."""
    merged: dict[str, dict[str, Any]] = {}
    for section in tpl.sections:
        name = _section_name(section)
        slot = merged.setdefault(
            name, {"name": name, "title": section.title or section.name, "texts": [], "fields": []}
        )
        if section.text:
            slot["texts"].append(section.text)
        slot["fields"].extend(section.fields)
    sections = []
    for slot in merged.values():
        fields = []
        for f in slot["fields"]:
            entry: dict[str, Any] = {
                "id": f.id,
                "label": f.label,
                "type": f.type,
                "completion": f.completion,
            }
            if f.default is not None and f.default != "":
                entry["default"] = f.default
            if f.unit and f.type == "number":
                entry["unit"] = f.unit
            if f.choices:
                entry["choices"] = list(f.choices)
            if f.trigger:
                entry["trigger"] = f.trigger
            if f.minimum is not None:
                entry["min"] = f.minimum
            if f.maximum is not None:
                entry["max"] = f.maximum
            if f.code is not None:
                entry["code"] = f.code.to_dict()
            fields.append(entry)
        raw_section: dict[str, Any] = {
            "name": slot["name"],
            "title": slot["title"],
            "fields": fields,
        }
        if slot["texts"]:
            raw_section["normal"] = "\n".join(slot["texts"])
        if slot["name"] in ("findings", "impression"):
            raw_section["required"] = True
        sections.append(raw_section)
    source = f"IHE MRRT template {Path(tpl.source).name}"
    if tpl.identifier:
        source += f" ({tpl.identifier})"
    description = (tpl.metadata.get("dcterms.description") or [""])[0]
    raw = {
        "id": template_id,
        "title": (tpl.metadata.get("dcterms.title") or [tpl.title])[0] or tpl.title,
        "modality": _modality(tpl),
        "body_part": _body_part(tpl),
        "description": description,
        "source": source,
        "sections": sections,
        "codes": [c.to_dict() for _, c in tpl.terms],
    }
    return parse_spec(raw, path=tpl.source)


def template_id_for(path: Path) -> str:
    """A template id from a file name: ``RadReport_0000102_ChestXray.html`` -> ``radreport_0000102_chestxray``."""
    return slug(path.stem, "imported")


def import_mrrt(path: str | Path, outdir: str | Path, *, template_id: str | None = None,
                overwrite: bool = False) -> TemplateSpec:  # fmt: skip
    """Convert the MRRT file ``path`` into ``outdir/<id>/`` and return the loaded spec."""
    src = Path(path)
    try:
        data = src.read_bytes()
    except FileNotFoundError:
        raise TemplateError(f"{src}: file not found") from None
    except IsADirectoryError:
        raise TemplateError(f"{src}: is a folder, not an MRRT HTML file") from None
    tpl = parse_mrrt(data, source=str(src))
    tid = template_id or template_id_for(src)
    spec = mrrt_to_spec(tpl, template_id=tid)
    folder = Path(outdir) / tid
    if folder.exists() and not overwrite:
        raise TemplateError(
            f"{folder} already exists; choose another --id or pass --force to replace it"
        )
    atomic_write_text(folder / "spec.toml", spec_to_toml(spec))
    atomic_write_text(folder / TEXT_FILE, '{% extends "_base/report.txt.j2" %}\n')
    atomic_write_text(folder / HTML_FILE, '{% extends "_base/report.html.j2" %}\n')
    return read_spec(folder / "spec.toml")
