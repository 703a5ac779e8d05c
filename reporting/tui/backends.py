"""The engine parts the TUI sits on, imported on first use.

Each lookup says plainly when a part is not installed, so the UI can show "QA engine
unavailable" instead of failing (and never pretends to have checked anything).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

__all__ = ["Missing", "optional"]

log = logging.getLogger(__name__)


class Missing(Exception):
    """A part of the engine that is not available; ``str()`` says which and why."""


def optional(module: str, name: str) -> Any:
    """``module.name`` or raise :class:`Missing` when the module is not installed."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        log.info("%s unavailable: %s", module, exc)
        raise Missing(f"{module} is not available ({exc})") from None
    try:
        return getattr(mod, name)
    except AttributeError:
        raise Missing(f"{module}.{name} is not available") from None
