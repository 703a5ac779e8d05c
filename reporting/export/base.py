"""Seams shared by the exporters: the clock and the UID factory.

Every exporter takes ``clock`` (returns the time stamp written into the document) and the DICOM
exporter also a ``uid_factory`` (returns a new UID).  Production code uses the system clock and
random UIDs; tests pass :class:`FixedClock` and :class:`SequentialUids` to compare bytes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Protocol

from reporting.errors import ExportError

__all__ = [
    "Clock",
    "UidFactory",
    "FixedClock",
    "SequentialUids",
    "system_clock",
    "random_uid",
    "now",
]


class Clock(Protocol):
    """Returns the current time (timezone-aware or naive local time)."""

    def __call__(self) -> dt.datetime: ...


class UidFactory(Protocol):
    """Returns a new, unique DICOM UID (digits and dots, at most 64 characters)."""

    def __call__(self) -> str: ...


def system_clock() -> dt.datetime:
    """The local wall-clock time, timezone-aware."""
    return dt.datetime.now().astimezone()


def random_uid() -> str:
    """A new random UID under pydicom's root (``2.25.<uuid>`` style is avoided for length)."""
    from pydicom.uid import generate_uid

    return str(generate_uid())


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock that always returns ``when`` (for reproducible exports)."""

    when: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.when


@dataclass(slots=True)
class SequentialUids:
    """UIDs ``<root>.1``, ``<root>.2`` ... in call order (for reproducible exports)."""

    root: str = "1.2.826.0.1.3680043.8.498.999"
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", self.root) or len(self.root) > 54:
            raise ExportError(f"UID root {self.root!r} must be digits and dots, at most 54 long")

    def __call__(self) -> str:
        return f"{self.root}.{next(self._counter)}"


def now(clock: Clock | None) -> dt.datetime:
    """Ask ``clock`` (or the system clock) for the time."""
    return (clock or system_clock)()
