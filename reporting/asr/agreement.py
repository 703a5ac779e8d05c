"""A plural subject the recogniser wrote singular: "Lung are grossly clear." -> "Lungs are
grossly clear."

Some voices lose a final -s, and the speech model writes the noun as it heard it.  The verb
that follows was heard, so "are" after a singular noun that ends a sentence's subject says the
noun was plural.  Only a short, single subject changes: "Heart size and mediastinal contour
are normal" names two things and stays as it is.  The nouns and the words that make a subject
more than one noun are data (``lexicons/asr_agreement.json``).

    text, changes = load_agreement().agree("Calcified granuloma are also identified.")
    # "Calcified granulomas are also identified."
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

from reporting.asr.correction import Correction
from reporting.errors import LexiconError
from reporting.lexicons import (
    expect_int,
    expect_object,
    expect_str,
    expect_str_list,
    load_lexicon,
)

__all__ = ["Agreement", "load_agreement"]


@dataclass(frozen=True)
class Agreement:
    """Singular nouns and their plurals, lower case, and what a single subject never holds."""

    plurals: dict[str, str]
    not_in_subject: frozenset[str]
    max_words_before: int

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        nouns = "|".join(sorted(map(re.escape, self.plurals), key=len, reverse=True))
        before = rf"(?:[A-Za-z'-]+\s+){{0,{self.max_words_before}}}?"
        return re.compile(
            rf"(?:^|(?<=[.!?:;]\s)|(?<=\n))(?P<before>{before})(?P<noun>{nouns})(?=\s+are\b)",
            re.IGNORECASE,
        )

    def agree(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """``text`` with each singular subject before "are" made plural, and the changes."""
        changes: list[Correction] = []

        def plural(m: re.Match[str]) -> str:
            before = m.group("before").lower().split()
            noun = m.group("noun")
            if any(w in self.not_in_subject for w in before):
                return m.group(0)
            written = self.plurals[noun.lower()]
            if noun[:1].isupper():
                written = written[:1].upper() + written[1:]
            start = m.start("noun")
            changes.append(Correction(start, start + len(noun), noun, written, "agreement"))
            return m.group("before") + written

        out = self._pattern.sub(plural, text)
        return out, tuple(changes)


@cache
def load_agreement(name: str = "asr_agreement.json") -> Agreement:
    """The bundled rules (see the lexicon's description)."""
    lex = load_lexicon(name, required=("plurals", "not_in_subject", "max_words_before"))
    path = lex.path
    plurals: dict[str, str] = {}
    for singular, plural in expect_object(path, "plurals", lex.data["plurals"]).items():
        written = expect_str(path, f"plurals[{singular!r}]", plural)
        if singular != singular.lower() or written != written.lower() or " " in singular:
            raise LexiconError(f"{path}: plurals[{singular!r}] must be one lower-case word")
        plurals[singular] = written
    if not plurals:
        raise LexiconError(f"{path}: plurals must not be empty")
    stop = expect_str_list(path, "not_in_subject", lex.data["not_in_subject"])
    most = expect_int(path, "max_words_before", lex.data["max_words_before"])
    return Agreement(plurals, frozenset(w.lower() for w in stop), most)
