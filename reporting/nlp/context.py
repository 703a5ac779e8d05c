"""ConText-style assertion: cues with direction, scope and terminators mark each mention.

One PhraseMatcher finds every cue, pseudo-cue and terminator; overlapping matches keep the
longest, so a pseudo-cue ("no change", "not only") silences the cue it contains.  In each
sentence a cue's scope runs from the cue forward (or backward, or both ways) until the sentence
ends, a terminator that applies to its category ("but", "however", "which" ...), or
``max_scope`` tokens.  Mentions whose tokens fall inside a scope take the cue's category.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from reporting.errors import LexiconError
from reporting.nlp.data import CueRule, load_assertion
from reporting.nlp.mentions import longest_first, sentence_of
from reporting.nlp.state import CueRec, MentionRec, lexicon_file, state_of

__all__ = ["ContextAsserter"]


class ContextAsserter:
    def __init__(self, nlp: Language, name: str, lexicon: str) -> None:
        self.name = name
        path = lexicon_file(lexicon)
        lex = load_assertion(path)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.rules: dict[int, CueRule] = {}
        self.terminators: dict[int, frozenset[str]] = {}
        for rule in lex.cues:
            if rule.phrase in lex.terminators:
                raise LexiconError(f"{path}: {rule.phrase!r} is both a cue and a terminator")
            key = f"ctx:{rule.phrase}"
            self.rules[nlp.vocab.strings.add(key)] = rule
            self.matcher.add(key, [nlp.make_doc(rule.phrase)])
        for phrase, applies in lex.terminators.items():
            key = f"ctx-term:{phrase}"
            self.terminators[nlp.vocab.strings.add(key)] = applies
            self.matcher.add(key, [nlp.make_doc(phrase)])

    def __call__(self, doc: Doc) -> Doc:
        state = state_of(doc, self.name)
        sents = state.sentences
        if not sents:
            return doc
        matches = longest_first(self.matcher(doc))
        if not matches:
            return doc
        sent_starts = [s for s, _e, _n in sents]
        rules, terminators = self.rules, self.terminators
        words = state.words
        # terminators per sentence: (start, end, categories)
        terms: dict[int, list[tuple[int, int, frozenset[str]]]] = {}
        found: list[tuple[int, int, int, CueRule]] = []
        for match_id, s, e in matches:
            i = sentence_of(sent_starts, s)
            if not sents[i][0] <= s < sents[i][1]:
                continue
            applies = terminators.get(match_id)
            if applies is not None:
                terms.setdefault(i, []).append((s, e, applies))
                continue
            rule = rules[match_id]
            if rule.category != "pseudo":
                found.append((i, s, e, rule))
        cues = state.cues
        for i, s, e, rule in found:
            sent_start, sent_end, _ = sents[i]
            cat = rule.category
            lo, hi = s, e
            if rule.direction != "backward":
                # max_scope counts words: punctuation and white space are free
                hi = min(sent_end, bisect_right(words, words[e] + rule.max_scope, e) - 1)
                for ts, _te, applies in terms.get(i, ()):
                    if ts >= e and cat in applies:
                        hi = min(hi, ts)
                        break
            if rule.direction != "forward":
                lo = max(sent_start, bisect_left(words, words[s] - rule.max_scope, 0, s + 1))
                for _ts, te, applies in reversed(terms.get(i, ())):
                    if te <= s and cat in applies:
                        lo = max(lo, te)
                        break
            # forward/backward scopes exclude the cue itself; bidirectional ones span it
            if rule.direction == "forward":
                lo = e
            elif rule.direction == "backward":
                hi = s
            cues.append(CueRec(s, e, rule.phrase, cat, rule.direction, lo, hi, i))
        if state.mentions and cues:
            self._mark(state.mentions, cues)
        return doc

    @staticmethod
    def _mark(mentions: list[MentionRec], cues: list[CueRec]) -> None:
        by_sentence: dict[int, list[CueRec]] = {}
        for cue in cues:
            by_sentence.setdefault(cue.sentence, []).append(cue)
        for m in mentions:
            for cue in by_sentence.get(m.sentence, ()):
                if cue.scope_start >= m.end or cue.scope_end <= m.start:
                    continue
                if cue.start >= m.start and cue.end <= m.end:
                    continue  # a cue inside the mention does not qualify it
                setattr(m, "other" if cue.category == "experiencer" else cue.category, True)


@Language.factory("reporting_context", default_config={"lexicon": "assertion.json"})
def make_context(nlp: Language, name: str, lexicon: str) -> ContextAsserter:
    return ContextAsserter(nlp, name, lexicon)
