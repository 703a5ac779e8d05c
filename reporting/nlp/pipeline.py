"""The spaCy pipeline (built once per process) and the conversion of its output to values."""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from typing import Literal, cast

import spacy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from reporting.errors import NLPError

# Importing the component modules registers their factories.
from reporting.nlp import context as _context  # noqa: F401
from reporting.nlp import laterality as _laterality  # noqa: F401
from reporting.nlp import measurements as _measurements  # noqa: F401
from reporting.nlp import mentions as _mentions  # noqa: F401
from reporting.nlp import sentences as _sentences  # noqa: F401
from reporting.nlp.state import SECTIONS_KEY, TEXT_KEY, DocState, state_of
from reporting.nlp.types import Analysis, Cue, Measurement, Mention, Sentence
from reporting.sectioning import SectionSpan, split_sections

__all__ = ["get_nlp", "build_nlp", "analyze", "analyze_many", "CHUNK_CHARS", "PIPELINE"]

log = logging.getLogger(__name__)

_Kind = Literal["anatomy", "finding", "device"]
_Side = Literal["left", "right", "bilateral"] | None

#: Texts longer than this are processed in sentence-aligned chunks.
CHUNK_CHARS = 100_000
PIPELINE = (
    "reporting_sentences",
    "reporting_mentions",
    "reporting_laterality",
    "reporting_context",
    "reporting_measurements",
)

# Extra split points: "APEX.THERE" (all caps) and "disease.2." (a list number glued on).
_EXTRA_INFIXES = (r"(?<=[A-Z]{2})\.(?=[A-Z]{2})", r"(?<=[A-Za-z]{2})\.(?=\d{1,2}(?:[.)]|$))")
# Control characters (not tab/newline/carriage return) and lone surrogates become spaces, one
# for one, so tokens are not glued to them and offsets into the original text stay valid.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


# Abbreviations kept whole.  spaCy's English defaults carry ~1,300 special cases (contractions,
# emoticons, ...); with them the tokenizer cannot cache most words and runs ~15x slower on
# reports.  Without them "can't" stays one token and "cannot" is not split: the lexicons'
# phrases are tokenized by this same tokenizer, so they match either way.
_ABBREVIATIONS = (
    "e.g.", "i.e.", "E.g.", "I.e.", "Dr.", "Drs.", "Mr.", "Mrs.", "Ms.", "Prof.", "vs.", "Vs.",
    "a.m.", "p.m.", "A.M.", "P.M.", "etc.", "approx.", "Approx.", "St.", "No.", "Fig.",
)  # fmt: skip


TOKENIZER = "reporting_tokenizer.v1"


@spacy.registry.tokenizers(TOKENIZER)
def _create_tokenizer() -> Callable[[Language], Tokenizer]:
    """English affix rules plus our extra infixes and abbreviations.

    Built directly rather than by editing the default English tokenizer: loading and then
    discarding its ~1,300 special cases took a third of a second of every start-up.
    """

    def make(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        return Tokenizer(
            nlp.vocab,
            rules={abbr: [{ORTH: abbr}] for abbr in _ABBREVIATIONS},
            prefix_search=compile_prefix_regex(defaults.prefixes or ()).search,
            suffix_search=compile_suffix_regex(defaults.suffixes or ()).search,
            infix_finditer=compile_infix_regex(
                list(defaults.infixes or ()) + list(_EXTRA_INFIXES)
            ).finditer,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )

    return make


def build_nlp() -> Language:
    """A fresh ``spacy.blank("en")`` with our tokenizer and components."""
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})
    nlp.max_length = 2 * CHUNK_CHARS
    for name in PIPELINE:
        nlp.add_pipe(name)
    return nlp


@cache
def get_nlp() -> Language:
    """The process-wide pipeline (built on first use)."""
    log.debug("building the NLP pipeline")
    return build_nlp()


def _clean(text: object) -> str:
    if not isinstance(text, str):
        raise NLPError(f"expected report text as str, got {type(text).__name__}")
    return _UNSAFE.sub(" ", text) if _UNSAFE.search(text) else text


def _make_doc(nlp: Language, text: str) -> Doc:
    doc = nlp.make_doc(text)
    doc.user_data[TEXT_KEY] = text
    return doc


