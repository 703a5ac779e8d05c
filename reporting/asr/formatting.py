"""Dictation formatting: spoken punctuation, numbers with units, vertebral levels, sides.

``format_text("three point two by two centimeters period")`` -> ``"3.2 x 2 cm."``.  Number words
become digits only where a reader expects digits (before a unit or a unit of time, in dimensions
and ranges of them, in an age, after a vertebral letter, with "point"), so "no one" or "two
views" stay as spoken.  The word lists (spoken marks, units, number labels, the words that make
"period" and "colon" nouns, abbreviations, eponyms) are data: ``lexicons/asr_formatting.json``,
read by :mod:`reporting.asr.format_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from reporting.asr.format_rules import load_format_rules

__all__ = [
    "FormatOptions",
    "append_text",
    "end_with_mark",
    "ends_sentence",
    "format_text",
    "has_spoken_punctuation",
    "is_spoken_punctuation",
    "leading_mark",
    "mark_words",
    "spaced",
    "spoken_words",
    "unit_of",
    "unit_words",
    "words_to_number",
]


@dataclass(frozen=True, slots=True)
class FormatOptions:
    spoken_punctuation: bool = True
    numbers: bool = True
    vertebral_levels: bool = True
    capitalize_sides: bool = False


_ONES = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SMALLWORD = "|".join(sorted([*_ONES, *_TENS], key=len, reverse=True))
#: "two hundred and fifty": "and" only between "hundred" and the rest of the number
_NUMWORD = rf"{_SMALLWORD}|hundred(?:\s+and(?=\s+(?:{_SMALLWORD})\b))?"
_NUM_RUN = rf"(?:(?:{_NUMWORD})(?:[\s-]+(?:{_NUMWORD}|point))*)"
_NUM = rf"(?:\d+(?:\.\d+)?|{_NUM_RUN})"
#: a number said from its decimal point ("point nine", "point two five"): the quantity rule
#: reads it only before a unit or after a word that asks for a value ("ratio point nine")
_POINT_NUM = (
    rf"(?:point(?:(?:[\s-]+(?:{'|'.join(w for w, n in _ONES.items() if n <= 9)}))+|\s+\d+\b))"
)
_BY = re.compile(rf"\s*(?:by|x|times)\s*(?P<n>{_NUM}|{_POINT_NUM})", re.IGNORECASE)
#: a number of at most six words, for rules that look ahead after it: an unbounded run would
#: be tried again from every word of a long one
_SHORT_RUN = rf"(?:(?:{_NUMWORD})(?:[\s-]+(?:{_NUMWORD}|point)){{0,5}}(?![\s-]+(?:{_NUMWORD})\b))"


def _words(phrases: tuple[str, ...]) -> str:
    """An alternation of ``phrases``, longest first, each space matching any run of them."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


@dataclass(frozen=True)
class _Patterns:
    """The formatting rules of ``lexicons/asr_formatting.json``, compiled."""

    #: a spoken mark as said (lower case, single spaces) -> the mark
    marks: Mapping[str, str]
    #: a unit as said or written (lower case) -> how it is written
    units: Mapping[str, str]
    punct: re.Pattern[str]
    period_is_noun: re.Pattern[str]
    organ_after: re.Pattern[str]
    organ_before: re.Pattern[str]
    never_ends: re.Pattern[str]
    quantity: re.Pattern[str]
    #: the first number of a range whose second was written as a measurement: "six to 7 mm",
    #: "between four and 6 mm"
    range: re.Pattern[str]
    #: a number that labels a grade, category, level ... is written in digits, as AMA style
    #: has it ("grade 2 chondromalacia", "BI-RADS 4", "segment 7", "type 1 diabetes")
    labelled: re.Pattern[str]
    #: an eponym in any case, its parts apart or hyphenated ("swan ganz")
    proper: re.Pattern[str]
    #: an eponym's parts, lower case and single-spaced -> the eponym as written
    proper_of: Mapping[str, str]


