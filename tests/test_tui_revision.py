"""A revision (the live recogniser's whole-utterance re-decode) replaces the text of the last
utterance on screen, in the draft and in the journal, unless the radiologist has acted since."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reporting.asr import FakeTranscriber, transcript_from_text
from reporting.tui.messages import Heard, Revised
from reporting.tui.widgets.editor import ReportEditor
from reporting.tui.widgets.transcript import TranscriptView
from tests.tui_helpers import make_app, open_for_dictation, run_async, wait_for

JOINED = "Small left pleural effusion no acute disease."
WHOLE = "Small left pleural effusion. No acute disease."


@run_async
async def test_a_revision_replaces_the_last_utterance_until_the_radiologist_acts(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, transcriber=FakeTranscriber([]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_for_dictation(pilot)
        screen._heard(Heard(transcript_from_text("Go to impression."), index=0))
        audio = np.zeros(16000 * 3, np.float32)
        screen._heard(Heard(transcript_from_text(JOINED), audio, 2.0, index=1))
        await pilot.pause()
        assert screen.draft.section("impression").text == JOINED

        # a revision of an older utterance is ignored; the last one's takes its place
        screen._revised(Revised(transcript_from_text("Go to findings."), index=0))
        assert screen.draft.section("impression").text == JOINED
        screen._revised(Revised(transcript_from_text(WHOLE), index=1))
        await pilot.pause()
        assert screen.draft.section("impression").text == WHOLE
        editor = screen.query_one(ReportEditor)
        assert editor.text_area("impression").text.strip() == WHOLE
        assert screen.query_one(TranscriptView).heard[-1].text == WHOLE
        # replaying a doubtful word uses the revised words' timings
        assert [w.word for w in screen.dictation.recent[-1].words][-2:] == ["acute", "disease."]
        assert screen.dictation.recent[-1].words[4].word == "No"
        events = [e["event"] for e in app.audit.read()]
        assert events.count("dictated") == 2 and events.count("revised") == 1
        # the journal holds the revision: a crash now recovers the revised text
        assert [u["text"] for u in screen.dictation.session.utterances()][-1] == WHOLE

        # once the radiologist has typed, a late revision must not overwrite the typing
        area = editor.text_area("impression")
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press("space", "X")
        await wait_for(pilot, lambda: screen.draft.section("impression").text.endswith(" X"))
        typed = screen.draft.text
        screen._revised(Revised(transcript_from_text("Something else."), index=1))
        await pilot.pause()
        assert screen.draft.text == typed


@run_async
async def test_a_revision_carries_the_command_the_pieces_missed(tmp_path: Path) -> None:
    # the live pieces heard "Undo." run into the sentence as "and do", the whole-utterance
    # decode heard it right: the sentence stays, the command is done and shown
    app = make_app(tmp_path, transcriber=FakeTranscriber([]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_for_dictation(pilot)
        screen._heard(Heard(transcript_from_text("Go to impression."), index=0))
        screen._heard(Heard(transcript_from_text("Stable chest and go to fighting."), index=1))
        await pilot.pause()
        assert screen.draft.section("impression").text == "Stable chest and go to fighting."
        screen._revised(Revised(transcript_from_text("Stable chest. Go to findings."), index=1))
        await pilot.pause()
        assert screen.draft.section("impression").text == "Stable chest."
        assert screen.place[0] == "findings"
        line = screen.query_one(TranscriptView).heard[-1]
        assert line.text == "Stable chest." and line.command == "go to"
        events = [e for e in app.audit.read() if e["event"] == "revised"]
        assert events and events[-1]["commands"] == ["go to"]
        # what is dictated next goes where the revision moved to
        screen._heard(Heard(transcript_from_text("No pneumothorax."), index=2))
        await pilot.pause()
        assert "No pneumothorax." in screen.draft.section("findings").text


@run_async
async def test_speech_with_no_words_heard_is_said_on_the_transcript_line(tmp_path: Path) -> None:
    app = make_app(tmp_path, transcriber=FakeTranscriber([]))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_for_dictation(pilot)
        before = screen.draft.text
        # the VAD took 1.4 s for speech, the recogniser heard no words in it
        screen._heard(Heard(transcript_from_text(""), np.full(22400, 0.1, np.float32), index=0))
        await pilot.pause()
        view = screen.query_one(TranscriptView)
        assert view.heard[-1].note and "say it again" in view.render()
        assert screen.draft.text == before
        # a final without audio (nothing the VAD heard) says nothing
        screen._heard(Heard(transcript_from_text(""), index=1))
        assert len(view.heard) == 1
