"""DictationSession: voice commands on a real template draft, low-confidence issues, journal."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.asr import FakeTranscriber, transcript_from_text
from reporting.dictation import LOW_CONFIDENCE, DictationSession, Stop, Utterance
from reporting.errors import DictationError
from reporting.model import Severity
from reporting.records import from_record, to_record
from reporting.templating import load_template


@pytest.fixture(scope="module")
def chest():
    return load_template("chest_xr")


def session(spec, **kw) -> DictationSession:
    return DictationSession(
        spec, context={"id": "r1", "procedure": "XR CHEST PA AND LATERAL"}, **kw
    )


def test_draft_starts_from_the_template(chest) -> None:
    s = session(chest)
    # dictation begins in the findings, as in the TUI: the examination line is the order's
    assert s.current_stop == Stop("findings")
    assert s.draft.section("examination").text == "XR CHEST PA AND LATERAL"
    assert s.draft.template == "chest_xr"
    assert "Pleura: No pleural effusion or pneumothorax." in s.draft.text
    assert s.draft.section("impression").text == "No acute cardiopulmonary abnormality."


def test_dictation_without_a_command_goes_to_the_findings(chest) -> None:
    s = session(chest)
    s.apply("There is a seven millimeter nodule in the right upper lobe.")
    assert s.draft.section("examination").text == "XR CHEST PA AND LATERAL"
    assert s.draft.section("findings").text.startswith(
        "There is a 7 mm nodule in the right upper lobe."
    )


def test_chest_dictation_with_voice_commands(chest) -> None:
    s = session(chest)
    s.apply("Go to findings.")
    assert s.current_section == "findings" and s.current_field is None
    s.apply("There is a small left plural effusion. No new mothorax.")
    s.apply("Next field.")
    assert s.current_field == "support_devices"
    s.apply("No lines or tubes.")
    change = s.apply("Go to impression.")
    assert change.actions == ("go_to",)
    s.apply("Small left pleural effusion. No acute disease period")
    draft = s.draft
    findings = draft.section("findings").text
    assert findings.startswith("There is a small left pleural effusion. No pneumothorax.")
    # prose replaced the untouched normal defaults; the dictated field stays
    assert "Pleura: No pleural effusion" not in findings
    assert "Lines and tubes: No lines or tubes." in findings
    assert draft.section("impression").text == "Small left pleural effusion. No acute disease."
    record = to_record(draft)
    assert (
        from_record(record).section("impression").text
        == "Small left pleural effusion. No acute disease."
    )


def test_a_command_inside_a_sentence_is_dictated_text(chest) -> None:
    s = session(chest)
    s.apply("Impression.")
    change = s.apply("The next field of view is clear.")
    assert change.actions == ("dictate",)
    assert s.current_section == "impression"
    assert s.draft.section("impression").text == "The next field of view is clear."


def test_a_command_after_a_spoken_period_in_one_breath(chest) -> None:
    # what Whisper wrote for "... at L four five period next field no pleural effusion period"
    s = session(chest)
    change = s.apply("Mild degenerative changes of L4-5 period next field. No pleural effusion.")
    assert change.actions == ("dictate", "next_field", "dictate")
    findings = s.draft.section("findings").text
    assert findings.startswith("Mild degenerative changes of L4-5.")
    assert "Next field" not in findings and "period" not in findings
    assert s.current_field == "support_devices"
    assert "Lines and tubes: No pleural effusion." in findings


def test_commands_said_in_one_breath_with_text(chest) -> None:
    # what Whisper wrote for "go to pleura. small right pleural effusion. scratch that.
    # moderate right pleural effusion." said with short pauses: one sentence ran on, and
    # "pleura" was heard as "blur"
    s = session(chest)
    change = s.apply(
        "Go to blur. Small right pleural effusion. Scratch that moderate right pleural effusion."
    )
    assert change.actions == ("go_to", "dictate", "scratch_that", "dictate")
    assert s.current_stop == Stop("findings", "pleura")
    assert "Pleura: Moderate right pleural effusion." in s.draft.text
    assert "Small right" not in s.draft.text and "Scratch" not in s.draft.text
    s.apply("Go to impression no acute disease.")
    assert s.draft.section("impression").text == "No acute disease."


def test_undo_inside_an_utterance_takes_back_what_it_just_said(chest) -> None:
    s = session(chest)
    s.apply("Small right pleural effusion.")
    change = s.apply("Go to heart. The heart is mildly enlarged. Undo. Go to impression.")
    assert change.actions == ("go_to", "dictate", "undo", "go_to")
    assert "mildly enlarged" not in s.draft.text
    assert "Small right pleural effusion." in s.draft.text  # the earlier utterance is kept
    assert s.current_section == "impression"
    s.apply("Undo.")  # said alone, it still takes back the whole last utterance
    assert s.current_stop == Stop("findings")
    assert "Small right pleural effusion." in s.draft.text


def test_redo_puts_back_what_undo_took_back(chest) -> None:
    s = session(chest)
    s.apply("Go to impression.")
    s.apply("Small left pleural effusion.")
    s.apply("Stable chest.")
    s.apply("Undo.")  # e.g. "None." said alone and heard as "Undo."
    s.apply("Undo.")
    assert s.draft.section("impression").text == "No acute cardiopulmonary abnormality."
    assert s.apply("Redo.").actions == ("redo",)
    assert s.draft.section("impression").text == "Small left pleural effusion."
    s.apply("Redo that.")
    assert s.draft.section("impression").text == "Small left pleural effusion. Stable chest."
    s.apply("Redo.")  # nothing left to redo
    assert s.draft.section("impression").text == "Small left pleural effusion. Stable chest."
    s.apply("Undo.")  # a redo is a change undo takes back
    assert s.draft.section("impression").text == "Small left pleural effusion."
    # what an utterance took back of its own words can be put back too
    s.apply("Moderate effusion. Undo.")
    s.apply("Redo.")
    assert s.draft.section("impression").text == "Small left pleural effusion. Moderate effusion."


def test_a_new_change_after_undo_leaves_nothing_to_redo(chest) -> None:
    s = session(chest)
    s.apply("Go to impression.")
    s.apply("Small left pleural effusion.")
    s.apply("Undo.")
    s.apply("Next field.")  # moving the cursor keeps what can be redone
    s.apply("Go to impression.")
    s.apply("Redo.")
    assert s.draft.section("impression").text == "Small left pleural effusion."
    s.apply("Undo. Stable chest.")  # takes back the redo, then dictates
    assert s.draft.section("impression").text == "Stable chest."
    s.apply("Redo.")
    assert s.draft.section("impression").text == "Stable chest."
    s.apply("Undo.")  # undo after "Undo. <text>" takes back the text only
    assert s.draft.section("impression").text == "No acute cardiopulmonary abnormality."


def test_field_triggers_and_insert_normal(chest) -> None:
    s = session(chest)
    s.apply("Go to pleura.")
    assert s.current_stop == Stop("findings", "pleura")
    s.apply("Small right pleural effusion.")
    assert "Pleura: Small right pleural effusion." in s.draft.text
    s.apply("Insert normal.")
    assert "Pleura: No pleural effusion or pneumothorax." in s.draft.text
    s.apply("Go to impression.")
    s.apply("Something else.")
    s.apply("Insert normal.")
    assert s.draft.section("impression").text == "No acute cardiopulmonary abnormality."


def test_scratch_that_delete_last_sentence_and_undo(chest) -> None:
    s = session(chest)
    s.apply("Go to impression.")
    s.apply("First sentence. Second sentence.")
    s.apply("Third sentence.")
    s.apply("Scratch that.")
    assert s.draft.section("impression").text == "First sentence. Second sentence."
    s.apply("Delete last sentence.")
    assert s.draft.section("impression").text == "First sentence."
    s.apply("Undo.")
    assert s.draft.section("impression").text == "First sentence. Second sentence."
    s.apply("Next field.")
    s.apply("Undo")
    assert s.current_section == "impression"


def test_punctuation_said_after_a_pause_ends_the_sentence_before_it(chest) -> None:
    s = session(chest)
    s.apply("Small left pleural effusion")
    s.apply("period")
    assert s.draft.section("findings").text == "Small left pleural effusion."
    # Whisper continued its prompt's spoken "period" before the next sentence (dev clip)
    s.apply("period. Lung volumes are mildly low.")
    assert s.draft.section("findings").text == (
        "Small left pleural effusion. Lung volumes are mildly low."
    )
    # a comma said aloud replaces the full stop the recogniser wrote at the pause
    s.apply("comma with bibasilar atelectasis")
    assert s.draft.section("findings").text.endswith("mildly low, with bibasilar atelectasis")
    s.apply("Undo.")
    assert s.draft.section("findings").text.endswith("Lung volumes are mildly low.")


def test_a_break_said_on_its_own_is_kept_and_a_mark_with_nothing_before_it_is_not(chest) -> None:
    s = session(chest)
    s.apply("Small left pleural effusion.")
    s.apply("New paragraph.")
    s.apply("Heart size normal.")
    assert s.draft.section("findings").text == (
        "Small left pleural effusion.\n\nHeart size normal."
    )
    s.apply("Go to impression.")
    for said in ("period", "new paragraph", "comma"):
        change = s.apply(said)
        assert change.actions == ()
        assert s.draft.section("impression").text == "No acute cardiopulmonary abnormality."
    s.apply("Undo.")  # nothing was dictated there: undo takes back the cursor move
    assert s.current_section == "findings"


def test_a_doubtful_side_and_a_word_that_may_hide_one_are_told_apart(chest) -> None:
    s = session(chest)
    s.apply(transcript_from_text("Small left effusion.", probabilities={"left": 0.5}))
    s.apply(transcript_from_text("Heart size is normal.", probabilities={"heart": 0.13, "size": 0}))
    messages = {i.evidence[0].text: i.message for i in s.issues}
    assert messages["left"] == "please confirm the side 'left': the recogniser was only 50% sure"
    assert messages["Heart"] == (
        "please confirm 'Heart': a side may be misheard or lost here (the recogniser was only "
        "13% sure)"
    )
    s.apply(transcript_from_text("Mild right effusion.", probabilities={"right": 0.001}))
    messages = {i.evidence[0].text: i.message for i in s.issues}
    assert messages["right"].endswith("the recogniser was only under 1% sure")


def test_a_doubtful_word_that_decides_the_meaning_says_so(chest) -> None:
    s = session(chest)
    s.apply(transcript_from_text("Increasing right effusion.", probabilities={"increasing": 0.58}))
    messages = {i.evidence[0].text: i.message for i in s.issues}
    assert messages["Increasing"] == (
        "please confirm 'Increasing': a mis-hearing here would change the meaning (the "
        "recogniser was only 58% sure)"
    )


def test_previous_and_next_stay_inside_the_template(chest) -> None:
    s = session(chest)
    for _ in range(len(s.stops) + 2):
        s.apply("Previous field.")
    assert s.current_stop == s.stops[0]
    for _ in range(len(s.stops) + 2):
        s.apply("Next field.")
    assert s.current_stop == s.stops[-1]


def test_low_confidence_words_become_issues_with_spans(chest) -> None:
    s = session(chest)
    s.apply("Go to findings.")
    heard = transcript_from_text(
        "Small left pleural effusion measuring seven millimeters.",
        probabilities={"left": 0.5, "seven": 0.4},
    )
    change = s.apply(Utterance.from_transcript(heard))
    assert {f.reason for f in change.flags} == {"side", "number"}
    issues = s.issues
    assert {i.code for i in issues} == {LOW_CONFIDENCE}
    assert all(i.severity is Severity.WARNING and i.section == "findings" for i in issues)
    assert sorted(s.draft.text[i.start : i.end] for i in issues) == ["7", "left"]
    s.apply("Scratch that.")
    assert s.issues == []


def test_fake_transcriber_follows_its_script() -> None:
    fake = FakeTranscriber(["one", "two"])
    speech = np.full(16000, 0.1, dtype=np.float32)
    assert fake.transcribe(np.zeros(16000, np.float32)).text == ""
    assert [fake.transcribe(speech, prompt="p").text for _ in range(3)] == ["one", "two", ""]
    assert fake.calls[1] == (16000, "p")


# ------------------------------------------------------------------ journal
def _dictate(s: DictationSession) -> None:
    s.apply("Go to findings.")
    s.apply(Utterance("Small left pleural effusion.", audio=np.full(8000, 0.05, dtype=np.float32)))
    s.apply("Go to impression.")
    s.apply("Small effusion.")


def test_journal_is_private_and_keeps_audio_and_words(chest, tmp_path: Path) -> None:
    journal = tmp_path / "drafts" / "r1.jsonl"
    s = session(chest, journal=journal)
    heard = transcript_from_text("Go to findings.", probabilities={"go": 0.9})
    s.apply(Utterance.from_transcript(heard))
    _dictate(s)
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert lines[0]["type"] == "start" and lines[0]["template"] == "chest_xr"
    assert [e["seq"] for e in lines[1:]] == [1, 2, 3, 4, 5]
    assert lines[1]["words"][0]["word"] == "Go" and lines[1]["words"][0]["probability"] == 0.9
    wav = tmp_path / "drafts" / lines[3]["audio"]
    assert wav.is_file() and stat.S_IMODE(wav.stat().st_mode) == 0o600
    with pytest.raises(DictationError, match="already exists"):
        session(chest, journal=journal)


def test_recover_after_a_crash_mid_entry(chest, tmp_path: Path) -> None:
    journal = tmp_path / "r1.jsonl"
    s = session(chest, journal=journal)
    _dictate(s)
    before = s.draft.text
    s.apply("This utterance was being written when the power failed.")
    data = journal.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n")
    journal.write_bytes(data[: last + 40])  # cut the last entry in half

    recovered = DictationSession.recover(journal)
    assert recovered.draft.text == before
    assert recovered.current_section == "impression"
    assert journal.read_bytes() == data[: last + 1]  # the torn line is gone
    recovered.apply("Undo.")
    assert recovered.draft.section("impression").text == "No acute cardiopulmonary abnormality."
    recovered.apply("No acute disease.")
    again = DictationSession.recover(journal)
    assert again.draft.text == recovered.draft.text
    assert len(again.utterances()) == 6


def test_moving_the_cursor_is_journaled(chest, tmp_path: Path) -> None:
    journal = tmp_path / "m.jsonl"
    s = session(chest, journal=journal)
    s.apply("Go to impression.")
    s.apply("Stable.")
    assert s.move_to("findings", "lungs") == Stop("findings", "lungs")
    with pytest.raises(DictationError, match="no place"):
        s.move_to("findings", "kidneys")
    recovered = DictationSession.recover(journal)
    assert recovered.current_stop == Stop("findings", "lungs")
    recovered.apply("Undo.")
    assert recovered.draft.section("impression").text == "No acute cardiopulmonary abnormality."


def test_a_better_hearing_replaces_the_last_utterance_only(chest, tmp_path: Path) -> None:
    journal = tmp_path / "v.jsonl"
    s = session(chest, journal=journal)
    s.apply("Go to impression.")
    s.apply("Small left pleural effusion no acute disease.")
    heard = transcript_from_text(
        "Small left pleural effusion. No acute disease.", probabilities={"left": 0.3}
    )
    change = s.revise(heard)
    assert change is not None and change.seq == 2 and change.actions == ("dictate",)
    impression = "Small left pleural effusion. No acute disease."
    assert s.draft.section("impression").text == impression
    assert [s.draft.text[i.start : i.end] for i in s.issues] == ["left"]  # the new words' flags
    # journaled in the utterance's place: recovery and the utterance list give the revision
    recovered = DictationSession.recover(journal)
    assert recovered.draft.text == s.draft.text
    assert [u["text"] for u in recovered.utterances()] == ["Go to impression.", impression]
    # undo takes back the whole utterance, not just the revision
    s.apply("Undo.")
    assert s.draft.section("impression").text == "No acute cardiopulmonary abnormality."
    # never once anything happened after the utterance, nor over a command
    s.apply("Stable.")
    s.move_to("findings")
    assert s.revise(transcript_from_text("Unchanged.")) is None
    s.apply("Heart size is normal.")
    s.apply("Next field.")
    assert s.revise(transcript_from_text("Heart size is normal.")) is None
    # a hearing of nothing keeps the first one
    s.apply("Lungs are clear.")
    before = s.draft.text
    assert s.revise(transcript_from_text("")) is None
    assert s.draft.text == before


def test_a_better_hearing_carries_the_command_the_first_missed(chest, tmp_path: Path) -> None:
    journal = tmp_path / "v.jsonl"
    s = session(chest, journal=journal)
    s.apply("Go to impression.")
    s.apply("Small effusion.")
    s.apply("No acute disease and dew.")  # "Undo." run into the sentence and misheard
    change = s.revise(transcript_from_text("No acute disease. Undo."))
    assert change is not None and change.actions == ("dictate", "undo")
    assert s.draft.section("impression").text == "Small effusion."
    # a revision that moves on: the text stays where it was said, the cursor moves
    s.apply("Stable chest and next feel.")
    change = s.revise(transcript_from_text("Stable chest. Go to findings."))
    assert change is not None and change.actions == ("dictate", "go_to")
    assert s.draft.section("impression").text == "Small effusion. Stable chest."
    assert s.current_section == "findings"
    recovered = DictationSession.recover(journal)
    assert recovered.draft.text == s.draft.text and recovered.current_section == "findings"
    # one undo takes back the revised utterance whole, as it would the first hearing
    s.apply("Undo.")
    assert s.draft.section("impression").text == "Small effusion."


def test_a_better_hearing_of_fields_said_by_name_takes_the_first_hearings_place(
    tmp_path: Path,
) -> None:
    # the TUI's live path (espeak en-gb): the pieces heard "Findings." as "I'm Bing." and
    # "Effusion moderate." as "If you can moderate."; the whole-utterance decode heard both.
    # An utterance that dictated and moved the cursor is decoded again from where it began
    journal = tmp_path / "v.jsonl"
    s = session(load_template("mr_knee"), journal=journal)
    before = s.draft.text
    s.apply("I'm Bing. Medial meniscus. Complex tear of the posterior horn. If you can moderate.")
    findings = s.draft.section("findings")
    assert findings.field("effusion").value is None
    change = s.revise(
        transcript_from_text(
            "Findings. Medial meniscus. Complex tear of the posterior horn. Effusion moderate."
        )
    )
    assert change is not None and "dictate" in change.actions
    findings = s.draft.section("findings")
    assert findings.field("medial_meniscus").value == "Complex tear of the posterior horn."
    assert findings.field("effusion").value == "moderate"
    assert "Bing" not in s.draft.text
    recovered = DictationSession.recover(journal)
    assert recovered.draft.text == s.draft.text
    # one undo takes the whole utterance back
    s.apply("Undo.")
    assert s.draft.text == before
    # an utterance that took back what came before it is never heard again in its place
    s.apply("Stable chest. Scratch that.")
    assert s.revise(transcript_from_text("Stable chest.")) is None


def test_recover_rejects_what_is_not_a_journal(tmp_path: Path) -> None:
    bogus = tmp_path / "x.jsonl"
    bogus.write_text('{"type": "utterance"}\n')
    with pytest.raises(DictationError, match="not a dictation journal"):
        DictationSession.recover(bogus)
    with pytest.raises(DictationError, match="cannot read"):
        DictationSession.recover(tmp_path / "missing.jsonl")


_TEXT = st.lists(
    st.sampled_from(
        [
            "the",
            "lungs",
            "are",
            "clear",
            "no",
            "effusion",
            "small",
            "left",
            "right",
            "heart",
            "normal",
            "stable",
        ]
    ),
    min_size=1,
    max_size=8,
)
_SAID = st.one_of(
    st.sampled_from(
        [
            "Next field.",
            "Previous field.",
            "Go to impression.",
            "Go to findings.",
            "Scratch that.",
            "Delete last sentence.",
            "Undo.",
            "Redo.",
            "Insert normal.",
            "Go to pleura.",
        ]
    ),
    _TEXT.map(lambda w: " ".join(w).capitalize() + "."),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=st.lists(_SAID, min_size=1, max_size=12), cut=st.integers(min_value=1, max_value=200))
def test_recovery_loses_at_most_the_utterance_in_flight(
    chest, tmp_path_factory, script: list[str], cut: int
) -> None:
    journal = tmp_path_factory.mktemp("j") / "d.jsonl"
    s = session(chest, journal=journal)
    drafts = [s.draft.text]
    for said in script:
        s.apply(said)
        drafts.append(s.draft.text)
    data = journal.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n")
    torn = data[: last + 1 + min(cut, len(data) - last - 2)]
    journal.write_bytes(torn)
    assert DictationSession.recover(journal).draft.text == drafts[-2]
    os.remove(journal)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=st.lists(_SAID, min_size=1, max_size=10))
def test_a_recovered_session_undoes_as_the_one_that_crashed_would_have(
    chest, tmp_path_factory, script: list[str]
) -> None:
    # a recovered session used to count an undo as a change of its own, so the next
    # "Undo." put back what the last one had taken back
    journal = tmp_path_factory.mktemp("j") / "d.jsonl"
    live = session(chest, journal=journal)
    for said in script:
        live.apply(said)
    recovered = DictationSession.recover(journal)
    assert recovered.draft.text == live.draft.text
    live.apply("Redo.")  # what could be redone before the crash can be after it
    recovered.apply("Redo.")
    assert recovered.draft.text == live.draft.text
    for _ in range(len(script) + 1):
        live.apply("Undo.")
        recovered.apply("Undo.")
        assert recovered.draft.text == live.draft.text
        assert recovered.current_stop == live.current_stop


def test_what_could_be_redone_before_a_crash_can_be_redone_after_it(chest, tmp_path: Path) -> None:
    journal = tmp_path / "redo.jsonl"
    s = session(chest, journal=journal)
    s.apply("Go to impression.")
    s.apply("Small left pleural effusion.")
    s.apply("Stable chest.")
    s.apply("Undo.")
    s.apply("Undo.")
    s.move_to("findings", "lungs")  # a click moves the cursor: what was undone stays
    recovered = DictationSession.recover(journal)
    recovered.apply("Redo.")
    recovered.apply("Redo.")
    assert recovered.draft.section("impression").text == (
        "Small left pleural effusion. Stable chest."
    )
    # dictating after a recovery leaves nothing to redo, as before a crash
    s.apply("Mild cardiomegaly.")
    again = DictationSession.recover(journal)
    again.apply("Redo.")
    assert "Stable chest" not in again.draft.text


def test_recovery_after_a_revision_keeps_the_undo_steps(chest, tmp_path: Path) -> None:
    journal = tmp_path / "r.jsonl"
    s = session(chest, journal=journal)
    s.apply("Go to impression.")
    s.apply("Stable chest.")
    s.apply("Small left pleural effusion.")
    s.apply("Non.")  # "Undo." first heard as text, then better
    assert s.revise(transcript_from_text("Undo.")) is not None
    assert s.draft.section("impression").text == "Stable chest."
    recovered = DictationSession.recover(journal)
    assert recovered.draft.text == s.draft.text
    recovered.apply("Undo.")
    assert recovered.draft.section("impression").text == "No acute cardiopulmonary abnormality."


def test_speech_the_recogniser_hears_no_words_in_can_be_kept_to_tell_the_user() -> None:
    from reporting.audio import load_audio
    from reporting.dictation import recognise

    speech = load_audio(Path(__file__).resolve().parent.parent / "examples/audio/spine.flac")
    deaf = FakeTranscriber([])  # hears no words in anything
    assert recognise(speech, deaf) == []
    (kept,) = recognise(speech, deaf, keep_unheard=True)
    assert kept.unheard and kept.end > kept.start
    notice = kept.unheard_notice("spine.flac")
    assert notice.startswith(f"spine.flac: {kept.start:.1f}-{kept.end:.1f} s") and "again" in notice
    heard = recognise(speech, FakeTranscriber(["Disc protrusion."]), keep_unheard=True)
    assert [p.unheard for p in heard] == [False]


def test_breaks_said_across_utterances_all_stay_and_flags_stay_on_their_words(chest) -> None:
    s = session(chest)
    s.apply("Go to findings.")
    s.apply("Heart size is normal new paragraph")
    heard = transcript_from_text("New line left lung is clear.", probabilities={"left": 0.5})
    change = s.apply(Utterance.from_transcript(heard))
    findings = s.draft.section("findings").text
    # "new paragraph" then "new line" is three breaks, as said in one utterance
    assert findings == "Heart size is normal\n\n\nLeft lung is clear."
    assert [f.reason for f in change.flags] == ["side"]
    assert [s.draft.text[i.start : i.end] for i in s.issues] == ["Left"]


def test_text_after_a_comma_said_at_a_pause_goes_on_with_the_sentence(chest) -> None:
    s = session(chest)
    s.apply("Go to findings.")
    s.apply("Small left pleural effusion comma")
    s.apply("Moderate atelectasis.")  # the recogniser capitalises each utterance
    s.apply("CT is recommended.")
    findings = s.draft.section("findings").text
    assert findings == "Small left pleural effusion, moderate atelectasis. CT is recommended."


def test_a_header_for_a_section_the_template_lacks_is_text_as_said(chest) -> None:
    # the chest template has no technique or recommendation section: the words were
    # dropped and the rest went, silently, wherever the cursor was
    s = session(chest)
    s.apply("Go to findings.")
    change = s.apply("Technique: PA and lateral views.")
    assert change.actions == ("dictate",)
    s.apply("Recommendation.")
    assert s.draft.section("findings").text == ("Technique: PA and lateral views. Recommendation.")
    s.apply("Impression: no acute disease.")  # a section it has is still a header
    assert s.current_stop.section == "impression"
    assert s.draft.section("impression").text == "No acute disease."


def test_delete_last_sentence_does_not_stop_at_an_abbreviation(chest) -> None:
    s = session(chest)
    s.apply("Go to impression.")
    s.apply("Small effusion. Discussed with Dr. Smith at 3 p.m. today, e.g. by phone.")
    s.apply("Delete last sentence.")
    assert s.draft.section("impression").text == "Small effusion."
    # a numbered impression: the last item goes with its number
    s = session(chest)
    s.apply("Go to impression.")
    s.apply("1. Small left pleural effusion. 2. No pneumothorax.")
    s.apply("Delete last sentence.")
    assert s.draft.section("impression").text == "1. Small left pleural effusion."


class _SlowFirst:
    """A thread-safe transcriber whose text names the utterance's length; the first call is
    the slowest, so two utterances decoded at once finish out of order."""

    def __init__(self, fail_at: int | None = None) -> None:
        import threading

        self.calls = 0
        self.at_once = 0
        self.most_at_once = 0
        self.fail_at = fail_at
        self._lock = threading.Lock()

    def transcribe(self, audio, *, prompt=None, hotwords=None):
        import time

        from reporting.asr.fake import transcript_from_text
        from reporting.errors import ASRError

        with self._lock:
            self.calls += 1
            call = self.calls
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            time.sleep(0.3 if call == 1 else 0.05)
            if call == self.fail_at:
                raise ASRError("the decoder failed")
            return transcript_from_text(f"Utterance of {audio.size} samples.")
        finally:
            with self._lock:
                self.at_once -= 1


def test_utterances_decoded_at_once_come_back_in_order_and_errors_are_not_lost() -> None:
    from reporting.audio import load_audio
    from reporting.dictation import recognise
    from reporting.errors import ASRError

    speech = load_audio(
        Path(__file__).resolve().parent.parent / "examples/audio/cxr_dictation.flac"
    )
    one = recognise(speech, _SlowFirst(), workers=1)
    both = _SlowFirst()
    two = recognise(speech, both, workers=2)
    assert len(one) == 6 and both.most_at_once == 2
    assert [(p.start, p.end, p.transcript.text) for p in two] == [
        (p.start, p.end, p.transcript.text) for p in one
    ]
    # a failure in one utterance is raised, not swallowed by the worker thread
    with pytest.raises(ASRError, match="decoder failed"):
        recognise(speech, _SlowFirst(fail_at=3), workers=2)


def test_a_field_named_with_how_it_is_moves_there_only_while_filling_fields() -> None:
    # the recogniser wrote no comma for the pause after "Left ovary"
    session = DictationSession(load_template("us_pelvis_female"))
    for said in ("Findings.", "Right ovary.", "Normal with a 2 cm follicle.", "Left ovary normal."):
        session.apply(Utterance(said))
    findings = session.draft.section("findings")
    values = {f.id: f.value for f in findings.fields}
    assert values["right_ovary"] == "Normal with a 2 cm follicle."
    assert values["left_ovary"] == "Normal."
    # also when the field was named earlier in the same utterance
    said = "Findings. Right ovary. There is a 3 cm simple cyst. Left ovary normal."
    one = DictationSession(load_template("us_pelvis_female"))
    one.apply(Utterance(said))
    values = {f.id: f.value for f in one.draft.section("findings").fields}
    assert (values["right_ovary"], values["left_ovary"]) == (
        "There is a 3 cm simple cyst.",
        "Normal.",
    )
    # in a section's prose a telegraphic sentence stays where it was said
    chest = DictationSession(load_template("ct_chest"))
    for said in ("Findings.", "Heart size normal.", "Lungs clear."):
        chest.apply(Utterance(said))
    assert "Heart size normal. Lungs clear." in chest.draft.section("findings").text
