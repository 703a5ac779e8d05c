"""A late focus event from an earlier voice command must not pull dictation back.

Under load, "next field" then "go to impression" can be processed before the focus that
"next field" asked for lands; that stale focus event used to move the dictation session back,
so the impression text went into the previous field.
"""

from __future__ import annotations

from pathlib import Path

from reporting.asr import FakeTranscriber
from reporting.asr.types import Transcript
from reporting.tui.messages import Heard
from reporting.tui.widgets.editor import ReportEditor
from tests.tui_helpers import make_app, open_for_dictation, run_async, wait_for


@run_async
async def test_stale_focus_from_an_earlier_command_does_not_move_dictation(tmp_path: Path) -> None:
    app = make_app(tmp_path, transcriber=FakeTranscriber([]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_for_dictation(pilot)
        editor = screen.query_one(ReportEditor)
        field = editor.field_input("support_devices")

        # "Go to impression." is applied; the focus it asked for has not landed yet ...
        screen._heard(Heard(Transcript("Go to impression.")))
        assert screen.dictation.session.current_section == "impression"
        # ... when the focus an earlier "next field" asked for arrives, late.
        field.focus()
        await pilot.pause()
        screen.post_message(ReportEditor.Moved("findings", "support_devices", field))
        await pilot.pause()
        assert screen.dictation.session.current_section == "impression"

        # The next utterance lands in the impression, not in the field.
        screen._heard(Heard(Transcript("Small left pleural effusion.")))
        await pilot.pause()
        assert "Small left pleural effusion." in screen.draft.section("impression").text
        assert "Small left" not in str(
            screen.draft.section("findings").field("support_devices").value
        )

        # Once the voice's focus has landed, the radiologist's own moves count again.
        editor.focus_target("impression")
        area = editor.text_area("impression")
        area.focus()
        await pilot.pause()
        field.focus()
        await pilot.pause()
        await wait_for(pilot, lambda: screen.dictation.session.current_field == "support_devices")
