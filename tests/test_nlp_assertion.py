"""ConText assertion: negation, uncertainty, history, hypotheticals, experiencer, pseudo-cues."""

from __future__ import annotations

import pytest

from reporting.errors import NLPError
from reporting.nlp import Assertion, analyze, assertion


def about(text: str, term: str, nth: int = 0) -> Assertion:
    """Assertion of the ``nth`` occurrence of ``term`` (case-insensitive) in ``text``."""
    low, start = text.lower(), -1
    for _ in range(nth + 1):
        start = low.index(term.lower(), start + 1)
    return assertion(text, start, start + len(term))


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("No pneumothorax or pleural effusion.", "pneumothorax"),
        ("No pneumothorax or pleural effusion.", "pleural effusion"),
        ("No focal consolidation, pleural effusion, or pneumothorax.", "pneumothorax"),
        ("A pneumothorax is not seen.", "pneumothorax"),
        ("Pleural effusions are not identified.", "pleural effusions"),
        ("The lungs are clear without evidence of pneumonia.", "pneumonia"),
        ("There is no evidence of pneumothorax.", "pneumothorax"),
        ("The previously seen pneumothorax has resolved.", "pneumothorax"),
        ("Interval resolution of the right pleural effusion.", "pleural effusion"),
        ("Negative for acute fracture.", "fracture"),
        ("The patient denies chest pain.", "chest pain"),
        ("Free of nodules.", "nodules"),
        ("NO PNEUMOTHORAX.", "PNEUMOTHORAX"),
        ("Effusion: none.", "Effusion"),
    ],
)
def test_negated(text: str, term: str) -> None:
    result = about(text, term)
    assert result.negated, (text, term)
    assert not result.affirmed


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("There is a small left pleural effusion.", "pleural effusion"),
        ("No change in the small left pleural effusion.", "pleural effusion"),
        ("No increase in the size of the nodule.", "nodule"),
        ("No interval change in cardiomegaly.", "cardiomegaly"),
        ("Not only is there an effusion, there is also edema.", "effusion"),
        ("No pneumothorax, but there is a small effusion.", "effusion"),
        ("No pneumothorax; however a small effusion is present.", "effusion"),
        ("No fracture although there is soft tissue swelling.", "soft tissue swelling"),
        (
            "No pneumothorax is seen which would explain the subcutaneous emphysema.",
            "subcutaneous emphysema",
        ),
        ("Cardiomegaly. No effusion.", "Cardiomegaly"),
        ("The nodule measures 7 mm.", "nodule"),
    ],
)
def test_not_negated(text: str, term: str) -> None:
    assert not about(text, term).negated, (text, term)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Cannot exclude pneumonia.", "pneumonia"),
        ("Pneumonia cannot be excluded.", "Pneumonia"),
        ("Possible small left effusion.", "effusion"),
        ("Findings are suspicious for malignancy.", "malignancy"),
        ("Opacity may represent atelectasis or pneumonia.", "atelectasis"),
        ("Atelectasis versus pneumonia.", "pneumonia"),
        ("Questionable nodule in the right apex.", "nodule"),
    ],
)
def test_uncertain_and_not_negated(text: str, term: str) -> None:
    result = about(text, term)
    assert result.uncertain, (text, term)
    assert not result.negated, (text, term)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("History of tuberculosis.", "tuberculosis"),
        ("Status post CABG with sternotomy wires.", "CABG"),
        ("Old healed rib fracture on the left.", "rib fracture"),
        ("Past medical history is significant for diabetes and hypertension.", "hypertension"),
    ],
)
def test_historical(text: str, term: str) -> None:
    assert about(text, term).historical, (text, term)


def test_history_does_not_reach_a_current_complaint() -> None:
    text = "A 60-year-old man with a history of asthma who presents with chest pain."
    assert about(text, "asthma").historical
    assert not about(text, "chest pain").historical


def test_year_old_is_not_historical() -> None:
    assert not about("A 62-year-old male with cough.", "cough").historical


def test_comparison_with_prior_study_is_not_historical() -> None:
    assert not about("Compared to prior study, the effusion is larger.", "effusion").historical


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Return to the emergency department if chest pain develops.", "chest pain"),
        ("Call if she has fever or vomiting.", "vomiting"),
        ("Evaluate for pneumonia.", "pneumonia"),
    ],
)
def test_hypothetical(text: str, term: str) -> None:
    assert about(text, term).hypothetical, (text, term)


def test_experiencer_family_member() -> None:
    text = "Family history of breast cancer in her mother."
    assert about(text, "breast cancer").experiencer == "other"
    assert about("The patient has breast cancer.", "breast cancer").experiencer == "patient"


def test_scope_stops_at_sentence_end() -> None:
    text = "No pneumothorax. Large right pleural effusion."
    assert about(text, "pneumothorax").negated
    assert not about(text, "pleural effusion").negated


