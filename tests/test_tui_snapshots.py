"""Snapshot tests of the main screens at 80x24 and 120x40 (pytest-textual-snapshot).

Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs in ``tests/__snapshots__/`` before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reporting.tui.screens.dialogs import SignDialog
from reporting.tui.screens.report import ReportScreen
from reporting.tui.screens.worklist import WorklistScreen
from reporting.tui.widgets.editor import ReportEditor
from reporting.tui.widgets.mic import MicStatus
from tests.tui_helpers import make_app, wait_for

pytestmark = pytest.mark.timeout(120)

SIZES = [(80, 24), (120, 40)]


async def _worklist_ready(pilot) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, WorklistScreen))
    await pilot.pause(0.2)


async def _report_ready(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, WorklistScreen))
    await pilot.press(*"knee", "enter")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen)
    await wait_for(pilot, lambda: screen.query_one(MicStatus).model == "ready")
    await wait_for(pilot, lambda: screen.qa_version == screen.version)
    await pilot.pause(0.2)


async def _sign_blocked(pilot) -> None:
    await _report_ready(pilot)
    screen = pilot.app.screen
    area = screen.query_one(ReportEditor).text_area("impression")
    area.focus()
    area.replace("Complex tear of the right medial meniscus.", (0, 0), area.document.end)
    await wait_for(pilot, lambda: screen.qa_version == screen.version and screen.issues)
    await pilot.press("f9")
    dialog = await wait_for(
        pilot, lambda: isinstance(pilot.app.screen, SignDialog) and pilot.app.screen
    )
    await wait_for(pilot, lambda: dialog.query("#reason"))
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_worklist_screen(snap_compare, isolated_home: Path, size: tuple[int, int]) -> None:
    app = make_app(isolated_home, fake_asr=True)
    assert snap_compare(app, terminal_size=size, run_before=_worklist_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_report_screen(snap_compare, isolated_home: Path, size: tuple[int, int]) -> None:
    app = make_app(isolated_home, fake_asr=True)
    assert snap_compare(app, terminal_size=size, run_before=_report_ready)


def test_signing_blocked_by_a_qa_error(snap_compare, isolated_home: Path) -> None:
    app = make_app(isolated_home, fake_asr=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_sign_blocked)
