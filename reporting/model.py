"""The report model: one typed ``Report`` with patient, study, status and ordered sections.

Values are frozen dataclasses; changes return new objects (``dataclasses.replace`` or the
``with_*`` helpers).  Constructors validate, so an impossible report (a final report without a
verifier, a section offset outside the text) cannot be built.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reporting.coding import SECTION_NAMES, Code, section_code
from reporting.errors import ModelError, StatusError

__all__ = [
    "Status",
    "Laterality",
    "Sex",
    "Severity",
    "Patient",
    "Study",
    "Procedure",
    "FieldValue",
    "Section",
    "Span",
    "Issue",
    "Report",
    "FieldScalar",
]

FieldScalar = str | int | float | bool | None


class Status(StrEnum):
    DRAFT = "draft"
    PRELIMINARY = "preliminary"
    FINAL = "final"
    AMENDED = "amended"


#: Legal status moves.  FINAL -> AMENDED happens only through ``Report.add_addendum``.
_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.DRAFT, Status.PRELIMINARY, Status.FINAL}),
    Status.PRELIMINARY: frozenset({Status.PRELIMINARY, Status.DRAFT, Status.FINAL}),
    Status.FINAL: frozenset(),
    Status.AMENDED: frozenset(),
}


class Laterality(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"
    NONE = "none"

    @classmethod
    def parse(cls, value: str | Laterality | None) -> Laterality:
        """Accept ``left``/``L``/``LT``/``Left``/``bilat``/``B``/empty; reject the rest."""
        if isinstance(value, Laterality):
            return value
        key = (value or "").strip().lower().rstrip(".")
        aliases = {
            "": cls.NONE, "none": cls.NONE, "n/a": cls.NONE, "na": cls.NONE, "midline": cls.NONE,
            "l": cls.LEFT, "lt": cls.LEFT, "left": cls.LEFT,
            "r": cls.RIGHT, "rt": cls.RIGHT, "right": cls.RIGHT,
            "b": cls.BILATERAL, "bi": cls.BILATERAL, "bil": cls.BILATERAL, "bilat": cls.BILATERAL,
            "bilateral": cls.BILATERAL, "both": cls.BILATERAL,
        }  # fmt: skip
        if key not in aliases:
            raise ModelError(f"laterality must be left, right, bilateral or none, not {value!r}")
        return aliases[key]


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "O"
    UNKNOWN = "U"

    @classmethod
    def parse(cls, value: str | Sex | None) -> Sex:
        """Accept DICOM/HL7 codes (F, M, O, U) and words (female, woman, male, man ...)."""
        if isinstance(value, Sex):
            return value
        key = (value or "").strip().lower()
        aliases = {
            "": cls.UNKNOWN, "u": cls.UNKNOWN, "unknown": cls.UNKNOWN,
            "f": cls.FEMALE, "female": cls.FEMALE, "woman": cls.FEMALE, "w": cls.FEMALE,
            "m": cls.MALE, "male": cls.MALE, "man": cls.MALE,
            "o": cls.OTHER, "other": cls.OTHER, "x": cls.OTHER,
        }  # fmt: skip
        if key not in aliases:
            raise ModelError(f"sex must be F, M, O or U, not {value!r}")
        return aliases[key]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


def _date(value: str | dt.date | None, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text[:8], fmt).date()
        except ValueError:
            continue
    raise ModelError(f"{what} must be a date like 2026-11-28, not {value!r}")


@dataclass(frozen=True, slots=True)
class Patient:
    name: str = ""
    id: str = ""
    birth_date: dt.date | None = None
    sex: Sex = Sex.UNKNOWN

    def __post_init__(self) -> None:
        object.__setattr__(self, "sex", Sex.parse(self.sex))
        object.__setattr__(self, "birth_date", _date(self.birth_date, "patient birth date"))

    def age_on(self, when: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return when.year - b.year - ((when.month, when.day) < (b.month, b.day))


@dataclass(frozen=True, slots=True)
class Study:
    accession: str = ""
    study_uid: str = ""
    date: dt.date | None = None
    referring: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", _date(self.date, "study date"))
        if self.study_uid and not re.fullmatch(r"[0-9]+(\.[0-9]+)*", self.study_uid):
            raise ModelError(f"study instance UID must be digits and dots, not {self.study_uid!r}")
        if len(self.study_uid) > 64:
            raise ModelError("study instance UID is longer than 64 characters")


@dataclass(frozen=True, slots=True)
class Procedure:
    description: str = ""
    code: Code | None = None


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A filled template field: ``id`` from the template spec, a scalar value, optional unit."""

    id: str
    value: FieldScalar = None
    unit: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ModelError("a template field needs an id")

    def display(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return "yes" if self.value else "no"
        if isinstance(self.value, float) and self.value.is_integer():
            text = str(int(self.value))
        else:
            text = str(self.value)
        # a number field holding words ("10.5 cm. The bladder ...") shows them as they are
        numeric = isinstance(self.value, (int, float))
        return f"{text} {self.unit}" if self.unit and numeric else text


@dataclass(frozen=True, slots=True)
class Section:
    """One report section.

    ``name`` is canonical (``findings``, ``impression``, ...); ``title`` the heading as shown;
    ``code`` its CID 7001 heading; ``start`` the offset of ``text`` inside ``Report.text``.
    """

    name: str
    text: str = ""
    title: str = ""
    code: Code | None = None
    fields: tuple[FieldValue, ...] = ()
    start: int | None = None

    def __post_init__(self) -> None:
        if not self.name or not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ModelError(
                f"section name must be lower-case letters, digits and _, not {self.name!r}"
            )
        if not self.title:
            object.__setattr__(
                self, "title", SECTION_NAMES.get(self.name, self.name.replace("_", " ").title())
            )
        if self.code is None:
            object.__setattr__(self, "code", section_code(self.name))
        object.__setattr__(self, "fields", tuple(self.fields))

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.text)

    def field(self, field_id: str) -> FieldValue | None:
        return next((f for f in self.fields if f.id == field_id), None)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and all(f.value in (None, "") for f in self.fields)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of evidence: character offsets into the report text and what stands there."""

    start: int
    end: int
    text: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ModelError(f"bad span {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class Issue:
    """One QA finding about a report, with the span it is about.

    ``code`` is a stable identifier (``laterality.order_mismatch``); ``start``/``end`` are
    character offsets into the report text (equal when the issue is about something absent).
    """

    code: str
    severity: Severity
    message: str
    start: int = 0
    end: int = 0
    section: str | None = None
    evidence: tuple[Span, ...] = ()
    suggestion: str | None = None
    topic: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "evidence", tuple(self.evidence))
        if self.start < 0 or self.end < self.start:
            raise ModelError(f"issue {self.code}: bad span {self.start}..{self.end}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "section": self.section,
        }
        if self.evidence:
            out["evidence"] = [
                {"start": s.start, "end": s.end, "text": s.text, "label": s.label}
                for s in self.evidence
            ]
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        if self.topic is not None:
            out["topic"] = self.topic
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Issue:
        return cls(
            code=str(data["code"]),
            severity=Severity(data["severity"]),
            message=str(data.get("message", "")),
            start=int(data.get("start", 0)),
            end=int(data.get("end", 0)),
            section=data.get("section"),
            evidence=tuple(
                Span(
                    int(e["start"]), int(e["end"]), str(e.get("text", "")), str(e.get("label", ""))
                )
                for e in data.get("evidence", ())
            ),
            suggestion=data.get("suggestion"),
            topic=data.get("topic"),
        )


def _compose(sections: Iterable[Section]) -> tuple[str, tuple[Section, ...]]:
    """Render sections as ``TITLE:\\ntext`` blocks and record each text's offset."""
    parts: list[str] = []
    placed: list[Section] = []
    pos = 0
    for sec in sections:
        if parts:
            parts.append("\n\n")
            pos += 2
        head = "" if sec.name == "preamble" else f"{sec.title.upper()}:\n"
        parts.append(head)
        pos += len(head)
        body = sec.text
        if not body and sec.fields:
            body = "\n".join(
                f"{f.id.replace('_', ' ').capitalize()}: {f.display()}"
                for f in sec.fields
                if f.display()
            )
        placed.append(dataclasses.replace(sec, text=body, start=pos))
        parts.append(body)
        pos += len(body)
    return "".join(parts) + ("\n" if parts else ""), tuple(placed)


