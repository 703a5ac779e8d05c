"""Split report text into sections by heading, keeping character offsets.

Headings come from ``lexicons/sections.json``.  A heading is recognised
- at the start of a line, followed by a colon/dash and text (``FINDINGS: The lungs ...``),
- alone on its line, with or without a colon (``IMPRESSION`` / ``Impression:``),
- in capitals at the start of a line followed directly by text (``FINDINGS The lungs ...``),
- inline after a sentence, with a colon (``... clear. IMPRESSION: Normal.``).
It must be written in capitals or with a leading capital, so ``the impression is`` in a sentence
is never a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from reporting.errors import LexiconError
from reporting.resources import lexicons_dir, read_json

__all__ = ["SectionSpan", "split_sections", "heading_aliases", "canonical_section"]


@dataclass(frozen=True, slots=True)
class SectionSpan:
    """One section found in text: canonical ``name``, heading as written, and offsets.

    ``heading_start``/``heading_end`` cover the heading word(s); ``start``/``end`` cover the
    body with surrounding white space removed (``text[start:end]`` is the section text).
    A preamble before the first heading has ``name == "preamble"`` and an empty heading.
    """

    name: str
    heading: str
    heading_start: int
    heading_end: int
    start: int
    end: int


@cache
def heading_aliases() -> dict[str, str]:
    """Lower-case heading as written -> canonical section name."""
    path = lexicons_dir() / "sections.json"
    data = read_json(path)
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a JSON object")
    unknown = set(data) - {"description", "sections"}
    if unknown:
        raise LexiconError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    sections = data.get("sections")
    if not isinstance(sections, dict) or not sections:
        raise LexiconError(f"{path}: key 'sections' must be a non-empty object")
    aliases: dict[str, str] = {}
    for name, headings in sections.items():
        if not isinstance(headings, list) or not all(isinstance(h, str) and h for h in headings):
            raise LexiconError(f"{path}: sections.{name} must be a list of headings")
        for heading in headings:
            key = heading.lower()
            if key in aliases and aliases[key] != name:
                raise LexiconError(f"{path}: heading {heading!r} is listed under two sections")
            aliases[key] = name
    return aliases


@lru_cache(maxsize=4096)
def canonical_section(heading: str) -> str | None:
    """Canonical name for a heading (``"IMPRESSIONS"`` -> ``"impression"``), or None."""
    return heading_aliases().get(" ".join(heading.lower().replace(":", " ").split()))


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    words = sorted(heading_aliases(), key=len, reverse=True)
    alt = "|".join(re.escape(w).replace(r"\ ", r"[ \t]+") for w in words)
    # Line-start heading: optional bullet/numbering, heading, then colon/dash, end of line, or text.
    line = re.compile(
        rf"^[ \t]*(?:[-*\u2022][ \t]*)?(?P<h>{alt})(?P<tail>[ \t]*(?::|-(?=[ \t])|\u2014)|[ \t]*(?=\r?$)|[ \t]+(?=\S))",
        re.IGNORECASE | re.MULTILINE,
    )
    # Inline heading after a sentence end: needs a colon.
    inline = re.compile(rf"(?<=[.!?])[ \t]*(?P<h>{alt})[ \t]*:", re.IGNORECASE)
    return line, inline


def _well_cased(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return False
    if all(c.isupper() for c in letters):
        return True
    return word[0].isupper()


def _find_headings(text: str) -> list[tuple[int, int, int, int, str]]:
    """(cut, heading_start, heading_end, body_start, heading) in text order.

    ``cut`` is where the previous section ends (before any bullet in front of the heading).
    """
    line_pat, inline_pat = _patterns()
    found: dict[int, tuple[int, int, int, int, str]] = {}
    for m in line_pat.finditer(text):
        heading = m.group("h")
        tail = m.group("tail")
        has_colon = ":" in tail or "-" in tail or "\u2014" in tail
        own_line = not tail.strip() and text[m.end() : m.end() + 1] in ("", "\n", "\r")
        if not _well_cased(heading):
            continue
        if not has_colon and not own_line:
            # Heading glued to text without a colon: only when written in capitals and the
            # following word is not also capitals of an all-caps sentence ("FINDINGS NORMAL").
            if heading.upper() != heading or any(c.islower() for c in heading):
                continue
            after = text[m.end() : m.end() + 40].split()
            if not after or after[0].isupper():
                continue
        found[m.start("h")] = (m.start(), m.start("h"), m.end("h"), m.end(), heading)
    # Inline headings count only for sections the line-start headings do not already give:
    # a report laid out line by line that quotes "IMPRESSION:" mid-paragraph is quoting.
    seen = {canonical_section(h) for (*_, h) in found.values()}
    for m in inline_pat.finditer(text):
        heading = m.group("h")
        name = canonical_section(heading)
        if not _well_cased(heading) or m.start("h") in found or name in seen:
            continue
        seen.add(name)
        found[m.start("h")] = (m.start("h"), m.start("h"), m.end("h"), m.end(), heading)
    return [found[k] for k in sorted(found)]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


#: Reports up to this length remember their sections: building a Report and analysing it both
#: split the same text, and QA does both for every report.
_REMEMBER_CHARS = 20_000


def split_sections(text: str) -> list[SectionSpan]:
    """Sections of ``text`` in order; text before the first heading becomes a ``preamble``."""
    if len(text) <= _REMEMBER_CHARS:
        return list(_split_remembered(text))
    return _split(text)


@lru_cache(maxsize=256)
def _split_remembered(text: str) -> tuple[SectionSpan, ...]:
    return tuple(_split(text))


def _split(text: str) -> list[SectionSpan]:
    headings = _find_headings(text)
    spans: list[SectionSpan] = []
    first = headings[0][0] if headings else len(text)
    s, e = _strip_span(text, 0, first)
    if e > s:
        spans.append(SectionSpan("preamble", "", s, s, s, e))
    for i, (_cut, h_start, h_end, body_start, heading) in enumerate(headings):
        body_end = headings[i + 1][0] if i + 1 < len(headings) else len(text)
        s, e = _strip_span(text, body_start, body_end)
        name = canonical_section(heading) or "other"
        spans.append(SectionSpan(name, heading, h_start, h_end, s, e))
    return spans
