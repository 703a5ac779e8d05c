"""The words a word may be derived from by a known prefix or suffix.

The corrector (is a word made up?) and the unfamiliar-word flag (does any report hold it?)
both accept a word that is a known one with a prefix or suffix ("hypoinflated",
"posteriorly").  They ask with different bounds: the flag also accepts short stems and a
"-y" stem ("enlarging" <- "enlarge", "opacities" <- "opacity"), because what it does with a
false match is stay quiet, while the corrector leaves the word alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["bases"]


def bases(
    word: str,
    prefixes: Iterable[str],
    suffixes: Iterable[str],
    *,
    min_stem: int = 4,
    endings: tuple[str, ...] = ("", "e"),
) -> Iterator[tuple[str, str]]:
    """``(prefix, base)`` for each way ``word`` (lower case) is a base with one of
    ``prefixes`` (what is left has four letters or more) or one of ``suffixes`` (the stem has
    ``min_stem`` letters or more, and is tried with each of ``endings``; ``prefix`` is then
    empty)."""
    for pre in prefixes:
        if word.startswith(pre) and len(word) - len(pre) >= 4:
            yield pre, word[len(pre) :]
    for suf in suffixes:
        if word.endswith(suf) and len(word) - len(suf) >= min_stem:
            stem = word[: -len(suf)]
            for end in endings:
                yield "", stem + end
