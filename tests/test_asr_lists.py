"""Negated lists the recogniser cut at a pause are joined back, and only those."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.asr.fake import transcript_from_text
from reporting.asr.lists import join_negated_lists, load_list_rules
from reporting.asr.processing import build_pipeline
from reporting.dictation import DictationSession, Utterance
from reporting.errors import LexiconError
from reporting.lexicons import lexicon_path
from reporting.templating import load_template

RULES = load_list_rules()


@pytest.fixture(scope="module")
def pipeline():
    return build_pipeline(spec=load_template("chest_xr"))


# what Whisper wrote for lists that were said with commas (benchmark clips, flite voices)
@pytest.mark.parametrize(
    ("heard", "joined"),
    [
        (
            "No gross consolidation. Atelectasis or infiltrate. No acute pulmonary process.",
            "No gross consolidation, atelectasis or infiltrate. No acute pulmonary process.",
        ),
        (
            "No fractures. Dislocations or bone destruction.",
            "No fractures, dislocations or bone destruction.",
        ),
        (
            "There is mild cardiomegaly. Otherwise, no focal consolidation. Large pleural "
            "effusion or pneumothorax. Frontal and lateral views.",
            "There is mild cardiomegaly. Otherwise, no focal consolidation, large pleural "
            "effusion or pneumothorax. Frontal and lateral views.",
        ),
        (
            "No pneumothorax. Effusion or consolidation",
            "No pneumothorax, effusion or consolidation",
        ),
        (
            "Without evidence of effusion. Pneumothorax or edema.",
            "Without evidence of effusion, pneumothorax or edema.",
        ),
        ("No effusion. Pneumothorax nor edema.", "No effusion, pneumothorax nor edema."),
        (  # "acute" qualifies a finding; "No acute abnormality." is about the whole study
            "There is no acute airspace infiltrate. Pleural effusion or pneumothorax.",
            "There is no acute airspace infiltrate, pleural effusion or pneumothorax.",
        ),
        ("No effusion. CT or MRI.", "No effusion. CT or MRI."),
    ],
)
def test_a_negated_list_cut_at_a_pause_is_joined(heard: str, joined: str) -> None:
    text, spans = join_negated_lists(heard, RULES)
    assert text == joined
    assert len(text) == len(heard)
    assert len(spans) == text.count(",") - heard.count(",")
    for start, end in spans:  # each span is the joined part, from the new comma to its end
        assert text[start - 2 : start] == ", " and text[end : end + 1] in ("", ".")


# sentences as written in reports (Open-i) or as a radiologist would say them: never joined
@pytest.mark.parametrize(
    "written",
    [
        "No pneumothorax. Left costophrenic opacity may represent pleural or pericardial fat.",
        "No pulmonary consolidation. Opacity left base compatible with atelectasis or scarring.",
        "No pneumothorax, pleural effusion, or focal air space consolidation. Minimal scarring "
        "or atelectasis left lung base.",
        "No change. Atelectasis or scarring.",
        "No acute abnormality. Atelectasis or scarring.",
        "No pneumothorax. No pleural effusion or consolidation.",
        "No pneumothorax. Atelectasis or scarring at the left base.",
        "No mass. CT or MRI recommended.",
        "No effusion.\nPneumothorax or consolidation.",
        "No effusion is seen. Pneumothorax or consolidation.",
        "Small effusion. Atelectasis or pneumonia.",
        "No pneumothorax. Atelectasis and scarring.",
        "No pneumothorax. Measures 3.2 or 4 cm.",
    ],
)
def test_sentences_as_written_are_left_alone(written: str) -> None:
    assert join_negated_lists(written, RULES) == (written, ())


WORDS = [
    "No",
    "no",
    "pneumothorax",
    "effusion",
    "or",
    ".",
    ",",
    "A",
    "Otherwise,",
    "\n",
    "is",
    "CT",
]


@given(st.lists(st.sampled_from(WORDS), max_size=20))
def test_a_join_only_turns_full_stops_into_commas(parts: list[str]) -> None:
    text = " ".join(parts)
    joined, spans = join_negated_lists(text, RULES)
    assert len(joined) == len(text)
    for before, after in zip(text, joined, strict=True):
        assert before == after or (before, after) == (".", ",") or after == before.lower()
    assert joined.count(",") - text.count(",") == len(spans)


# the list's last item cut off as a sentence of its own, "Or ..." (reference clip, flite rms):
# every full stop inside the list becomes a comma
@pytest.mark.parametrize(
    ("heard", "joined", "parts"),
    [
        (
            "Similar to the previous exam. No pleural effusion. Focal airspace opacities. "
            "Or pneumothorax.",
            "Similar to the previous exam. No pleural effusion, focal airspace opacities, "
            "or pneumothorax.",
            ["focal airspace opacities", "or pneumothorax"],
        ),
        (
            "No pleural effusion. Or pneumothorax.",
            "No pleural effusion, or pneumothorax.",
            ["or pneumothorax"],
        ),
        ("No effusion. Nor pneumothorax", "No effusion, nor pneumothorax", ["nor pneumothorax"]),
    ],
)
def test_a_list_whose_last_item_was_cut_off_too_is_joined_whole(
    heard: str, joined: str, parts: list[str]
) -> None:
    text, spans = join_negated_lists(heard, RULES)
    assert text == joined
    assert [text[a:b] for a, b in spans] == parts


@pytest.mark.parametrize(
    "written",
    [
        "Small effusion. Focal opacities. Or pneumothorax.",  # nothing negated before
        "No pneumothorax. Left base opacity is seen. Or atelectasis.",  # a clause, not an item
        "No effusion. Focal opacities.\nOr pneumothorax.",  # a line break ends the list
        "No effusion. Or CT.",
        "No acute abnormality. Or pneumothorax.",  # about the whole study
    ],
)
def test_an_or_sentence_is_joined_only_to_a_negated_list(written: str) -> None:
    assert join_negated_lists(written, RULES) == (written, ())


def test_the_pipeline_joins_flags_and_the_nlp_reads_the_list_as_negated(pipeline) -> None:
    from reporting.nlp import analyze

    heard = "Otherwise, no focal consolidation. Large pleural effusion or pneumothorax."
    out = pipeline.process_transcript(transcript_from_text(heard, default=0.95))
    assert out.text == "Otherwise, no focal consolidation, large pleural effusion or pneumothorax."
    assert [(f.word, f.reason) for f in out.flags] == [
        ("large pleural effusion or pneumothorax", "joined_list")
    ]
    negated = {m.concept: m.negated for m in analyze(out.text).mentions}
    assert negated["pneumothorax"] and negated["pleural_effusion"]
    before = {m.concept: m.negated for m in analyze(heard).mentions}
    assert not before["pneumothorax"]  # what the radiologist would have signed without it


def test_a_speaker_who_says_period_is_taken_at_their_word(pipeline) -> None:
    said = "no focal consolidation period large pleural effusion or pneumothorax period"
    out = pipeline.process(said)
    assert out.text == "No focal consolidation. Large pleural effusion or pneumothorax."
    assert out.flags == ()


def test_the_session_asks_the_radiologist_to_confirm_the_join(pipeline) -> None:
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    heard = transcript_from_text("No fractures. Dislocations or bone destruction.", default=0.97)
    session.apply(Utterance(heard.text, heard.words))
    assert "No fractures, dislocations or bone destruction." in session.draft.text
    (issue,) = session.issues
    assert "'dislocations or bone destruction' is negated too" in issue.message
    assert session.draft.text[issue.start : issue.end] == "dislocations or bone destruction"


def test_the_rules_are_validated_on_load(tmp_path: Path) -> None:
    good = json.loads(lexicon_path("asr_lists.json").read_text())
    for change, wrong in [
        ({"oops": 1}, "oops"),
        ({"list_words": ["Or"]}, "list_words"),
        ({"lead_words": ["other wise"]}, "lead_words"),
        ({"negation_starts": []}, "negation_starts"),
        ({"max_fragment_words": 1}, "max_fragment_words"),
        ({"clause_words": "is"}, "clause_words"),
    ]:
        bad = tmp_path / "asr_lists.json"
        bad.write_text(json.dumps(good | change))
        with pytest.raises(LexiconError, match=wrong):
            load_list_rules.__wrapped__(bad)  # type: ignore[attr-defined]


def test_a_list_cut_between_two_utterances_is_joined_in_the_draft(pipeline) -> None:
    # the segmenter cut a long utterance at the pause after "No airspace disease"
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    session.apply(Utterance("No airspace disease."))
    session.apply(Utterance("Effusion or noncalcified nodule."))
    findings = session.draft.section("findings")
    assert findings.text == "No airspace disease, effusion or noncalcified nodule."
    (issue,) = session.issues
    assert session.draft.text[issue.start : issue.end] == "effusion or noncalcified nodule"
    session.apply(Utterance("Undo."))  # takes back the list and its comma
    assert session.draft.section("findings").text == "No airspace disease."
    assert session.issues == []


@pytest.mark.parametrize(
    "second",
    [
        "Next field. Effusion or noncalcified nodule.",  # another place in the report
        "Effusion or noncalcified nodule period",  # the radiologist said the full stop
        "Atelectasis or scarring at the left base.",  # a sentence of its own
    ],
)
def test_other_utterances_after_a_negation_are_not_joined(pipeline, second: str) -> None:
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    session.apply(Utterance("No airspace disease."))
    session.apply(Utterance(second))
    assert "No airspace disease," not in session.draft.text
    assert session.issues == []


def test_pieces_of_one_recording_are_joined_as_the_session_joins_them(pipeline) -> None:
    pieces = ["No airspace disease.", "Effusion or noncalcified nodule.", "\nHeart normal."]
    assert (
        pipeline.join(pieces)
        == "No airspace disease, effusion or noncalcified nodule.\nHeart normal."
    )
    said = ["No airspace disease period", "Effusion or noncalcified nodule period"]
    assert pipeline.join(pieces[:2], said).startswith("No airspace disease. Effusion")
    assert pipeline.join(["", "No effusion.", ""]) == "No effusion."
    # "period" said after a pause ends the piece before; with nothing before, it is dropped
    assert pipeline.join([". Lungs clear.", "Small effusion", ".", ", mild"]) == (
        "Lungs clear. Small effusion, mild"
    )


@pytest.mark.parametrize(
    "said",
    [
        ["Heart size is normal new paragraph", "new line lungs are clear."],
        ["new line heart size is normal.", "Lungs are clear new line", "new line", "No effusion."],
        ["Heart size is normal.", "new paragraph", "Lungs are clear."],
        ["Small effusion comma", "moderate atelectasis.", "CT is recommended."],
    ],
)
def test_transcribe_and_the_session_join_pieces_alike(pipeline, said: list[str]) -> None:
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    session.apply("Go to findings.")
    for piece in said:
        session.apply(Utterance(piece))
    pieces = [pipeline.process(piece).text for piece in said]
    assert pipeline.join(pieces, said) == session.draft.section("findings").text
    text, processed = pipeline.process_pieces([transcript_from_text(piece) for piece in said])
    assert text == session.draft.section("findings").text and len(processed) == len(said)


def test_a_joined_list_survives_recovery_from_the_journal(pipeline, tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline, journal=journal)
    session.apply(Utterance("No airspace disease."))
    session.apply(Utterance("Effusion or noncalcified nodule."))
    recovered = DictationSession.recover(journal)
    assert recovered.draft.text == session.draft.text
    assert "No airspace disease, effusion or noncalcified nodule." in recovered.draft.text


def test_a_full_stop_said_aloud_in_the_utterance_before_is_kept(pipeline, tmp_path) -> None:
    journal = tmp_path / "j.jsonl"
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline, journal=journal)
    session.apply(Utterance("no airspace disease period"))
    recovered = DictationSession.recover(journal)
    for s in (session, recovered):
        s.apply(Utterance("Effusion or noncalcified nodule."))
        assert "No airspace disease. Effusion or noncalcified nodule." in s.draft.text
        assert s.issues == []


def test_a_better_hearing_of_the_list_does_not_forget_the_full_stop_said_before(
    pipeline,
) -> None:
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    session.apply(Utterance("no airspace disease period"))
    session.apply(Utterance("Effusion or non calcified nodule"))
    revised = session.revise(Utterance("Effusion or noncalcified nodule."))
    assert revised is not None
    assert "No airspace disease. Effusion or noncalcified nodule." in session.draft.text
    # and the other way round: a list said without a spoken full stop before it is joined
    other = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    other.apply(Utterance("No airspace disease."))
    other.apply(Utterance("Effusion or non calcified nodule"))
    assert other.revise(Utterance("Effusion or noncalcified nodule.")) is not None
    assert "No airspace disease, effusion or noncalcified nodule." in other.draft.text


def test_the_transcript_line_underlines_a_list_joined_across_utterances(pipeline) -> None:
    from reporting.tui.widgets.transcript import Line, TranscriptView

    session = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    session.apply(Utterance("No airspace disease."))
    change = session.apply(Utterance("Effusion or noncalcified nodule."))
    flagged = tuple(f.word for f in change.flags)
    assert flagged == ("effusion or noncalcified nodule",)
    shown = TranscriptView()._line(Line(change.text, flagged))
    assert shown == "[u b]Effusion or noncalcified nodule[/u b]."
