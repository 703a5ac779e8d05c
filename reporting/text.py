"""Small text helpers shared by the layers above, which must keep character offsets valid."""

from __future__ import annotations

__all__ = ["lower_same_length"]


def lower_same_length(text: str) -> str:
    """``text`` in lower case, letter for letter, so that an offset into it is an offset into
    ``text``: ``text.lower()`` when that keeps every offset, else a per-character lower-casing
    ("İ".lower() is two characters, and would move every span after it)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