def _to_analysis(text: str, doc: Doc, offset: int = 0, sentence_offset: int = 0) -> Analysis:
    state: DocState = state_of(doc, "analysis")
    starts, ends = state.starts, state.ends
    sents = state.sentences
    sentences = tuple(
        Sentence(starts[a] + offset, ends[b - 1] + offset, name) for a, b, name in sents
    )
    mentions = []
    for m in state.mentions:
        s = starts[m.start] + offset
        e = ends[m.end - 1] + offset
        lat = m.lat_span
        mentions.append(
            Mention(
                s,
                e,
                text[s:e],
                cast(_Kind, m.kind),
                m.concept,
                cast(_Side, m.laterality),
                (lat[0] + offset, lat[1] + offset) if lat else None,
                m.lateral,
                m.negated,
                m.uncertain,
                m.historical,
                m.hypothetical,
                "other" if m.other else "patient",
                sents[m.sentence][2],
                m.sentence + sentence_offset,
            )
        )
    cues = []
    for c in state.cues:
        s = starts[c.start] + offset
        e = ends[c.end - 1] + offset
        if c.scope_end > c.scope_start:
            lo = starts[c.scope_start] + offset
            hi = ends[c.scope_end - 1] + offset
        else:
            lo = hi = e if c.direction == "forward" else s
        cues.append(
            Cue(s, e, text[s:e], c.category, c.direction, lo, hi, c.sentence + sentence_offset)
        )
    sent_starts = [s.start for s in sentences]
    measurements = []
    for r in state.measurements:
        s, e = r.start + offset, r.end + offset
        i = bisect_right(sent_starts, s) - 1
        inside = i >= 0 and sentences[i].start <= s < sentences[i].end
        measurements.append(
            Measurement(
                s,
                e,
                text[s:e],
                r.values,
                r.unit,
                i + sentence_offset if inside else -1,
                sentences[i].section if inside else None,
            )
        )
    return Analysis(
        text=text,
        sentences=sentences,
        sections=tuple(state.sections),
        mentions=tuple(mentions),
        measurements=tuple(measurements),
        cues=tuple(cues),
    )


def _chunk_bounds(text: str, size: int) -> list[tuple[int, int]]:
    """Cut ``text`` into pieces of at most ``size`` characters at line or sentence ends."""
    bounds = []
    start, n = 0, len(text)
    while start < n:
        end = min(start + size, n)
        if end < n:
            window = text[start + size // 2 : end]
            cut = max(window.rfind("\n"), window.rfind(". "))
            if cut < 0:
                cut = max(window.rfind(" "), window.rfind("\t"))
            if cut >= 0:
                end = start + size // 2 + cut + 1
        bounds.append((start, end))
        start = end
    return bounds


def _shift_sections(
    sections: list[SectionSpan], ends: list[int], a: int, b: int
) -> list[SectionSpan]:
    """The sections overlapping ``[a, b)``, clipped and shifted to chunk offsets."""
    out = []
    for k in range(bisect_right(ends, a), len(sections)):
        s = sections[k]
        if s.start >= b:
            break
        lo, hi = max(s.start, a), min(s.end, b)
        if hi <= lo:
            continue
        h_in = a <= s.heading_start and s.heading_end <= b
        hs = s.heading_start - a if h_in else lo - a
        he = s.heading_end - a if h_in else lo - a
        out.append(SectionSpan(s.name, s.heading if h_in else "", hs, he, lo - a, hi - a))
    return out


def _analyze_long(text: str, clean: str) -> Analysis:
    nlp = get_nlp()
    sections = split_sections(clean)
    ends = [s.end for s in sections]
    parts: list[Analysis] = []
    n_sent = 0
    for a, b in _chunk_bounds(clean, CHUNK_CHARS):
        doc = _make_doc(nlp, clean[a:b])
        doc.user_data[SECTIONS_KEY] = _shift_sections(sections, ends, a, b)
        for _name, proc in nlp.pipeline:
            doc = proc(doc)
        part = _to_analysis(text, doc, offset=a, sentence_offset=n_sent)
        n_sent += len(part.sentences)
        parts.append(part)
    return Analysis(
        text=text,
        sentences=tuple(s for p in parts for s in p.sentences),
        sections=tuple(sections),
        mentions=tuple(m for p in parts for m in p.mentions),
        measurements=tuple(m for p in parts for m in p.measurements),
        cues=tuple(c for p in parts for c in p.cues),
    )


def analyze(text: str) -> Analysis:
    """Sections, sentences, mentions (with laterality and assertion) and measurements of ``text``."""
    clean = _clean(text)
    if len(clean) > CHUNK_CHARS:
        return _analyze_long(text, clean)
    nlp = get_nlp()
    return _to_analysis(text, nlp(_make_doc(nlp, clean)))


def analyze_many(texts: Iterable[str], *, batch_size: int = 256) -> Iterator[Analysis]:
    """:func:`analyze` for a stream of texts, in input order, batched through ``nlp.pipe``."""
    if batch_size < 1:
        raise NLPError(f"batch_size must be at least 1, got {batch_size}")
    nlp = get_nlp()
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= batch_size:
            yield from _run_batch(nlp, batch, batch_size)
            batch = []
    if batch:
        yield from _run_batch(nlp, batch, batch_size)


def _run_batch(nlp: Language, batch: list[str], batch_size: int) -> Iterator[Analysis]:
    cleaned = [_clean(t) for t in batch]
    short = [c for c in cleaned if len(c) <= CHUNK_CHARS]
    docs = (
        iter(nlp.pipe((_make_doc(nlp, c) for c in short), batch_size=batch_size))
        if short
        else iter(())
    )
    for text, clean in zip(batch, cleaned, strict=True):
        if len(clean) > CHUNK_CHARS:
            yield _analyze_long(text, clean)
        else:
            yield _to_analysis(text, next(docs))


@lru_cache(maxsize=64)
def _cached(text: str) -> Analysis:
    return analyze(text)


def cached_analysis(text: str) -> Analysis:
    """:func:`analyze` with a small cache, for repeated span queries on one text.

    Texts longer than :data:`CHUNK_CHARS` are not cached (their analyses are large).
    """
    return _cached(text) if len(text) <= CHUNK_CHARS else analyze(text)
