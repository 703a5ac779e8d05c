"""laterality.order_mismatch / laterality.findings_impression / laterality.missing."""

from __future__ import annotations

import pytest

from reporting.qa import check


def _report(findings: str, impression: str, *, exam: str = "", history: str = "Pain.") -> str:
    head = f"EXAMINATION: {exam}\n" if exam else ""
    return f"{head}INDICATION: {history}\nFINDINGS: {findings}\nIMPRESSION: {impression}\n"


def codes(text: str, **context: object) -> set[str]:
    return {i.code for i in check(text, **context)}


def test_other_side_in_findings_contradicts_the_ordered_side() -> None:
    text = _report(
        "Small right knee joint effusion. No fracture.",
        "Small knee effusion.",
        exam="XR KNEE LEFT 3 VIEWS",
    )
    issues = [
        i
        for i in check(text, procedure="XR KNEE LEFT 3 VIEWS")
        if i.code == "laterality.order_mismatch"
    ]
    assert len(issues) == 1
    issue = issues[0]
    assert text[issue.start : issue.end] == "right"
    assert issue.section == "findings"
    assert issue.severity.value == "error"
    labels = {e.label: text[e.start : e.end] for e in issue.evidence}
    assert labels["right side"] == "right"
    assert labels["ordered side"] == "LEFT"
    assert "left" in issue.message and "'right'" in issue.message
    assert issue.suggestion and "'left'" in issue.suggestion


@pytest.mark.parametrize(
    "procedure",
    ["MRI RT SHOULDER WO CONTRAST", "MRI SHOULDER RIGHT", "XR SHOULDER R 2 VIEWS"],
)
def test_ordered_side_is_read_from_abbreviated_procedures(procedure: str) -> None:
    text = _report("Full-thickness tear of the left supraspinatus tendon.", "Supraspinatus tear.")
    assert "laterality.order_mismatch" in codes(text, procedure=procedure)


def test_record_laterality_is_the_ordered_side() -> None:
    text = _report("Fracture of the right distal radius.", "Distal radius fracture.")
    assert "laterality.order_mismatch" in codes(
        text, procedure="XR WRIST 3 VIEWS", laterality="left"
    )
    assert "laterality.order_mismatch" not in codes(
        text, procedure="XR WRIST 3 VIEWS", laterality="right"
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "The joint space is narrower than on the right.",
        "Compared with the right knee, the effusion is larger.",
        "The right knee was imaged for comparison and is normal.",
        "The contralateral knee is unremarkable.",
        "Status post right total knee arthroplasty.",
        "No change from the prior study of the right knee.",
        "Both knees show mild osteoarthritis, left worse than right.",
    ],
)
def test_legitimate_other_side_mentions_stay_quiet(sentence: str) -> None:
    text = _report(
        f"Small left knee effusion. {sentence}",
        "Small left knee effusion.",
        exam="XR KNEE LEFT 3 VIEWS",
    )
    assert "laterality.order_mismatch" not in codes(text, procedure="XR KNEE LEFT 3 VIEWS")


def test_left_as_a_verb_is_not_a_side() -> None:
    text = _report(
        "The surgical drain was left in place. Small right knee effusion.",
        "Small right knee effusion.",
        exam="XR KNEE RIGHT",
    )
    assert "laterality.order_mismatch" not in codes(text, procedure="XR KNEE RIGHT 2 VIEWS")
    wrong = text.replace("Small right knee effusion.", "Small left knee effusion.", 1)
    assert "laterality.order_mismatch" in codes(wrong, procedure="XR KNEE RIGHT 2 VIEWS")


def test_comparison_section_may_name_the_other_side() -> None:
    text = (
        "EXAMINATION: XR ANKLE LEFT 3 VIEWS\nCOMPARISON: Right ankle radiographs from 2024.\n"
        "FINDINGS: Soft tissue swelling over the left lateral malleolus.\nIMPRESSION: No fracture.\n"
    )
    assert "laterality.order_mismatch" not in codes(text, procedure="XR ANKLE LEFT 3 VIEWS")


@pytest.mark.parametrize(
    "procedure",
    ["XR CHEST PA AND LATERAL", "CT ABDOMEN AND PELVIS", "XR BOTH KNEES", "US BREAST BILATERAL"],
)
def test_non_lateral_and_bilateral_exams_never_get_order_mismatch(procedure: str) -> None:
    text = _report("Small right pleural effusion. Left lower lobe atelectasis.", "Right effusion.")
    found = codes(text, procedure=procedure, laterality="none")
    assert "laterality.order_mismatch" not in found
    assert "laterality.missing" not in found


