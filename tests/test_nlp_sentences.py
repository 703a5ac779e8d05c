"""Sentence and section segmentation on real report formatting."""

from __future__ import annotations

from reporting.nlp import analyze


def sentences(text: str) -> list[str]:
    a = analyze(text)
    return [text[s.start : s.end] for s in a.sentences]


def test_missing_space_after_full_stop() -> None:
    assert sentences("Clear lung apex.There is no effusion.") == [
        "Clear lung apex.",
        "There is no effusion.",
    ]


def test_all_caps_report() -> None:
    text = "FINDINGS: NO FOCAL CONSOLIDATION.THERE IS A SMALL LEFT EFFUSION. HEART SIZE NORMAL."
    assert sentences(text) == [
        "NO FOCAL CONSOLIDATION.",
        "THERE IS A SMALL LEFT EFFUSION.",
        "HEART SIZE NORMAL.",
    ]


def test_numbered_impression_items() -> None:
    text = "IMPRESSION: 1. No acute disease. 2. Stable cardiomegaly 3. Small effusion."
    assert sentences(text) == [
        "1. No acute disease.",
        "2. Stable cardiomegaly",
        "3. Small effusion.",
    ]


def test_numbered_items_on_lines_and_glued() -> None:
    text = "IMPRESSION:\n1. No pneumothorax.2. Small effusion.\n3) Cardiomegaly"
    assert sentences(text) == ["1. No pneumothorax.", "2. Small effusion.", "3) Cardiomegaly"]


def test_bullets() -> None:
    text = "FINDINGS:\n- Lungs clear\n- No effusion\n* Heart normal"
    assert sentences(text) == ["- Lungs clear", "- No effusion", "* Heart normal"]


def test_redactions_do_not_split_or_join() -> None:
    text = "FINDINGS: There are no XXXX of a pleural effusion. XXXX XXXX are normal.\nIMPRESSION: Normal chest x-XXXX."
    assert sentences(text) == [
        "There are no XXXX of a pleural effusion.",
        "XXXX XXXX are normal.",
        "Normal chest x-XXXX.",
    ]


def test_sections_and_inline_headings() -> None:
    text = "INDICATION: Cough. FINDINGS: Lungs clear. IMPRESSION: Normal."
    a = analyze(text)
    assert [s.section for s in a.sentences] == ["history", "findings", "impression"]
    assert sentences(text) == ["Cough.", "Lungs clear.", "Normal."]
    assert [s.name for s in a.sections] == ["history", "findings", "impression"]


def test_headings_are_not_sentences() -> None:
    text = "FINDINGS:\nThe lungs are clear.\n\nIMPRESSION:\nNormal chest."
    assert sentences(text) == ["The lungs are clear.", "Normal chest."]


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    text = "Discussed with Dr. Smith, e.g. by phone. Nodule measures 1.5 cm."
    assert sentences(text) == [
        "Discussed with Dr. Smith, e.g. by phone.",
        "Nodule measures 1.5 cm.",
    ]


def test_wrapped_lines_stay_one_sentence() -> None:
    text = "There is a small left\npleural effusion. Heart normal."
    assert sentences(text) == ["There is a small left\npleural effusion.", "Heart normal."]


def test_wide_gap_before_capitalised_heading() -> None:
    text = "Measurements Not Obtainable   REFERRING DIAGNOSIS: Syncope and collapse."
    assert sentences(text) == [
        "Measurements Not Obtainable",
        "REFERRING DIAGNOSIS: Syncope and collapse.",
    ]


def test_mentions_know_their_sentence() -> None:
    text = "FINDINGS: Lungs clear. Small effusion."
    a = analyze(text)
    effusion = next(m for m in a.mentions if m.concept == "pleural_effusion")
    s = a.sentences[effusion.sentence]
    assert text[s.start : s.end] == "Small effusion."
    assert a.sentence_at(effusion.start) == effusion.sentence
    assert a.sentence_at(len("FINDINGS:")) is None
