"""Fast whole-word term lookup over a report tokenised once.

Lexicon checks run on every report, so instead of one case-insensitive regular expression per
term list (slow: the engine retries every alternative at every position) the text is split
once into lower-case word tokens and each term list becomes a dict keyed by its first word.
Terms match whole words; the separators between a term's words are free ("x-ray" matches
"x ray" and "x-ray"; "salpingo-oophorectomy" matches with or without the hyphen).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from reporting.text import lower_same_length

__all__ = ["Tokens", "TermIndex", "Hit"]

T = TypeVar("T")

_WORD = re.compile(r"[^\W_]+")


class Tokens:
    """Lower-case word tokens of a text with their character offsets and positions by word."""

    __slots__ = ("words", "starts", "positions", "cache")

    def __init__(self, text: str) -> None:
        low = lower_same_length(text)
        self.words: list[str] = _WORD.findall(low)
        self.starts = [m.start() for m in _WORD.finditer(low)]
        positions: dict[str, list[int]] = {}
        for i, w in enumerate(self.words):
            found = positions.get(w)
            if found is None:
                positions[w] = [i]
            else:
                found.append(i)
        self.positions = positions
        #: per term index (by id): sorted token indices where one of its terms may start
        self.cache: dict[int, list[int]] = {}

    def end(self, i: int) -> int:
        """Character offset just after token ``i``."""
        return self.starts[i] + len(self.words[i])

    def index_at(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset``."""
        return bisect.bisect_left(self.starts, offset)

    def __len__(self) -> int:
        return len(self.words)


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    start: int
    end: int
    value: T
    first: int  # token index of the first word
    last: int  # token index after the last word


def _split(term: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(lower_same_length(term)))


class TermIndex(Generic[T]):
    """Terms with a payload each; ``find`` gives leftmost-longest, non-overlapping hits."""

    def __init__(self, entries: Iterable[tuple[str, T]]) -> None:
        table: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for term, value in entries:
            words = _split(term)
            if words:
                table.setdefault(words[0], []).append((words, value))
        for options in table.values():
            options.sort(key=lambda o: -len(o[0]))
        self._first = table

    @classmethod
    def of(cls, terms: Iterable[str]) -> TermIndex[str]:
        return TermIndex((t, t) for t in terms)  # type: ignore[return-value]

    def _starts(self, tokens: Tokens, lo: int, end: int) -> list[int]:
        """Token indices in ``[lo, end)`` whose word starts some term, in order."""
        found = tokens.cache.get(id(self))
        if found is None:
            first, positions = self._first, tokens.positions
            if len(first) < len(positions):
                present = [w for w in first if w in positions]
            else:
                present = [w for w in positions if w in first]
            found = sorted(i for w in present for i in positions[w])
            tokens.cache[id(self)] = found
        if not found:
            return found
        if lo > 0 or end < len(tokens.words):
            return found[bisect.bisect_left(found, lo) : bisect.bisect_left(found, end)]
        return found

    def find(self, tokens: Tokens, lo: int = 0, hi: int | None = None) -> list[Hit[T]]:
        words = tokens.words
        end = len(words) if hi is None else min(hi, len(words))
        out: list[Hit[T]] = []
        taken = -1
        for i in self._starts(tokens, lo, end):
            if i < taken:
                continue
            for seq, value in self._first[words[i]]:
                k = len(seq)
                if k == 1 or (i + k <= end and tuple(words[i : i + k]) == seq):
                    out.append(Hit(tokens.starts[i], tokens.end(i + k - 1), value, i, i + k))
                    taken = i + k
                    break
        return out

    def any(self, tokens: Tokens, lo: int = 0, hi: int | None = None) -> bool:
        words = tokens.words
        end = len(words) if hi is None else min(hi, len(words))
        for i in self._starts(tokens, lo, end):
            for seq, _ in self._first[words[i]]:
                k = len(seq)
                if k == 1 or (i + k <= end and tuple(words[i : i + k]) == seq):
                    return True
        return False

    def search_text(self, text: str) -> bool:
        """Convenience for short strings (procedure descriptions, clauses)."""
        return self.any(Tokens(text))
