"""Laterality attached to the mention it qualifies."""

from __future__ import annotations

import pytest

from reporting.nlp import Mention, analyze


def mention(text: str, concept: str, nth: int = 0) -> Mention:
    found = [m for m in analyze(text).mentions if m.concept == concept]
    assert len(found) > nth, (text, concept, analyze(text).mentions)
    return found[nth]


@pytest.mark.parametrize(
    ("text", "concept", "side"),
    [
        ("Consolidation in the left lower lobe.", "lower_lobe", "left"),
        ("Consolidation in the left lower lobe.", "consolidation", "left"),
        ("Left lower lobe pneumonia.", "pneumonia", "left"),
        ("Right-sided PICC terminates in the SVC.", "picc", "right"),
        ("Right sided chest tube in place.", "chest_tube", "right"),
        ("L knee: no effusion.", "knee", "left"),
        ("R hip: no dislocation.", "hip", "right"),
        ("The lt kidney is small.", "kidney", "left"),
        ("The rt kidney is normal.", "kidney", "right"),
        ("Bilateral pleural effusions, left greater than right.", "pleural_effusion", "bilateral"),
        ("Pleural effusions, left greater than right.", "pleural_effusion", "bilateral"),
        ("The right and left lungs are clear.", "lung", "bilateral"),
        ("Both lungs are clear.", "lung", "bilateral"),
        ("Small pleural effusion on the left.", "pleural_effusion", "left"),
        ("There is a pneumothorax on the right.", "pneumothorax", "right"),
        ("Effusions bilaterally.", "effusion", "bilateral"),
        ("LEFT HEMIDIAPHRAGM IS ELEVATED.", "hemidiaphragm", "left"),
        ("Fracture of the right femur.", "fracture", "right"),
        ("Left breast mass.", "breast", "left"),
        ("Right adrenal nodule.", "adrenal", "right"),
    ],
)
def test_side_attached(text: str, concept: str, side: str) -> None:
    m = mention(text, concept)
    assert m.laterality == side, (text, m)
    assert m.laterality_span is not None
    start, end = m.laterality_span
    assert 0 <= start < end <= len(text)


def test_each_side_goes_to_its_own_mention() -> None:
    text = "Left pleural effusion and right pneumothorax."
    assert mention(text, "pleural_effusion").laterality == "left"
    assert mention(text, "pneumothorax").laterality == "right"


def test_after_cue_does_not_jump_over_a_conjunction() -> None:
    text = "Effusion on the left and pneumothorax on the right."
    assert mention(text, "effusion").laterality == "left"
    assert mention(text, "pneumothorax").laterality == "right"


def test_contralateral_resolves_against_the_previous_side() -> None:
    text = "Left kidney contains a 2 cm cyst. The contralateral kidney is normal."
    assert mention(text, "kidney", 0).laterality == "left"
    other = mention(text, "kidney", 1)
    assert other.laterality == "right"
    assert other.laterality_span is not None
    assert text[other.laterality_span[0] : other.laterality_span[1]] == "contralateral"


def test_ipsilateral_keeps_the_side() -> None:
    text = "Right hip fracture. Ipsilateral femur is intact."
    assert mention(text, "femur").laterality == "right"


def test_no_side_without_a_cue() -> None:
    m = mention("The kidney is normal.", "kidney")
    assert m.laterality is None and m.laterality_span is None
    assert m.lateral


def test_unpaired_structure_is_not_lateral() -> None:
    assert not mention("The heart is normal.", "heart").lateral
    assert mention("The lungs are clear.", "lung").lateral


def test_single_letter_needs_a_sided_structure_right_after_it() -> None:
    text = "Pleural effusion, L 2 cm."
    assert mention(text, "pleural_effusion").laterality is None


def test_side_does_not_cross_sentences() -> None:
    text = "Findings on the left. Effusion is present."
    assert mention(text, "effusion").laterality is None


def test_predicate_findings_take_the_side_of_their_subject() -> None:
    text = "The left hemidiaphragm is elevated. Elevated right hemidiaphragm."
    elevations = [m for m in analyze(text).mentions if m.concept == "diaphragm_elevation"]
    assert [(m.text, m.laterality) for m in elevations] == [
        ("elevated", "left"),
        ("Elevated", "right"),
    ]
