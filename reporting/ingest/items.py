"""The unit every reader yields: one report, or the reason it could not be read."""

from __future__ import annotations

from dataclasses import dataclass

from reporting.model import Report

__all__ = ["Item"]


@dataclass(frozen=True)
class Item:
    source: str
    report: Report | None = None
    error: str | None = None
