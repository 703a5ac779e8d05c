"""sex.mismatch."""

from __future__ import annotations

import pytest

from reporting.qa import check


def sex_issues(text: str, **context: object) -> list:
    return [i for i in check(text, **context) if i.code == "sex.mismatch"]


def test_stated_sex_contradicts_the_record() -> None:
    text = "INDICATION: 67-year-old woman with cough.\nFINDINGS: Lungs clear.\nIMPRESSION: Normal."
    issues = sex_issues(text, sex="M")
    assert len(issues) == 1
    assert text[issues[0].start : issues[0].end] == "woman"
    assert issues[0].section == "history"
    assert "male" in issues[0].message


@pytest.mark.parametrize(
    ("sentence", "sex"),
    [
        ("The prostate is enlarged.", "F"),
        ("Status post hysterectomy.", "M"),
        ("The uterus is surgically absent.", "M"),
        ("Last menstrual period two weeks ago.", "M"),
        ("Seminal vesicles are unremarkable.", "F"),
        ("Findings of testicular torsion.", "F"),
        ("She reports pain.", "M"),
    ],
)
def test_sex_specific_words_contradict_the_patient(sentence: str, sex: str) -> None:
    text = f"FINDINGS: {sentence}\nIMPRESSION: See above."
    assert sex_issues(text, sex=sex)


@pytest.mark.parametrize(
    ("sentence", "sex"),
    [
        ("Mild gynecomastia of the left breast.", "M"),
        ("The breasts are dense.", "F"),
        ("Family history: mother with ovarian cancer.", "M"),
        ("Discussed with Dr. Jones, who said she would call the patient.", "M"),
        ("HER2-positive breast cancer.", "M"),
        ("The cervical spine is intact.", "M"),
        ("Mild degenerative change of the cervical spine.", "F"),
        ("The uterus is normal.", "F"),
        ("The prostate is enlarged.", "M"),
    ],
)
def test_consistent_or_not_sex_specific_stays_quiet(sentence: str, sex: str) -> None:
    text = f"FINDINGS: {sentence}\nIMPRESSION: See above."
    assert not sex_issues(text, sex=sex)


def test_unknown_patient_sex_uses_the_sex_the_text_states() -> None:
    text = "INDICATION: 58-year-old man.\nFINDINGS: The uterus is enlarged.\nIMPRESSION: Fibroid uterus."
    issues = sex_issues(text)
    assert len(issues) == 2  # "uterus" twice, both against the stated "man"
    assert all(text[i.start : i.end] == "uterus" for i in issues)
    assert issues[0].evidence[1].label == "stated sex"
    assert not sex_issues("FINDINGS: The uterus is enlarged.\nIMPRESSION: Fibroid uterus.")


def test_template_for_one_sex_conflicts_with_the_patient() -> None:
    text = "FINDINGS: Normal.\nIMPRESSION: Normal."
    issues = sex_issues(text, sex="M", template="us_pelvis_female")
    assert issues and "template" in issues[0].message
