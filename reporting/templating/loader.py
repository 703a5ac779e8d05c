"""Read and validate ``spec.toml`` files into :class:`TemplateSpec` values.

Every problem is a :class:`TemplateError` naming the file and the key (``sections[2].fields[0].
default``), so a template author can fix it without reading code.  The format is documented in
``templates/README.md`` and ``templates/schema.json``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from reporting.coding import SECTION_CODES, SECTION_NAMES, Code, section_code
from reporting.errors import TemplateError
from reporting.templating.spec import (
    COMPLETION_ACTIONS,
    FIELD_TYPES,
    TOPIC_SEVERITIES,
    FieldSpec,
    MatchRule,
    SectionSpec,
    TemplateSpec,
    TopicSpec,
)

__all__ = ["SECTION_NAMES_ALLOWED", "ID_PATTERN", "parse_spec", "read_spec"]

#: Section names a template may use: the canonical names with a CID 7001 heading code.
SECTION_NAMES_ALLOWED: tuple[str, ...] = tuple(SECTION_CODES)
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

_TOP_KEYS = {
    "id", "title", "modality", "body_part", "lateral", "sex", "min_age", "max_age", "description",
    "source", "match", "sections", "topics", "codes",
}  # fmt: skip
_MATCH_KEYS = {
    "patterns", "modality_patterns", "boost", "exclude", "modalities", "default_for", "priority",
}  # fmt: skip
_SECTION_KEYS = {"name", "title", "code", "required", "normal", "fields"}
_FIELD_KEYS = {
    "id", "label", "type", "unit", "choices", "default", "trigger", "completion", "min", "max",
    "code", "help",
}  # fmt: skip
_TOPIC_KEYS = {"topic", "label", "terms", "severity", "section"}
_CODE_KEYS = {"value", "scheme", "meaning"}

_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    list: "a list",
    dict: "a table",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


class _Checker:
    """Typed access to a TOML table that names the file and key in every error."""

    def __init__(self, path: Path | str) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> TemplateError:
        return TemplateError(f"{self.path}: {where}: {message}")

    def keys(self, table: Mapping[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            place = f"{where}.{unknown[0]}" if where else unknown[0]
            raise TemplateError(
                f"{self.path}: unknown key {place!r} (allowed here: {', '.join(sorted(allowed))})"
            )

    def get(self, table: Mapping[str, Any], key: str, kind: type, where: str, *,
            required: bool = False, default: Any = None) -> Any:  # fmt: skip
        place = f"{where}.{key}" if where else key
        if key not in table:
            if required:
                raise TemplateError(f"{self.path}: missing required key {place!r}")
            return default
        value = table[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            raise self.fail(
                place, f"expected {_TYPE_NAMES.get(kind, kind.__name__)}, got {_kind(value)}"
            )
        return value

    def text(self, table: Mapping[str, Any], key: str, where: str, *, required: bool = False,
             default: str = "") -> str:  # fmt: skip
        value = self.get(table, key, str, where, required=required, default=default)
        if required and not str(value).strip():
            raise self.fail(f"{where}.{key}" if where else key, "must not be empty")
        return cast(str, value)

    def strings(self, table: Mapping[str, Any], key: str, where: str, *,
                required: bool = False) -> tuple[str, ...]:  # fmt: skip
        items = self.get(table, key, list, where, required=required, default=[])
        place = f"{where}.{key}" if where else key
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{place}[{i}]", f"expected a non-empty string, got {_kind(item)}")
        return tuple(items)

    def regexes(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        items = self.strings(table, key, where)
        for i, item in enumerate(items):
            try:
                re.compile(item)
            except re.error as exc:
                raise self.fail(
                    f"{where}.{key}[{i}]", f"invalid regular expression {item!r}: {exc}"
                ) from None
        return items

    def code(self, table: Mapping[str, Any], key: str, where: str) -> Code | None:
        raw = self.get(table, key, dict, where)
        if raw is None:
            return None
        place = f"{where}.{key}" if where else key
        self.keys(raw, _CODE_KEYS, place)
        value = self.text(raw, "value", place, required=True)
        scheme = self.text(raw, "scheme", place, required=True)
        return Code(value, scheme, self.text(raw, "meaning", place))


def read_spec(path: Path, *, check_files: bool = True) -> TemplateSpec:
    """Read and validate ``path`` (a ``spec.toml``); its folder name must equal its ``id``."""
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{path}: invalid TOML: {exc}") from None
    spec = parse_spec(raw, path=path, folder=path.parent)
    if spec.id != path.parent.name:
        raise TemplateError(
            f"{path}: id {spec.id!r} does not match its folder name {path.parent.name!r}"
        )
    if check_files:
        from reporting.templating.render import check_template_files

        check_template_files(spec)
    return spec


def parse_spec(raw: Mapping[str, Any], *, path: Path | str = "<spec>",
               folder: Path | None = None) -> TemplateSpec:  # fmt: skip
    """Validate a parsed TOML table and build the :class:`TemplateSpec`."""
    c = _Checker(path)
    c.keys(raw, _TOP_KEYS, "")
    template_id = c.text(raw, "id", "", required=True)
    if not ID_PATTERN.fullmatch(template_id):
        raise c.fail(
            "id",
            f"{template_id!r} must be lower-case letters, digits and _ (starting with a letter)",
        )
    title = c.text(raw, "title", "", required=True)
    modality = c.text(raw, "modality", "", required=True).upper()
    body_part = c.text(raw, "body_part", "", required=True)
    lateral = c.get(raw, "lateral", bool, "", default=False)
    sex = c.get(raw, "sex", str, "")
    if sex is not None and sex not in ("F", "M"):
        raise c.fail("sex", f'must be "F" or "M" (or left out), not {sex!r}')
    min_age = c.get(raw, "min_age", int, "")
    max_age = c.get(raw, "max_age", int, "")
    for key, age in (("min_age", min_age), ("max_age", max_age)):
        if age is not None and not 0 <= age <= 150:
            raise c.fail(key, f"{age} is not an age in years (0-150)")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise c.fail("min_age", f"{min_age} is greater than max_age {max_age}")

    match = _match(c, c.get(raw, "match", dict, "", default={}))
    sections = _sections(c, c.get(raw, "sections", list, "", required=True))
    names = {s.name for s in sections}
    topics = _topics(c, c.get(raw, "topics", list, "", default=[]), names)
    codes = []
    for i, item in enumerate(c.get(raw, "codes", list, "", default=[])):
        if not isinstance(item, dict):
            raise c.fail(f"codes[{i}]", f"expected a table, got {_kind(item)}")
        code = c.code({"code": item}, "code", f"codes[{i}]")
        if code is not None:
            codes.append(code)
    return TemplateSpec(
        id=template_id,
        title=title,
        modality=modality,
        body_part=body_part,
        lateral=lateral,
        procedures=match.patterns,
        sections=sections,
        required_topics=topics,
        sex=sex,
        min_age=min_age,
        max_age=max_age,
        normal_macros={s.name: s.default_text() for s in sections},
        description=c.text(raw, "description", ""),
        match=match,
        codes=tuple(codes),
        folder=folder,
        source=c.text(raw, "source", ""),
    )


def _match(c: _Checker, raw: Mapping[str, Any]) -> MatchRule:
    c.keys(raw, _MATCH_KEYS, "match")
    return MatchRule(
        patterns=c.regexes(raw, "patterns", "match"),
        modality_patterns=c.regexes(raw, "modality_patterns", "match"),
        boost=c.regexes(raw, "boost", "match"),
        exclude=c.regexes(raw, "exclude", "match"),
        modalities=tuple(m.upper() for m in c.strings(raw, "modalities", "match")),
        default_for=tuple(m.upper() for m in c.strings(raw, "default_for", "match")),
        priority=c.get(raw, "priority", int, "match", default=0),
    )


def _sections(c: _Checker, items: list[Any]) -> tuple[SectionSpec, ...]:
    if not items:
        raise c.fail("sections", "a template needs at least one section")
    out: list[SectionSpec] = []
    seen_fields: dict[str, str] = {}
    seen_triggers: dict[str, str] = {}
    for i, raw in enumerate(items):
        where = f"sections[{i}]"
        if not isinstance(raw, dict):
            raise c.fail(where, f"expected a table, got {_kind(raw)}")
        c.keys(raw, _SECTION_KEYS, where)
        name = c.text(raw, "name", where, required=True)
        if name not in SECTION_NAMES_ALLOWED:
            raise c.fail(
                f"{where}.name",
                f"unknown section name {name!r} (known: {', '.join(SECTION_NAMES_ALLOWED)})",
            )
        if any(s.name == name for s in out):
            raise c.fail(f"{where}.name", f"section {name!r} appears twice")
        fields = []
        for j, fraw in enumerate(c.get(raw, "fields", list, where, default=[])):
            spec = _field(c, fraw, f"{where}.fields[{j}]")
            if spec.id in seen_fields:
                raise c.fail(
                    f"{where}.fields[{j}].id",
                    f"field id {spec.id!r} is already used in {seen_fields[spec.id]}",
                )
            seen_fields[spec.id] = where
            if spec.trigger:
                key = " ".join(spec.trigger.lower().split())
                if key in seen_triggers:
                    raise c.fail(
                        f"{where}.fields[{j}].trigger",
                        f"trigger {spec.trigger!r} is already used by field {seen_triggers[key]!r}",
                    )
                seen_triggers[key] = spec.id
            fields.append(spec)
        out.append(
            SectionSpec(
                name=name,
                title=c.text(raw, "title", where) or SECTION_NAMES.get(name, name.title()),
                code=c.code(raw, "code", where) or section_code(name),
                required=c.get(raw, "required", bool, where, default=False),
                normal=c.text(raw, "normal", where),
                fields=tuple(fields),
            )
        )
    return tuple(out)


def _field(c: _Checker, raw: Any, where: str) -> FieldSpec:
    if not isinstance(raw, dict):
        raise c.fail(where, f"expected a table, got {_kind(raw)}")
    c.keys(raw, _FIELD_KEYS, where)
    field_id = c.text(raw, "id", where, required=True)
    if not ID_PATTERN.fullmatch(field_id):
        raise c.fail(f"{where}.id", f"{field_id!r} must be lower-case letters, digits and _")
    ftype = c.text(raw, "type", where, default="text")
    if ftype not in FIELD_TYPES:
        raise c.fail(
            f"{where}.type", f"unknown field type {ftype!r} (use one of {', '.join(FIELD_TYPES)})"
        )
    completion = c.text(raw, "completion", where, default="none")
    if completion not in COMPLETION_ACTIONS:
        raise c.fail(
            f"{where}.completion",
            f"unknown completion action {completion!r} (use one of {', '.join(COMPLETION_ACTIONS)})",
        )
    unit = c.get(raw, "unit", str, where)
    if unit is not None and ftype != "number":
        raise c.fail(f"{where}.unit", f"only number fields have a unit (this field is {ftype})")
    choices = c.strings(raw, "choices", where)
    if ftype == "choice":
        if not choices:
            raise c.fail(f"{where}.choices", "a choice field needs a non-empty list of choices")
        if len(set(choices)) != len(choices):
            raise c.fail(f"{where}.choices", "choices must be different from each other")
    elif choices:
        raise c.fail(f"{where}.choices", f"only choice fields have choices (this field is {ftype})")
    limits: dict[str, float | None] = {}
    for key in ("min", "max"):
        value = raw.get(key)
        if value is not None and (ftype != "number" or isinstance(value, bool)
                                  or not isinstance(value, int | float)):  # fmt: skip
            raise c.fail(
                f"{where}.{key}", "only number fields have limits, and they must be numbers"
            )
        limits[key] = float(value) if value is not None else None
    default = raw.get("default")
    if default is not None:
        default = _check_default(c, f"{where}.default", ftype, default, choices, limits)
    trigger = c.get(raw, "trigger", str, where)
    if trigger is not None and not trigger.strip():
        raise c.fail(f"{where}.trigger", "must not be empty (leave it out instead)")
    return FieldSpec(
        id=field_id,
        label=c.text(raw, "label", where) or field_id.replace("_", " ").capitalize(),
        type=ftype,  # type: ignore[arg-type]
        unit=unit,
        choices=choices,
        default=default,
        trigger=trigger,
        completion=completion,  # type: ignore[arg-type]
        minimum=limits["min"],
        maximum=limits["max"],
        code=c.code(raw, "code", where),
        help=c.text(raw, "help", where),
    )


def _check_default(c: _Checker, where: str, ftype: str, value: Any, choices: tuple[str, ...],
                   limits: Mapping[str, float | None]) -> Any:  # fmt: skip
    if ftype == "text":
        if not isinstance(value, str):
            raise c.fail(where, f"a text field's default must be a string, got {_kind(value)}")
    elif ftype == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise c.fail(where, f"a number field's default must be a number, got {_kind(value)}")
        low, high = limits.get("min"), limits.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise c.fail(where, f"default {value} is outside min/max {low}..{high}")
    elif ftype == "choice":
        if value not in choices:
            raise c.fail(where, f"default {value!r} is not one of the choices {list(choices)}")
    elif ftype == "checkbox" and not isinstance(value, bool):
        raise c.fail(where, f"a checkbox field's default must be true or false, got {_kind(value)}")
    return value


def _topics(c: _Checker, items: list[Any], section_names: set[str]) -> tuple[TopicSpec, ...]:
    out: list[TopicSpec] = []
    for i, raw in enumerate(items):
        where = f"topics[{i}]"
        if not isinstance(raw, dict):
            raise c.fail(where, f"expected a table, got {_kind(raw)}")
        c.keys(raw, _TOPIC_KEYS, where)
        topic = c.text(raw, "topic", where, required=True)
        if any(t.topic == topic for t in out):
            raise c.fail(f"{where}.topic", f"topic {topic!r} appears twice")
        terms = c.strings(raw, "terms", where, required=True)
        if not terms:
            raise c.fail(f"{where}.terms", "a topic needs at least one term")
        severity = c.text(raw, "severity", where, default="warning")
        if severity not in TOPIC_SEVERITIES:
            raise c.fail(
                f"{where}.severity",
                f"must be one of {', '.join(TOPIC_SEVERITIES)}, not {severity!r}",
            )
        section = c.get(raw, "section", str, where)
        if section is not None and section not in section_names:
            raise c.fail(
                f"{where}.section",
                f"section {section!r} is not one of this template's sections ({', '.join(sorted(section_names))})",
            )
        out.append(
            TopicSpec(
                topic=topic,
                terms=tuple(terms),
                severity=severity,  # type: ignore[arg-type]
                section=section,
                label=c.text(raw, "label", where) or topic.replace("_", " "),
            )
        )
    return tuple(out)
