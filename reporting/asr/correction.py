"""Restore radiology terms the recogniser mis-heard, without touching ordinary words.

Two passes, both data-driven (``lexicons/asr_corrections.json``):

1. known mis-hearings (``"plural effusion"`` -> ``"pleural effusion"``), whole words;
2. a vocabulary-constrained sound-alike matcher: windows of 1..3 heard words are turned into a
   phonetic key and compared (rapidfuzz) with the keys of the vocabulary terms.  A window is
   replaced only when it is not itself a vocabulary term, scores at least ``min_score``, and
   is not a single ordinary English word (a word the speech model knows whole, or a protected
   word) — so "new mothorax" becomes "pneumothorax" but "new" or "plural" alone never change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reporting.errors import LexiconError
from reporting.lexicons import check_keys, expect_list, load_lexicon

__all__ = ["Correction", "Corrector", "load_corrector", "ordinary_words_from_model"]

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@dataclass(frozen=True, slots=True)
class Correction:
    """One change: ``heard`` at ``start..end`` of the input became ``written``."""

    start: int
    end: int
    heard: str
    written: str
    kind: str  # "known" | "fuzzy"


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


@dataclass
class Corrector:
    """Corrects a transcript against ``terms`` (the vocabulary plus the template's terms)."""

    rules: _Rules
    terms: tuple[str, ...]
    ordinary: frozenset[str] = frozenset()
    _keys: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _known: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._terms_lower = {t.lower() for t in self.terms}
        single = {w.lower() for t in self.terms for w in t.split()}
        self._term_words = single
        for term in self.terms:
            key = self.key(term)
            if len(key) >= self.rules.min_length:
                self._keys.setdefault(key, term)
        if self.rules.replacements:
            alts = sorted((h for h, _ in self.rules.replacements), key=len, reverse=True)
            body = "|".join(r"\s+".join(re.escape(w) for w in h.split()) for h in alts)
            self._known = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)
        self._map = {" ".join(h.lower().split()): w for h, w in self.rules.replacements}

    def with_terms(self, extra: Iterable[str]) -> Corrector:
        merged = tuple(dict.fromkeys([*self.terms, *extra]))
        return Corrector(self.rules, merged, self.ordinary)

    def key(self, text: str) -> str:
        """The sound-alike key of ``text`` (lower case, spaces removed, phonetic rules)."""
        out = text.lower()
        for pattern, repl in self.rules.phonetic:
            out = pattern.sub(repl, out)
        return out

    def _is_ordinary(self, word: str) -> bool:
        w = word.lower()
        return w in self.rules.protected or w in self.ordinary or w in self._term_words

    def correct(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """``(corrected text, corrections)``."""
        changes: list[Correction] = []
        if self._known is not None:
            text = self._apply_known(text, changes)
        text = self._apply_fuzzy(text, changes)
        return text, tuple(changes)

    def _apply_known(self, text: str, changes: list[Correction]) -> str:
        assert self._known is not None
        out: list[str] = []
        pos = 0
        for m in self._known.finditer(text):
            written = self._map[" ".join(m.group(0).lower().split())]
            written = _match_case(m.group(0), written)
            out.append(text[pos : m.start()])
            changes.append(Correction(m.start(), m.end(), m.group(0), written, "known"))
            out.append(written)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out)

    def _apply_fuzzy(self, text: str, changes: list[Correction]) -> str:
        if not self._keys:
            return text
        from rapidfuzz import fuzz, process

        words = list(_WORD.finditer(text))
        choices = list(self._keys)
        replaced: list[tuple[int, int, str, str]] = []
        i = 0
        while i < len(words):
            done = False
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
                if n == 1 and self._is_ordinary(heard):
                    continue
                if n > 1 and (
                    all(self._is_ordinary(w.group(0)) for w in window)
                    or window[0].group(0).lower() in self.rules.never_at_edge
                    or window[-1].group(0).lower() in self.rules.never_at_edge
                ):
                    continue
                key = self.key(heard)
                if len(key) < self.rules.min_length:
                    continue
                cutoff = (
                    min(self.rules.min_score, self.rules.long_min_score)
                    if len(key) >= self.rules.long_length
                    else self.rules.min_score
                )
                found = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                if found is None:
                    continue
                term = self._keys[found[0]]
                if not 0.75 <= len(key) / len(found[0]) <= 1.33:
                    continue
                term_words = term.lower().split()
                if n > 1 and any(
                    w.group(0).lower() in self._terms_lower and w.group(0).lower() not in term_words
                    for w in window
                ):
                    continue  # never swallow a correct term into a different one
                if n > 2 and any(
                    w.group(0).lower() in self.rules.never_at_edge
                    and w.group(0).lower() not in term_words
                    for w in window[1:-1]
                ):
                    continue  # function words inside a window are kept ("lines or tubes")
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


def _match_case(heard: str, term: str) -> str:
    if heard[:1].isupper() and term[:1].islower():
        return term[:1].upper() + term[1:]
    return term


def _rules_from(path: Path, data: dict[str, Any]) -> _Rules:
    reps: list[tuple[str, str]] = []
    for i, item in enumerate(expect_list(path, "replacements", data.get("replacements", []))):
        entry = check_keys(path, f"replacements[{i}]", item, required=("heard", "write"))
        heard, write = entry["heard"], entry["write"]
        if not (isinstance(heard, str) and heard.strip() and isinstance(write, str)):
            raise LexiconError(
                f"{path}: replacements[{i}] needs non-empty strings 'heard' and 'write'"
            )
        reps.append((heard.strip(), write))
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
        ),
    )
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
def load_corrector(
    name: str = "asr_corrections.json", *, model_folder: str | None = None
) -> Corrector:
    """The bundled corrector over the bundled vocabulary (add template terms with ``with_terms``)."""
    from reporting.asr.vocabulary import load_vocabulary

    lex = load_lexicon(name, optional=("replacements", "fuzzy", "phonetic", "protected"))
    rules = _rules_from(lex.path, dict(lex.data))
    ordinary = ordinary_words_from_model(model_folder) if model_folder else frozenset()
    return Corrector(rules, load_vocabulary().terms, ordinary)