def test_chest_exam_with_a_sided_record_is_still_not_lateral() -> None:
    text = _report("Right upper lobe granuloma. The left lung is clear.", "No acute disease.")
    assert "laterality.order_mismatch" not in codes(
        text, procedure="XR CHEST 2 VIEWS", laterality="left"
    )


def test_multi_region_order_is_not_treated_as_lateral() -> None:
    text = _report("Chest: right lung clear. Left knee: small effusion.", "Small effusion.")
    assert "laterality.order_mismatch" not in codes(
        text, procedure="Two-view chest; left knee 2 views"
    )


def test_lateral_exam_that_never_states_a_side() -> None:
    text = _report("Full-thickness supraspinatus tear.", "Rotator cuff tear.", exam="MRI SHOULDER")
    issues = [
        i
        for i in check(text, procedure="MRI SHOULDER WO CONTRAST")
        if i.code == "laterality.missing"
    ]
    assert len(issues) == 1
    assert issues[0].severity.value == "warning"
    assert issues[0].section == "findings"


def test_side_stated_anywhere_satisfies_laterality_missing() -> None:
    text = _report(
        "Full-thickness supraspinatus tear.", "Rotator cuff tear.", history="Right shoulder pain."
    )
    assert "laterality.missing" not in codes(text, procedure="MRI SHOULDER WO CONTRAST")


def test_findings_and_impression_disagree_on_the_side() -> None:
    text = _report(
        "Consolidation in the right lower lobe. No pleural effusion.",
        "Left lower lobe pneumonia.",
        exam="XR CHEST PA AND LATERAL",
    )
    issues = [
        i
        for i in check(text, procedure="XR CHEST PA AND LATERAL")
        if i.code == "laterality.findings_impression"
    ]
    assert len(issues) == 1
    assert text[issues[0].start : issues[0].end] == "Left"
    assert issues[0].section == "impression"
    assert {e.label for e in issues[0].evidence} == {"impression side", "findings side"}
    assert text[issues[0].evidence[1].start : issues[0].evidence[1].end].lower() == "right"


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        (
            "No left pleural effusion. Small right pleural effusion.",
            "Small right pleural effusion.",
        ),
        (
            "Right basilar atelectasis. Left basilar opacity.",
            "Left basilar opacity, atelectasis or pneumonia.",
        ),
        ("Bilateral pleural effusions.", "Small right pleural effusion."),
        (
            "Granuloma in the right upper lobe. Left lower lobe atelectasis.",
            "Left lower lobe atelectasis.",
        ),
    ],
)
def test_consistent_sides_stay_quiet(findings: str, impression: str) -> None:
    assert "laterality.findings_impression" not in codes(_report(findings, impression))


def fi_sides(findings: str, impression: str) -> list[str]:
    """The Impression words laterality.findings_impression flags."""
    text = _report(findings, impression, exam="XR CHEST PA AND LATERAL")
    return [
        text[i.start : i.end].lower()
        for i in check(text, procedure="XR CHEST PA AND LATERAL")
        if i.code == "laterality.findings_impression"
    ]


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        # a past-tense restatement must still keep the side
        (
            "The previously noted small nodule in the right lower lung is not well seen today.",
            "Previously visualized nodule in the left lower lobe.",
        ),
        # a hedged other-side mention does not support a plainly stated side
        (
            "A 3 cm mass has developed in the left upper lobe. Another mass on the right "
            "cannot be excluded.",
            "Right upper lobe mass, suspicious for neoplasm.",
        ),
        # "elevation of the right hemidiaphragm" is a sided diaphragm elevation
        (
            "The left hemidiaphragm remains elevated. Air below the right hemidiaphragm.",
            "Continued elevation of the right hemidiaphragm.",
        ),
        # a sided anatomy keeps its own side when the sentence also says "bibasal"
        (
            "There is right basal patchy opacity and bibasal atelectasis.",
            "Left basal airspace disease.",
        ),
        # a lesion new since the prior exam is affirmed, not negated
        (
            "There is a 9 mm left lower lobe pulmonary nodule, not seen on prior exams.",
            "Right lower lobe pulmonary nodule.",
        ),
    ],
)
def test_findings_impression_flips_that_need_care(findings: str, impression: str) -> None:
    assert fi_sides(findings, impression) in (["left"], ["right"])


@pytest.mark.parametrize(
    ("findings", "impression"),
    [
        (
            "Left lower lobe opacity. A small right effusion cannot be excluded.",
            "Possible small right effusion. Left lower lobe pneumonia.",
        ),
        (
            "Previously seen left effusion has resolved. New small right effusion.",
            "New small right effusion. Prior left effusion has resolved.",
        ),
    ],
)
def test_hedged_and_resolved_restatements_stay_quiet(findings: str, impression: str) -> None:
    assert fi_sides(findings, impression) == []
