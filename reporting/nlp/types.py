"""Values the NLP layer returns: every span is a pair of character offsets into ``Analysis.text``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reporting.sectioning import SectionSpan

__all__ = ["Assertion", "Sentence", "Mention", "Measurement", "Cue", "Analysis", "AFFIRMED"]

Experiencer = Literal["patient", "other"]


@dataclass(frozen=True, slots=True)
class Assertion:
    """How a span is asserted in its sentence (ConText attributes)."""

    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    hypothetical: bool = False
    experiencer: Experiencer = "patient"

    @property
    def affirmed(self) -> bool:
        """Stated as present, now, in this patient, without hedging."""
        return not (
            self.negated
            or self.uncertain
            or self.historical
            or self.hypothetical
            or self.experiencer != "patient"
        )


AFFIRMED = Assertion()


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    section: str | None


@dataclass(frozen=True, slots=True)
class Cue:
    """An assertion cue found in the text and the character range its scope covers."""

    start: int
    end: int
    text: str
    category: str
    direction: str
    scope_start: int
    scope_end: int
    sentence: int


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str
    kind: Literal["anatomy", "finding", "device"]
    concept: str
    laterality: Literal["left", "right", "bilateral"] | None
    laterality_span: tuple[int, int] | None
    lateral: bool
    negated: bool
    uncertain: bool
    historical: bool
    hypothetical: bool
    experiencer: Experiencer
    section: str | None
    sentence: int

    @property
    def assertion(self) -> Assertion:
        return Assertion(
            self.negated, self.uncertain, self.historical, self.hypothetical, self.experiencer
        )

    @property
    def affirmed(self) -> bool:
        return self.assertion.affirmed


@dataclass(frozen=True, slots=True)
class Measurement:
    """``"3.2 x 2.1 cm"`` -> values (3.2, 2.1), unit ``"cm"`` (canonical spelling)."""

    start: int
    end: int
    text: str
    values: tuple[float, ...]
    unit: str
    sentence: int
    section: str | None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the NLP layer found in one text."""

    text: str
    sentences: tuple[Sentence, ...]
    sections: tuple[SectionSpan, ...]
    mentions: tuple[Mention, ...]
    measurements: tuple[Measurement, ...]
    cues: tuple[Cue, ...] = ()

    def sentence_at(self, offset: int) -> int | None:
        """Index of the sentence containing ``offset`` (None between sentences)."""
        lo, hi = 0, len(self.sentences)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.sentences[mid].end <= offset:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self.sentences) and self.sentences[lo].start <= offset:
            return lo
        return None

    def assertion(self, start: int, end: int) -> Assertion:
        """Assertion of the span ``text[start:end]`` from the cues whose scope reaches it.

        A cue inside the span itself does not count (``"no change"`` asked about as a whole).
        """
        if end <= start:
            end = start + 1
        flags = {"negated": False, "uncertain": False, "historical": False, "hypothetical": False}
        other = False
        for cue in self.cues:
            if cue.scope_start >= end or cue.scope_end <= start:
                continue
            if cue.start >= start and cue.end <= end:
                continue
            if cue.category == "experiencer":
                other = True
            else:
                flags[cue.category] = True
        return Assertion(
            flags["negated"],
            flags["uncertain"],
            flags["historical"],
            flags["hypothetical"],
            "other" if other else "patient",
        )

    def in_section(self, name: str) -> tuple[Mention, ...]:
        """Mentions in sections called ``name`` (``"impression"``)."""
        return tuple(m for m in self.mentions if m.section == name)
