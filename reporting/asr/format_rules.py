"""The word lists of dictation formatting, read and validated from
``lexicons/asr_formatting.json``: what a spoken mark writes, how a unit is written, and the
words around "period" and "colon" that make them nouns rather than marks, and the eponyms
written with a capital.

    rules = load_format_rules()
    dict(rules.spoken_marks)["new paragraph"]  # "\\n\\n"
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reporting.errors import LexiconError
from reporting.lexicons import expect_object, expect_str, expect_str_list, load_lexicon

__all__ = ["FormatRules", "MARKS", "load_format_rules"]

#: the marks a spoken word may write; the formatter knows how to space each of them
MARKS = frozenset({".", ",", ";", ":", "?", "-", "/", "(", ")", "\n", "\n\n"})

_LISTS = (
    "time_units",
    "number_labels",
    "period_is_noun_after",
    "colon_is_organ_after",
    "colon_is_organ_before",
    "abbreviations",
)


@dataclass(frozen=True)
class FormatRules:
    """The validated contents of ``asr_formatting.json`` (see its description).  Every word
    and phrase is lower case, with single spaces."""

    #: (said, mark), longest said first
    spoken_marks: tuple[tuple[str, str], ...]
    #: (said or written, how it is written after a number), longest first
    units: tuple[tuple[str, str], ...]
    time_units: tuple[str, ...]
    number_labels: tuple[str, ...]
    period_is_noun_after: tuple[str, ...]
    colon_is_organ_after: tuple[str, ...]
    colon_is_organ_before: tuple[str, ...]
    abbreviations: tuple[str, ...]
    #: eponyms as written ("Kerley B", "Swan-Ganz"), longest first
    proper_nouns: tuple[str, ...]


def _phrase(path: Path, where: str, value: object) -> str:
    text = " ".join(expect_str(path, where, value).split())
    if text != text.lower():
        raise LexiconError(f"{path}: {where} must be lower case (got {value!r})")
    return text


def _longest_first(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs, key=lambda p: len(p[0]), reverse=True))


@cache
def load_format_rules(name: str | Path = "asr_formatting.json") -> FormatRules:
    """The bundled rules (or the lexicon file ``name``), validated."""
    lex = load_lexicon(name, required=("spoken_marks", "units", "proper_nouns", *_LISTS))
    path = lex.path
    marks: list[tuple[str, str]] = []
    for said, mark in expect_object(path, "spoken_marks", lex["spoken_marks"]).items():
        where = f"spoken_marks.{said}"
        if mark not in MARKS:
            allowed = " ".join(repr(m) for m in sorted(MARKS))
            raise LexiconError(f"{path}: {where} must be one of {allowed} (got {mark!r})")
        marks.append((_phrase(path, where, said), mark))
    units: list[tuple[str, str]] = []
    for said, written in expect_object(path, "units", lex["units"]).items():
        where = f"units.{said}"
        units.append((_phrase(path, where, said), expect_str(path, where, written).strip()))
    if not marks or not units:
        raise LexiconError(f"{path}: spoken_marks and units must not be empty")
    lists = {
        key: tuple(
            _phrase(path, f"{key}[{i}]", w)
            for i, w in enumerate(expect_str_list(path, key, lex[key]))
        )
        for key in _LISTS
    }
    proper: list[str] = []
    for i, noun in enumerate(expect_str_list(path, "proper_nouns", lex["proper_nouns"])):
        noun = " ".join(noun.split())
        if not noun[0].isupper():
            raise LexiconError(
                f"{path}: proper_nouns[{i}] must be written as in a report, with its capital "
                f"(got {noun!r})"
            )
        proper.append(noun)
    return FormatRules(
        _longest_first(marks),
        _longest_first(units),
        **lists,
        proper_nouns=tuple(sorted(proper, key=len, reverse=True)),
    )
