"""Pilot tests of dictation in the TUI: a recording through the real audio stack (file source,
level meter, Silero VAD segmenter) with a scripted transcriber, voice navigation, doubtful
words, QA errors blocking signing, and recovery after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Button, Input, OptionList

from reporting.asr import FakeTranscriber
from reporting.model import Status
from reporting.tui.drafts import DraftState
from reporting.tui.messages import PartialText
from reporting.tui.screens.dialogs import RecoverDialog, SignDialog
from reporting.tui.screens.report import ReportScreen
from reporting.tui.screens.worklist import WorklistScreen
from reporting.tui.widgets.editor import ReportEditor
from reporting.tui.widgets.mic import MicStatus
from reporting.tui.widgets.qa_panel import QAPanel
from reporting.tui.widgets.transcript import TranscriptView
from tests.tui_helpers import REPO, make_app, run_async, wait_for

pytestmark = pytest.mark.timeout(150)


@pytest.fixture(autouse=True)
def _private_home(isolated_home: Path) -> None:
    """No test reads or writes the real ~/.config or ~/.local/share."""


RECORDING = REPO / "examples" / "audio" / "cxr_dictation.flac"  # six utterances, 1 s pauses


async def open_study(pilot, query: str) -> ReportScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, WorklistScreen))
    await pilot.press(*query, "enter")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen)
    await wait_for(pilot, lambda: screen.query_one(MicStatus).model == "ready")
    return screen


async def dictate_recording(pilot, screen: ReportScreen) -> None:
    await pilot.press("f5")
    await wait_for(pilot, lambda: screen.query_one(MicStatus).state == "finished", timeout=60)
    await wait_for(pilot, lambda: screen.qa_version == screen.version)


@run_async
async def test_dictating_a_recording_fills_the_template_and_voice_commands_navigate(
    tmp_path: Path,
) -> None:
    script = RECORDING.with_suffix(".txt").read_text().splitlines()
    transcriber = FakeTranscriber(script, probabilities={"left": 0.31})
    app = make_app(tmp_path, audio_file=RECORDING, transcriber=transcriber, audio_realtime=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_study(pilot, "ACC1001")
        assert screen.query_one(MicStatus).source == "file: cxr_dictation.flac"
        await dictate_recording(pilot, screen)
        draft = screen.draft
        findings = draft.section("findings")
        assert "There is a small left pleural effusion. No pneumothorax." in findings.text
        # "Next field." moved to the first findings field, "None." landed there
        value = findings.field("support_devices").value
        assert value in ("None.", "No lines or tubes.")  # the field's choice, when it has one
        assert screen.query_one(ReportEditor).field_input("support_devices").value == value
        # "Go to impression." then the impression text; the cursor follows the voice
        assert draft.section("impression").text == "Small left pleural effusion. No acute disease."
        assert screen.place == ("impression", None)
        assert screen.focused is screen.query_one(ReportEditor).text_area("impression")
        area = screen.query_one(ReportEditor).text_area("impression")
        assert area.text == draft.section("impression").text
        heard = screen.query_one(TranscriptView).heard
        assert heard[-1].text == "Small left pleural effusion. No acute disease."
        assert "go to" in heard[-2].command

        # the doubtful "left" is flagged, its audio found, and F4 confirms it
        doubt = screen.current_doubt()
        assert doubt is not None and screen.draft.text[doubt.start : doubt.end] == "left"
        view = screen.query_one(TranscriptView)
        assert "left" in view.confirm and "left" in heard[-1].flagged
        assert any(i.code == "asr.low_confidence" for i in screen.query_one(QAPanel).issues)
        audio = screen.dictation.word_audio("left")
        assert audio is not None and 0 < audio.size < 16_000 * 2
        while screen.current_doubt() is not None:
            await pilot.press("f4")
        assert view.confirm == ""
        assert all(i.code != "asr.low_confidence" for i in screen.query_one(QAPanel).issues)

        # partial text shows while speaking
        screen.post_message(PartialText("there is a small"))
        await wait_for(pilot, lambda: view.partial == "there is a small")
        assert "there is a small…" in str(view.render())
    audit = (tmp_path / "data" / "audit.jsonl").read_text()
    rows = [json.loads(line) for line in audit.splitlines()]
    dictated = [r for r in rows if r["event"] == "dictated"]
    assert len(dictated) == 6 and all("length" in r for r in dictated)
    assert "pleural" not in audit  # report text never goes to the audit log


@run_async
async def test_laterality_error_jumps_to_its_span_and_blocks_signing_until_overridden(
    tmp_path: Path,
) -> None:
    script = ["Go to impression.", "Complex tear of the right medial meniscus."]
    app = make_app(tmp_path, audio_file=RECORDING, transcriber=FakeTranscriber(script),
                   audio_realtime=False)  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_study(pilot, "ACC1002")  # MR KNEE LEFT
        await dictate_recording(pilot, screen)
        panel = screen.query_one(QAPanel)
        issue = next(i for i in panel.issues if i.code == "laterality.order_mismatch")
        assert screen.draft.text[issue.start : issue.end] == "right"
        # choose it in the QA panel: the editor selects the word
        olist = panel.query_one(OptionList)
        olist.focus()
        olist.highlighted = panel.issues.index(issue)
        await pilot.press("enter")
        area = screen.query_one(ReportEditor).text_area("impression")
        await wait_for(pilot, lambda: area.has_focus and area.selected_text == "right")
        # the next-issue key walks the list and selects each span in turn
        await pilot.press("f3")
        shown = panel.issues[(panel.issues.index(issue) + 1) % len(panel.issues)]
        if shown.end > shown.start:
            expected = screen.draft.text[shown.start : shown.end]
            await wait_for(pilot, lambda: screen.focused.selected_text == expected)

        await pilot.press("f9")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, SignDialog) and app.screen)
        await wait_for(pilot, lambda: dialog.query("#reason"))
        assert any(i.code == "laterality.order_mismatch" for i in dialog.errors)
        sign = dialog.query_one("#sign", Button)
        assert sign.disabled
        await pilot.press(*"ok", "enter")  # too short: still blocked
        assert isinstance(app.screen, SignDialog) and sign.disabled
        dialog.query_one("#reason", Input).value = ""
        await pilot.press(*"Side confirmed on images with the technologist")
        assert not sign.disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.draft.status is Status.FINAL)
        await wait_for(pilot, lambda: len(list((tmp_path / "outbox").rglob("*.hl7"))) == 1)
    rows = [json.loads(line) for line in (tmp_path / "data" / "audit.jsonl").open()]
    override = next(r for r in rows if r["event"] == "qa_override")
    assert override["reason"] == "Side confirmed on images with the technologist"
    assert "laterality.order_mismatch" in override["codes"]
    signed = next(r for r in rows if r["event"] == "signed")
    assert signed["overridden"] is True and signed["user"] == "Dr Ana Souza"


@run_async
async def test_draft_is_recovered_after_a_crash(tmp_path: Path) -> None:
    script = ["Go to impression.", "Small joint effusion."]
    first = make_app(tmp_path, audio_file=RECORDING, transcriber=FakeTranscriber(script),
                     audio_realtime=False)  # fmt: skip
    async with first.run_test(size=(100, 30)) as pilot:
        screen = await open_study(pilot, "ACC1002")
        await dictate_recording(pilot, screen)
        dictated = screen.draft.text
        assert screen.draft.section("impression").text == "Small joint effusion."
        # the app is abandoned here without saving: as if the process had been killed
    assert first.drafts.state("ACC1002") is DraftState.RECOVERABLE
    assert first.drafts.load("ACC1002") is None

    second = make_app(tmp_path)
    async with second.run_test(size=(100, 30)) as pilot:
        dialog = await wait_for(
            pilot, lambda: isinstance(second.screen, RecoverDialog) and second.screen
        )
        assert dialog.entry.accession == "ACC1002"
        await wait_for(pilot, lambda: dialog.query("#recover"))
        await pilot.press("r")
        screen = await wait_for(
            pilot, lambda: isinstance(second.screen, ReportScreen) and second.screen
        )
        await wait_for(
            pilot, lambda: screen.draft is not None and screen.query(ReportEditor).first().targets()
        )
        assert screen.draft.text == dictated
        area = screen.query_one(ReportEditor).text_area("impression")
        assert area.text == "Small joint effusion."
        await pilot.press("ctrl+s")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(second.screen, WorklistScreen))
    assert second.drafts.state("ACC1002") is DraftState.DRAFT
    events = [json.loads(line)["event"] for line in (tmp_path / "data" / "audit.jsonl").open()]
    assert "recovered" in events
