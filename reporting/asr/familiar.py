"""The words of report text we know, and whether a written word is one of them.

Whisper, primed with report text, writes ordinary English words no radiologist dictates
("bustle airspace", "brunch of vascular crowding", "Parts size"): the corrector leaves them
alone, as it must leave every real word, and Whisper is often sure of them.  A word that no
sentence of the bundled phrasebooks (every template's), no vocabulary term and none of the
site's phrases holds, nor one of their words with a prefix or suffix the corrector knows, is
unfamiliar: in the held-out benchmark runs about four in ten of such words were wrong, twice
the share of the other doubtful-word flags, and in report text heard right about three words
in 1,000 are unfamiliar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from reporting.asr.affixes import bases

__all__ = ["ReportWords"]

_LETTERS = re.compile(r"[a-z]+")
#: a stem left by a suffix is known with one of these endings too ("enlarging" <- "enlarge");
#: stems of three letters count (the corrector asks for four)
_STEM_ENDINGS = ("", "e", "y")
_MIN_STEM = 3


@dataclass(frozen=True)
class ReportWords:
    """Lower-case words of report text, with the prefixes and suffixes that derive others."""

    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, texts: Iterable[str], *, prefixes: Iterable[str] = (), suffixes: Iterable[str] = ()
    ) -> ReportWords:
        """The words of ``texts`` (sentences, terms or words; hyphenated ones in parts)."""
        words = frozenset(w for t in texts for w in _LETTERS.findall(t.lower()))
        return cls(words, tuple(prefixes), tuple(suffixes))

    def __bool__(self) -> bool:
        return bool(self.words)

    def knows(self, word: str) -> bool:
        """Whether ``word`` is one of :attr:`words`, or one with a known prefix or suffix
        ("nonspecific", "posteriorly")."""
        w = word.lower()
        if w in self.words:
            return True
        return any(
            base in self.words
            for _, base in bases(
                w, self.prefixes, self.suffixes, min_stem=_MIN_STEM, endings=_STEM_ENDINGS
            )
        )

    def unfamiliar(self, written: str, min_length: int) -> list[str]:
        """The words of ``written`` of ``min_length`` letters or more this does not know."""
        return [
            w
            for w in _LETTERS.findall(written.lower())
            if len(w) >= min_length and not self.knows(w)
        ]
