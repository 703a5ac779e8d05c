"""Write a :class:`TemplateSpec` back as ``spec.toml`` (the standard library reads TOML only).

Only the value kinds a spec uses are supported: strings, booleans, integers, floats, lists of
those, and tables.  ``tomllib.loads(spec_to_toml(spec))`` gives back the same spec.
"""

from __future__ import annotations

import json
import math
from typing import Any

from reporting.templating.spec import FieldSpec, SectionSpec, TemplateSpec, TopicSpec

__all__ = ["spec_to_toml", "toml_value"]


def _string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """One TOML value (inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("NaN and infinity have no place in a template spec")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _key(key: str) -> str:
    return (
        key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _string(key)
    )


def _lines(table: dict[str, Any], indent: str = "") -> list[str]:
    return [f"{indent}{_key(k)} = {toml_value(v)}" for k, v in table.items() if v is not None]


def _field(spec: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"id": spec.id, "label": spec.label, "type": spec.type}
    if spec.unit:
        out["unit"] = spec.unit
    if spec.choices:
        out["choices"] = list(spec.choices)
    if spec.default is not None:
        out["default"] = spec.default
    if spec.minimum is not None:
        out["min"] = spec.minimum
    if spec.maximum is not None:
        out["max"] = spec.maximum
    if spec.trigger:
        out["trigger"] = spec.trigger
    if spec.completion != "none":
        out["completion"] = spec.completion
    if spec.code is not None:
        out["code"] = spec.code.to_dict()
    if spec.help:
        out["help"] = spec.help
    return out


def _section(spec: SectionSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": spec.name, "title": spec.title}
    if spec.required:
        out["required"] = True
    if spec.normal:
        out["normal"] = spec.normal
    if spec.code is not None:
        out["code"] = spec.code.to_dict()
    return out


def _topic(spec: TopicSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"topic": spec.topic, "label": spec.label, "terms": list(spec.terms),
                           "severity": spec.severity}  # fmt: skip
    if spec.section:
        out["section"] = spec.section
    return out


def spec_to_toml(spec: TemplateSpec) -> str:
    """The ``spec.toml`` text for ``spec``."""
    top: dict[str, Any] = {
        "id": spec.id,
        "title": spec.title,
        "modality": spec.modality,
        "body_part": spec.body_part,
        "lateral": spec.lateral,
    }
    if spec.sex:
        top["sex"] = spec.sex
    if spec.min_age is not None:
        top["min_age"] = spec.min_age
    if spec.max_age is not None:
        top["max_age"] = spec.max_age
    if spec.description:
        top["description"] = spec.description
    if spec.source:
        top["source"] = spec.source
    if spec.codes:
        top["codes"] = [c.to_dict() for c in spec.codes]
    lines = ["# Template spec; the format is described in templates/README.md.", *_lines(top), ""]
    rule = spec.match
    match = {
        "patterns": list(rule.patterns),
        "modality_patterns": list(rule.modality_patterns),
        "boost": list(rule.boost),
        "exclude": list(rule.exclude),
        "modalities": list(rule.modalities),
        "default_for": list(rule.default_for),
        "priority": rule.priority or None,
    }
    match = {k: v for k, v in match.items() if v}
    lines += ["[match]", *_lines(match), ""]
    for sec in spec.sections:
        lines += ["[[sections]]", *_lines(_section(sec)), ""]
        for fld in sec.fields:
            lines += ["  [[sections.fields]]", *_lines(_field(fld), "  "), ""]
    for topic in spec.required_topics:
        lines += ["[[topics]]", *_lines(_topic(topic)), ""]
    return "\n".join(lines)
