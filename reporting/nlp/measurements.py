"""Measurements: ``7 mm``, ``3.2 x 2.1 cm``, ``1.2 x 0.8 x 0.5 cm``, ``3 cm x 2 cm``.

A regular expression built from ``lexicons/measurements.json`` runs over the document text
(one C-level scan); values are the numbers, unit the canonical spelling of the last unit.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from reporting.nlp.data import load_units
from reporting.nlp.state import MeasureRec, lexicon_file, state_of

__all__ = ["MeasurementFinder", "measurement_pattern"]

_NUM = r"(?:\.\d+|\d+(?:[.,]\d+)?)"


def _alternation(words: list[str]) -> str:
    parts = []
    for w in sorted(words, key=len, reverse=True):
        parts.append(r"\s+".join(re.escape(p) for p in w.split()))
    return "|".join(parts)


def measurement_pattern(units: list[str], separators: list[str]) -> re.Pattern[str]:
    unit = _alternation(units)
    sep = _alternation(separators)
    one = rf"{_NUM}(?:\s*(?:{unit})(?![A-Za-z0-9]))?"
    # Starts with a digit class so the scan skips text without numbers quickly; the
    # "not glued to a word" check on the character before is done by the caller.
    return re.compile(
        rf"(?=[\d.]){one}(?:\s*(?:{sep})\s*{one}){{0,3}}\s*(?P<unit>{unit})(?![A-Za-z0-9])",
        re.IGNORECASE,
    )


#: units whose values may be below zero, written with a minus sign before the number
_SIGNED = frozenset({"HU"})


def _signed(text: str, start: int) -> bool:
    """Whether the number at ``start`` has a minus sign of its own before it: "-10", not the
    hyphen of a range ("0-10") or of a word."""
    return start > 0 and text[start - 1] in "-−" and (start == 1 or not text[start - 2].isalnum())


class MeasurementFinder:
    def __init__(self, nlp: Language, name: str, lexicon: str) -> None:
        self.name = name
        lex = load_units(lexicon_file(lexicon))
        self.units = lex.units
        self.pattern = measurement_pattern(list(lex.units), list(lex.separators))
        self.unit_re = re.compile(
            rf"(?<![A-Za-z0-9])(?:{_alternation(list(lex.units))})(?![A-Za-z0-9])", re.IGNORECASE
        )
        self.num_re = re.compile(_NUM)

    def parse(self, text: str) -> list[MeasureRec]:
        out = []
        pos = 0
        while True:
            m = self.pattern.search(text, pos)
            if m is None:
                break
            start = m.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "._"):
                # glued to a word or number ("T12", "1.5.3"): skip past this digit run
                pos = start + 1
                while pos < len(text) and text[pos].isdigit():
                    pos += 1
                continue
            pos = m.end()
            unit = " ".join(m.group("unit").lower().split())
            head = self.unit_re.sub(" ", text[m.start() : m.start("unit")])
            try:
                values = tuple(float(v.replace(",", ".")) for v in self.num_re.findall(head))
            except ValueError:  # pragma: no cover - the pattern only admits numbers
                continue
            canonical = self.units.get(unit, unit)
            if values and canonical in _SIGNED and _signed(text, start):
                # "-10 HU": an attenuation below water's, not 10 HU ("0-10 HU" is a range)
                start, values = start - 1, (-values[0], *values[1:])
            if values:
                out.append(MeasureRec(start, m.end(), values, canonical))
        return out

    def __call__(self, doc: Doc) -> Doc:
        state = state_of(doc, self.name)
        state.measurements.extend(self.parse(state.text))
        return doc


@Language.factory("reporting_measurements", default_config={"lexicon": "measurements.json"})
def make_measurements(nlp: Language, name: str, lexicon: str) -> MeasurementFinder:
    return MeasurementFinder(nlp, name, lexicon)
