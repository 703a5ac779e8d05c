"""section.missing, finding.missing, finding.contradiction, measurement.mismatch."""

from __future__ import annotations

import pytest

from reporting.model import Report, Section
from reporting.qa import check

CHEST = "XR CHEST PA AND LATERAL"
NORMAL_CHEST = (
    "EXAMINATION: XR CHEST PA AND LATERAL\nFINDINGS: The lungs are clear. No pleural effusion or "
    "pneumothorax. Heart size is normal. No acute osseous abnormality.\nIMPRESSION: Normal chest.\n"
)


def codes(text: str, **context: object) -> set[str]:
    return {i.code for i in check(text, **context)}


def test_normal_chest_has_no_issue() -> None:
    assert check(NORMAL_CHEST, procedure=CHEST) == []


def test_missing_impression() -> None:
    text = NORMAL_CHEST.split("IMPRESSION")[0]
    issues = [i for i in check(text, procedure=CHEST) if i.code == "section.missing"]
    assert len(issues) == 1
    assert "Impression" in issues[0].message
    assert issues[0].severity.value == "error"


def test_empty_impression_heading() -> None:
    text = NORMAL_CHEST.replace("IMPRESSION: Normal chest.", "IMPRESSION:")
    issues = [i for i in check(text, procedure=CHEST) if i.code == "section.missing"]
    assert len(issues) == 1 and "empty" in issues[0].message


def test_record_without_sections_gets_section_missing() -> None:
    report = Report(id="r1", text="")
    found = {i.code for i in check(report)}
    assert "section.missing" in found


def test_sections_given_as_fields_count_as_present() -> None:
    report = Report.from_sections(
        [
            Section("findings", "Lungs clear. No effusion. Heart normal."),
            Section("impression", "Normal."),
        ],
        id="r2",
        procedure=CHEST,
    )
    assert "section.missing" not in {i.code for i in check(report)}


def test_required_topic_never_addressed() -> None:
    text = (
        "FINDINGS: No intracranial hemorrhage. No acute infarct in the brain parenchyma. "
        "The calvarium is intact. The paranasal sinuses are clear.\n"
        "IMPRESSION: No acute intracranial abnormality.\n"
    )
    issues = [
        i for i in check(text, procedure="CT HEAD WITHOUT CONTRAST") if i.code == "finding.missing"
    ]
    assert [i.topic for i in issues] == ["ventricles"]
    assert issues[0].severity.value == "warning"
    assert "ventricles" in issues[0].message


def test_negated_mention_addresses_a_topic() -> None:
    text = NORMAL_CHEST.replace("No pleural effusion or pneumothorax.", "No effusion.")
    assert "finding.missing" not in codes(text, procedure=CHEST)


def test_info_topic_keeps_its_severity() -> None:
    text = NORMAL_CHEST.replace(" No acute osseous abnormality.", "")
    issues = [i for i in check(text, procedure=CHEST) if i.code == "finding.missing"]
    assert [(i.topic, i.severity.value) for i in issues] == [("bones", "info")]


def test_negated_then_affirmed_is_a_contradiction() -> None:
    text = (
        "FINDINGS: The lungs are clear. No pleural effusion. Heart size normal. No fracture.\n"
        "IMPRESSION: Small pleural effusion.\n"
    )
    issues = [i for i in check(text, procedure=CHEST) if i.code == "finding.contradiction"]
    assert len(issues) == 1
    assert text[issues[0].start : issues[0].end] == "pleural effusion"
    assert issues[0].section == "impression"
    negated, affirmed = issues[0].evidence
    assert negated.label == "negated in findings" and negated.start < text.index("IMPRESSION")
    assert affirmed.label == "affirmed in impression"


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        ("No left pleural effusion. Lungs clear.", "Small right pleural effusion."),
        ("No new consolidation.", "Stable right lower lobe consolidation."),
        ("No large pleural effusion.", "Small pleural effusion."),
        ("No pneumothorax.", "Possible small pneumothorax."),
        ("Small right pneumothorax.", "The previously seen pneumothorax has resolved."),
        # Findings says it of one site and denies it of another (the MR knee template's
        # normal "Lateral meniscus: Intact. No tear."); the impression agrees with the first
        (
            "Medial meniscus: Complex tear of the posterior horn.\nLateral meniscus: Intact. "
            "No tear.",
            "Complex tear of the posterior horn of the medial meniscus.",
        ),
    ],
)
def test_not_contradictions(findings: str, impression: str) -> None:
    text = f"FINDINGS: {findings}\nIMPRESSION: {impression}\n"
    assert "finding.contradiction" not in codes(text, procedure=CHEST)


def test_same_lesion_measured_differently() -> None:
    text = (
        "FINDINGS: A 2.1 cm simple cyst in the right kidney.\n"
        "IMPRESSION: 3.5 cm simple cyst in the right kidney.\n"
    )
    issues = [i for i in check(text) if i.code == "measurement.mismatch"]
    assert len(issues) == 1
    assert text[issues[0].start : issues[0].end] == "3.5 cm"
    assert [text[e.start : e.end] for e in issues[0].evidence] == ["3.5 cm", "2.1 cm"]


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        ("A 12 mm nodule in the right upper lobe.", "1.2 cm right upper lobe nodule."),
        ("Nodule measuring 1.4 x 0.9 cm in the left lower lobe.", "1.4 cm left lower lobe nodule."),
        (
            "A 9 mm nodule in the left lower lobe. A 2 cm mass in the right upper lobe.",
            "2 cm right upper lobe mass.",
        ),
        ("A 6 mm cyst in the right kidney.", "4 cm left kidney cyst."),
    ],
)
def test_measurements_that_agree_or_differ_in_lesion(findings: str, impression: str) -> None:
    assert "measurement.mismatch" not in codes(f"FINDINGS: {findings}\nIMPRESSION: {impression}\n")


def pleura_missing(findings: str, impression: str) -> bool:
    text = f"EXAMINATION: {CHEST}\nFINDINGS: {findings}\nIMPRESSION: {impression}\n"
    return any(
        i.code == "finding.missing" and i.topic == "pleura" for i in check(text, procedure=CHEST)
    )


@pytest.mark.parametrize(
    "impression",
    [
        "No acute cardiopulmonary abnormality.",
        "No acute intrathoracic process.",
        "No acute changes.",
        "The CP angles are sharp.",
    ],
)
def test_whole_chest_and_pleural_statements_address_the_pleura(impression: str) -> None:
    assert not pleura_missing("The lungs are clear. Heart size is normal.", impression)


@pytest.mark.parametrize("impression", ["Lungs are clear.", "Stable appearance."])
def test_lung_only_statements_do_not_address_the_pleura(impression: str) -> None:
    # whether there is an effusion or a pneumothorax is not said
    assert pleura_missing("The lungs are clear. Heart size is normal.", impression)


def test_measured_lesion_new_since_prior_is_compared() -> None:
    text = (
        "FINDINGS: There is a 9 mm left lower lobe nodule, not seen on prior exams.\n"
        "IMPRESSION: 15 mm left lower lobe nodule.\n"
    )
    assert "measurement.mismatch" in codes(text)
