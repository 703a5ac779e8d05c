"""What dictated text means for a template field: a number, a checkbox or one of its choices.

    said_value(spec.section("impression").field("birads"), "Two, benign.")   # '2 - benign'
    said_value(spec.section("findings").field("rv_lv_ratio"), "Point nine.")  # 0.9

Text that does not clearly give the field a value is kept as said, for the radiologist to
see, rather than guessed: "two, probably benign" names category 2 and category 3's words.
"""

from __future__ import annotations

import re
from typing import Any

from reporting.asr.commands import normalise
from reporting.asr.formatting import words_to_number

__all__ = ["said_value"]

#: a choice that begins with its number or letter: "2 - benign", "b. scattered areas ..."
_ENUMERATED = re.compile(r"^\s*(?P<key>\d+|[a-z])\s*[.)\-–:]\s*(?P<rest>\S.*)$", re.IGNORECASE)
#: words said around a category that name no choice ("category four", "BI-RADS two")
_AROUND = frozenset({"category", "bi", "rads", "birads", "type", "grade", "class", "score"})
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TRUE = frozenset({"yes", "present", "true", "checked"})
_FALSE = frozenset({"no", "absent", "false", "unchecked", "none"})


def said_value(fspec: Any, text: str) -> Any:
    """The value ``text``, dictated into the field ``fspec`` (a template ``FieldSpec``),
    gives it: a number for a number field, True/False for a checkbox, the choice meant for
    a choice field; ``text`` itself when it gives none clearly, and for text fields."""
    if fspec.type == "number":
        return _number(text)
    if fspec.type == "checkbox":
        said = normalise(text)
        return True if said in _TRUE else False if said in _FALSE else text
    if fspec.type == "choice" and fspec.choices:
        choice = _choice(tuple(fspec.choices), text)
        return text if choice is None else choice
    return text


def _number(text: str) -> float | int | str:
    m = _NUMBER.search(text)
    said = m.group(0) if m else _number_words(text)
    if said is None:
        return text
    value = float(said)
    return int(value) if value.is_integer() else value


def _number_words(text: str) -> str | None:
    """The number said in words at the start of ``text`` ("point nine" -> "0.9", "eleven
    point two centimeters" -> "11.2"), the longest run of words that is one."""
    words = normalise(text).split()
    for end in range(len(words), 0, -1):
        number = words_to_number(" ".join(words[:end]))
        if number is not None:
            return number
    return None


def _choice(choices: tuple[str, ...], text: str) -> str | None:
    said = _said_words(text)
    if not said:
        return None
    keys: dict[str, int] = {}
    described: list[list[str]] = []
    for i, choice in enumerate(choices):
        m = _ENUMERATED.match(choice)
        if m:
            keys[m.group("key").lower()] = i
        described.append(normalise(m.group("rest") if m else choice).split())
    whole = [normalise(c).split() for c in choices]
    for i in range(len(choices)):  # said exactly, with or without its number or letter
        if said in (whole[i], described[i]):
            return choices[i]
    begun = [i for i, words in enumerate(described) if words[: len(said)] == said]
    if len(begun) == 1:  # "extremely dense": the first words of one choice only
        return choices[begun[0]]
    named = [w for w in said if w in keys]
    if len(keys) == len(choices) and named:
        # "two, benign", "category four", "b": the number or letter said, and any other
        # word said must be that choice's own
        i = keys[named[0]]
        rest = [w for w in said if w != named[0]]
        if len(set(named)) == 1 and all(w in described[i] for w in rest):
            return choices[i]
        return None
    from rapidfuzz import fuzz, process

    best = process.extractOne(
        " ".join(said), [" ".join(w) for w in whole], scorer=fuzz.ratio, score_cutoff=80
    )
    return None if best is None else choices[best[2]]


def _said_words(text: str) -> list[str]:
    """``text``'s words, lower case, number words as digits, the words said around a
    category left out."""
    out = []
    for word in normalise(text).split():
        if word in _AROUND:
            continue
        number = words_to_number(word)
        out.append(number if number is not None and word not in ("oh",) else word)
    return out
