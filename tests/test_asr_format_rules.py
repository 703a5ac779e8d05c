"""The formatting rules are data (``lexicons/asr_formatting.json``): each entry does what its
description says, and the file is validated on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporting.asr.fake import transcript_from_text
from reporting.asr.format_rules import load_format_rules
from reporting.asr.formatting import append_text, format_text
from reporting.asr.processing import build_pipeline
from reporting.dictation import DictationSession, Utterance
from reporting.errors import LexiconError
from reporting.lexicons import lexicon_path
from reporting.templating import load_template

RULES = load_format_rules()


@pytest.mark.parametrize(("said", "mark"), RULES.spoken_marks)
def test_every_spoken_mark_writes_its_mark(said: str, mark: str) -> None:
    out = format_text(f"small effusion {said} lungs clear")
    assert said not in out.lower()
    assert mark.strip() in out


@pytest.mark.parametrize(("said", "written"), RULES.units)
def test_every_unit_is_written_after_a_number_in_digits(said: str, written: str) -> None:
    out = format_text(f"it measures seven {said} today")
    assert out == (
        f"It measures 7{written} today" if written == "%" else f"It measures 7 {written} today"
    )


@pytest.mark.parametrize("unit", RULES.time_units)
def test_a_number_before_a_unit_of_time_is_in_digits(unit: str) -> None:
    assert format_text(f"follow up in three {unit}") == f"Follow up in 3 {unit}"


@pytest.mark.parametrize("label", RULES.number_labels)
def test_a_number_after_a_label_is_in_digits(label: str) -> None:
    # an eponym label keeps its capital ("Bosniak 2"), a scoring system its hyphen ("BI-RADS")
    written = format_text(f"the {label} two finding").lower().replace("-", "")
    assert written == f"the {label.replace('-', '')} 2 finding"


@pytest.mark.parametrize("word", RULES.period_is_noun_after)
def test_period_after_a_listed_word_is_the_noun(word: str) -> None:
    assert format_text(f"stable over {word} period") == f"Stable over {word} period"


@pytest.mark.parametrize(
    ("text", "expected"),
    [(f"the {w} colon", f"The {w} colon") for w in RULES.colon_is_organ_after if w != "the"]
    + [(f"normal colon {w} seen", f"Normal colon {w} seen") for w in RULES.colon_is_organ_before],
)
def test_colon_beside_a_listed_word_is_the_organ(text: str, expected: str) -> None:
    assert format_text(text) == expected


@pytest.mark.parametrize("abbreviation", RULES.abbreviations)
def test_a_listed_abbreviation_does_not_end_the_sentence(abbreviation: str) -> None:
    assert format_text(f"pneumonia {abbreviation}. atelectasis") == (
        f"Pneumonia {abbreviation}. atelectasis"
    )


@pytest.mark.parametrize("noun", RULES.proper_nouns)
def test_an_eponym_said_in_any_case_is_written_as_listed(noun: str) -> None:
    said = noun.lower().replace("-", " ")
    assert format_text(f"there is a {said} finding") == f"There is a {noun} finding"


def test_an_eponym_keeps_its_capital_after_a_comma_said_at_a_pause() -> None:
    assert append_text("Small effusion,", "Kerley B lines.") == "Small effusion, Kerley B lines."
    assert append_text("Small effusion,", "Moderate atelectasis.") == (
        "Small effusion, moderate atelectasis."
    )


@pytest.mark.parametrize(
    ("said", "doubted", "flagged"),
    [
        # every unit of the rules is a sensitive word: "cc" for "cm" is another measurement
        ("It measures 4 cc.", "cc", "cc"),
        ("It measures 4 HU.", "hu", "HU"),
        # a unit said in words is flagged where formatting wrote it: the flag was lost
        ("It measures 4 centimeters.", "centimeters", "cm"),
        ("It measures 4 centimetres.", "centimetres", "cm"),
        ("It measures four millimeters.", "millimeters", "mm"),
        # a number said in words covers the whole number written, not its first digit
        ("It measures four point two centimeters.", "four", "4.2"),
        # a word formatting merged with others is flagged on what they became together;
        # before, each of these doubtful words reached the draft unflagged
        ("It measures eleven point two centimeters.", "two", "11.2"),
        ("Disc bulge at L four five.", "four", "L4-5"),
        ("Disc bulge at L five S one.", "one", "L5-S1"),
        ("Disc bulge at T twelve L one.", "twelve", "T12-L1"),
        ("C five six disc osteophyte complex.", "six", "C5-6"),
        ("A sixty five year old man.", "sixty", "65-year-old"),
        ("Two hundred and fifty milliliters.", "fifty", "250"),
        ("Fifty percent stenosis.", "percent", "50%"),
        ("It measures three by four centimeters.", "four", "4"),
        ("It measures minus ten Hounsfield units.", "ten", "-10"),
        ("Discussed with Dr. Jones at two thirty p.m.", "thirty", "2:30"),
    ],
)
def test_a_doubtful_unit_or_number_is_flagged_where_formatting_wrote_it(
    said: str, doubted: str, flagged: str
) -> None:
    heard = transcript_from_text(said, probabilities={doubted: 0.6})
    out = build_pipeline().process_transcript(heard)
    doubts = [f for f in out.flags if f.reason != "unfamiliar"]  # "Jones": a name, confirmed
    assert [out.text[f.start : f.end] for f in doubts] == [flagged]
    assert doubts[0].reason in ("unit", "number")


def test_a_doubtful_minus_is_flagged_on_the_signed_number() -> None:
    # -10 HU and 10 HU are different diagnoses (an adrenal adenoma is below 10 HU)
    heard = transcript_from_text(
        "It measures minus ten Hounsfield units.", probabilities={"minus": 0.6}
    )
    out = build_pipeline().process_transcript(heard)
    assert out.text == "It measures -10 HU."
    assert [(out.text[f.start : f.end], f.reason) for f in out.flags] == [("-10", "sensitive")]
    session = DictationSession(load_template("generic"), pipeline=build_pipeline())
    session.apply(Utterance(heard.text, heard.words))
    (issue,) = [i for i in session.issues if i.code == "asr.low_confidence"]
    assert session.draft.text[issue.start : issue.end] == "-10"
    assert "confirm the number '-10'" in issue.message
    # Whisper's doubtful numero sign ("No. 1.", flite rms) is no negation to confirm
    item = transcript_from_text("No. 1. Acute appendicitis.", probabilities={"no": 0.08})
    numbered = DictationSession(load_template("generic"), pipeline=build_pipeline())
    numbered.apply(Utterance(item.text, item.words))
    (issue,) = [i for i in numbered.issues if i.code == "asr.low_confidence"]
    assert numbered.draft.text[issue.start : issue.end] == "1"
    assert "confirm the number '1'" in issue.message


def test_the_rules_are_validated_on_load(tmp_path: Path) -> None:
    good = json.loads(lexicon_path("asr_formatting.json").read_text(encoding="utf-8"))
    for change, wrong in [
        ({"oops": 1}, "oops"),
        ({"spoken_marks": {"stop": "!"}}, "spoken_marks.stop"),
        ({"spoken_marks": {"Full stop": "."}}, "lower case"),
        ({"units": {"mm": ""}}, "units.mm"),
        ({"units": []}, "units"),
        ({"abbreviations": []}, "abbreviations"),
        ({"number_labels": "grade"}, "number_labels"),
        ({"time_units": ["Week"]}, "time_units"),
        ({"proper_nouns": ["kerley"]}, "proper_nouns"),
    ]:
        bad = tmp_path / "asr_formatting.json"
        bad.write_text(json.dumps(good | change), encoding="utf-8")
        with pytest.raises(LexiconError, match=wrong):
            load_format_rules.__wrapped__(bad)  # type: ignore[attr-defined]
    missing = {k: v for k, v in good.items() if k != "colon_is_organ_before"}
    bad.write_text(json.dumps(missing), encoding="utf-8")
    with pytest.raises(LexiconError, match="colon_is_organ_before"):
        load_format_rules.__wrapped__(bad)  # type: ignore[attr-defined]


def test_words_that_became_one_get_one_flag_and_a_doubtful_mark_flags_no_word() -> None:
    pipeline = build_pipeline()
    both = transcript_from_text(
        "Disc bulge at L four five.", probabilities={"four": 0.3, "five": 0.3}
    )
    out = pipeline.process_transcript(both)
    assert [out.text[f.start : f.end] for f in out.flags] == ["L4-5"]
    # "period" became a full stop: it is no word of the report, and its neighbours are sure
    mark = transcript_from_text(
        "Mild effusion period no pneumothorax.", probabilities={"period": 0.2}
    )
    out = pipeline.process_transcript(mark)
    assert out.text == "Mild effusion. No pneumothorax."
    assert out.flags == ()


def test_a_doubtful_vertebral_level_reaches_the_draft_as_an_issue_on_the_level() -> None:
    session = DictationSession(load_template("generic"), pipeline=build_pipeline())
    heard = transcript_from_text(
        "Moderate disc bulge at L four five.", probabilities={"five": 0.35}, default=0.97
    )
    session.apply(Utterance(heard.text, heard.words))
    (issue,) = [i for i in session.issues if i.code == "asr.low_confidence"]
    assert session.draft.text[issue.start : issue.end] == "L4-5"
    assert "'L4-5'" in issue.message


def test_a_letter_that_lengthens_in_lower_case_does_not_move_the_flags_after_it() -> None:
    # "İ".lower() is two characters: every span after it was one character off
    said = "Patient from İzmir, small left effusion at L four five."
    heard = transcript_from_text(said, probabilities={"left": 0.3, "four": 0.3})
    out = build_pipeline().process_transcript(heard)
    assert [(out.text[f.start : f.end], f.reason) for f in out.flags] == [
        ("left", "side"),
        ("L4-5", "number"),
    ]
