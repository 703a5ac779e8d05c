"""Sections and sentences that survive real report formatting.

Sections come from :func:`reporting.sectioning.split_sections`; headings themselves are not part
of any sentence.  Inside each section body a sentence ends at
- ``.``/``!``/``?`` followed by white space (not after an abbreviation such as ``Dr.`` or ``e.g.``
  and not after a list number such as ``1.``),
- a full stop glued to the next sentence (``apex.There``, ``APEX.THERE``, ``disease.2.``),
- a line break, unless the next line continues in lower case (a wrapped sentence),
- before an inline list number (``... disease 2. Stable ...``) or a bullet,
- before a capitalised heading with a colon after a wide gap (``...   REFERRING DIAGNOSIS: ...``).
"""

from __future__ import annotations

import re
from bisect import bisect_left

from spacy.language import Language
from spacy.tokens import Doc

from reporting.nlp.state import SECTIONS_KEY, TEXT_KEY, new_state
from reporting.sectioning import SectionSpan, split_sections

__all__ = ["sentence_spans", "SentenceSegmenter"]

# Words whose full stop does not end a sentence ("Dr. Smith", "e.g. a nodule").
# fmt: off
_ABBREVIATIONS = frozenset({
    "dr", "drs", "mr", "mrs", "ms", "prof", "e.g", "eg", "i.e", "ie", "vs", "approx", "appr",
    "st", "fig", "figs", "cf", "al", "jr", "sr", "pt", "pts", "hx", "dx", "tx", "sx", "incl",
    "resp", "ref", "vol", "mt", "ft", "ca", "ant", "lat", "med", "sup", "inf",
})
# fmt: on

# Every alternative starts with one of a few characters (.!?) newline, bullet), so the scan skips
# ordinary text fast; conditions on the characters before a match are checked in Python.
_BOUNDARY = re.compile(
    r"(?=[.!?\n)*\u2022-])(?:"  # gate: lets the engine skip other characters quickly
    r"(?P<end>[.!?]+)[\"')\]]*\s+(?=\S)"
    r"|\.(?P<glued>)(?=[A-Z][a-z]|[A-Z]{2}|\d{1,2}[.)]\s)"
    r"|(?P<nl>\n\s*)(?=\S)"
    r"|(?P<item>[)*\u2022-])(?=\s+[A-Za-z(\"])"
    r")"
)
_HEADING = re.compile(r"  (?=[A-Z][A-Z/&-]+(?: [A-Z/&-]+){0,4}:)")
_NUMBER_BEFORE = re.compile(r"(?:^|(?<=\s)|(?<=[A-Za-z]\.))\(?\d{1,2}$")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")


def _is_boundary_after_period(body: str, pos: int) -> bool:
    """Should a sentence end at ``body[pos]`` (the terminal punctuation)?"""
    if body[pos] != ".":
        return True
    m = _WORD_BEFORE.search(body[max(0, pos - 12) : pos])
    if m is None:
        return True
    word = m.group(1).lower().strip(".")
    if word in _ABBREVIATIONS:
        return False
    # A single capital before the period is an initial ("J. Smith"), except a redaction or "X".
    return not (len(word) == 1 and body[pos - 1].isupper() and (pos < 2 or body[pos - 2] == " "))


def _glued(body: str, pos: int) -> bool:
    """A full stop at ``pos`` with no space after it that still ends a sentence."""
    before = body[max(0, pos - 2) : pos]
    if len(before) < 2 or not before.isalpha():
        return False
    after = body[pos + 1 : pos + 3]
    if after[:1].isdigit():
        return True  # "disease.2. Next item"
    if before.islower():
        return after[:1].isupper() and after[1:2].islower()  # "apex.There"
    return before.isupper() and after.isupper()  # "APEX.THERE"


def _item_start(body: str, pos: int) -> int | None:
    """Start of a list marker ending at ``body[pos]`` ("2." / "2)" / "-" / "*"), if it is one."""
    if body[pos] in ".)":
        m = _NUMBER_BEFORE.search(body, max(0, pos - 4), pos)
        return m.start() if m else None
    return pos if pos == 0 or body[pos - 1].isspace() else None


def _split_body(body: str, offset: int, out: list[int]) -> None:
    for m in _BOUNDARY.finditer(body):
        kind = m.lastgroup
        if kind == "end":
            end_pos = m.start("end") + len(m.group("end")) - 1
            if body[end_pos] == ".":
                item = _item_start(body, end_pos)
                if item is not None:  # "2. Stable": a new item starts at the number
                    if item > 0:
                        out.append(offset + item)
                    continue
            if not _is_boundary_after_period(body, end_pos):
                continue
            out.append(offset + m.end())
        elif kind == "nl":
            nxt = body[m.end() : m.end() + 1]
            prev = body[max(0, m.start() - 8) : m.start()].rstrip()[-1:]
            if nxt.islower() and prev not in ".:;!?":
                continue  # a wrapped line continues the sentence
            out.append(offset + m.end())
        elif kind == "glued":
            if _glued(body, m.start()):
                out.append(offset + m.end())
        else:
            item = _item_start(body, m.start())
            if item:
                out.append(offset + item)
    if "  " in body:
        for m in _HEADING.finditer(body):  # "...   REFERRING DIAGNOSIS: ..."
            out.append(offset + m.end())


def sentence_spans(text: str, sections: list[SectionSpan]) -> list[tuple[int, int, str | None]]:
    """(start, end, section name) of each sentence, white space trimmed, in text order."""
    spans: list[tuple[int, int, str | None]] = []
    for sec in sections:
        if sec.end <= sec.start:
            continue
        cuts = [sec.start]
        _split_body(text[sec.start : sec.end], sec.start, cuts)
        cuts.append(sec.end)
        cuts.sort()
        name = sec.name
        for a, b in zip(cuts, cuts[1:], strict=False):
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                spans.append((a, b, name))
    return spans


def _doc_length(doc: Doc) -> int:
    if not len(doc):
        return 0
    last = doc[-1]
    return int(last.idx) + len(last.text_with_ws)


class SentenceSegmenter:
    """spaCy component: sections + sentences -> the DocState in ``doc.user_data``.

    ``token.is_sent_start`` is deliberately not set: spaCy rescans the whole document on every
    assignment, which would cost more than the rest of the pipeline.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc.user_data.pop(TEXT_KEY, None)
        if text is None or len(text) != _doc_length(doc):
            text = doc.text
        sections = doc.user_data.pop(SECTIONS_KEY, None)
        if sections is None:
            sections = split_sections(text)
        state = new_state(doc, text, sections)
        starts, ends = state.starts, state.ends
        sents = state.sentences
        n = len(starts)
        for a, b, name in sentence_spans(text, sections):
            ts = bisect_left(starts, a)
            if ts and ends[ts - 1] > a:
                ts -= 1  # a token straddles the boundary: it belongs where it starts
                if sents and sents[-1][1] > ts:
                    ts = sents[-1][1]
            te = bisect_left(starts, b)
            if te > ts and ts < n:
                sents.append((ts, te, name))
        return doc


@Language.factory("reporting_sentences", default_config={})
def make_sentences(nlp: Language, name: str) -> SentenceSegmenter:
    return SentenceSegmenter(nlp, name)
