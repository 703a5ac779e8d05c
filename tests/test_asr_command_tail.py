"""CommandTail: a short sentence that is not a command is heard again with the commands as
the prompt, and replaced only when that hearing is a command (real-model test in
test_asr_engine.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reporting.asr import FakeTranscriber, build_pipeline, transcript_from_text
from reporting.asr.command_tail import CommandTail
from reporting.asr.types import Transcript
from reporting.dictation import DictationSession
from reporting.templating import load_template

SECOND = 16_000
HEARD = "The heart size is normal. Delete left antennas."


@pytest.fixture(scope="module")
def pipeline():
    return build_pipeline()


def listening(
    heard: str | Transcript, again: str | Transcript, pipeline
) -> tuple[CommandTail, FakeTranscriber]:
    listener = FakeTranscriber([again])
    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), pipeline)
    assert isinstance(tail, CommandTail)
    tail.listener = listener
    return tail, listener


def test_a_short_last_sentence_heard_again_as_a_command_takes_its_place(pipeline) -> None:
    tail, listener = listening(transcript_from_text(HEARD), "Delete last sentence.", pipeline)
    audio = np.full(4 * SECOND, 0.1, np.float32)
    got = tail.transcribe(audio, prompt="report passage")
    assert got.text == "The heart size is normal. Delete last sentence."
    # the sentence's audio, from a little before its first word (at 1.5 s), with the commands
    # as the whole prompt
    assert listener.calls == [(int((4 - 1.4) * SECOND), pipeline.vocabulary.command_prompt)]
    assert [w.word for w in got.words] == [*HEARD.split()[:5], "Delete", "last", "sentence."]
    assert got.words[5].start == pytest.approx(1.4) and got.words[4].end == pytest.approx(1.5)
    assert [s.text for s in got.segments] == ["The heart size is normal.", "Delete last sentence."]
    assert got.info["commands_heard_again"] == 1


def test_a_short_sentence_inside_an_utterance_is_heard_again_too(pipeline) -> None:
    # words of 0.3 s: "Crouch" starts at 0.6 s, "Moderate" at 1.2 s; only the audio between
    # them is the command
    middle = int((1.2 - 0.5) * SECOND)
    listener = FakeTranscriber(
        respond=lambda audio: "Scratch that." if audio.size == middle else "Mumble."
    )
    heard = transcript_from_text(
        "Small effusion. Crouch mat. Moderate effusion.",
        probabilities={"crouch": 0.3, "mat": 0.3},
    )
    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), pipeline)
    tail.listener = listener  # type: ignore[union-attr]
    got = tail.transcribe(np.full(2 * SECOND, 0.1, np.float32))
    assert got.text == "Small effusion. Scratch that. Moderate effusion."
    # each short sentence whose words were doubtful, and the last: not "Small effusion.",
    # which the recogniser was sure of (0.98)
    assert len(listener.calls) == 2
    assert [w.word for w in got.words] == [
        "Small", "effusion.", "Scratch", "that.", "Moderate", "effusion."
    ]  # fmt: skip
    assert [w.start for w in got.words][2] == pytest.approx(0.5)
    assert [s.text for s in got.segments] == [
        "Small effusion.", "Scratch that.", "Moderate effusion."
    ]  # fmt: skip


def test_a_command_the_first_hearing_lost_after_a_short_sentence_is_added(pipeline) -> None:
    # "The heart is normal. Undo.": the recall decode wrote only the sentence; heard again,
    # the sentence comes back a little different, then the command
    heard = transcript_from_text("The heart is normal.")
    again = transcript_from_text("A heart is normal. Undo.")
    tail, _ = listening(heard, again, pipeline)
    got = tail.transcribe(np.full(2 * SECOND, 0.1, np.float32))
    assert got.text == "The heart is normal. Undo."
    assert [w.word for w in got.words] == ["The", "heart", "is", "normal.", "Undo."]
    # the command's word keeps its time in the second hearing (of the audio from 0 s)
    assert got.words[-1].start == pytest.approx(1.2)
    assert [s.text for s in got.segments] == ["The heart is normal.", "Undo."]


def _clause_heard_again(heard: Transcript, command: str, start: float, end: float | None):
    """``heard`` through a CommandTail whose second hearing is ``command`` for the audio from
    ``start`` to ``end`` seconds (None: the end of 3 s of audio) and text otherwise."""
    size = int(((3.0 if end is None else end) - start) * SECOND)
    listener = FakeTranscriber(
        respond=lambda audio: command if abs(audio.size - size) <= 1 else "Something else."
    )
    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), build_pipeline())
    tail.listener = listener  # type: ignore[union-attr]
    return tail.transcribe(np.full(3 * SECOND, 0.1, np.float32)), listener


def test_a_doubtful_clause_at_the_end_of_a_sentence_heard_again_as_a_command() -> None:
    # "crash heart" (from 1.2 s) after a comma in one sentence of text: heard again from 1.1 s
    heard = transcript_from_text(
        "Moderate right pleural effusion, crash heart.", probabilities={"crash": 0.2, "heart": 0.4}
    )
    got, listener = _clause_heard_again(heard, "Scratch that.", 1.1, None)
    assert got.text == "Moderate right pleural effusion, Scratch that."
    assert len(listener.calls) == 1
    assert [w.word for w in got.words][-2:] == ["Scratch", "that."]
    assert [s.text for s in got.segments] == [
        "Moderate right pleural effusion,", "Scratch that."
    ]  # fmt: skip
    assert got.info["commands_heard_again"] == 1


def test_a_doubtful_clause_at_the_start_of_a_sentence_heard_again_as_a_command() -> None:
    # "Delta history," (0-0.6 s) before "cough and fever.": heard again up to "cough"
    heard = transcript_from_text(
        "Delta history, cough and fever.", probabilities={"delta": 0.3, "history": 0.5}
    )
    got, _ = _clause_heard_again(heard, "Go to history.", 0.0, 0.6)
    assert got.text == "Go to history, cough and fever."
    assert [w.word for w in got.words] == ["Go", "to", "history.", "cough", "and", "fever."]


@pytest.mark.parametrize(
    ("heard", "probabilities", "again", "listens"),
    [
        # the recogniser was sure of the clause: not heard again
        ("Heart size is normal, no effusion.", {}, "Undo.", 0),
        # heard again, but as text
        ("Heart size is normal, no effusion.", {"no": 0.3, "effusion": 0.3}, "Next effusion.", 1),
        # a command that cannot start a sentence of text would be typed as text: kept
        ("Nest field, small effusion at the base.", {"nest": 0.2, "field": 0.3}, "Next field.", 1),
        # a clause longer than a command
        ("Heart size is normal, small effusion at the left base.", {"small": 0.2}, "Undo.", 0),
    ],
)
def test_a_clause_that_is_not_a_misheard_command_is_kept(
    heard: str, probabilities: dict[str, float], again: str, listens: int
) -> None:
    listener = FakeTranscriber(respond=lambda audio: again)
    tail = CommandTail.for_pipeline(
        FakeTranscriber([transcript_from_text(heard, probabilities=probabilities)]),
        build_pipeline(),
    )
    tail.listener = listener  # type: ignore[union-attr]
    got = tail.transcribe(np.full(4 * SECOND, 0.1, np.float32))
    assert got.text == heard
    assert len(listener.calls) == listens


@pytest.mark.parametrize(
    ("heard", "again", "listens"),
    [
        ("The lungs are clear. Stable chest.", "Table cap.", 1),  # heard again as text
        # the sentence and a command, but the sentence heard as other words
        ("Stable chest.", "Table cap. Next field.", 1),
        ("The heart is normal in size. Scratch that.", "Scratch that.", 0),  # a command
        ("Moderate effusion next field.", "Next field.", 0),  # holds one already
        ("Small left pleural effusion at the base.", "Undo.", 0),  # too long for a command
    ],
)
def test_what_is_not_a_misheard_command_is_kept(
    heard: str, again: str, listens: int, pipeline
) -> None:
    got, listener = _listened_to(heard, again, pipeline)
    assert got.text == heard
    assert len(listener.calls) == listens


def _listened_to(
    heard: str | Transcript, again: str, pipeline
) -> tuple[Transcript, FakeTranscriber]:
    """``heard`` listened to for commands (and breaks) by a listener that hears ``again``
    in any audio: the result, and the listener."""
    listener = FakeTranscriber(respond=lambda audio: again)
    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), pipeline)
    tail.listener = listener  # type: ignore[union-attr]
    return tail.transcribe(np.full(3 * SECOND, 0.1, np.float32)), listener


def test_silence_is_not_listened_to(pipeline) -> None:
    tail, listener = listening("Anything.", "Undo.", pipeline)
    assert tail.transcribe(np.zeros(SECOND, np.float32)).is_empty
    assert listener.calls == []


def test_a_live_final_is_reconsidered_then_listened_to(pipeline) -> None:
    audio = np.full(3 * SECOND, 0.1, np.float32)
    # no second hearing of its own: a final of one decode is kept, one joined from pieces is
    # decoded whole; either way its last sentence is listened to
    whole, listener = listening("Unused.", "Undo.", pipeline)
    first = "Small left pleural effusion at the base."
    got = whole.reconsider(audio, transcript_from_text(f"{first} Adoote?"), whole=True)
    assert got.text == f"{first} Undo." and len(listener.calls) == 1
    pieces, _ = listening(f"{first} Adoote.", "Undo.", pipeline)
    got = pieces.reconsider(audio, transcript_from_text("Small fusion and."), whole=False)
    assert got.text == f"{first} Undo."


def test_no_command_prompt_no_listening(pipeline) -> None:
    plain = dataclasses.replace(
        pipeline, vocabulary=dataclasses.replace(pipeline.vocabulary, command_prompt="")
    )
    inner = FakeTranscriber(["x"])
    assert CommandTail.for_pipeline(inner, plain) is inner


def test_the_command_prompt_is_voice_commands(pipeline) -> None:
    import re

    from reporting.asr.commands import load_grammar

    grammar = load_grammar()
    said = re.split(r"(?<=\.)\s+", pipeline.vocabulary.command_prompt)
    assert len(said) >= 7
    assert all(grammar.parse(s) is not None for s in said), said
    # all but "redo": in the prompt it brought lone field values back as "Redo." or "Undo."
    # (4 of 150 against 2), and "redo" is heard well without it
    heard = {grammar.parse(s).action for s in said}  # type: ignore[union-attr]
    assert heard == set(grammar.phrases) - {"redo"}
    # the breaks a radiologist says on their own have a prompt of their own
    assert pipeline.vocabulary.break_prompt == "New paragraph. New line."


def test_an_unsure_second_hearing_is_not_taken(pipeline) -> None:
    # dictated "Lung volumes are clear." was heard again as "Undo that." at -0.8: refused
    unsure = transcript_from_text("Undo that.")
    unsure = dataclasses.replace(
        unsure, segments=tuple(dataclasses.replace(s, avg_logprob=-0.8) for s in unsure.segments)
    )
    tail, listener = listening("Lung volumes are clear.", unsure, pipeline)
    got = tail.transcribe(np.full(2 * SECOND, 0.1, np.float32))
    assert got.text == "Lung volumes are clear." and len(listener.calls) == 1


@pytest.mark.parametrize("again", ["Undo. Undo.", "Scratch that. Scratch that!"])
def test_a_second_hearing_that_says_one_command_twice_is_not_taken(again: str, pipeline) -> None:
    # dictated "Lung volumes are low." (espeak en+m3), heard first as garble, was heard again
    # as "Undo. Undo." at -0.64, sure enough: a loop on the command prompt, which would have
    # undone the dictation before it
    tail, listener = listening("And phallium saloon.", again, pipeline)
    got = tail.transcribe(np.full(2 * SECOND, 0.1, np.float32))
    assert got.text == "And phallium saloon." and len(listener.calls) == 1
    # said once, the command is taken
    tail, _ = listening("And phallium saloon.", again.split(". ")[0] + ".", pipeline)
    assert tail.transcribe(np.full(2 * SECOND, 0.1, np.float32)).text != "And phallium saloon."


def test_a_break_said_on_its_own_is_heard_again_as_one(pipeline) -> None:
    # "new paragraph" said alone (espeak en-us 165) was written "Uparadraft." (0.24) with
    # the report prompt; not a command, it is heard once more with the break prompt
    heard = transcript_from_text("Uparadraft.", probabilities={"uparadraft": 0.24})
    listener = FakeTranscriber(["Uparadraft.", "New paragraph."])
    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), pipeline)
    tail.listener = listener  # type: ignore[union-attr]
    got = tail.transcribe(np.full(2 * SECOND, 0.1, np.float32))
    assert got.text == "New paragraph."
    vocabulary = pipeline.vocabulary
    assert [p for _, p in listener.calls] == [vocabulary.command_prompt, vocabulary.break_prompt]
    session = DictationSession(load_template("chest_xr"), pipeline=pipeline)
    session.apply("Small left pleural effusion.")
    session.apply(got)
    session.apply("Heart size is normal.")
    assert session.draft.section("findings").text == (
        "Small left pleural effusion.\n\nHeart size is normal."
    )


@pytest.mark.parametrize(
    ("heard", "again", "listens"),
    [
        # heard again with the command prompt, a lone "new line" once came back "Undo that."
        (
            transcript_from_text("New line.", probabilities={"new": 0.3, "line": 0.2}),
            "Undo that.",
            0,
        ),
        # a sure short sentence: not heard for a break
        (transcript_from_text("Stable chest."), "New line.", 1),
        # a doubtful one that is not the whole utterance
        (
            transcript_from_text("Small effusion. Table cap.", probabilities={"table": 0.2}),
            "New line.",
            1,
        ),
        # heard as more than a break
        (
            transcript_from_text("Table cap.", probabilities={"table": 0.2}),
            "New line. Stable chest.",
            2,
        ),
    ],
)
def test_text_is_not_taken_for_a_break(
    heard: Transcript, again: str, listens: int, pipeline
) -> None:
    got, listener = _listened_to(heard, again, pipeline)
    assert got.text == heard.text
    assert len(listener.calls) == listens


def test_a_part_of_the_template_said_alone_is_not_heard_again_as_a_command() -> None:
    # field benchmark, espeak en-gb: the doubtful "Gallbladder." heard again with the commands
    # as the prompt came back, sure of itself, as "Scratch that.", which took back both
    # measurements said before it and put the gallstones into the bile duct's field
    spec = load_template("us_abdomen")
    pipe = build_pipeline(spec=spec)
    heard = transcript_from_text(
        "Findings. Liver length 16 cm. Common bile duct 4 mm. Gallbladder. "
        "Multiple gallstones without wall thickening.",
        probabilities={"gallbladder": 0.3},
    )
    audio = np.full(6 * SECOND, 0.1, np.float32)

    def scratch(_audio: np.ndarray) -> str:
        return "Scratch that."

    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), pipe)
    tail.listener = listener = FakeTranscriber(respond=scratch)  # type: ignore[union-attr]
    got = tail.transcribe(audio)
    assert got.text == heard.text and listener.calls == []
    session = DictationSession(spec, pipeline=pipe)
    session.apply(got)
    findings = session.draft.section("findings")
    assert findings.field("liver_length").value == 16
    assert findings.field("cbd_diameter").value == 4
    assert findings.field("gallbladder").value == "Multiple gallstones without wall thickening."
    # a template without such a field listens to the same sentence
    other = CommandTail.for_pipeline(FakeTranscriber([heard]), build_pipeline())
    other.listener = FakeTranscriber(respond=scratch)  # type: ignore[union-attr]
    assert "Scratch that." in other.transcribe(audio).text


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("mr_knee", "Moderate."),
        ("mr_knee", "None."),
        ("us_pelvis_female", "Normal."),
        ("ctpa", "Absent."),  # a checkbox cleared as the session reads it
    ],
)
def test_a_fields_value_said_alone_is_kept_without_hearing_it_again(
    template: str, said: str
) -> None:
    # what a radiologist says alone to fill a field (a choice, or how a part is) is dictated
    # text; hearing it again with the commands as the prompt costs a decode and can only
    # turn it into a command ("Undo." was heard for a lone "Normal." that was first heard as
    # other words)
    pipe = build_pipeline(spec=load_template(template))
    heard = transcript_from_text(said, probabilities={said.rstrip(".").lower(): 0.3})
    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), pipe)
    tail.listener = listener = FakeTranscriber(respond=lambda _audio: "Undo.")  # type: ignore[union-attr]
    got = tail.transcribe(np.full(SECOND, 0.1, np.float32))
    assert got.text == said and listener.calls == []


def test_a_doubtful_value_at_the_end_of_a_sentence_is_kept_too() -> None:
    pipe = build_pipeline(spec=load_template("mr_knee"))
    heard = transcript_from_text(
        "Joint effusion is present, moderate.", probabilities={"moderate": 0.3}
    )
    tail = CommandTail.for_pipeline(FakeTranscriber([heard]), pipe)
    tail.listener = listener = FakeTranscriber(respond=lambda _audio: "Undo.")  # type: ignore[union-attr]
    got = tail.transcribe(np.full(2 * SECOND, 0.1, np.float32))
    assert got.text == heard.text and listener.calls == []