@dataclass(frozen=True)
class Report:
    """A radiology report.

    Build it from free text with :meth:`from_text`, from sections with :meth:`from_sections`, or
    from a report record with :func:`reporting.records.from_record`.
    """

    id: str
    text: str
    sections: tuple[Section, ...] = ()
    procedure: Procedure = field(default_factory=Procedure)
    modality: str = ""
    laterality: Laterality = Laterality.NONE
    patient: Patient = field(default_factory=Patient)
    study: Study = field(default_factory=Study)
    age: int | None = None
    author: str = ""
    verifier: str = ""
    status: Status = Status.DRAFT
    template: str = ""
    signed_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ModelError("a report needs a non-empty id")
        if not isinstance(self.text, str):
            raise ModelError(f"report {self.id}: text must be a string")
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "laterality", Laterality.parse(self.laterality))
        object.__setattr__(self, "sections", tuple(self.sections))
        object.__setattr__(self, "modality", (self.modality or "").upper())
        if self.age is not None and not (0 <= int(self.age) <= 150):
            raise ModelError(f"report {self.id}: age {self.age} is not a plausible age in years")
        if self.status in (Status.FINAL, Status.AMENDED) and not self.verifier:
            raise ModelError(f"report {self.id}: a {self.status.value} report needs a verifier")
        for sec in self.sections:
            if (
                sec.start is not None
                and self.text[sec.start : sec.start + len(sec.text)] != sec.text
            ):
                raise ModelError(
                    f"report {self.id}: section {sec.name!r} offset {sec.start} does not match the text"
                )

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_text(cls, text: str, **context: Any) -> Report:
        """Split free text into sections by heading.  ``context`` gives the other fields
        (``id``, ``procedure``, ``modality``, ``laterality``, ``patient``, ``sex``, ``age``, ...)."""
        from reporting.sectioning import split_sections

        if not isinstance(text, str):
            raise ModelError("report text must be a string")
        sections = tuple(
            Section(
                name=s.name,
                text=text[s.start : s.end],
                title=_title(s.heading, s.name),
                start=s.start,
            )
            for s in split_sections(text)
        )
        return cls(text=text, sections=sections, **_context(context))

    @classmethod
    def from_sections(cls, sections: Iterable[Section], **context: Any) -> Report:
        """Build a report whose text is composed from ``sections`` (``TITLE:`` blocks)."""
        text, placed = _compose(sections)
        return cls(text=text, sections=placed, **_context(context))

    # ---------------------------------------------------------------- access
    def section(self, name: str) -> Section | None:
        """The first section with canonical ``name`` (``findings``, ``impression`` ...)."""
        return next((s for s in self.sections if s.name == name), None)

    def section_at(self, offset: int) -> Section | None:
        """The section whose text starts at or before character ``offset`` (the last such)."""
        best: Section | None = None
        for sec in self.sections:
            if (
                sec.start is not None
                and sec.start <= offset
                and (best is None or best.start is None or sec.start >= best.start)
            ):
                best = sec
        return best

    @property
    def sex(self) -> Sex:
        return self.patient.sex

    @property
    def effective_age(self) -> int | None:
        """Age in years from ``age``, or from the birth date and study date."""
        if self.age is not None:
            return self.age
        if self.study.date is not None:
            return self.patient.age_on(self.study.date)
        return None

    # ---------------------------------------------------------------- changes
    def with_status(
        self, status: Status | str, *, verifier: str | None = None, when: dt.datetime | None = None
    ) -> Report:
        """Move to ``status``; illegal moves raise :class:`StatusError`.

        A final report is changed only by :meth:`add_addendum`.
        """
        new = Status(status)
        if new not in _TRANSITIONS[self.status]:
            hint = (
                " (add an addendum instead)"
                if self.status in (Status.FINAL, Status.AMENDED)
                else ""
            )
            raise StatusError(f"a {self.status.value} report cannot become {new.value}{hint}")
        changes: dict[str, Any] = {"status": new}
        if verifier is not None:
            changes["verifier"] = verifier
        if new is Status.FINAL:
            changes["signed_at"] = when or self.signed_at
        return dataclasses.replace(self, **changes)

    def with_sections(self, sections: Iterable[Section]) -> Report:
        """A draft with new sections (text recomposed); final reports refuse."""
        if self.status in (Status.FINAL, Status.AMENDED):
            raise StatusError(f"a {self.status.value} report is read-only; add an addendum")
        text, placed = _compose(sections)
        return dataclasses.replace(self, text=text, sections=placed)

    def add_addendum(self, text: str, *, author: str, when: dt.datetime | None = None) -> Report:
        """A new, amended version with an ``addendum`` section appended."""
        if self.status not in (Status.FINAL, Status.AMENDED):
            raise StatusError(
                "only a final or amended report takes an addendum; edit the draft instead"
            )
        if not text.strip():
            raise ModelError("an addendum needs text")
        if not author:
            raise ModelError("an addendum needs an author")
        stamp = f" ({when.isoformat(timespec='minutes')})" if when else ""
        sep = "" if self.text.endswith("\n") else "\n"
        head = f"\nADDENDUM{stamp}:\n"
        start = len(self.text) + len(sep) + len(head)
        body = text.strip()
        addendum = Section(name="addendum", text=body, title=f"Addendum{stamp}", start=start)
        return dataclasses.replace(
            self,
            text=self.text + sep + head + body + "\n",
            sections=(*self.sections, addendum),
            status=Status.AMENDED,
            verifier=author,
            signed_at=when or self.signed_at,
        )


