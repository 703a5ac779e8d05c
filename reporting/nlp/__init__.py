"""The NLP layer: spaCy (``spacy.blank("en")``) plus our own lexicon-driven components.

    from reporting import nlp
    a = nlp.analyze("FINDINGS: Small left pleural effusion. No pneumothorax.")
    [(m.concept, m.laterality, m.negated) for m in a.mentions]
    # [('pleural_effusion', 'left', False), ('pneumothorax', None, True)]
    nlp.assertion(text, start, end)       # Assertion for any span of any text
    for a in nlp.analyze_many(texts, batch_size=256): ...
    nlp.term_matcher(["heart size", "pleural effusion"])(text)  # [(start, end, term)]

Importing this package loads spaCy; ``import reporting`` does not import it.
"""

from __future__ import annotations

from reporting.errors import NLPError
from reporting.nlp.pipeline import analyze, analyze_many, build_nlp, cached_analysis, get_nlp
from reporting.nlp.terms import TermMatcher, term_matcher
from reporting.nlp.types import AFFIRMED, Analysis, Assertion, Cue, Measurement, Mention, Sentence

__all__ = [
    "AFFIRMED",
    "Analysis",
    "Assertion",
    "Cue",
    "Measurement",
    "Mention",
    "Sentence",
    "TermMatcher",
    "analyze",
    "analyze_many",
    "assertion",
    "build_nlp",
    "get_nlp",
    "term_matcher",
]


def assertion(text: str, start: int, end: int) -> Assertion:
    """Negated/uncertain/historical/hypothetical/experiencer for ``text[start:end]``.

    The text is analysed once and cached, so asking about many spans of one text is cheap.
    Offsets outside the text raise :class:`~reporting.errors.NLPError`.
    """
    if not isinstance(text, str):
        raise NLPError(f"expected text as str, got {type(text).__name__}")
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start <= end <= len(text):
        raise NLPError(f"span ({start}, {end}) is outside the text (length {len(text)})")
    return cached_analysis(text).assertion(start, end)
