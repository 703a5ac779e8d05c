"""Attach laterality cues (left/right/bilateral, L/R/lt/rt, contralateral ...) to mentions.

- A cue *before* a mention ("left lower lobe", "right-sided PICC") qualifies the mentions that
  follow it within ``max_distance.before`` tokens, up to a boundary word or punctuation.
- A cue *after* a mention ("effusion on the left", "effusions, left greater than right")
  qualifies the nearest unsided mentions before it within ``max_distance.after`` tokens.
- Abbreviations (L, R, lt, rt) count only directly in front of a sided anatomy term ("L knee").
- "contralateral"/"ipsilateral" resolve against the last left/right mention before them.
- A finding with no side of its own takes the side of the anatomy it is located in
  ("pneumonia in the left lower lobe").
"""

from __future__ import annotations

from bisect import bisect_left

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from reporting.nlp.data import LateralityCue, load_laterality
from reporting.nlp.mentions import longest_first
from reporting.nlp.state import DocState, MentionRec, lexicon_file, state_of

__all__ = ["LateralityAttacher"]

_COPULAS = frozenset({"is", "are", "was", "were"})
# Words allowed between a finding and the sided anatomy it lies in ("pneumonia in the left ...").
# fmt: off
_LOCATIVE = frozenset({
    "in", "at", "of", "within", "involving", "along", "over", "the", "a", "an", "overlying",
    "projecting", "through", "from", "adjacent", "to", "near", "into", "on", "both",
})
# fmt: on
_OPPOSITE = {"left": "right", "right": "left"}


class LateralityAttacher:
    def __init__(self, nlp: Language, name: str, lexicon: str) -> None:
        self.name = name
        lex = load_laterality(lexicon_file(lexicon))
        self.before = lex.before_distance
        self.after = lex.after_distance
        strings = nlp.vocab.strings
        self.boundaries = frozenset(strings.add(w) for w in lex.boundaries)
        self.after_boundaries = frozenset(strings.add(w) for w in lex.boundaries - _COPULAS)
        self.free = frozenset(strings.add(w) for w in ("-", "(", ")"))
        self.free_commas = self.free | {strings.add(",")}
        self.locative = frozenset(strings.add(w) for w in _LOCATIVE)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.cues: dict[int, LateralityCue] = {}
        for cue in lex.cues:
            key = f"lat:{cue.phrase}"
            self.cues[nlp.vocab.strings.add(key)] = cue
            self.matcher.add(key, [nlp.make_doc(cue.phrase)])

    def _clear(
        self, state: DocState, a: int, b: int, boundaries: frozenset[int], commas: bool
    ) -> bool:
        """No boundary word or punctuation among tokens a..b."""
        lower, punct = state.lower, state.punct
        allowed = self.free_commas if commas else self.free
        for k in range(a, b):
            low = lower[k]
            if low in boundaries or (punct[k] and low not in allowed):
                return False
        return True

    def __call__(self, doc: Doc) -> Doc:
        state = state_of(doc, self.name)
        if not state.mentions:
            return doc
        matches = longest_first(self.matcher(doc))
        if matches:
            self._attach(state, matches)
        self._propagate(state)
        return doc

    def _attach(self, state: DocState, matches: list[tuple[int, int, int]]) -> None:
        mentions = state.mentions
        sents = state.sentences
        starts, ends = state.starts, state.ends
        firsts = [m.start for m in mentions]  # mentions are in text order
        cue_tokens = {i for _, s, e in matches for i in range(s, e)}
        for match_id, cs, ce in matches:
            cue = self.cues[match_id]
            span = (starts[cs], ends[ce - 1])
            side = cue.side
            i = bisect_left(firsts, ce)  # first mention starting at or after the cue's end
            if side in ("contralateral", "ipsilateral"):
                last = self._last_side(mentions, bisect_left(firsts, cs), cs)
                if last is None:
                    continue
                side = _OPPOSITE[last] if cue.side == "contralateral" else last
            targets: list[MentionRec] = []
            if cue.position in ("before", "either"):
                targets = self._forward(state, mentions, i, ce, cue, cue_tokens)
            if not targets and cue.position in ("after", "either"):
                targets = self._backward(state, mentions, bisect_left(firsts, cs), cs, sents)
            for m in targets:
                m.laterality = side
                m.lat_span = span

    @staticmethod
    def _last_side(mentions: list[MentionRec], upto: int, cs: int) -> str | None:
        for k in range(upto - 1, -1, -1):
            m = mentions[k]
            if m.end <= cs and m.laterality in _OPPOSITE:
                return m.laterality
        return None

    def _forward(
        self,
        state: DocState,
        mentions: list[MentionRec],
        first: int,
        ce: int,
        cue: LateralityCue,
        cue_tokens: set[int],
    ) -> list[MentionRec]:
        out: list[MentionRec] = []
        for m in mentions[first : first + 6]:
            gap = m.start - ce
            if cue.abbreviation:
                if gap == 0 and m.lateral and m.laterality is None:
                    out.append(m)
                break
            if gap > self.before:
                break
            if m.laterality is not None or any(i in cue_tokens for i in range(ce, m.start)):
                break
            if not self._clear(state, ce, m.start, self.boundaries, commas=False):
                break
            out.append(m)
        return out

    def _backward(
        self,
        state: DocState,
        mentions: list[MentionRec],
        upto: int,
        cs: int,
        sents: list[tuple[int, int, str | None]],
    ) -> list[MentionRec]:
        out: list[MentionRec] = []
        for k in range(upto - 1, max(upto - 7, -1), -1):
            m = mentions[k]
            if m.end > cs:
                continue
            if cs - m.end > self.after or not sents[m.sentence][0] <= cs < sents[m.sentence][1]:
                break
            if not self._clear(state, m.end, cs, self.after_boundaries, commas=True):
                break
            if m.laterality is None:
                out.append(m)
        return out

    def _propagate(self, state: DocState) -> None:
        mentions = state.mentions
        starts, lower, locative = state.starts, state.lower, self.locative
        for i, m in enumerate(mentions):
            if m.laterality is not None or m.kind == "anatomy":
                continue
            if m.subject is not None:  # "the left hemidiaphragm is elevated"
                if m.subject.laterality is not None:
                    m.laterality, m.lat_span = m.subject.laterality, m.subject.lat_span
                continue
            for n in mentions[i + 1 : i + 3]:
                if n.sentence != m.sentence or n.start - m.end > 4:
                    break
                if n.kind == "anatomy" and n.laterality is not None:
                    lo, hi = n.lat_span or (0, 0)
                    if all(
                        lower[k] in locative or lo <= starts[k] < hi for k in range(m.end, n.start)
                    ):
                        m.laterality = n.laterality
                        m.lat_span = n.lat_span
                    break
                if n.kind == "anatomy":
                    continue
                break


@Language.factory("reporting_laterality", default_config={"lexicon": "laterality.json"})
def make_laterality(nlp: Language, name: str, lexicon: str) -> LateralityAttacher:
    return LateralityAttacher(nlp, name, lexicon)
