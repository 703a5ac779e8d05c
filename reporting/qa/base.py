"""The seam every check implements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from reporting.model import Issue
from reporting.qa.context import Context

__all__ = ["Check"]


class Check(Protocol):
    """One family of checks.  ``codes`` lists the issue codes ``run`` may produce."""

    @property
    def codes(self) -> tuple[str, ...]:
        """The issue codes ``run`` may produce."""
        ...

    def run(self, ctx: Context) -> Iterable[Issue]:
        """Issues found in ``ctx.report`` (any order; the engine sorts them)."""
        ...
