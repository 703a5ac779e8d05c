"""What dictated text means for a template field: a number, a checkbox or one of its choices.

    said_value(spec.section("impression").field("birads"), "Two, benign.")   # '2 - benign'
    said_value(spec.section("findings").field("rv_lv_ratio"), "Point nine.")  # 0.9

Text that does not clearly give the field a value is kept as said, for the radiologist to
see, rather than guessed: "two, probably benign" names category 2 and category 3's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from reporting.asr.commands import normalise
from reporting.asr.correction import Correction
from reporting.asr.formatting import format_text, unit_of, unit_words, words_to_number

__all__ = [
    "choice_words",
    "measured_fields",
    "measured_names",
    "numbered_names",
    "restore_measured_names",
    "restore_names_said_alone",
    "said_value",
    "said_values",
    "spoken_targets",
    "starts_with_measurement",
    "value_of",
]

#: a choice that begins with its number or letter: "2 - benign", "b. scattered areas ..."
ENUMERATED = re.compile(r"^\s*(?P<key>\d+|[a-z])\s*[.)\-–:]\s*(?P<rest>\S.*)$", re.IGNORECASE)
#: words said around a category that name no choice ("category four", "BI-RADS two")
_AROUND = frozenset({"category", "bi", "rads", "birads", "type", "grade", "class", "score"})
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: words that may go with a number said into a number field ("measures approximately 11 cm")
#: words that may stand between a measured field's name and its measurement ("midline shift
#: of 6 mm", "right kidney length measures 11 cm")
MEASURE_WORDS = ("is", "of", "measures", "measuring", "measured", "about", "approximately")
_WITH_NUMBER = frozenset({*MEASURE_WORDS, "the", "at"})
#: the most words a number said in words takes ("two hundred and fifty five point two five")
_LONGEST_NUMBER = 10
#: a letter as the recogniser writes it when said alone ("b" -> "Bee.", "c" -> "See.")
_LETTER_SAID = {"ay": "a", "eh": "a", "bee": "b", "be": "b", "see": "c", "sea": "c", "cee": "c"}
_LETTER_SAID |= {"dee": "d", "de": "d"}
_TRUE = frozenset({"yes", "present", "true", "checked"})
_FALSE = frozenset({"no", "absent", "false", "unchecked", "none"})


def choice_words(choice: str) -> str:
    """A choice without the number or letter it is listed by ("3 - probably benign" ->
    "probably benign"): what a radiologist says, and a term to bias the recogniser to."""
    m = ENUMERATED.match(choice)
    return m.group("rest") if m else choice


#: a measurement as formatting writes it: a number, or dimensions, and a unit ("11 cm", "3 x 2
#: cm", "50%")
_MEASURED_BY = re.compile(r"^\s*(?:measures|measuring|measured|is|are)\b", re.IGNORECASE)
_MEASUREMENT = re.compile(r"\s*\d+(?:\.\d+)?(?:\s*x\s*\d+(?:\.\d+)?)*\s*(?P<unit>[A-Za-z/]+|%)")


def starts_with_measurement(text: str) -> bool:
    """Whether ``text`` begins with a measurement, said in digits or words ("11 cm", "eleven
    point two centimeters", "3 by 2 cm", "measures 11 cm"): what a text field's name said
    before it ("Spleen 11 cm.") gives that field."""
    m = _MEASUREMENT.match(_MEASURED_BY.sub("", format_text(text[:200]), count=1))
    return m is not None and m.group("unit").lower() in unit_of()


#: how alike (rapidfuzz ratio, 0-100, of the sound-alike keys) the words that begin a sentence
#: before a measurement must be to a measured field's name to be taken for it
NAME_SCORE = 80.0
#: where a sentence starts: the text's start, or after a full stop and a space
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?])\s+)(?=[A-Za-z])")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'.-]*")
#: the most words a measured field's name may be heard as
_NAME_WORDS = 5
#: a word written in capitals ("TI-RADS", "PI-RADS"): heard as an acronym, not as words
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
#: a number that ends its sentence or clause ("4.", "four, suspicious")
_NUMBER_ALONE = re.compile(r"[A-Za-z0-9]+\s*(?:[.,;!?]|$)")


def measured_fields(spec: Any) -> list[tuple[Any, tuple[str, ...]]]:
    """Template ``spec``'s number fields with a unit, each with its names (trigger, label):
    what a radiologist says before a measurement to fill one ("Uterine length 9.8 cm")."""
    out: list[tuple[Any, tuple[str, ...]]] = []
    for sec in getattr(spec, "sections", ()):
        for fld in getattr(sec, "fields", ()) or ():
            if getattr(fld, "type", "") != "number" or not getattr(fld, "unit", None):
                continue
            said = (getattr(fld, "trigger", None), getattr(fld, "label", None))
            out.append((fld, tuple(" ".join(str(n).split()) for n in said if n)))
    return out


def spoken_targets(spec: Any) -> list[tuple[str, str, str | None]]:
    """Each name a radiologist may say to go to a part of template ``spec`` (normalised, as
    the grammar reads it), with its section and field id (None for the section itself), in
    template order: a section's name and title, then each of its fields' label, trigger and
    id."""
    out: list[tuple[str, str, str | None]] = []
    for sec in getattr(spec, "sections", ()):
        for name in (sec.name.replace("_", " "), getattr(sec, "title", "")):
            if normalise(name or ""):
                out.append((normalise(name), sec.name, None))
        for fld in getattr(sec, "fields", ()) or ():
            for name in (fld.label, getattr(fld, "trigger", None), fld.id.replace("_", " ")):
                if name and normalise(name):
                    out.append((normalise(name), sec.name, fld.id))
    return out


def said_values(spec: Any) -> frozenset[str]:
    """What a radiologist says alone to fill a field of template ``spec``, normalised: each
    choice of its choice fields as said ("probably benign", "none") and the words that check
    or clear its checkboxes ("yes", "present", "absent": those :func:`value_of` reads)."""
    out: set[str] = set()
    for sec in getattr(spec, "sections", ()):
        for fld in getattr(sec, "fields", ()) or ():
            kind = getattr(fld, "type", "")
            if kind == "choice":
                out.update(normalise(choice_words(str(c))) for c in getattr(fld, "choices", ()))
            elif kind == "checkbox":
                out.update(_TRUE | _FALSE)
    return frozenset(v for v in out if v)


def measured_names(spec: Any) -> tuple[str, ...]:
    """The names of template ``spec``'s measured fields (:func:`measured_fields`), each
    once however it is cased or spaced."""
    return _once(said for _, said in measured_fields(spec))


def numbered_names(spec: Any) -> tuple[str, ...]:
    """The names (trigger, label) of template ``spec``'s choice fields whose choices are
    numbered ("4 - suspicious"): what a radiologist says before the number ("BI-RADS 4")."""
    out: list[tuple[str, ...]] = []
    for sec in getattr(spec, "sections", ()):
        for fld in getattr(sec, "fields", ()) or ():
            choices = getattr(fld, "choices", ()) or ()
            keys = [ENUMERATED.match(c) for c in choices]
            if (
                getattr(fld, "type", "") == "choice"
                and choices
                and all(k is not None and k.group("key").isdigit() for k in keys)
            ):
                label = " ".join(str(getattr(fld, "label", "") or "").split())
                trigger = " ".join(str(getattr(fld, "trigger", "") or "").split())
                # the trigger as the label spells it ("birads" -> "BI-RADS")
                spelt = [w for w in label.split() if trigger and _squash(w) == _squash(trigger)]
                out.append(tuple(n for n in (spelt[0] if spelt else trigger, label) if n))
    return _once(out)


def _once(groups: Any) -> tuple[str, ...]:
    """The names of ``groups`` of names, each once however it is cased or spaced."""
    names: dict[str, str] = {}
    for said in groups:
        for name in said:
            names.setdefault(normalise(name), name)
    return tuple(names.values())


def _squash(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _is_number(token: str) -> bool:
    bare = token.lower().rstrip(".,")
    return bare[:1].isdigit() or words_to_number(bare) is not None


def restore_measured_names(
    text: str,
    names: Sequence[str],
    key: Callable[[str], str],
    *,
    min_score: float = NAME_SCORE,
    numbered: Sequence[str] = (),
) -> tuple[str, list[Correction]]:
    """``text`` with the words that begin a sentence right before a measurement (in digits
    or words) written as the measured field's name they sound like ("And a material
    thickness 8 mm." -> "Endometrial thickness 8 mm."), and those changes (kind
    ``"field"``, at their place in ``text``).  The words must be within ``min_score`` of
    one of ``names`` only (``key``: the corrector's sound-alike key); words that begin with
    a name, however it is spaced ("Postvoid residual volume is 50 mL."), are left alone.
    ``numbered``: names of fields whose value is a number said alone, restored the same
    way before a number that ends its sentence or clause ("By rads 4." -> "BI-RADS 4."),
    unless the words were written as an acronym ("TI-RADS 4.")."""
    if not names and not numbered:
        return text, []
    keys = [(name, key(name)) for name in names]
    numbered_keys = [(name, key(name)) for name in numbered]
    squashed = [_squash(name) for name in (*names, *numbered)]
    changes: list[Correction] = []
    for m in _SENTENCE_START.finditer(text):
        tokens = list(_TOKEN.finditer(text, m.end(), m.end() + 200))[: _NAME_WORDS + 1]
        count = next((i for i, t in enumerate(tokens) if _is_number(t.group(0))), 0)
        if not count:
            continue
        said = text[tokens[count].start() :]
        pool = keys if starts_with_measurement(said) else []
        if not pool and _NUMBER_ALONE.match(said):
            pool = numbered_keys
        if not pool:
            continue
        start, end = m.end(), tokens[count - 1].end()
        # a name said after a pause inside the sentence ("Enlarged, endometrial thickness,
        # 12 mm."): only the words after the pause may be it, the words before are the value
        # said for the field before
        pause = max(text.rfind(mark, start, end) for mark in ",;:")
        if pause >= 0:
            start = pause + 1 + len(text[pause + 1 : end]) - len(text[pause + 1 : end].lstrip())
        head = text[start:end].rstrip(".,:;")
        end = start + len(head)
        if not head:
            continue
        heads = [head[w.start() :] for w in re.finditer(r"\S+", head)]
        if "." in head or any(_squash(h).startswith(name) for h in heads for name in squashed):
            # a name already, perhaps with more words ("... volume is"), or after words
            # said for the field before ("Enlarged endometrial thickness 12 mm.")
            continue
        if pool is numbered_keys and _ACRONYM.search(head):
            continue  # another scale written as such ("TI-RADS 4."), not a misheard name
        best, second, name = _nearest_name(head, pool, key)
        if best < min_score or second >= best:
            continue
        changes.append(Correction(start, end, head, _cased(name, head), "field"))
    if numbered_keys:
        starts = {c.start for c in changes}
        changes += [
            c
            for c in _numbered_at_end(text, numbered_keys, key, min_score)
            if c.start not in starts
        ]
        changes.sort(key=lambda c: c.start)
    return _applied(text, changes), changes


def _numbered_at_end(
    text: str, keys: list[tuple[str, str]], key: Callable[[str], str], min_score: float
) -> list[Correction]:
    """The two words before a one-digit number that ends a sentence inside it, when they
    sound like one numbered field's name (``keys``): "... upper outer left breast by reds
    4." -> "... BI-RADS 4.".  Not words written as an acronym, nor a name already."""
    out: list[Correction] = []
    for m in re.finditer(r"\b(?P<head>[A-Za-z][a-z]* [a-z]+) \d[.!?]*(?=\s|$)", text):
        head = m.group("head")
        if _ACRONYM.search(head) or any(_squash(head) == _squash(n) for n, _ in keys):
            continue
        best, second, name = _nearest_name(head, keys, key)
        if best < min_score or second >= best:
            continue
        out.append(Correction(m.start("head"), m.end("head"), head, _cased(name, head), "field"))
    return out


#: how alike (rapidfuzz ratio of the sound-alike keys) a sentence said alone must be to a
#: field's name to be taken for it, and by how much more than to any other name
ALONE_SCORE = 85.0
ALONE_MARGIN = 10.0
#: a sentence of a few words and nothing else ("Bright ovary.")
_SAID_ALONE = re.compile(r"(?:^|(?<=[.!?])\s+)(?P<said>[A-Za-z][A-Za-z' -]{0,40}?)[.!?]+(?=\s|$)")


def restore_names_said_alone(
    text: str, names: Sequence[str], key: Callable[[str], str]
) -> tuple[str, list[Correction]]:
    """``text`` with each sentence of up to four words and nothing else that sounds like
    one field's name (``names``; ``key``: the corrector's sound-alike key) written as that
    name, and those changes (kind ``"field"``): a field's name said alone as a header and
    heard as other words ("Bright ovary." -> "Right ovary.").  The sentence must be within
    :data:`ALONE_SCORE` of the name and :data:`ALONE_MARGIN` nearer to it than to any
    other name, and have as many words; a sentence that holds a name, however spaced, is
    left alone ("No midline shift.")."""
    if not names:
        return text, []
    keys = [(name, key(name)) for name in names]
    spaced = {normalise(name) for name in names}
    changes: list[Correction] = []
    for m in _SAID_ALONE.finditer(text):
        said = m.group("said").strip()
        words = f" {normalise(said)} "
        if len(said.split()) > 4 or any(f" {name} " in words for name in spaced):
            continue  # a name, perhaps with more words ("No midline shift.")
        best, second, name = _nearest_name(said, keys, key)
        if best < ALONE_SCORE or second > best - ALONE_MARGIN:
            continue
        if len(name.split()) != len(said.split()):
            continue  # a word more or less is not a mis-hearing of the name ("No fracture.")
        start = m.start("said")
        changes.append(Correction(start, start + len(said), said, _cased(name, said), "field"))
    return _applied(text, changes), changes


def _nearest_name(
    said: str, keys: Sequence[tuple[str, str]], key: Callable[[str], str]
) -> tuple[float, float, str]:
    """How alike ``said``'s sound-alike key is to the nearest of ``keys`` ((name, key)
    pairs), to the next nearest (-1 when there is none), and the nearest name."""
    from rapidfuzz import fuzz

    scores = sorted(((fuzz.ratio(key(said), k), n) for n, k in keys), reverse=True)
    return scores[0][0], scores[1][0] if len(scores) > 1 else -1.0, scores[0][1]


def _cased(name: str, said: str) -> str:
    """``name`` begun with a capital when ``said`` was ("Bright ovary" -> "Right ovary")."""
    return name[0].upper() + name[1:] if said[:1].isupper() else name


def _applied(text: str, changes: Sequence[Correction]) -> str:
    """``text`` with ``changes`` (in order, not overlapping) written in."""
    out = text
    for change in reversed(changes):
        out = out[: change.start] + change.written + out[change.end :]
    return out


def said_value(fspec: Any, text: str) -> Any:
    """The value ``text``, dictated into the field ``fspec`` (a template ``FieldSpec``),
    gives it (see :func:`value_of`), or ``text`` itself when it gives none clearly."""
    value = value_of(fspec, text)
    return text if value is None else value


def value_of(fspec: Any, text: str) -> float | int | bool | str | None:
    """The number, yes/no or choice ``text`` gives the field ``fspec``, or None when it gives
    none clearly (and for a text field)."""
    if fspec.type == "number":
        return _number(fspec, text)
    if fspec.type == "checkbox":
        said = normalise(text)
        return True if said in _TRUE else False if said in _FALSE else None
    if fspec.type == "choice" and fspec.choices:
        return _choice(tuple(fspec.choices), text)
    return None


def _number(fspec: Any, text: str) -> float | int | None:
    """The number ``text`` gives, when it says only that: its unit, the field's own words
    and a few words such as "measures" may go with it ("Measures 11.2 cm."), but a sentence
    said into the field ("10.8 cm. The bladder is distended.") is kept whole, as text."""
    m = _NUMBER.search(text)
    said = m.group(0) if m else _number_words(text)
    if said is None:
        return None
    if m is not None:
        rest = normalise(text[: m.start()] + " " + text[m.end() :]).split()
    else:
        rest = [w for w in normalise(text).split() if words_to_number(w) is None and w != "point"]
    allowed = (
        _WITH_NUMBER | unit_words() | set(normalise(f"{fspec.label} {fspec.unit or ''}").split())
    )
    if any(w not in allowed for w in rest):
        return None
    value = _in_field_unit(float(said), rest, fspec.unit)
    if value is None:
        return None
    return int(value) if value.is_integer() else value


#: units one converts into another, by what they measure and their size in the first
_SCALES = {
    "mm": ("length", 0.1),
    "cm": ("length", 1.0),
    "mL": ("volume", 1.0),
    "cc": ("volume", 1.0),
}


def _in_field_unit(value: float, words: list[str], unit: str | None) -> float | None:
    """``value``, said with the unit among ``words``, in the field's ``unit``: "112 mm" in a
    field in cm is 11.2; a unit that cannot be converted ("11 mL" for a length) gives None,
    so the words are kept; no unit said is the field's."""
    said = {"cc"} if "cubic" in words else {unit_of()[w] for w in words if w in unit_of()}
    if not said or unit is None:
        return value
    if len(said) > 1:
        return None
    (spoken,) = said
    if spoken == unit:
        return value
    if spoken in _SCALES and unit in _SCALES and _SCALES[spoken][0] == _SCALES[unit][0]:
        return round(value * _SCALES[spoken][1] / _SCALES[unit][1], 6)
    return None


def _number_words(text: str) -> str | None:
    """The first number said in words in ``text``, the longest run of words that is one
    ("point nine" -> "0.9", "measures eleven point two centimeters" -> "11.2")."""
    words = normalise(text).split()
    for start in range(len(words)):
        if words_to_number(words[start]) is None and words[start] != "point":
            continue
        for end in range(min(len(words), start + _LONGEST_NUMBER), start, -1):
            number = words_to_number(" ".join(words[start:end]))
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
        m = ENUMERATED.match(choice)
        if m:
            keys[m.group("key").lower()] = i
        described.append(normalise(choice_words(choice)).split())
    whole = [normalise(c).split() for c in choices]
    for i in range(len(choices)):  # said exactly, with or without its number or letter
        if said in (whole[i], described[i]):
            return choices[i]
    begun = [i for i, words in enumerate(described) if words[: len(said)] == said]
    if len(begun) == 1:  # "extremely dense": the first words of one choice only
        return choices[begun[0]]
    named = [w for w in said if w in keys]
    if not named and len(said) == 1 and _LETTER_SAID.get(said[0]) in keys:
        said = [_LETTER_SAID[said[0]]]  # "see": the letter c, as the recogniser writes it
        named = said
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
