"""Helpers shared by the TUI tests (not a test module)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reporting.tui.app import ReportingApp, create_app
from reporting.tui.config import TuiConfig
from reporting.tui.options import TuiOptions

REPO = Path(__file__).resolve().parent.parent
WORKLIST = REPO / "examples" / "worklist.json"


def make_app(tmp_path: Path, **changes: Any) -> ReportingApp:
    options = TuiOptions(
        worklist=changes.pop("worklist", WORKLIST),
        data_dir=tmp_path / "data",
        outbox=tmp_path / "outbox",
        user=changes.pop("user", "Dr Ana Souza"),
        qa_delay=changes.pop("qa_delay", 0.05),
        config=changes.pop("config", TuiConfig(user="ignored")),
        **changes,
    )
    return create_app(options)


async def wait_for(pilot: Any, condition: Callable[[], Any], *, timeout: float = 20.0) -> Any:
    """Let the app run until ``condition()`` is truthy (returns it); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {getattr(condition, '__name__', condition)}")


def run_async(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run an ``async def`` test with asyncio (no async pytest plugin needed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(test(*args, **kwargs))

    return wrapper


async def open_for_dictation(pilot: Any, accession: str = "ACC1001") -> Any:
    """Open ``accession`` from the worklist; the report screen once its dictation is set up."""
    from reporting.tui.screens.report import ReportScreen
    from reporting.tui.screens.worklist import WorklistScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, WorklistScreen))
    await pilot.press(*accession, "enter")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen)
    await wait_for(pilot, lambda: screen.dictation is not None)
    return screen
