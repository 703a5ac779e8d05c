"""Anatomy, finding and device mentions from the anatomy/findings lexicons (PhraseMatcher on LOWER)."""

from __future__ import annotations

from bisect import bisect_right

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from reporting.errors import LexiconError
from reporting.nlp.data import load_concepts, load_resolutions
from reporting.nlp.state import DocState, MentionRec, lexicon_file, state_of

__all__ = ["MentionMatcher", "longest_first", "sentence_of"]


def longest_first(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Non-overlapping (id, start, end) matches, longer ones winning, in text order."""
    if len(matches) < 2:
        return matches
    ordered = sorted(matches, key=lambda m: (m[1] - m[2], m[1]))
    taken = bytearray(max(m[2] for m in matches))
    kept = []
    for match in ordered:
        _, s, e = match
        if e - s == 1:
            if taken[s]:
                continue
            taken[s] = 1
        else:
            if any(taken[s:e]):
                continue
            taken[s:e] = b"\x01" * (e - s)
        kept.append(match)
    kept.sort(key=lambda m: m[1])
    return kept


def sentence_of(sent_starts: list[int], token: int) -> int:
    """Index of the sentence whose first token is at or before ``token``."""
    return max(bisect_right(sent_starts, token) - 1, 0)


# Words a predicate does not look across ("heart is enlarged" but not "heart and lungs ...").
_PREDICATE_STOPS = ("and", "or", "but", "with", "without", "which", "than", "while", "whereas")
_PREDICATE_AFTER = 5  # tokens after the subject ("heart is mildly enlarged")
_PREDICATE_BEFORE = 4  # tokens before it ("elevation of the right hemidiaphragm")


class MentionMatcher:
    """spaCy component adding anatomy/finding/device mentions to the DocState.

    Besides phrases, a finding can be *predicated* of an anatomy mention in the same clause
    ("the heart is mildly enlarged", "elevated right hemidiaphragm"): the finding mention then
    covers the predicate word and remembers its subject (for laterality).
    """

    def __init__(self, nlp: Language, name: str, anatomy: str, findings: str) -> None:
        self.name = name
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.info: dict[int, tuple[str, str, bool]] = {}
        anatomy_path, findings_path = lexicon_file(anatomy), lexicon_file(findings)
        anatomy_concepts = load_concepts(anatomy_path, "anatomy")
        finding_concepts = load_concepts(findings_path, None)
        for concept in anatomy_concepts + finding_concepts:
            key = f"{concept.kind}:{concept.id}"
            self.info[nlp.vocab.strings.add(key)] = (concept.kind, concept.id, concept.lateral)
            self.matcher.add(key, [nlp.make_doc(t) for t in concept.terms])
        known = {c.id for c in anatomy_concepts}
        strings = nlp.vocab.strings
        # anatomy concept -> [(word hash -> (finding kind, finding id))]
        self.predicates: dict[str, dict[int, tuple[str, str]]] = {}
        for concept in finding_concepts:
            for i, pred in enumerate(concept.predicates):
                for subject in pred.subjects:
                    if subject not in known:
                        raise LexiconError(
                            f"{findings_path}: concepts.{concept.id}.predicates[{i}].subjects "
                            f"names {subject!r}, which is not a concept of {anatomy_path.name}"
                        )
                    words = self.predicates.setdefault(subject, {})
                    for word in pred.words:
                        words[strings.add(word)] = (concept.kind, concept.id)
        # generic concept -> [(specific concept, anatomy ids)]: "effusion" by a knee or a lung
        self.resolve: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
        for res in load_resolutions(findings_path):
            for i, (_target, parts) in enumerate(res.options):
                unknown = sorted(parts - known)
                if unknown:
                    raise LexiconError(
                        f"{findings_path}: resolve.{res.concept}[{i}].anatomy names "
                        f"{unknown[0]!r}, which is not a concept of {anatomy_path.name}"
                    )
            self.resolve[res.concept] = res.options
        self.stops = frozenset(strings.add(w) for w in _PREDICATE_STOPS)
        self.free = frozenset(strings.add(w) for w in ("-", "/"))

    def __call__(self, doc: Doc) -> Doc:
        state = state_of(doc, self.name)
        if not state.sentences:
            return doc
        sents = state.sentences
        sent_starts = [s for s, _e, _n in sents]
        info = self.info
        out = state.mentions
        for match_id, s, e in longest_first(self.matcher(doc)):
            i = sentence_of(sent_starts, s)
            if not sents[i][0] <= s < sents[i][1]:
                continue  # in a heading or between sentences
            kind, concept, lateral = info[match_id]
            out.append(MentionRec(s, e, kind, concept, lateral, i))
        if self.predicates and out:
            self._predicates(state)
        if self.resolve and out:
            self._resolve(out)
        return doc

    def _resolve(self, mentions: list[MentionRec]) -> None:
        """Give generic findings ("effusion") their specific concept from the anatomy around them.

        The nearest matching anatomy in the same sentence decides ("effusion in the knee
        joint"); else the anatomy the whole report talks about most (a knee exam's "small
        effusion" is a joint effusion, a chest radiograph's a pleural one).  With no anatomy
        to go by the generic concept stays.
        """
        resolve = self.resolve
        generic = [m for m in mentions if m.kind == "finding" and m.concept in resolve]
        if not generic:
            return
        anatomy = [m for m in mentions if m.kind == "anatomy"]
        if not anatomy:
            return
        counts: dict[str, int] = {}
        for a in anatomy:
            counts[a.concept] = counts.get(a.concept, 0) + 1
        for m in generic:
            options = resolve[m.concept]
            best: tuple[int, str] | None = None
            for a in anatomy:
                if a.sentence != m.sentence:
                    continue
                for target, parts in options:
                    if a.concept in parts:
                        gap = a.start - m.end if a.start >= m.end else m.start - a.end
                        if best is None or gap < best[0]:
                            best = (gap, target)
                        break
            if best is None:
                tally = [
                    (sum(counts.get(c, 0) for c in parts), target) for target, parts in options
                ]
                top = max(n for n, _ in tally)
                winners = [t for n, t in tally if n == top]
                if top and len(winners) == 1:
                    best = (0, winners[0])
            if best is not None:
                m.concept = best[1]

    def _predicates(self, state: DocState) -> None:
        mentions = state.mentions
        taken = {k for m in mentions for k in range(m.start, m.end)}
        lower, punct, sents = state.lower, state.punct, state.sentences
        found: list[MentionRec] = []
        for m in mentions:
            words = self.predicates.get(m.concept) if m.kind == "anatomy" else None
            if not words:
                continue
            sent_start, sent_end, _ = sents[m.sentence]
            after = range(m.end, min(m.end + _PREDICATE_AFTER, sent_end))
            before = range(m.start - 1, max(m.start - 1 - _PREDICATE_BEFORE, sent_start - 1), -1)
            for window in (after, before):
                for k in window:
                    low = lower[k]
                    if low in words and k not in taken:
                        kind, concept = words[low]
                        rec = MentionRec(k, k + 1, kind, concept, False, m.sentence, subject=m)
                        found.append(rec)
                        taken.add(k)
                        break
                    if low in self.stops or (punct[k] and low not in self.free) or k in taken:
                        break
        if found:
            mentions.extend(found)
            mentions.sort(key=lambda r: (r.start, r.end))


@Language.factory(
    "reporting_mentions",
    default_config={"anatomy": "anatomy.json", "findings": "findings.json"},
)
def make_mentions(nlp: Language, name: str, anatomy: str, findings: str) -> MentionMatcher:
    return MentionMatcher(nlp, name, anatomy, findings)