def test_mentions_carry_assertion() -> None:
    a = analyze(
        "FINDINGS: No pneumothorax. Possible left lower lobe pneumonia.\nIMPRESSION: Cardiomegaly."
    )
    by_concept = {m.concept: m for m in a.mentions}
    assert by_concept["pneumothorax"].negated
    assert by_concept["pneumonia"].uncertain and not by_concept["pneumonia"].negated
    assert by_concept["cardiomegaly"].affirmed
    assert by_concept["cardiomegaly"].section == "impression"


def test_cues_are_reported_with_their_scope() -> None:
    text = "There is no pleural effusion."
    a = analyze(text)
    negations = [c for c in a.cues if c.category == "negated"]
    assert negations, a.cues
    cue = negations[0]
    assert text[cue.start : cue.end].lower() in {"no", "there is no"}
    assert cue.scope_start <= text.index("pleural") < cue.scope_end


def test_cue_inside_the_asked_span_does_not_count() -> None:
    text = "No pneumothorax."
    assert not assertion(text, 0, len("No pneumothorax")).negated
    assert assertion(text, 3, len("No pneumothorax")).negated


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 2), (0, 999)])
def test_span_outside_the_text_is_an_error(start: int, end: int) -> None:
    with pytest.raises(NLPError, match="outside the text"):
        assertion("No effusion.", start, end)


def test_empty_span_and_empty_text() -> None:
    assert assertion("", 0, 0) == Assertion()
    assert assertion("No effusion.", 3, 3).negated


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("The heart is mildly enlarged.", False),
        ("The cardiac silhouette remains moderately enlarged.", False),
        ("The heart is not enlarged.", True),
        ("Heart size is not increased.", True),
    ],
)
def test_findings_stated_about_anatomy(text: str, negated: bool) -> None:
    found = [m for m in analyze(text).mentions if m.concept == "cardiomegaly"]
    assert len(found) == 1, analyze(text).mentions
    assert found[0].kind == "finding"
    assert found[0].negated is negated


def test_predicate_does_not_cross_a_conjunction() -> None:
    mentions = analyze("The heart and lungs are enlarged.").mentions
    assert not [m for m in mentions if m.concept == "cardiomegaly"]


def test_new_clause_ends_a_negation() -> None:
    mentions = analyze("No pneumothorax and the heart is enlarged.").mentions
    assert [m.negated for m in mentions if m.concept == "pneumothorax"] == [True]
    assert [m.negated for m in mentions if m.concept == "cardiomegaly"] == [False]


# sentences run together with a comma, as written in reports (Open-i) and by the recogniser
@pytest.mark.parametrize(
    ("text", "negated", "affirmed"),
    [
        (
            "No acute cardiopulmonary abnormality, findings compatible with emphysema.",
            "",
            "emphysema",
        ),
        (
            "The lungs are clear with no pleural effusion or pneumothorax, some scattered "
            "bandlike opacities are present.",
            "pneumothorax",
            "opacities",
        ),
        (
            "No focal consolidation, pneumothorax or effusions identified, borderline "
            "cardiac enlargement.",
            "effusions",
            "cardiac enlargement",
        ),
        ("No pneumothorax, the lungs are hyperinflated.", "pneumothorax", "hyperinflated"),
        ("No pneumothorax is seen, small pleural effusion.", "pneumothorax", "pleural effusion"),
        # a list after a negation stays negated
        ("No focal consolidation, pleural effusion, or pneumothorax.", "pneumothorax", ""),
    ],
)
def test_a_comma_before_a_new_clause_ends_a_negation(
    text: str, negated: str, affirmed: str
) -> None:
    if negated:
        assert about(text, negated).negated
    if affirmed:
        assert not about(text, affirmed).negated, text


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("There is a 9 mm left lower lobe nodule, not seen on prior exams.", "nodule"),
        ("New right upper lobe opacity, not present on the prior study.", "opacity"),
        ("A 6 mm nodule not seen previously is present in the lingula.", "nodule"),
    ],
)
def test_not_seen_on_prior_is_a_comparison_not_a_negation(text: str, term: str) -> None:
    found = about(text, term)
    assert not found.negated
    assert found.affirmed


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Free air may be present beneath the right hemidiaphragm.", "Free air"),
        ("A small left effusion cannot be excluded.", "effusion"),
        ("Early pneumonia is possible.", "pneumonia"),
        ("A pneumothorax cannot be completely excluded.", "pneumothorax"),
    ],
)
def test_uncertainty_stated_after_the_finding(text: str, term: str) -> None:
    found = about(text, term)
    assert found.uncertain
    assert not found.negated


def test_a_finding_not_seen_today_is_still_negated() -> None:
    assert about("The nodule is not seen on today's study.", "nodule").negated
