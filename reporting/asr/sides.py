"""The words that name a side, in one place for every rule that must not lose one."""

from __future__ import annotations

__all__ = ["SIDED", "SIDES", "SIDE_WORDS"]

#: the two sides, which a mis-hearing can swap or drop
SIDES = frozenset({"left", "right"})
#: words that give a side ("left greater than right" may come back as "bilateral")
SIDED = SIDES | {"bilateral"}
#: every word a dictated report names a side with, abbreviations included
SIDE_WORDS = SIDED | {"both", "l", "r"}
