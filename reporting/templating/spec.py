"""Template specs as frozen values: a template, its sections, fields, topics and match rule.

These are what ``spec.toml`` files become after validation (see ``templates/README.md``).
Nothing here reads files; :mod:`reporting.templating.loader` builds them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from reporting.coding import Code
from reporting.model import FieldScalar, FieldValue

__all__ = [
    "FIELD_TYPES",
    "COMPLETION_ACTIONS",
    "TOPIC_SEVERITIES",
    "FieldType",
    "Completion",
    "FieldSpec",
    "SectionSpec",
    "TopicSpec",
    "MatchRule",
    "TemplateSpec",
    "field_line",
]

FieldType = Literal["text", "number", "choice", "checkbox"]
Completion = Literal["prohibit", "alert", "none"]
TopicSeverity = Literal["warning", "info"]

FIELD_TYPES: tuple[str, ...] = ("text", "number", "choice", "checkbox")
#: IHE MRRT completion actions: what happens when a report is finished with the field empty.
COMPLETION_ACTIONS: tuple[str, ...] = ("prohibit", "alert", "none")
TOPIC_SEVERITIES: tuple[str, ...] = ("warning", "info")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One fillable field of a section.

    ``default`` is the normal value a new draft starts with; ``trigger`` the spoken phrase that
    moves dictation to this field; ``completion`` what signing does when the field is empty
    (``prohibit`` blocks, ``alert`` warns, ``none`` says nothing), as in IHE MRRT.
    """

    id: str
    label: str
    type: FieldType = "text"
    unit: str | None = None
    choices: tuple[str, ...] = ()
    default: FieldScalar = None
    trigger: str | None = None
    completion: Completion = "none"
    minimum: float | None = None
    maximum: float | None = None
    code: Code | None = None
    help: str = ""

    def value(self, value: FieldScalar = None) -> FieldValue:
        """A :class:`FieldValue` for this field (the default when ``value`` is None)."""
        chosen = self.default if value is None else value
        return FieldValue(self.id, chosen, self.unit if self.type == "number" else None)


def field_line(spec: FieldSpec, value: FieldValue) -> str:
    """How a filled field reads in the section text: ``Label: value``; empty fields give ""."""
    shown = value.display()
    if value.value is None or shown == "":
        return ""
    return f"{spec.label}: {shown}"


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """One report section: canonical ``name`` (``findings`` ...), heading ``title`` and CID 7001
    ``code``; ``normal`` is the text a normal study gets when the section has no fields."""

    name: str
    title: str
    code: Code | None = None
    required: bool = False
    normal: str = ""
    fields: tuple[FieldSpec, ...] = ()

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def default_text(self) -> str:
        """The section text of a normal study: ``normal`` then one line per defaulted field."""
        lines = [self.normal.strip()] if self.normal.strip() else []
        for spec in self.fields:
            line = field_line(spec, spec.value())
            if line:
                lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True)
class TopicSpec:
    """Something a complete report must address, and the words that count as addressing it.

    ``terms`` are matched case-insensitively as whole words (multi-word terms allow any white
    space between words); ``section`` limits the search to one section when set.
    """

    topic: str
    terms: tuple[str, ...]
    severity: TopicSeverity = "warning"
    section: str | None = None
    label: str = ""

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        words = sorted({t.strip() for t in self.terms if t.strip()}, key=len, reverse=True)
        alt = "|".join(r"\s+".join(re.escape(w) for w in term.split()) for term in words)
        return re.compile(rf"(?<![\w-])(?:{alt})(?![\w])", re.IGNORECASE)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, matched text)`` for every term occurrence in ``text``."""
        return [(m.start(), m.end(), m.group(0)) for m in self.pattern.finditer(text)]

    def addressed_in(self, text: str) -> bool:
        return self.pattern.search(text) is not None


@dataclass(frozen=True)
class MatchRule:
    """How procedure descriptions find this template (see ``templates/README.md``, "Matching").

    ``patterns`` name the body part or procedure (one must match); ``modality_patterns`` say how
    the modality is written; ``boost`` are extra-specific words; ``exclude`` vetoes the template;
    ``modalities`` are DICOM modality codes; ``default_for`` lists modalities for which this
    template is chosen when the procedure text names nothing; ``priority`` breaks ties.
    """

    patterns: tuple[str, ...] = ()
    modality_patterns: tuple[str, ...] = ()
    boost: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    default_for: tuple[str, ...] = ()
    priority: int = 0

    @cached_property
    def compiled(self) -> dict[str, tuple[re.Pattern[str], ...]]:
        def comp(items: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
            return tuple(re.compile(p, re.IGNORECASE) for p in items)

        return {
            "patterns": comp(self.patterns),
            "modality_patterns": comp(self.modality_patterns),
            "boost": comp(self.boost),
            "exclude": comp(self.exclude),
        }

    @cached_property
    def any_body(self) -> re.Pattern[str] | None:
        """One pattern matching where any of ``patterns`` or ``boost`` does (a quick rejection
        before scoring); None when they cannot be joined into one expression."""
        items = self.patterns + self.boost
        if not items:
            return None
        try:
            return re.compile("|".join(f"(?:{p})" for p in items), re.IGNORECASE)
        except re.error:
            return None


@dataclass(frozen=True)
class TemplateSpec:
    """A validated report template.

    ``procedures`` are the procedure patterns it matches (``match.patterns``); ``normal_macros``
    maps each section name to the text "insert normal" puts there.  ``folder`` is where the
    spec and its Jinja2 files live.
    """

    id: str
    title: str
    modality: str
    body_part: str
    lateral: bool
    procedures: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    required_topics: tuple[TopicSpec, ...] = ()
    sex: Literal["F", "M"] | None = None
    min_age: int | None = None
    max_age: int | None = None
    normal_macros: Mapping[str, str] = field(default_factory=dict, hash=False)
    description: str = ""
    match: MatchRule = field(default_factory=MatchRule)
    codes: tuple[Code, ...] = ()
    folder: Path | None = field(default=None, compare=False)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal_macros", MappingProxyType(dict(self.normal_macros)))

    # A read-only mapping does not pickle; batch workers (processes, Dask) need specs that do.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["normal_macros"] = dict(self.normal_macros)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "normal_macros", MappingProxyType(dict(state["normal_macros"])))

    def section(self, name: str) -> SectionSpec | None:
        return next((s for s in self.sections if s.name == name), None)

    def field(self, field_id: str) -> tuple[SectionSpec, FieldSpec] | None:
        """The section and spec of field ``field_id``, or None."""
        for sec in self.sections:
            spec = sec.field(field_id)
            if spec is not None:
                return sec, spec
        return None

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    def triggers(self) -> dict[str, str]:
        """Spoken trigger phrase (lower case) -> field id."""
        return {f.trigger.lower(): f.id for f in self.fields if f.trigger}

    def allows(self, *, sex: str | None = None, age: int | None = None) -> bool:
        """False when the patient's sex or age is outside this template's restriction."""
        if self.sex is not None and sex in ("F", "M") and sex != self.sex:
            return False
        if age is not None and self.min_age is not None and age < self.min_age:
            return False
        return not (age is not None and self.max_age is not None and age > self.max_age)