def _title(heading: str, name: str) -> str:
    if not heading:
        return SECTION_NAMES.get(name, name.title())
    return heading.strip()


def _context(context: dict[str, Any]) -> dict[str, Any]:
    """Normalise keyword context for Report (``sex``/``patient``, strings to values)."""
    ctx = dict(context)
    ctx.setdefault("id", "report")
    sex = ctx.pop("sex", None)
    patient = ctx.get("patient")
    if isinstance(patient, Mapping):
        patient = Patient(**patient)
    if patient is None:
        patient = Patient()
    if sex not in (None, ""):
        patient = dataclasses.replace(patient, sex=Sex.parse(sex))
    ctx["patient"] = patient
    proc = ctx.get("procedure")
    if isinstance(proc, str):
        ctx["procedure"] = Procedure(description=proc)
    elif proc is None:
        ctx["procedure"] = Procedure()
    study = ctx.get("study")
    if isinstance(study, Mapping):
        ctx["study"] = Study(**study)
    elif study is None:
        ctx["study"] = Study()
    if ctx.get("laterality") is None:
        ctx["laterality"] = Laterality.NONE
    if ctx.get("status") is None:
        ctx["status"] = Status.DRAFT
    for key in ("modality", "author", "verifier", "template"):
        if ctx.get(key) is None:
            ctx[key] = ""
    unknown = set(ctx) - {f.name for f in dataclasses.fields(Report)}
    if unknown:
        raise ModelError(f"unknown report field {sorted(unknown)[0]!r}")
    return ctx
