"""The dictation benchmark's left/right score: the figure the issue's "every doubtful side
flagged" target is judged on, so its rules are tested like the code's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import dictation_eval
    import prompt_skip_eval
    import short_eval
finally:
    sys.path.pop(0)


@pytest.mark.parametrize(
    ("said", "written", "flags", "counted"),
    [
        # (clips counted, sides right, wrong but flagged)
        ("right lower lobe", "Right lower lobe.", [], (1, 1, 0)),
        ("lower lobe", "Lower lobe.", [], (0, 0, 0)),
        # a flipped side: flagged only when the flag is on the side word itself
        ("right lower lobe", "Left lower lobe.", [(0, 4, "side")], (1, 0, 1)),
        ("right lower lobe", "Left lower lobe.", [(5, 10, "low_probability")], (1, 0, 0)),
        # a side written where none was said counts as wrong
        ("lower lobe", "Right lower lobe.", [], (1, 0, 0)),
        ("lower lobe", "Right lower lobe.", [(0, 5, "low_probability")], (1, 0, 1)),
        # a side lost: it needs a side flag somewhere to count as flagged
        ("right lower lobe", "Lower lobe.", [(0, 5, "side")], (1, 0, 1)),
        ("right lower lobe", "Lower lobe.", [(0, 5, "low_probability")], (1, 0, 0)),
    ],
)
def test_sides_are_scored_where_they_were_written(said, written, flags, counted) -> None:
    score = dictation_eval.Score()
    right = dictation_eval.score_sides(score, said, written, [(written, flags)])
    assert (score.side_clips, score.side_correct, score.side_flagged) == counted
    assert right == (counted[1] == 1 or counted[0] == 0)


@pytest.mark.skipif(not dictation_eval.DATA.exists(), reason="../shared/data is not available")
def test_no_sentence_is_spoken_in_two_clip_sets_and_the_reference_set_uses_its_voices() -> None:
    """Held-out figures mean something only if no set (nor the site phrases) holds a sentence
    another set was tuned or judged on."""
    sets, used = dictation_eval.clip_sets(dictation_eval.DEFAULT_CLIPS)
    keys = {
        name: {k for c in clips for k in dictation_eval.sentence_keys(c.text)}
        for name, clips in sets.items()
    }
    names = list(keys)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not keys[a] & keys[b], (a, b)
    assert set().union(*keys.values()) == used
    assert {(c.engine, c.voice, c.speed) for c in sets["reference"]} <= set(
        dictation_eval.REFERENCE_VOICES
    )
    assert all(c.split == "held_out" for c in sets["reference"])


def test_flags_are_tallied_by_reason_and_by_whether_the_word_was_wrong() -> None:
    """The benchmark's per-reason flag line: a made-up word that replaced a term is a right
    flag, a side flag on a side said right is a false one."""
    written = "Right lower lobe extroker."
    flags = [(0, 5, "side"), (17, 25, "made_up")]
    score = dictation_eval.Score()
    score.add_flags("right lower lobe atelectasis", [(written, flags)])
    assert score.reasons == {("side", False): 1, ("made_up", True): 1}
    # (words written, flagged, wrong, flagged and wrong)
    assert (score.hyp_words, score.flagged, score.wrong, score.flagged_wrong) == (4, 2, 1, 1)


@pytest.mark.parametrize(
    ("said", "written", "hits"),
    [
        # one term however its compound is spelled, counted once
        ("basilar air space opacities", "basilar airspace opacities", (2, 2)),
        ("focal airspace disease", "focal air-space disease", (1, 1)),
        ("focal airspace disease", "focal air space disease", (1, 1)),
        # a different word is still a miss, and so is another number
        ("basilar air space opacities", "bustle airspace opacities", (1, 2)),
        ("stable mediastinal contour", "stable mediastinal contours", (1, 2)),
    ],
)
def test_term_recall_counts_a_term_once_whether_its_compound_is_open_or_closed(
    said, written, hits
) -> None:
    terms = ["air space", "airspace", "basilar", "mediastinal", "mediastinal contour"]
    assert dictation_eval.term_hits(terms, said, written) == hits


@pytest.mark.parametrize(
    ("said", "written", "counted"),
    [
        # (findings said, read as said, read with the opposite negation)
        ("No pneumothorax or effusion.", "No pneumothorax or effusion.", (2, 2, 0)),
        # a full stop cut the list: the effusion and the pneumothorax read as present
        (
            "No consolidation, large pleural effusion, or pneumothorax.",
            "No consolidation. Large pleural effusion or pneumothorax.",
            (3, 1, 2),
        ),
        # a finding lost is missed, not flipped
        ("Small pleural effusion.", "Small pleural.", (1, 0, 0)),
        # a negation the speaker never said ("No gun volumes" for "Low lung volumes")
        ("Pneumothorax.", "No pneumothorax.", (1, 0, 1)),
        # a flipped finding said twice counts once for each time it was said
        ("Effusion. No effusion.", "No effusion. No effusion.", (2, 1, 1)),
    ],
)
def test_findings_are_read_as_said_or_flipped(said, written, counted) -> None:
    assert dictation_eval.finding_counts(said, written) == counted


def test_the_skip_benchmark_counts_a_run_of_lost_words_not_scattered_ones() -> None:
    said = "No acute cardiopulmonary disease. The heart size is normal."
    assert prompt_skip_eval.longest_lost_run(said, "The heart size is normal.") == (4, 4)
    # two words lost apart, and one misheard, are not a skipped sentence
    assert prompt_skip_eval.longest_lost_run(
        said, "No cardiopulmonary disease. Heart sides normal."
    ) == (
        1,
        4,
    )
    assert prompt_skip_eval.longest_lost_run(said, said) == (0, 0)
    sentences = prompt_skip_eval.passage_sentences(
        "Go to findings. Clear lungs. Go to impression. Normal period"
    )
    assert sentences == ["Clear lungs.", "Normal."]


def test_the_short_sentences_are_short_unseen_and_the_same_every_run() -> None:
    if not dictation_eval.DATA.is_file():
        pytest.skip("../shared/data is not beside the checkout")
    chosen = short_eval.short_sentences(20)
    assert chosen == short_eval.short_sentences(20) and len(set(chosen)) == 20
    _, unseen = dictation_eval.clip_sets(dictation_eval.DEFAULT_CLIPS)
    for said in chosen:
        assert 2 <= len(said.split()) <= 4 and said.endswith(".")
        assert "XXXX" not in said and not any(c.isdigit() for c in said)
        assert " ".join(dictation_eval.words(said)) not in unseen