@cache
def _patterns() -> _Patterns:
    rules = load_format_rules()
    unit = _words(tuple(u for u, _ in rules.units) + rules.time_units)
    return _Patterns(
        marks=dict(rules.spoken_marks),
        units=dict(rules.units),
        punct=re.compile(
            r"[ \t]*(?P<written>[,.;:]?)[ \t]*\b"
            rf"(?P<w>{_words(tuple(w for w, _ in rules.spoken_marks))})\b(?P<after>[.,;:!?]*)",
            re.IGNORECASE,
        ),
        period_is_noun=re.compile(
            rf"\b(?:{_words(rules.period_is_noun_after)})\s*$", re.IGNORECASE
        ),
        organ_after=re.compile(
            rf"\b(?:{_words(rules.colon_is_organ_after)})[ \t]*$", re.IGNORECASE
        ),
        organ_before=re.compile(
            rf"[ \t]*(?:{_words(rules.colon_is_organ_before)})\b", re.IGNORECASE
        ),
        never_ends=re.compile(rf"\b(?:{_words(rules.abbreviations)})\.$", re.IGNORECASE),
        quantity=re.compile(
            rf"(?<![\w.])(?P<first>{_NUM}|{_POINT_NUM})(?P<rest>(?:\s*(?:by|x|times)\s*(?:{_NUM}|{_POINT_NUM}))*)"
            rf"(?:\s*(?P<unit>{unit}))?(?![\w])",
            re.IGNORECASE,
        ),
        range=re.compile(
            rf"(?<![\w.])(?:(?P<between>between\s+)(?P<lo2>{_SHORT_RUN})(?=\s+and\s+)|"
            rf"(?P<lo>{_SHORT_RUN})(?=\s+(?:to|through)\s+|\s*-\s*))"
            rf"(?=(?:\s+(?:to|through|and)\s+|\s*-\s*)\d+(?:\.\d+)?(?:%|\s*(?:{unit})(?![\w])))",
            re.IGNORECASE,
        ),
        labelled=re.compile(
            rf"\b(?P<label>{_words(rules.number_labels)})\s+(?P<n>\d{{1,3}}\b|{_SHORT_RUN})"
            r"(?:[ \t]?(?P<letter>(?-i:[ABCFX]))(?!\w))?"
            rf"(?:\s+(?P<join>to|through|and|or)\s+(?P<m>{_SHORT_RUN}))?\b",
            re.IGNORECASE,
        ),
        proper=re.compile(
            r"\b(?:" + "|".join(spaced(noun) for noun in rules.proper_nouns) + r")\b",
            re.IGNORECASE,
        ),
        proper_of={_closed(noun): noun for noun in rules.proper_nouns},
    )


def spaced(name: str) -> str:
    """A regular expression for ``name`` written with a space, a hyphen or nothing between
    its parts ("Swan Ganz", "Swan-Ganz", "SwanGanz"; "midline shift", "midlineshift")."""
    return r"[\s-]*".join(re.escape(p) for p in re.split(r"[\s-]+", name.strip()))


def _closed(text: str) -> str:
    """``text`` lower case without its spaces and hyphens: a proper noun however it is
    spaced ("bi rads", "BIRADS", "Birads" are "BI-RADS")."""
    return re.sub(r"[\s-]+", "", text.lower())


def _proper(m: re.Match[str]) -> str:
    return _patterns().proper_of.get(_closed(m.group(0)), m.group(0))


@cache
def unit_of() -> Mapping[str, str]:
    """A unit said or written as one word, lower case, and how it is written
    ("millimeters": "mm", "mm": "mm")."""
    units = _patterns().units
    return {
        **{said: unit for said, unit in units.items() if " " not in said},
        **{unit.lower(): unit for unit in units.values()},
    }


@cache
def unit_words() -> frozenset[str]:
    """Every word of a unit, said or written ("centimeters", "cm", "mercury"), lower case."""
    return frozenset(
        w
        for pair in _patterns().units.items()
        for u in pair
        for w in re.split(r"[\s/]+", u.lower())
    )


@cache
def spoken_words() -> frozenset[str]:
    """Every word formatting turns into something written, lower case: number words, the
    words of units, spoken marks and eponyms ("seven", "millimeters", "paragraph", "kerley")."""
    eponyms = (w for said in _patterns().proper_of for w in said.split())
    return _NUMBER_WORDS | unit_words() | mark_words() | frozenset(eponyms)


@cache
def mark_words() -> frozenset[str]:
    """Every word of a spoken mark ("new", "paragraph", "period"), lower case: a word that
    formatting drops may be one of these."""
    return frozenset(w for said in _patterns().marks for w in said.split())


