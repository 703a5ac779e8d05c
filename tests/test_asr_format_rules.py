"""The formatting rules are data (``lexicons/asr_formatting.json``): each entry does what its
description says, and the file is validated on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporting.asr.fake import transcript_from_text
from reporting.asr.format_rules import load_format_rules
from reporting.asr.formatting import format_text
from reporting.asr.processing import build_pipeline
from reporting.errors import LexiconError
from reporting.lexicons import lexicon_path

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
    assert format_text(f"the {label} two finding") == f"The {label} 2 finding"


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
    ],
)
def test_a_doubtful_unit_or_number_is_flagged_where_formatting_wrote_it(
    said: str, doubted: str, flagged: str
) -> None:
    heard = transcript_from_text(said, probabilities={doubted: 0.6})
    out = build_pipeline().process_transcript(heard)
    assert [out.text[f.start : f.end] for f in out.flags] == [flagged]
    assert out.flags[0].reason in ("unit", "number")


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
    ]:
        bad = tmp_path / "asr_formatting.json"
        bad.write_text(json.dumps(good | change), encoding="utf-8")
        with pytest.raises(LexiconError, match=wrong):
            load_format_rules.__wrapped__(bad)  # type: ignore[attr-defined]
    missing = {k: v for k, v in good.items() if k != "colon_is_organ_before"}
    bad.write_text(json.dumps(missing), encoding="utf-8")
    with pytest.raises(LexiconError, match="colon_is_organ_before"):
        load_format_rules.__wrapped__(bad)  # type: ignore[attr-defined]
