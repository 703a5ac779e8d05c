"""Load and validate the QA lexicons (``sex.json``, ``critical.json``, ``followup.json``,
``qa_rules.json``) and compile them into regular expressions once per process.

Every file must have a top-level ``description``; unknown keys are errors naming file and key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reporting.errors import LexiconError
from reporting.qa.terms import TermIndex
from reporting.resources import lexicons_dir, read_json

__all__ = [
    "terms_pattern",
    "SEX_KINDS",
    "SexLexicon",
    "CriticalFinding",
    "CriticalLexicon",
    "FollowupLexicon",
    "RulesLexicon",
    "sex_lexicon",
    "critical_lexicon",
    "followup_lexicon",
    "rules_lexicon",
]


def terms_pattern(terms: Iterable[str], *, case: bool = False) -> re.Pattern[str]:
    """One regex matching any of ``terms`` as whole words (multi-word terms across white space).

    Longer terms win.  A term never matches inside a longer word or hyphenated compound.
    """
    words = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return re.compile(r"(?!x)x")
    alt = "|".join(r"\s+".join(re.escape(w) for w in term.split()) for term in words)
    flags = 0 if case else re.IGNORECASE
    return re.compile(rf"(?<![\w])(?:{alt})(?![\w])", flags)


def _load(name: str, shape: Mapping[str, Any]) -> tuple[Path, dict[str, Any]]:
    path = lexicons_dir() / name
    data = read_json(path)
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a JSON object at the top level")
    _validate(path, data, {"description": str, **shape}, "")
    return path, data


def _validate(path: Path, data: Mapping[str, Any], shape: Mapping[str, Any], where: str) -> None:
    for key in data:
        if key not in shape:
            raise LexiconError(f"{path}: unknown key {where}{key!r}")
    for key, kind in shape.items():
        if key not in data:
            raise LexiconError(f"{path}: missing key {where}{key!r}")
        value = data[key]
        here = f"{where}{key}."
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                raise LexiconError(f"{path}: {where}{key!r} must be an object")
            _validate(path, value, kind, here)
        elif kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise LexiconError(f"{path}: {where}{key!r} must be a list of non-empty strings")
        elif kind is str:
            if not isinstance(value, str):
                raise LexiconError(f"{path}: {where}{key!r} must be a string")
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LexiconError(f"{path}: {where}{key!r} must be a positive integer")
        elif kind == "groups":
            if not isinstance(value, dict) or not all(
                isinstance(v, list) and v and all(isinstance(w, str) and w for w in v)
                for v in value.values()
            ):
                raise LexiconError(f"{path}: {where}{key!r} must map names to lists of words")
        elif kind == "findings":
            if not isinstance(value, list):
                raise LexiconError(f"{path}: {where}{key!r} must be a list")
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    raise LexiconError(f"{path}: {where}{key}[{i}] must be an object")
                _validate(
                    path, item, {"id": str, "label": str, "terms": list}, f"{here[:-1]}[{i}]."
                )


# ---------------------------------------------------------------------------------------- sex
@dataclass(frozen=True)
class SexLexicon:
    """Compiled sex vocabulary: ``terms`` give ``(sex, kind)`` with kind in :data:`SEX_KINDS`."""

    terms: TermIndex[tuple[str, str]]
    other_person: TermIndex[str]
    not_sex_specific: TermIndex[str]


SEX_KINDS = ("stated", "pronouns", "anatomy", "procedures")


@cache
def sex_lexicon() -> SexLexicon:
    kinds = dict.fromkeys(SEX_KINDS, list)
    _, data = _load(
        "sex.json",
        {"female": kinds, "male": kinds, "other_person": list, "not_sex_specific": list},
    )
    entries = [
        (term, (sex, kind))
        for sex, key in (("F", "female"), ("M", "male"))
        for kind in SEX_KINDS
        for term in data[key][kind]
    ]
    return SexLexicon(
        terms=TermIndex(entries),
        other_person=TermIndex.of(data["other_person"]),
        not_sex_specific=TermIndex.of(data["not_sex_specific"]),
    )


# ----------------------------------------------------------------------------------- critical
@dataclass(frozen=True)
class CriticalFinding:
    id: str
    label: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class CriticalLexicon:
    findings: TermIndex[CriticalFinding]
    known: TermIndex[str]
    hypothetical: TermIndex[str]
    verbs: TermIndex[str]
    recipients: TermIndex[str]
    means: TermIndex[str]
    phrases: TermIndex[str]
    window: int


@cache
def critical_lexicon() -> CriticalLexicon:
    path, data = _load(
        "critical.json",
        {
            "findings": "findings",
            "known_cues": list,
            "hypothetical_cues": list,
            "communication": {
                "verbs": list,
                "recipients": list,
                "means": list,
                "phrases": list,
                "window": int,
            },
        },
    )
    seen: dict[str, str] = {}
    entries: list[tuple[str, CriticalFinding]] = []
    for f in data["findings"]:
        finding = CriticalFinding(f["id"], f["label"], tuple(f["terms"]))
        for term in finding.terms:
            key = " ".join(term.lower().split())
            if key in seen:
                raise LexiconError(
                    f"{path}: term {term!r} is listed under {seen[key]!r} and {f['id']!r}"
                )
            seen[key] = f["id"]
            entries.append((term, finding))
    comm = data["communication"]
    return CriticalLexicon(
        findings=TermIndex(entries),
        known=TermIndex.of(data["known_cues"]),
        hypothetical=TermIndex.of(data["hypothetical_cues"]),
        verbs=TermIndex.of(comm["verbs"]),
        recipients=TermIndex.of(comm["recipients"]),
        means=TermIndex.of(comm["means"]),
        phrases=TermIndex.of(comm["phrases"]),
        window=int(comm["window"]),
    )


# ----------------------------------------------------------------------------------- followup
@dataclass(frozen=True)
class FollowupLexicon:
    recommendation: TermIndex[str]
    followup: TermIndex[str]
    modality: TermIndex[str]
    interval: re.Pattern[str]
    interval_phrases: TermIndex[str]
    workup: TermIndex[str]
    not_followup: TermIndex[str]


_NUMBER_WORDS = [
    *("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "eighteen", "twenty", "twenty-four", "thirty"),
    *("a", "an", "few", "several", "couple"),
]


@cache
def followup_lexicon() -> FollowupLexicon:
    _, data = _load(
        "followup.json",
        {
            "recommendation_cues": list,
            "followup_cues": list,
            "modalities": list,
            "interval_units": list,
            "interval_phrases": list,
            "workup_cues": list,
            "not_followup": list,
        },
    )
    units = "|".join(re.escape(u) for u in sorted(data["interval_units"], key=len, reverse=True))
    number = r"(?:\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")"
    count = rf"{number}(?:\s*(?:-|to|or|\u2013)\s*{number})?"
    interval = re.compile(rf"(?<![\w]){count}[\s-]*(?:{units})\b", re.IGNORECASE)
    return FollowupLexicon(
        recommendation=TermIndex.of(data["recommendation_cues"]),
        followup=TermIndex.of(data["followup_cues"]),
        modality=TermIndex.of(data["modalities"]),
        interval=interval,
        interval_phrases=TermIndex.of(data["interval_phrases"]),
        workup=TermIndex.of(data["workup_cues"]),
        not_followup=TermIndex.of(data["not_followup"]),
    )


# -------------------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class RulesLexicon:
    lateral_parts: re.Pattern[str]
    sided_parts: re.Pattern[str]
    non_lateral_parts: re.Pattern[str]
    cues_before: re.Pattern[str]
    cues_after: re.Pattern[str]
    history_cues: frozenset[str]  # the other-side cues that only say "in the past"
    directional_before: re.Pattern[str]
    directional_after: re.Pattern[str]
    placeholder: re.Pattern[str]
    ignore_tags: frozenset[str]
    lesions: TermIndex[str]
    finding_groups: Mapping[str, str]  # NLP concept -> group name
    normal: TermIndex[str]


@cache
def rules_lexicon() -> RulesLexicon:
    path, data = _load(
        "qa_rules.json",
        {
            "lateral_body_parts": list,
            "sided_body_parts": list,
            "non_lateral_body_parts": list,
            "other_side_cues_before": list,
            "other_side_cues_after": list,
            "history_cues": list,
            "directional_before": list,
            "directional_after": list,
            "lesion_nouns": "groups",
            "finding_groups": "groups",
            "normal_cues": list,
            "placeholders": {"patterns": list, "ignore_tags": list},
        },
    )
    patterns = data["placeholders"]["patterns"]
    for i, p in enumerate(patterns):
        try:
            re.compile(p)
        except re.error as exc:
            raise LexiconError(
                f"{path}: placeholders.patterns[{i}] is not a valid regex: {exc}"
            ) from None
    alt = "|".join(f"(?:{p})" for p in patterns)

    def tail(words: list[str]) -> re.Pattern[str]:
        # cue at the END of the text before a side word: "compared with the |right"
        body = "|".join(
            r"\s+".join(re.escape(w) for w in t.split()) for t in sorted(words, key=len)[::-1]
        )
        return re.compile(rf"(?<![\w])(?:{body})(?:\s+(?:the|a|an|on|of|in|with))*\s*$", re.I)

    def head(words: list[str]) -> re.Pattern[str]:
        body = "|".join(re.escape(t) for t in sorted(words, key=len)[::-1])
        return re.compile(rf"^[\s\w]{{0,30}}?(?:{body})", re.I)

    return RulesLexicon(
        lateral_parts=terms_pattern(data["lateral_body_parts"]),
        sided_parts=terms_pattern(data["sided_body_parts"]),
        non_lateral_parts=terms_pattern(data["non_lateral_body_parts"]),
        cues_before=terms_pattern(data["other_side_cues_before"]),
        cues_after=head(data["other_side_cues_after"]),
        history_cues=frozenset(" ".join(t.lower().split()) for t in data["history_cues"]),
        directional_before=tail(data["directional_before"]),
        directional_after=re.compile(
            "^(?:" + "|".join(re.escape(t) for t in data["directional_after"]) + ")", re.I
        ),
        placeholder=re.compile(alt),
        ignore_tags=frozenset(t.lower() for t in data["placeholders"]["ignore_tags"]),
        lesions=TermIndex(
            (word, kind) for kind, words in data["lesion_nouns"].items() for word in words
        ),
        finding_groups={
            concept: group
            for group, concepts in data["finding_groups"].items()
            for concept in concepts
        },
        normal=TermIndex.of(data["normal_cues"]),
    )