def words_to_number(text: str) -> str | None:
    """``"three point two"`` -> ``"3.2"``; ``"forty five"`` -> ``"45"``; None if not a number."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return text
    words = re.split(r"[\s-]+", text)
    if "point" in words:
        idx = words.index("point")
        whole = words_to_number(" ".join(words[:idx])) if idx else "0"
        after = words[idx + 1 :]
        if len(after) == 1 and after[0].isdigit():  # "point 5", as the recogniser writes it
            after = list(after[0])
        digits = [int(w) if w.isdigit() else _ONES.get(w) for w in after]
        if whole is None or "." in whole or not digits or any(d is None or d > 9 for d in digits):
            return None
        return f"{whole}.{''.join(str(d) for d in digits)}"
    total, current, seen = 0, 0, False
    last: str | None = None
    for w in words:
        if w == "and" and last == "hundred":
            continue  # "two hundred and fifty"
        if w in _ONES:
            if last in ("ones",) or (last == "tens" and _ONES[w] >= 10):
                return None
            if last == "tens" or last == "hundred" or last is None:
                current += _ONES[w]
            else:
                return None
            last = "ones"
        elif w in _TENS:
            if last not in (None, "hundred"):
                return None
            current += _TENS[w]
            last = "tens"
        elif w == "hundred":
            if last != "ones" or current == 0 or current > 9:
                return None
            current *= 100
            last = "hundred"
        else:
            return None
        seen = True
    return str(total + current) if seen else None


#: words after which a number said from its decimal point is a value ("ratio point nine")
_VALUE_BEFORE = frozenset(
    {"of", "is", "was", "are", "were", "measures", "measuring", "measured", "approximately"}
    | {"about", "ratio", "index", "fraction", "score", "value", "to", "and", "from", "by"}
)


#: words that make the "point" after them a noun ("at this point 5 mm ..."), not a decimal
_POINT_IS_NOUN_AFTER = frozenset(
    {"this", "that", "which", "what", "some", "any", "each", "every", "no", "same", "the"}
)


def _quantity(m: re.Match[str]) -> str:
    if m.group("first").lower().startswith("point"):
        last = _word_before(m.string, m.start()).strip(",;:")
        if last in _POINT_IS_NOUN_AFTER or (m.group("unit") is None and last not in _VALUE_BEFORE):
            # "at this point five nodules": the noun, and what follows it read on its own
            said = m.group(0)
            return said[:5] + _patterns().quantity.sub(_quantity, said[5:])
    first = words_to_number(m.group("first"))
    numbers = [first] + [words_to_number(b.group("n")) for b in _BY.finditer(m.group("rest") or "")]
    unit = m.group("unit")
    worth_it = unit is not None or len(numbers) > 1 or "point" in m.group(0).lower()
    if any(n is None for n in numbers) or not worth_it:
        return m.group(0)
    body = " x ".join(n for n in numbers if n is not None)
    if unit is None:
        return body
    said = " ".join(unit.split())
    short = _patterns().units.get(said.lower(), said)  # a unit of time stays as said
    return f"{body}%" if short == "%" else f"{body} {short}"


#: a time of day with a.m. or p.m., as the recogniser writes it ("3.15 pm", "3:15 PM", "315
#: p.m.", "11 a.m"): written "3:15 p.m.", the way a report records when a result was
#: communicated
_CLOCK = re.compile(
    r"(?<![\w.:])(?P<h>1[0-2]|0?[1-9])(?:[.:]?(?P<m>[0-5]\d))?[ \t]*(?P<ap>[ap])\.?[ \t]?m\b\.?",
    re.IGNORECASE,
)


def _clock(m: re.Match[str]) -> str:
    minutes = f":{m.group('m')}" if m.group("m") else ""
    return f"{int(m.group('h'))}{minutes} {m.group('ap').lower()}.m."


_NUMBER_WORDS = frozenset([*_ONES, *_TENS, "hundred", "point"])
_HOUR_WORD = "|".join(sorted((w for w, n in _ONES.items() if 1 <= n <= 12), key=len, reverse=True))
_DIGIT_WORD = "|".join(w for w, n in _ONES.items() if 1 <= n <= 9)
_TEEN_WORD = "|".join(sorted((w for w, n in _ONES.items() if n >= 10), key=len, reverse=True))
_TENS_WORD = "|".join(w for w, n in _TENS.items() if n <= 50)
#: the same time said in words ("two thirty p.m.", "ten oh five AM", "three o'clock pm")
_CLOCK_WORDS = re.compile(
    rf"(?<![\w.:-])(?P<h>{_HOUR_WORD})(?:[ \t]+(?P<m>oh[ \t-]+(?:{_DIGIT_WORD})|{_TEEN_WORD}|"
    rf"(?:{_TENS_WORD})(?:[ \t-]+(?:{_DIGIT_WORD}))?)|[ \t]+o'?[ \t]?clock)?"
    r"[ \t]*(?P<ap>[ap])\.?[ \t]?m\b\.?",
    re.IGNORECASE,
)


def _clock_words(m: re.Match[str]) -> str:
    before = _word_before(m.string, m.start())
    if before in _NUMBER_WORDS or before[-1:].isdigit():
        return m.group(0)  # "twenty one pm" is no time this rule can read
    minutes = ""
    if m.group("m"):
        said = m.group("m").lower()
        digits = words_to_number(re.sub(r"^oh[ \t-]+", "", said))
        if digits is None or not 1 <= int(digits) <= 59:
            return m.group(0)
        minutes = f":{int(digits):02d}"
    hour = words_to_number(m.group("h"))
    return f"{hour}{minutes} {m.group('ap').lower()}.m."


#: a clock-face position, as breast imaging gives a finding's place ("at the ten o'clock
#: position", "two o clock"): written "10 o'clock"
_CLOCK_FACE = re.compile(
    rf"(?<![\w.:-])(?:(?P<from>{_HOUR_WORD}|1[0-2]|[1-9])[ \t]*(?P<to>to|through|and|-)[ \t]*)?"
    rf"(?P<h>{_HOUR_WORD}|1[0-2]|[1-9])[ \t]*o['’]?[ \t]?clock\b",
    re.IGNORECASE,
)


def _clock_face(m: re.Match[str]) -> str:
    if _word_before(m.string, m.start()) in _NUMBER_WORDS:
        return m.group(0)
    hour = f"{words_to_number(m.group('h'))} o'clock"
    if m.group("from") is None:
        return hour
    joined = "-" if m.group("to") == "-" else f" {m.group('to')} "
    return f"{words_to_number(m.group('from'))}{joined}{hour}"  # "from 2 to 4 o'clock"


#: "minus" said before a number ("minus 10 HU", "T-score minus 2.5"), or "negative" before a
#: measurement ("negative 20 HU"), is its sign; "plus or minus 2 mm" stays as said
_SIGN = re.compile(
    r"(?<!\bplus )(?<!\bplus or )(?<!/)\b(?:minus[ \t]+(?=\d)|negative[ \t]+(?=(?P<n>\d+(?:\.\d+)?)"
    r"[ \t]*(?P<u>[^\W\d_]+|%)))",
    re.IGNORECASE,
)


def _sign(m: re.Match[str]) -> str:
    if m.group("u") is not None and m.group("u").lower() not in unit_of():
        return m.group(0)  # "negative 3 lymph nodes": no measurement
    return "-"


#: an age as an adjective: "65 year old" -> "65-year-old"
_AGE = re.compile(
    rf"(?<![\w.])(?P<n>\d+|{_SHORT_RUN})[\s-]+(?P<u>year|month|week|day)[\s-]+old\b", re.IGNORECASE
)


def _labelled(m: re.Match[str]) -> str:
    number = words_to_number(m.group("n")) or _read_digits(m.group("n"))
    if number is None:
        return m.group(0)
    # "category 4 A" -> "4A", as Lung-RADS and BI-RADS write their subcategories
    out = f"{m.group('label')} {number}{m.group('letter') or ''}"
    if m.group("m") is not None:  # "grade two to three": both ends in digits
        other = words_to_number(m.group("m"))
        out += f" {m.group('join')} {other if other is not None else m.group('m')}"
    return out


def _read_digits(said: str) -> str | None:
    """A number read digit-group by digit-group, as image and series numbers are said ("one
    twenty three" -> "123", "two oh five" -> "205"); None when ``said`` is not one."""
    words = re.split(r"[\s-]+", said.strip().lower())
    if len(words) < 2 or _ONES.get(words[0], 0) not in range(1, 10):
        return None
    rest = words[1:]
    if rest[0] == "oh" and len(rest) == 2:
        tail = _ONES.get(rest[1])
        return f"{_ONES[words[0]]}0{tail}" if tail is not None and 1 <= tail <= 9 else None
    two = words_to_number(" ".join(rest))
    return f"{_ONES[words[0]]}{two}" if two is not None and 10 <= int(two) <= 99 else None


def _age(m: re.Match[str]) -> str:
    number = words_to_number(m.group("n"))
    if number is None:
        return m.group(0)
    return f"{number}-{m.group('u').lower()}-old"


def _range(m: re.Match[str]) -> str:
    low = m.group("lo") if m.group("lo") is not None else m.group("lo2")
    number = words_to_number(low)
    if number is None:
        return m.group(0)
    return (m.group("between") or "") + number


_LEVEL_RANGE = {"C": 8, "T": 12, "L": 5, "S": 5}
_ORDER = "CTLS"
_SMALL = rf"(?:\d{{1,2}}|{'|'.join(sorted(_ONES, key=len, reverse=True))})"
_LEVEL = re.compile(
    rf"\b(?P<a>[CTLS])\.?[\s-]*(?P<n>{_SMALL})\b(?:(?:\s*(?:-|,|to|through)\s*|\s+)(?:(?P<b>[CTLS])\.?[\s-]*)?(?P<m>{_SMALL})\b)?",
)
#: a level pair the recogniser wrote as one number ("L45") or as a decimal ("L4.5", "L5.1" for
#: "L five S one"), never a measurement ("L4.5 cm")
_SQUASHED = re.compile(r"\b(?P<a>[CL])(?P<n>[1-7])\.?(?P<m>[1-8])\b(?!\.\d|\s*(?:mm|cm|%))")


def _level_value(token: str) -> int | None:
    token = token.lower()
    if token.isdigit():
        return int(token)
    value = _ONES.get(token)
    return value if value is not None and value > 0 else None


def _valid(letter: str, value: int | None) -> bool:
    return value is not None and 1 <= value <= _LEVEL_RANGE[letter]


def _level(m: re.Match[str]) -> str:
    a, n = m.group("a"), _level_value(m.group("n"))
    if not _valid(a, n):
        return m.group(0)
    assert n is not None
    if m.group("m") is None:
        return f"{a}{n}"
    b = m.group("b") or a
    second = _level_value(m.group("m"))
    if not _valid(b, second):
        return f"{a}{n}" + m.group(0)[m.end("n") - m.start() :]
    assert second is not None
    if b == a and second == n + 1:
        return f"{a}{n}-{second}"
    if b != a and _ORDER.index(b) == _ORDER.index(a) + 1 and n == _LEVEL_RANGE[a] and second == 1:
        return f"{a}{n}-{b}{second}"
    return f"{a}{n}" + m.group(0)[m.end("n") - m.start() :]


def _squashed(m: re.Match[str]) -> str:
    n, second = int(m.group("n")), int(m.group("m"))
    if m.group("a") == "L" and n == 5 and second == 1:
        return "L5-S1"
    if second == n + 1 and second <= _LEVEL_RANGE[m.group("a")]:
        return f"{m.group('a')}{n}-{second}"
    return m.group(0)


def _punctuation_words(text: str) -> Iterator[tuple[re.Match[str], str]]:
    """Each spoken punctuation word of ``text`` with its canonical spelling; "period" as a noun
    ("the postoperative period") is not one."""
    found = _patterns()
    for m in found.punct.finditer(text):
        word = " ".join(m.group("w").lower().split())
        if word == "period" and found.period_is_noun.search(_just_before(text, m.start("w"))):
            continue
        if word == "colon" and _is_organ(text, m):
            continue
        yield m, word


#: how far back the context rules look: a few words, so a long text is read in linear time
_LOOK_BACK = 60


def _just_before(text: str, at: int) -> str:
    """The few words of ``text`` before ``at`` that the context rules read."""
    return text[max(0, at - _LOOK_BACK) : at]


def _word_before(text: str, at: int) -> str:
    """The word of ``text`` right before ``at``, lower case ("" at the start)."""
    words = _just_before(text, at).split()
    return words[-1].lower() if words else ""


def _is_organ(text: str, m: re.Match[str]) -> bool:
    """Whether the "colon" of ``m`` is the organ, not the punctuation mark: a sentence that
    starts with it, or the words around it ("the sigmoid colon", "colon cancer"); said as a
    mark it follows a header's words and comes before what the header introduces
    ("Findings colon the lungs are clear", "Liver colon normal")."""
    before = _just_before(text, m.start("w"))
    if not re.search(r"\w", re.split(r"[.?!\n]", before)[-1]) and (
        len(before) < _LOOK_BACK or re.search(r"[.?!\n]", before)
    ):
        return True  # the sentence starts with it
    if m.group("written"):  # a mark written right before it: "Findings: colon"
        return True
    found = _patterns()
    return bool(found.organ_after.search(before) or found.organ_before.match(text, m.end("w")))


def spoken_sentence_ends(text: str) -> list[tuple[int, int]]:
    """(start, end) of each spoken sentence or line end in ``text`` ("period", "full stop",
    "question mark", "new line", "new paragraph"), written punctuation after it included: the
    recogniser often writes "... effusion period next field." as one sentence."""
    return [
        (m.start("w"), m.end())
        for m, word in _punctuation_words(text)
        if _patterns().marks[word] in (".", "?", "\n", "\n\n")
    ]


def has_spoken_punctuation(text: str) -> bool:
    """Whether ``text`` holds a spoken punctuation word: its speaker punctuates aloud."""
    return next(_punctuation_words(text), None) is not None


def is_spoken_punctuation(text: str) -> bool:
    """Whether ``text`` is spoken punctuation and nothing else ("New paragraph.", "period")."""
    rest, pos, found = [], 0, False
    for m, _ in _punctuation_words(text):
        rest.append(text[pos : m.start()])
        pos, found = m.end(), True
    rest.append(text[pos:])
    return found and not re.search(r"\w", "".join(rest))


def _spoken_punctuation(text: str) -> str:
    out: list[str] = []
    pos = 0
    last = ""  # the last character written that is not a space
    for m, word in _punctuation_words(text):
        before = text[pos : m.start()]
        out.append(before)
        last = before.rstrip(" \t")[-1:] or last
        mark = _patterns().marks[word]
        if mark.startswith("\n") and m.group("written") == ".":
            mark = "." + mark  # "effusion. New paragraph": the sentence keeps its full stop
        if mark == "(" and last not in ("", "\n", "("):
            mark = " ("  # "nodule open paren series 3": a space before it, as written
        if mark == ")" and m.group("after")[:1] in (".", "?"):
            mark += m.group("after")[0]  # "(series 3)." keeps the full stop written after it
        out.append(mark)
        last = mark[-1]
        pos = m.end()
    out.append(text[pos:])
    text = "".join(out)
    text = re.sub(r"[ \t]+([.,;:?)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    text = _NO_SPACE_AFTER.sub(_space_after, text)
    text = re.sub(r"([.?])[.,;:]+", r"\1", text)
    text = re.sub(r",{2,}", ",", text)
    text = re.sub(r"[ \t]*/[ \t]*", "/", text)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    return _capitalise_sentences(text)


_LEADING_MARK = re.compile(r"[ \t]*(?P<mark>[.,;:?!])[.,;:?! \t]*")


def leading_mark(text: str) -> tuple[str, str]:
    """``(mark, rest)``: the punctuation mark an utterance's text begins with and the text
    after it, or ``("", text)``.  "Period" said after a pause comes out as an utterance of its
    own, or at the start of the next one: it ends the sentence dictated before it."""
    m = _LEADING_MARK.match(text)
    if m is None:
        return "", text
    return m.group("mark"), text[m.end() :]


def end_with_mark(before: str, mark: str) -> str:
    """``before`` ended with ``mark`` (see :func:`leading_mark`), said aloud: it replaces the
    full stop or comma the recogniser wrote at the pause ("... mildly low." + ", with
    atelectasis").  ``before`` stays as it is when empty or ended by a line break, a question
    mark or an exclamation mark."""
    stripped = before.rstrip(" \t")
    if not mark or not stripped or stripped[-1] in "\n?!":
        return before
    if stripped[-1] in ".,;:":
        stripped = stripped[:-1]
    return stripped + mark


def append_text(before: str, addition: str) -> str:
    """``addition``, dictated after ``before``, added to it: one space between them, or none
    beside a line break.  Every break said stays, as within one utterance ("new line" said
    twice leaves an empty line); text dictated first drops the breaks it begins with.  After
    a comma or semicolon the sentence goes on, so its first word loses the capital the
    recogniser gave it ("... effusion," + "Moderate" -> "... effusion, moderate")."""
    if not before.strip():
        return addition.lstrip()
    kept = before.rstrip(" \t")
    if addition.startswith("\n") or kept.endswith("\n"):
        return kept + addition.lstrip(" \t")
    addition = addition.lstrip()
    if kept.endswith((",", ";")) and not _patterns().proper.match(addition):
        # "small effusion, comma" + "Moderate": the same sentence ("Kerley" keeps its capital)
        addition = _LOWER_AFTER_COMMA.sub(lambda m: m.group(0).lower(), addition, count=1)
    return f"{kept.rstrip()} {addition}"


#: a capitalised first word that is not an acronym ("CT", "L4") nor "I"
_LOWER_AFTER_COMMA = re.compile(r"^[A-Z](?=[a-z]+\b)")


#: a mark with a letter after it and no space, which gets one ("effusion.Lungs")
_NO_SPACE_AFTER = re.compile(r"[.,;:?](?=[A-Za-z(])")


def _space_after(m: re.Match[str]) -> str:
    """A space after the mark, except for the full stops inside an abbreviation written with
    them, one letter at a time ("i.e.", "e.g.", "p.m.", "U.S.")."""
    text, at = m.string, m.start()
    one_letter = at >= 1 and text[at - 1].isalpha() and (at < 2 or not text[at - 2].isalnum())
    if m.group(0) == "." and one_letter and text[at + 2 : at + 3] == ".":
        return "."
    return m.group(0) + " "


#: an abbreviation written with a full stop after each letter ("p.m.", "U.S."): a sentence
#: end only before a capital
_INITIALISM = re.compile(r"\b[A-Za-z]\.(?:[A-Za-z]\.)+$")


#: the number of an item of a numbered list, where a sentence starts ("1. Small effusion.")
_ITEM_NUMBER = re.compile(r"(?:^|[.?!:]\s+|\n)\s*\d{1,2}\.$")


def ends_sentence(text: str, at: int) -> bool:
    """Whether the full stop at ``at`` in ``text`` ends a sentence: not one of an abbreviation
    such as "e.g." or "vs.", nor of "p.m." with a lower-case word after it, nor the one after
    a numbered item's number ("... 2. No pneumothorax.")."""
    return not (_ITEM_NUMBER.search(_just_before(text, at + 1)) or _abbreviation(text, at))


def _abbreviation(text: str, at: int) -> bool:
    """Whether the full stop at ``at`` is an abbreviation's that does not end its sentence."""
    before = _just_before(text, at + 1)
    if _patterns().never_ends.search(before):
        return True
    after = text[at + 1 : at + 1 + _LOOK_BACK].lstrip()
    return bool(_INITIALISM.search(before)) and after[:1].islower()


def _capitalise_sentences(text: str) -> str:
    def up(m: re.Match[str]) -> str:
        if m.group(1)[:1] == "." and _abbreviation(text, m.start(1)):
            return m.group(0)  # "vs. atelectasis", "3 p.m. today": the case as written
        return m.group(1) + m.group(2).upper()

    return re.sub(r"((?:^|[.?!]\s+|\n)\s*)([a-z])", up, text)


_ITEM_WORD = "|".join(sorted((w for w, n in _ONES.items() if 1 <= n <= 19), key=len, reverse=True))
#: an item of a numbered list where a sentence starts, said "number one": Whisper writes the
#: numero sign ("No. 1. Small effusion", "No.1 small effusion"), which reads as a negation
#: of the finding, or the word with a pause after the number ("Number 1. Small effusion",
#: "Number two, no pneumothorax")
_ITEM = re.compile(
    r"(?P<lead>^[ \t]*|[.:?!;][ \t]+|\n[ \t]*)"
    r"(?:(?-i:No)\.[ \t]?(?P<d>\d{1,2})[.,:]?"
    rf"|(?:number|No\.)[ \t]+(?:(?P<w>{_ITEM_WORD})|(?P<d2>\d{{1,2}}))[.,:])"
    r"(?P<gap>[ \t]+)(?P<first>[A-Za-z0-9])",
    re.IGNORECASE,
)
#: a list item's number where a sentence starts ("1. Small effusion"), or one the recogniser
#: wrote inside a sentence ("effusion No. 2 no pneumothorax", "effusion 2. No pneumothorax")
_ITEM_NUMBERS = re.compile(
    r"(?:^|(?<!\bNo)[.:?!;][ \t]+|\n)[ \t]*(?P<at>\d{1,2})\. [A-Z0-9]"
    r"|(?<=[A-Za-z0-9])[,;]?[ \t]+[Nn]o\.(?:[ \t]?(?P<no>\d{1,2})[.,:]?[ \t]+(?P<first>[A-Za-z])"
    r"|(?P<glued>\d{1,2})[.,:]?[ \t]+(?P<digit>\d))"
    r"|(?<=[A-Za-z])[,;]?[ \t]+(?:"
    rf"[Nn]umber[ \t]+(?:(?P<said>{_ITEM_WORD})|(?P<digits>\d{{1,2}}))[.,:][ \t]+(?P<next>[A-Za-z])"
    r"|(?P<inside>\d{1,2})\.[ \t]+(?P<capital>[A-Z]))"
)


def _unit_at(text: str, at: int) -> bool:
    """Whether the word at ``at`` is a unit, of time too: "No. 2 mm hyperdensity" is no list
    item."""
    word = re.match(r"[A-Za-z]+", text[at:])
    if word is None:
        return False
    said = word.group(0).lower()
    return said in unit_words() or said in load_format_rules().time_units


def _item(m: re.Match[str]) -> str:
    if _unit_at(m.string, m.start("first")):
        return m.group(0)
    glued = m.group("d") is not None and m.string[m.start("d") - 1] == "."  # "No.1"
    if m.group("first").isdigit() and m.string[m.start("gap") - 1] not in ".,:" and not glued:
        # "No. 2 3 ...": an item starts with a number only after a mark, or as "No.1 6 mm"
        return m.group(0)
    number = m.group("d") or m.group("d2") or words_to_number(m.group("w"))
    return f"{m.group('lead')}{int(number or 0)}. {m.group('first').upper()}"


def _numbered_items(text: str) -> str:
    """Write each item of a numbered list said as "number one ... number two ..." as a list
    item that starts a sentence.  The next item's number, written by the recogniser inside a
    sentence ("... effusion No. 2 no pneumothorax", "... effusion 2. No pneumothorax"), starts
    a sentence when it follows the item before it: "image 45." is no item after "1."."""
    text = _ITEM.sub(_item, text)
    out: list[str] = []
    pos, last = 0, None
    for m in _ITEM_NUMBERS.finditer(text):
        if m.group("at") is not None:
            last = int(m.group("at"))
            continue
        said = m.group("no") or m.group("inside") or m.group("digits") or m.group("glued")
        number = int(said or words_to_number(m.group("said")) or 0)
        first = m.group("first") or m.group("capital") or m.group("next") or m.group("digit")
        if last is None or number != last + 1 or _unit_at(text, m.end() - 1):
            continue
        out.append(f"{text[pos : m.start()]}. {number}. {first.upper()}")
        pos, last = m.end(), number
    out.append(text[pos:])
    return "".join(out)


def format_text(text: str, options: FormatOptions | None = None) -> str:
    """Apply the dictation formatting rules to one utterance's text."""
    opts = options or FormatOptions()
    if opts.spoken_punctuation:
        text = _spoken_punctuation(text)
    if opts.numbers:
        text = _numbered_items(text)
    if opts.vertebral_levels:
        text = _LEVEL.sub(_level, text)
        text = _SQUASHED.sub(_squashed, text)
    if opts.numbers:
        found = _patterns()
        text = found.quantity.sub(_quantity, text)
        text = found.range.sub(_range, text)
        text = _AGE.sub(_age, text)
        text = _CLOCK_WORDS.sub(_clock_words, text)
        text = _CLOCK.sub(_clock, text)
        text = _CLOCK_FACE.sub(_clock_face, text)
        text = _SIGN.sub(_sign, text)
        text = found.labelled.sub(_labelled, text)
    text = _patterns().proper.sub(_proper, text)
    if opts.capitalize_sides:
        text = re.sub(r"\b(left|right)\b", lambda m: m.group(1).upper(), text, flags=re.IGNORECASE)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return text.strip(" \t")
