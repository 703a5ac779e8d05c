"""Pure helpers for editing a draft: field lines inside section text, offsets to cursor
locations, and section replacement.  No Textual here, so they are easy to test.

A template field lives in its section's text as one ``Label: value`` line (what
``SectionSpec.default_text`` writes); the text is the truth, the field inputs are views on it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from reporting.model import FieldValue, Report, Section

__all__ = [
    "field_pattern",
    "read_field",
    "write_field",
    "offset_to_location",
    "location_to_offset",
    "replace_section_text",
    "parse_value",
]


def field_pattern(label: str) -> re.Pattern[str]:
    return re.compile(
        rf"^[ \t]*{re.escape(label)}[ \t]*:[ \t]*(?P<value>.*)$", re.MULTILINE | re.IGNORECASE
    )


def read_field(text: str, label: str) -> str | None:
    """The value written after ``Label:`` in ``text``, or None when the line is absent."""
    match = field_pattern(label).search(text)
    return match.group("value").strip() if match else None


def write_field(text: str, label: str, value: str) -> str:
    """``text`` with the ``Label: value`` line set (added at the end when absent; removed
    when ``value`` is empty)."""
    pattern = field_pattern(label)
    match = pattern.search(text)
    line = f"{label}: {value}" if value else ""
    if match:
        start, end = match.start(), match.end()
        if not line:
            # drop the line and its newline
            if end < len(text) and text[end] == "\n":
                end += 1
            elif start > 0 and text[start - 1] == "\n":
                start -= 1
        return text[:start] + line + text[end:]
    if not line:
        return text
    if not text.strip():
        return line
    return text.rstrip("\n") + "\n" + line


def parse_value(ftype: str, raw: str, unit: str | None = None) -> Any:
    """A typed field value from what was typed (numbers to float/int, checkbox to bool)."""
    text = raw.strip()
    if not text:
        return None
    if ftype == "number":
        if unit and text.lower().endswith(unit.lower()):
            text = text[: -len(unit)].strip()
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    if ftype == "checkbox":
        said = text.lower()
        if said in ("yes", "y", "true", "x", "1", "present"):
            return True
        if said in ("no", "n", "false", "0", "absent", "none"):
            return False
        return None  # "maybe" is not a silent "no": the field stays empty and QA asks for it
    return text


def offset_to_location(text: str, offset: int) -> tuple[int, int]:
    """(row, column) of character ``offset`` in ``text`` (clamped)."""
    offset = max(0, min(offset, len(text)))
    before = text[:offset]
    row = before.count("\n")
    col = offset - (before.rfind("\n") + 1)
    return row, col


def location_to_offset(text: str, location: tuple[int, int]) -> int:
    row, col = location
    lines = text.split("\n")
    row = max(0, min(row, len(lines) - 1))
    return sum(len(line) + 1 for line in lines[:row]) + min(col, len(lines[row]))


def replace_section_text(
    report: Report, name: str, text: str, fields: Iterable[FieldValue] | None = None
) -> Report:
    """A draft whose section ``name`` has ``text`` (and ``fields`` when given)."""
    sections: list[Section] = []
    for sec in report.sections:
        if sec.name == name:
            changes: dict[str, Any] = {"text": text, "start": None}
            if fields is not None:
                changes["fields"] = tuple(fields)
            sec = dataclasses.replace(sec, **changes)
        sections.append(sec)
    return report.with_sections(sections)
