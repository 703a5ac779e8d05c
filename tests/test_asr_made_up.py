"""Words the recogniser wrote wrong on some voices: a made-up word it was unsure of, "of"
heard as "on", a plural subject written singular."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporting.asr.agreement import load_agreement
from reporting.asr.fake import transcript_from_text
from reporting.asr.processing import build_pipeline
from reporting.errors import LexiconError
from reporting.lexicons import lexicon_path
from reporting.templating import load_template


@pytest.fixture(scope="module")
def chest():
    return build_pipeline(spec=load_template("chest_xr"))


@pytest.mark.parametrize(
    ("heard", "made_up", "meant"),
    [
        # made-up words the speech model wrote on espeak and flite voices
        ("There is mild cardiomidily similar to prior.", "cardiomidily", "mild cardiomegaly"),
        ("Cardiomegaly with bibisular airspace disease.", "bibisular", "with bibasilar airspace"),
        ("Osteophytes at the acromioclemic joints.", "acromioclemic", "the acromioclavicular"),
    ],
)
def test_an_unsure_made_up_word_becomes_the_template_word_it_is_clearly_nearest(
    chest, heard: str, made_up: str, meant: str
) -> None:
    unsure = transcript_from_text(heard, default=0.97, probabilities={made_up: 0.2})
    out = chest.process(unsure.text, unsure.words)
    assert meant in out.text
    # it stays flagged: the radiologist confirms a guessed word
    assert [f.reason for f in out.flags] == ["low_probability"]
    assert out.flags[0].word in meant
    # heard surely, the same word is kept as heard and flagged as made up
    sure = transcript_from_text(heard, default=0.97)
    kept = chest.process(sure.text, sure.words)
    assert kept.text == heard
    assert [f.reason for f in kept.flags] == ["made_up"]


def test_a_made_up_word_near_two_terms_or_a_real_word_is_kept(chest) -> None:
    for heard, word in [
        # 78 from "opacities", 75 from "opacity": nothing to choose by
        ("Bilateral copositis.", "copositis"),
        # real words the vocabulary lacks: possessive and hyphenated forms of known words
        ("Jumper's knee.", "jumper's"),
        ("Moderately-inflated lungs.", "moderately-inflated"),
    ]:
        unsure = transcript_from_text(heard, default=0.97, probabilities={word: 0.2})
        assert chest.process(unsure.text, unsure.words).text == heard
    # a side is never guessed: "ribosular" is not "right basilar", nor "bibasilar" after a side
    unsure = transcript_from_text(
        "Minimal right bibisular atelectasis.", probabilities={"bibisular": 0.2}
    )
    assert "bibasilar" not in chest.process(unsure.text, unsure.words).text


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        (
            "Mild tortuosity on the thoracic aorta.",
            "Mild tortuosity of the thoracic aorta.",
        ),
        (
            "Extensive degenerative changes on the thoracic spine.",
            "Extensive degenerative changes of the thoracic spine.",
        ),
        ("Prominence on the mediastinum.", "Prominence of the mediastinum."),
        # "on the" that belongs there stays
        ("Postsurgical changes on the left.", "Postsurgical changes on the left."),
        ("Opacity seen on the lateral view.", "Opacity seen on the lateral view."),
    ],
)
def test_of_heard_as_on_after_a_noun_that_takes_of(chest, heard: str, meant: str) -> None:
    assert chest.corrector.correct(heard)[0] == meant


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("Lung are grossly clear.", "Lungs are grossly clear."),
        ("Calcified granuloma are also identified.", "Calcified granulomas are also identified."),
        ("No cavitary lesion are seen.", "No cavitary lesions are seen."),
        ("Extensive pleural density are present.", "Extensive pleural densities are present."),
        ("The heart is normal. Sacroiliac joint are normal.", "Sacroiliac joints are normal."),
        # a subject of two things, or a noun inside a longer subject, stays as it is
        (
            "Heart size and mediastinal contour are within normal limits.",
            "Heart size and mediastinal contour are within normal limits.",
        ),
        ("Size of the lung are normal.", "Size of the lung are normal."),
        ("The heart, mediastinum, hilum are normal.", "The heart, mediastinum, hilum are normal."),
        ("Lungs are clear. The lungs are clear.", "Lungs are clear. The lungs are clear."),
    ],
)
def test_a_plural_subject_heard_singular_before_are_is_made_plural(
    chest, heard: str, meant: str
) -> None:
    out = chest.process(heard, transcript_from_text(heard, default=0.97).words)
    assert meant in out.text


def test_agreement_rules_are_validated(tmp_path: Path) -> None:
    good = json.loads(lexicon_path("asr_agreement.json").read_text())
    for change, wrong in [
        ({"oops": 1}, "oops"),
        ({"plurals": {}}, "plurals"),
        ({"plurals": {"Lung": "lungs"}}, "Lung"),
        ({"plurals": {"lung": 3}}, "lung"),
        ({"max_words_before": -1}, "max_words_before"),
        ({"not_in_subject": "and"}, "not_in_subject"),
    ]:
        bad = tmp_path / "asr_agreement.json"
        bad.write_text(json.dumps(good | change))
        with pytest.raises(LexiconError, match=wrong):
            load_agreement.__wrapped__(bad)  # type: ignore[attr-defined]


def test_an_unsure_made_up_word_that_may_hide_a_side_is_not_guessed_at(chest) -> None:
    # "wriaphragm" for "right hemidiaphragm" is clearly nearest "diaphragm", which would
    # lose the side: the looser rule leaves it as heard, flagged as a doubtful side
    assert chest.corrector.correct("wriaphragm", {"wriaphragm"})[0] == "diaphragm"
    for probability in (0.2, 0.97):
        heard = transcript_from_text(
            "Elevated wriaphragm.", default=0.97, probabilities={"wriaphragm": probability}
        )
        out = chest.process(heard.text, heard.words)
        assert out.text == "Elevated wriaphragm."
        assert [(f.word, f.reason) for f in out.flags] == [("wriaphragm", "side")]


def test_free_before_a_unit_is_three_and_the_number_is_flagged() -> None:
    from reporting.dictation import DictationSession, Utterance

    pipeline = build_pipeline(spec=load_template("us_pelvis_female"))
    for probability in (0.3, 0.95):  # flagged however sure the recogniser was of "free"
        heard = transcript_from_text(
            "There is a free centimeter simple cyst.", probabilities={"free": probability}
        )
        out = pipeline.process(heard.text, heard.words)
        assert out.text == "There is a 3 cm simple cyst."
        assert [(f.word, f.reason) for f in out.flags] == [("3", "guessed_number")]
    # "free fluid" is left alone
    heard = transcript_from_text("Free fluid trace.", default=0.97)
    assert pipeline.process(heard.text, heard.words).text == "Free fluid trace."
    session = DictationSession(load_template("us_pelvis_female"), pipeline=pipeline)
    session.apply(Utterance("Findings. Right ovary."))
    heard = transcript_from_text("There is a free centimeter simple cyst.", default=0.97)
    session.apply(Utterance(heard.text, heard.words))
    (issue,) = session.issues
    assert issue.message.startswith("please confirm the number '3': it was written for a word")


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        # "twelve" heard as "well" before its unit (flite kal, a tuning voice)
        ("Left kidney length well centimeters.", "Left kidney length 12 cm."),
        ("Endometrial thickness, well millimetres.", "Endometrial thickness, 12 mm."),
    ],
)
def test_well_before_a_unit_is_twelve_and_the_number_is_flagged(heard: str, written: str) -> None:
    pipeline = build_pipeline(spec=load_template("us_renal"))
    sure = transcript_from_text(heard, default=0.97)
    out = pipeline.process(sure.text, sure.words)
    assert out.text == written
    assert [(f.word, f.reason) for f in out.flags] == [("12", "guessed_number")]
    kept = transcript_from_text("The patient tolerated the procedure well.", default=0.97)
    assert pipeline.process(kept.text, kept.words).text == kept.text


def test_a_field_said_with_well_before_its_unit_gets_twelve_flagged() -> None:
    from reporting.dictation import DictationSession, Utterance

    # the grammar reads the field before the corrector writes the number: it reads the value
    # as it will be written
    session = DictationSession(load_template("us_pelvis_female"))
    said = "Findings, left ovary, normal, endometrial thickness, well millimetres."
    heard = transcript_from_text(said, default=0.97)
    session.apply(Utterance(heard.text, heard.words))
    fields = {f.id: f.value for sec in session.draft.sections for f in sec.fields}
    assert fields["endometrial_thickness"] == 12 and fields["left_ovary"] == "Normal."
    (issue,) = session.issues
    assert issue.message.startswith("please confirm the number '12 mm'")
