"""What dictated text means for a template field (reporting.asr.fields) and the session that
fills fields with it."""

from __future__ import annotations

import pytest

from reporting.asr.fields import said_value
from reporting.dictation import DictationSession
from reporting.templating import load_template

MAMMO = load_template("mammo_birads")
BIRADS = MAMMO.section("impression").field("birads")
DENSITY = MAMMO.section("findings").field("breast_composition")
RATIO = load_template("ctpa").section("findings").field("rv_lv_ratio")
BOLUS = load_template("ctpa").section("technique").field("bolus_adequate")
FLUID = load_template("us_pelvis_female").section("findings").field("free_fluid")


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("Two, benign.", "2 - benign"),
        ("Category four.", "4 - suspicious"),
        ("BI-RADS 4.", "4 - suspicious"),
        ("Zero.", "0 - incomplete, needs additional imaging"),
        ("Benign.", "2 - benign"),
        ("Probably benign.", "3 - probably benign"),
        ("Highly suggestive.", "5 - highly suggestive of malignancy"),
        # a number and another category's words, or no category: kept as said
        ("Two, probably benign.", "Two, probably benign."),
        ("Seven.", "Seven."),
        ("The lesion is benign.", "The lesion is benign."),
    ],
)
def test_a_category_is_chosen_by_its_number_or_its_words(said: str, value: str) -> None:
    assert said_value(BIRADS, said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("B.", "b. scattered areas of fibroglandular density"),
        ("Extremely dense.", "d. extremely dense, which lowers the sensitivity of mammography"),
        ("C, heterogeneously dense.", "c. heterogeneously dense, which may obscure small masses"),
    ],
)
def test_a_lettered_choice_by_its_letter_or_its_first_words(said: str, value: str) -> None:
    assert said_value(DENSITY, said) == value


def test_numbers_checkboxes_and_plain_choices() -> None:
    assert said_value(RATIO, "Point nine.") == 0.9
    assert said_value(RATIO, "one point two") == 1.2
    assert said_value(RATIO, "1.1") == 1.1
    assert said_value(RATIO, "Normal.") == "Normal."
    assert said_value(BOLUS, "Yes.") is True and said_value(BOLUS, "No.") is False
    assert said_value(BOLUS, "Probably.") == "Probably."
    assert said_value(FLUID, "Trace.") == "trace, physiologic"
    assert said_value(FLUID, "Moderate.") == "moderate"


def test_the_session_fills_a_category_and_the_report_shows_it() -> None:
    s = DictationSession(MAMMO)
    s.apply("Go to BI-RADS.")
    s.apply("Two, benign.")
    field = s.draft.section("impression").field("birads")
    assert field is not None and field.value == "2 - benign"
    assert "2 - benign" in s.draft.text
