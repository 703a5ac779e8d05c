"""Typed, validated views of the NLP lexicons (anatomy, findings, laterality, assertion, units).

Each loader reads one JSON file through :mod:`reporting.lexicons`, rejects unknown keys and bad
values with a :class:`~reporting.errors.LexiconError` naming file and key, and returns frozen
values the spaCy components build their matchers from.  Results are cached per path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reporting.errors import LexiconError
from reporting.lexicons import (
    check_keys,
    expect_bool,
    expect_choice,
    expect_int,
    expect_list,
    expect_object,
    expect_str_list,
    load_lexicon,
)

__all__ = [
    "ASSERTION_CATEGORIES",
    "CUE_CATEGORIES",
    "DIRECTIONS",
    "SIDES",
    "POSITIONS",
    "Concept",
    "Predicate",
    "CueRule",
    "AssertionLexicon",
    "LateralityCue",
    "LateralityLexicon",
    "UnitLexicon",
    "load_concepts",
    "load_resolutions",
    "Resolution",
    "load_assertion",
    "load_laterality",
    "load_units",
    "plural",
]

#: Categories that mark a mention (the Assertion attributes).
ASSERTION_CATEGORIES = ("negated", "uncertain", "historical", "hypothetical", "experiencer")
#: Every cue category in assertion.json.
CUE_CATEGORIES = (*ASSERTION_CATEGORIES, "pseudo", "terminate")
DIRECTIONS = ("forward", "backward", "bidirectional")
SIDES = ("left", "right", "bilateral", "contralateral", "ipsilateral")
POSITIONS = ("before", "after", "either")
KINDS = ("anatomy", "finding", "device")


def plural(term: str) -> str:
    """A regular English plural of the last word of ``term`` (``"rib fracture"`` -> ``"rib fractures"``)."""
    head, _, last = term.rpartition(" ")
    low = last.lower()
    if not low[-1:].isalpha():
        return term
    if low.endswith(("s", "x", "z", "ch", "sh")):
        new = last + "es"
    elif low.endswith("y") and low[-2:-1] not in ("a", "e", "i", "o", "u"):
        new = last[:-1] + "ies"
    else:
        new = last + "s"
    return f"{head} {new}" if head else new


@dataclass(frozen=True, slots=True)
class Predicate:
    """A finding stated about an anatomy mention: subject concept ids + words ("heart ... enlarged")."""

    subjects: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Concept:
    """A canonical concept (``"kidney"``) with its surface ``terms``."""

    id: str
    kind: str
    terms: tuple[str, ...]
    lateral: bool
    predicates: tuple[Predicate, ...] = ()


@cache
def load_concepts(path: Path, kind: str | None = None) -> tuple[Concept, ...]:
    """Concepts of ``anatomy.json`` (``kind="anatomy"``) or ``findings.json`` (kind per concept).

    Plurals of the last word are added unless another concept lists that form itself.
    """
    optional = ("resolve",) if kind is None else ()
    lex = load_lexicon(path, required=("concepts",), optional=optional)
    concepts = expect_object(path, "concepts", lex["concepts"])
    if not concepts:
        raise LexiconError(f"{path}: concepts must not be empty")
    owner: dict[str, str] = {}
    parsed: list[tuple[str, str, list[str], bool, tuple[Predicate, ...]]] = []
    keys = ("lateral", "predicates") if kind is None else ("lateral",)
    for cid, body in concepts.items():
        where = f"concepts.{cid}"
        if kind is None:
            entry = check_keys(path, where, body, required=("kind", "terms"), optional=keys)
            ckind = expect_choice(path, f"{where}.kind", entry["kind"], ("finding", "device"))
        else:
            entry = check_keys(path, where, body, required=("terms",), optional=keys)
            ckind = kind
        terms = [t.strip().lower() for t in expect_str_list(path, f"{where}.terms", entry["terms"])]
        lateral = expect_bool(path, f"{where}.lateral", entry.get("lateral", False))
        for term in terms:
            if term in owner and owner[term] != cid:
                raise LexiconError(f"{path}: term {term!r} is listed under {owner[term]} and {cid}")
            owner[term] = cid
        predicates = []
        for i, raw in enumerate(
            expect_list(path, f"{where}.predicates", entry.get("predicates", []))
        ):
            pwhere = f"{where}.predicates[{i}]"
            pred = check_keys(path, pwhere, raw, required=("subjects", "words"))
            subjects = expect_str_list(path, f"{pwhere}.subjects", pred["subjects"])
            words = expect_str_list(path, f"{pwhere}.words", pred["words"])
            for j, word in enumerate(words):
                if len(word.split()) != 1:
                    raise LexiconError(f"{path}: {pwhere}.words[{j}] must be a single word")
            predicates.append(Predicate(tuple(subjects), tuple(w.lower() for w in words)))
        parsed.append((cid, ckind, terms, lateral, tuple(predicates)))
    out = []
    for cid, ckind, terms, lateral, preds in parsed:
        forms = dict.fromkeys(terms)
        for term in terms:
            extra = plural(term)
            if owner.get(extra, cid) == cid:
                forms.setdefault(extra)
        out.append(Concept(cid, ckind, tuple(forms), lateral, preds))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Resolution:
    """A generic finding concept ("effusion") and what it means next to some anatomy.

    ``options`` are (specific concept id, anatomy concept ids) in order of preference.
    """

    concept: str
    options: tuple[tuple[str, frozenset[str]], ...]


@cache
def load_resolutions(path: Path) -> tuple[Resolution, ...]:
    """The optional ``resolve`` section of ``findings.json``, checked against its concepts.

    Anatomy ids are checked by the mention component, which knows the anatomy lexicon.
    """
    lex = load_lexicon(path, required=("concepts",), optional=("resolve",))
    known = set(expect_object(path, "concepts", lex["concepts"]))
    out = []
    for cid, raw in expect_object(path, "resolve", lex.get("resolve", {})).items():
        if cid not in known:
            raise LexiconError(f"{path}: resolve.{cid} is not a concept of this file")
        options = []
        for i, item in enumerate(expect_list(path, f"resolve.{cid}", raw)):
            where = f"resolve.{cid}[{i}]"
            entry = check_keys(path, where, item, required=("concept", "anatomy"))
            target = entry["concept"]
            if not isinstance(target, str) or target not in known or target == cid:
                raise LexiconError(
                    f"{path}: {where}.concept must name another concept of this file, "
                    f"got {target!r}"
                )
            anatomy = expect_str_list(path, f"{where}.anatomy", entry["anatomy"])
            if not anatomy:
                raise LexiconError(f"{path}: {where}.anatomy must not be empty")
            options.append((target, frozenset(anatomy)))
        out.append(Resolution(cid, tuple(options)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CueRule:
    """One assertion cue phrase with its category, direction and scope limit."""

    phrase: str
    category: str
    direction: str
    max_scope: int
    applies_to: frozenset[str]


@dataclass(frozen=True, slots=True)
class AssertionLexicon:
    cues: tuple[CueRule, ...]
    terminators: dict[str, frozenset[str]]


@cache
def load_assertion(path: Path) -> AssertionLexicon:
    lex = load_lexicon(path, required=("rules",), optional=("default_max_scope",))
    default_scope = expect_int(
        path, "default_max_scope", lex.get("default_max_scope", 12), minimum=1
    )
    cues: dict[str, CueRule] = {}
    terminators: dict[str, set[str]] = {}
    for i, raw in enumerate(expect_list(path, "rules", lex["rules"])):
        where = f"rules[{i}]"
        rule = check_keys(
            path,
            where,
            raw,
            required=("category", "direction", "phrases"),
            optional=("max_scope", "applies_to"),
        )
        category = expect_choice(path, f"{where}.category", rule["category"], CUE_CATEGORIES)
        direction = expect_choice(path, f"{where}.direction", rule["direction"], DIRECTIONS)
        scope = expect_int(
            path, f"{where}.max_scope", rule.get("max_scope", default_scope), minimum=1
        )
        if "applies_to" in rule and category != "terminate":
            raise LexiconError(f"{path}: {where}.applies_to is only allowed for terminate rules")
        applies = frozenset(
            expect_choice(path, f"{where}.applies_to[{j}]", c, ASSERTION_CATEGORIES)
            for j, c in enumerate(
                expect_list(
                    path, f"{where}.applies_to", rule.get("applies_to", list(ASSERTION_CATEGORIES))
                )
            )
        )
        for phrase in expect_str_list(path, f"{where}.phrases", rule["phrases"]):
            key = phrase.strip().lower()
            if category == "terminate":
                terminators.setdefault(key, set()).update(applies)
                continue
            if key in cues:
                raise LexiconError(f"{path}: cue {phrase!r} in {where} is already listed")
            cues[key] = CueRule(key, category, direction, scope, frozenset())
    return AssertionLexicon(
        cues=tuple(cues.values()),
        terminators={k: frozenset(v) for k, v in terminators.items()},
    )


@dataclass(frozen=True, slots=True)
class LateralityCue:
    phrase: str
    side: str
    position: str
    abbreviation: bool


@dataclass(frozen=True, slots=True)
class LateralityLexicon:
    cues: tuple[LateralityCue, ...]
    before_distance: int
    after_distance: int
    boundaries: frozenset[str]


@cache
def load_laterality(path: Path) -> LateralityLexicon:
    lex = load_lexicon(path, required=("cues",), optional=("max_distance", "boundaries"))
    dist = check_keys(
        path, "max_distance", lex.get("max_distance", {}), optional=("before", "after")
    )
    before = expect_int(path, "max_distance.before", dist.get("before", 4))
    after = expect_int(path, "max_distance.after", dist.get("after", 6))
    bounds = expect_str_list(path, "boundaries", lex.get("boundaries", []), allow_empty=True)
    cues: dict[str, LateralityCue] = {}
    for i, raw in enumerate(expect_list(path, "cues", lex["cues"])):
        where = f"cues[{i}]"
        cue = check_keys(
            path, where, raw, required=("phrases", "side"), optional=("position", "abbreviation")
        )
        side = expect_choice(path, f"{where}.side", cue["side"], SIDES)
        position = expect_choice(
            path, f"{where}.position", cue.get("position", "before"), POSITIONS
        )
        abbreviation = expect_bool(path, f"{where}.abbreviation", cue.get("abbreviation", False))
        for phrase in expect_str_list(path, f"{where}.phrases", cue["phrases"]):
            key = phrase.strip().lower()
            if key in cues:
                raise LexiconError(
                    f"{path}: laterality cue {phrase!r} in {where} is already listed"
                )
            cues[key] = LateralityCue(key, side, position, abbreviation)
    return LateralityLexicon(
        cues=tuple(cues.values()),
        before_distance=before,
        after_distance=after,
        boundaries=frozenset(b.lower() for b in bounds),
    )


@dataclass(frozen=True, slots=True)
class UnitLexicon:
    units: dict[str, str]  # spelling (lower case) -> canonical unit
    separators: tuple[str, ...]


@cache
def load_units(path: Path) -> UnitLexicon:
    lex = load_lexicon(path, required=("units",), optional=("separators",))
    units: dict[str, str] = {}
    for canonical, spellings in expect_object(path, "units", lex["units"]).items():
        for spelling in expect_str_list(path, f"units.{canonical}", spellings):
            key = spelling.strip().lower()
            if key in units and units[key] != canonical:
                raise LexiconError(f"{path}: unit spelling {spelling!r} is listed twice")
            units[key] = canonical
    if not units:
        raise LexiconError(f"{path}: units must not be empty")
    seps = expect_str_list(path, "separators", lex.get("separators", ["x"]))
    return UnitLexicon(units=units, separators=tuple(dict.fromkeys(s.strip() for s in seps)))
