"""Find arbitrary term lists in text: case-insensitive, whole words, multi-word terms.

Used for template topic terms ("heart size", "pleural effusion") where building a spaCy
matcher per template would be wasteful: one compiled regular expression per term list, cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from reporting.errors import NLPError

__all__ = ["TermMatcher", "term_matcher"]


class TermMatcher:
    """``matcher(text) -> [(start, end, term)]``: leftmost-longest, non-overlapping matches.

    White space inside a term matches any run of white space; a hyphen matches a hyphen, a
    space or nothing ("x-ray" finds "x ray" and "xray").  ``term`` is the term as given.
    """

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.terms = terms
        self._by_key: dict[str, str] = {}
        parts = []
        for term in sorted(terms, key=len, reverse=True):
            key = _key(term)
            if not key:
                raise NLPError(f"empty term in term list: {term!r}")
            self._by_key.setdefault(key, term)
            parts.append(_pattern(term))
        body = "|".join(parts) if parts else r"(?!x)x"
        self._re = re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE)

    def __call__(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        for m in self._re.finditer(text):
            term = self._by_key.get(_key(m.group()))
            out.append((m.start(), m.end(), term if term is not None else m.group()))
        return out

    def search(self, text: str) -> bool:
        """True when any term occurs in ``text``."""
        return self._re.search(text) is not None


def _key(term: str) -> str:
    return "".join(ch for ch in term.lower() if ch.isalnum())


def _pattern(term: str) -> str:
    words = re.split(r"\s+", term.strip())
    out = []
    for word in words:
        pieces = [re.escape(p) for p in word.split("-")]
        out.append(r"[-\s]?".join(pieces))
    return r"\s+".join(out)


@lru_cache(maxsize=512)
def _cached(terms: tuple[str, ...]) -> TermMatcher:
    return TermMatcher(terms)


def term_matcher(terms: Iterable[str]) -> TermMatcher:
    """A cached :class:`TermMatcher` for ``terms`` (any iterable of strings)."""
    items = tuple(dict.fromkeys(t for t in terms))
    for t in items:
        if not isinstance(t, str):
            raise NLPError(f"terms must be strings, got {type(t).__name__}")
    return _cached(items)
