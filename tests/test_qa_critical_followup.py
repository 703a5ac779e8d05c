"""critical.not_communicated, followup.incomplete, template.unfilled."""

from __future__ import annotations

import pytest

from reporting.qa import QAOptions, check

CHEST = "XR CHEST PORTABLE"


def codes(text: str, **context: object) -> set[str]:
    return {i.code for i in check(text, **context)}


def test_affirmed_critical_finding_without_communication() -> None:
    text = "FINDINGS: Moderate right pneumothorax.\nIMPRESSION: Moderate right pneumothorax.\n"
    issues = [i for i in check(text, procedure=CHEST) if i.code == "critical.not_communicated"]
    assert len(issues) == 1
    assert text[issues[0].start : issues[0].end] == "pneumothorax"
    assert len(issues[0].evidence) == 2
    assert all(text[e.start : e.end] == "pneumothorax" for e in issues[0].evidence)
    assert "communicated" in issues[0].message


@pytest.mark.parametrize(
    "statement",
    [
        "Discussed with Dr Smith at 10:42.",
        "Findings were called to the emergency department.",
        "Dr. Lee was notified by telephone and acknowledged receipt.",
        "These results were communicated to the referring physician at 3 PM.",
        "Critical result notification documented.",
    ],
)
def test_communication_statement_satisfies_the_check(statement: str) -> None:
    text = f"FINDINGS: Moderate right pneumothorax.\nIMPRESSION: Moderate right pneumothorax. {statement}\n"
    assert "critical.not_communicated" not in codes(text, procedure=CHEST)


@pytest.mark.parametrize(
    "sentence",
    [
        "No pneumothorax.",
        "No evidence of pneumothorax or free air.",
        "Stable small left apical pneumothorax.",
        "The right pneumothorax has resolved.",
        "Possible tiny pneumothorax.",
        "Supine film is limited for evaluation of pneumoperitoneum.",
    ],
)
def test_not_a_new_affirmed_critical_finding(sentence: str) -> None:
    text = f"INDICATION: Rule out pneumothorax.\nFINDINGS: {sentence}\nIMPRESSION: See findings.\n"
    assert "critical.not_communicated" not in codes(text, procedure=CHEST)


def test_hedged_critical_finding_counts_when_asked() -> None:
    text = "FINDINGS: Possible small pneumothorax.\nIMPRESSION: Possible pneumothorax.\n"
    assert "critical.not_communicated" not in codes(text)
    found = {i.code for i in check(text, options=QAOptions(critical_uncertain=True))}
    assert "critical.not_communicated" in found


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("Recommend follow-up chest CT.", "an interval"),
        ("Follow-up imaging is recommended in 3 months.", "a modality"),
        ("Recommend follow-up to ensure resolution.", "a modality or an interval"),
        ("Recommend further evaluation.", "a modality"),
    ],
)
def test_incomplete_followup(sentence: str, missing: str) -> None:
    text = f"FINDINGS: 8 mm nodule in the right upper lobe.\nIMPRESSION: Nodule. {sentence}\n"
    issues = [i for i in check(text) if i.code == "followup.incomplete"]
    assert len(issues) == 1
    assert text[issues[0].start : issues[0].end] == sentence
    assert issues[0].message.endswith(f"without {missing}.")


@pytest.mark.parametrize(
    "sentence",
    [
        "Recommend follow-up chest CT in 3 months.",
        "Repeat radiographs after antibiotic treatment are recommended to document resolution.",
        "CT of the chest is recommended for further characterization.",
        "Clinical correlation is recommended.",
        "There is no opacity to suggest pneumonia.",
        "This nodule does not warrant follow-up.",
        "Recommend follow-up noncontrast chest CT in 6-12 months per Fleischner guidelines.",
    ],
)
def test_complete_or_not_a_followup(sentence: str) -> None:
    text = f"FINDINGS: 8 mm nodule in the right upper lobe.\nIMPRESSION: Nodule. {sentence}\n"
    assert "followup.incomplete" not in codes(text)


def test_followup_in_the_indication_is_not_a_recommendation() -> None:
    text = "INDICATION: Follow-up of pneumonia.\nFINDINGS: Lungs clear.\nIMPRESSION: Resolved."
    assert "followup.incomplete" not in codes(text)


@pytest.mark.parametrize("placeholder", ["[ ]", "***", "___", "<size>", "[***]", "{{ side }}"])
def test_placeholder_left_in_the_text(placeholder: str) -> None:
    text = f"FINDINGS: There is a {placeholder} cm nodule.\nIMPRESSION: Nodule.\n"
    issues = [i for i in check(text) if i.code == "template.unfilled"]
    assert len(issues) == 1
    assert text[issues[0].start : issues[0].end] == placeholder


@pytest.mark.parametrize(
    "text",
    [
        "FINDINGS: Normal chest x-XXXX. Dr. XXXX<XXXX>technologist.\nIMPRESSION: XXXX.",
        "FINDINGS: Nodules concerning for<BR>metastatic disease.\nIMPRESSION: Nodules.",
        "FINDINGS: Heart size is normal (CTR 0.45).\nIMPRESSION: Normal.",
    ],
)
def test_redactions_and_markup_are_not_placeholders(text: str) -> None:
    assert "template.unfilled" not in codes(text)
