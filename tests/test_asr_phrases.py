"""Recalled report sentences: the bundled phrasebook, site phrases learned from reports, and
the prompt of the second decode."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from reporting.asr import build_pipeline
from reporting.asr.phrases import (
    PROMPT_MAX_WORDS,
    Phrasebook,
    bundled_phrases,
    field_phrases,
    learn_sentences,
    phrasebook_for,
    read_phrases,
    recall_prompt,
    site_phrasebook,
    write_phrases,
)
from reporting.cli import main
from reporting.errors import ConfigError, LexiconError
from reporting.resources import lexicons_dir
from reporting.templating import list_templates, load_template


def test_every_bundled_template_has_its_own_phrases() -> None:
    data = json.loads((lexicons_dir() / "asr_phrases.json").read_text(encoding="utf-8"))
    for info in list_templates():
        assert len(data["phrases"].get(info.id, ())) >= 50, info.id
    chest = bundled_phrases("chest_xr")
    # the template's own sentences first, then the common ones; no sentence twice
    assert chest.sentences[0] == data["phrases"]["chest_xr"][0]
    assert set(data["phrases"]["common"]) <= set(chest.sentences)
    assert len(set(chest.sentences)) == len(chest)
    # a template without a list of its own (an imported MRRT template) recalls from them all
    assert len(bundled_phrases("imported_mrrt")) > len(chest)


def test_recall_finds_the_sentence_a_mishearing_came_from() -> None:
    book = Phrasebook(
        (
            "No pleural effusion or pneumothorax.",
            "Moderate hiatal hernia.",
            "Mild cardiomegaly.",
            "Bibasilar atelectasis.",
        )
    )
    recalled = book.recall("Mild cardiomidly and moderate high adult earlier.", per_clause=1)
    assert recalled[0] in ("Mild cardiomegaly.", "Moderate hiatal hernia.")
    # each clause looks up its own sentences; none is recalled twice
    both = book.recall("Mild cardiomidly, moderate high adult earlier.", per_clause=1)
    assert set(both) == {"Mild cardiomegaly.", "Moderate hiatal hernia."}
    assert book.recall("") == []
    assert Phrasebook().recall("anything at all") == []


def test_a_misheard_word_recalls_the_sentence_holding_the_word_it_sounds_like() -> None:
    # the clause is most like the hernia sentence in letters; only the word "peritular"
    # points at "perihilar", which no sentence like the clause holds
    book = Phrasebook(
        (
            "Moderate hiatal hernia with opacities.",
            "Stable bilateral perihilar opacities.",
            "The perihilar region is clear.",
            "Mild cardiomegaly.",
        )
    )
    heard = "Moderate peritular opacities."
    sound = build_pipeline().corrector.key
    assert book.recall(heard, per_clause=1) == ["Moderate hiatal hernia with opacities."]
    recalled = book.recall(heard, per_clause=1, sound=sound)
    # of the sentences holding the word, the one most like the clause
    assert recalled == [
        "Moderate hiatal hernia with opacities.",
        "Stable bilateral perihilar opacities.",
    ]
    # words the recalled sentences hold, short words and ordinary sentences bring nothing more
    assert book.recall("Mild cardiomegaly.", per_clause=1, sound=sound) == ["Mild cardiomegaly."]
    # the words' sentences have a budget of their own beyond max_words
    for budget, expected in ((3, recalled[:1]), (4, recalled)):
        tight = book.recall(heard, per_clause=1, sound=sound, max_words=5, word_words=budget)
        assert tight == expected


def test_the_pipeline_recalls_by_sound_too() -> None:
    sentences = (
        "Moderate hiatal hernia with opacities.",
        "Moderate patchy opacities.",
        "Moderate nodular opacities.",
        "Moderate reticular opacities.",
        "Bilateral perihilar opacities.",
    )
    heard = "Moderate peritular opacities."
    assert "Bilateral perihilar opacities." not in Phrasebook(sentences).recall(heard)
    prompt = build_pipeline(phrases=Phrasebook(sentences)).recall_prompt(heard)
    assert prompt is not None and "Bilateral perihilar opacities" in prompt


def test_a_templates_fields_are_phrases_as_dictated() -> None:
    pelvis = field_phrases(load_template("us_pelvis_female")).sentences
    # a measured field with its unit and no number (the speech model would copy it); each
    # choice; a name alone
    assert "Uterine length measured in cm." in pelvis
    assert not any(c.isdigit() for s in pelvis for c in s if "measured" in s)
    assert "Free fluid trace, physiologic." in pelvis and "Free fluid large." in pelvis
    assert "Right ovary." in pelvis
    # a listed choice is said by its number, then its words
    assert "Birads 4, suspicious." in field_phrases(load_template("mammo_birads")).sentences
    assert "Post void measured in mL." in field_phrases(load_template("us_renal")).sentences
    assert field_phrases(load_template("generic")).sentences == ()


def test_a_field_name_said_alone_recalls_its_sentence() -> None:
    # "Uterine length 9.8 cm" first heard as "U-turn lens 9.8 centimeters": no report
    # sentence holds the field's name, so only the template's field sentence can be recalled
    spec = load_template("us_pelvis_female")
    heard = "U-turn lens 9.8 centimeters."
    assert not any("Uterine length" in s for s in bundled_phrases(spec.id).recall(heard))
    prompt = build_pipeline(spec=spec).recall_prompt(heard)
    assert prompt is not None and "Uterine length measured in cm." in prompt
    # recall off (an empty phrasebook) stays off
    assert build_pipeline(spec=spec, phrases=Phrasebook()).recall_prompt(heard) is None


def test_recall_keeps_to_its_word_budget() -> None:
    long = " ".join(["word"] * 30) + "."
    book = Phrasebook((long, "A short sentence here."))
    assert book.recall("word word word", per_clause=2, max_words=20) == ["A short sentence here."]


def test_the_second_prompt_ends_with_the_recalled_sentences_and_a_spoken_period() -> None:
    base = "Go to findings. The lungs are clear. No acute disease period"
    prompt = recall_prompt(base, ["Moderate hiatal hernia.", "Mild cardiomegaly."])
    assert prompt == (
        "Go to findings. The lungs are clear. No acute disease. Moderate hiatal hernia. "
        "Mild cardiomegaly period"
    )
    assert recall_prompt(base, []) == base
    # the front of a long passage gives way, never the recalled sentences
    long_base = " ".join(f"sentence{i}." for i in range(300)) + " period"
    cut = recall_prompt(long_base, ["Mild cardiomegaly."])
    assert len(cut.split()) == PROMPT_MAX_WORDS + 1
    assert cut.endswith("sentence299. Mild cardiomegaly period")


def test_learning_counts_sentences_and_leaves_out_names_dates_and_redactions() -> None:
    learned = learn_sentences(
        [
            "No acute cardiopulmonary abnormality. Heart size is normal.",
            "Heart size is normal. Findings discussed with Dr. Smith at 14:30 on 3/4/2026.",
            "1. Small left pleural effusion. 2. No pneumothorax is seen.",
            "1. Mild cardiomegaly with small effusions 2. Emphysema without acute disease.. "
            "3. Is there a known history? 4. Old healed rib fractures.",
            "Stable XXXX opacity in the right upper lobe. Ok.",
            "Compared with the study from March 3, 2025, unchanged appearance of the chest.",
            "Discussed with Dr. Jones by phone. PA and lateral views of the chest.",
        ]
    )
    sentences = dict(learned)
    assert learned[0] == ("Heart size is normal.", 2)
    assert sentences["Small left pleural effusion."] == 1
    assert "No pneumothorax is seen." in sentences
    # a list item's number belongs to the next sentence, even with no full stop before it
    assert "Mild cardiomegaly with small effusions." in sentences
    assert "Emphysema without acute disease." in sentences
    assert "Is there a known history?" in sentences
    assert "Old healed rib fractures." in sentences
    assert "No acute cardiopulmonary abnormality." in sentences
    assert not any("Smith" in s or "XXXX" in s or "2025" in s or "Jones" in s for s in sentences)
    assert "PA and lateral views of the chest." in sentences  # "PA" is not a title
    assert "Ok." not in sentences  # fewer than three words


def test_a_site_phrase_file_round_trips_privately(tmp_path: Path) -> None:
    target = tmp_path / "site" / "phrases.json"
    write_phrases(target, [("Stable chest.", 3), ("Patchy right lower lobe opacity.", 1)])
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert read_phrases(target).sentences == ("Stable chest.", "Patchy right lower lobe opacity.")
    assert not list(target.parent.glob("*.tmp*"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not json", r"not UTF-8"),
        (b'{"format": "something", "version": 1, "sentences": []}', r"not a phrase file"),
        (
            b'{"format": "reporting-phrases", "version": 1, "sentences": [], "extra": 1}',
            r"unknown key 'extra'",
        ),
        (
            b'{"format": "reporting-phrases", "version": 1, "sentences": [{"txt": "a b c"}]}',
            r"sentences\[0\]",
        ),
    ],
)
def test_a_broken_phrase_file_is_named_in_the_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "phrases.json"
    bad.write_bytes(content)
    with pytest.raises(LexiconError, match=rf"phrases\.json.*{message}"):
        read_phrases(bad)


def test_site_phrases_come_from_config_or_the_learned_file(isolated_home: Path) -> None:
    assert len(site_phrasebook()) == 0
    learned = isolated_home / "data" / "reporting" / "phrases.json"
    write_phrases(learned, [("Site sentence number one.", 1)])
    assert site_phrasebook().sentences == ("Site sentence number one.",)
    other = isolated_home / "other.json"
    write_phrases(other, [("Another site sentence here.", 1)])
    config = isolated_home / "config" / "reporting" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[asr]\nphrases = ["{other}"]\n')
    assert site_phrasebook().sentences == ("Another site sentence here.",)
    book = phrasebook_for("chest_xr")
    assert book.sentences[-1] == "Another site sentence here."
    assert (
        book.sentences[: len(bundled_phrases("chest_xr"))] == bundled_phrases("chest_xr").sentences
    )
    config.write_text('[asr]\nrecall = false\nphrases = "/nowhere.json"\n')
    assert len(phrasebook_for("chest_xr")) == 0
    config.write_text("[asr]\nrecall = 1\n")
    with pytest.raises(ConfigError, match=r"asr\.recall must be true or false"):
        phrasebook_for("chest_xr")
    config.write_text("[asr]\nphrases = [1]\n")
    with pytest.raises(ConfigError, match=r"asr\.phrases"):
        site_phrasebook()


def test_the_bundled_phrasebook_rejects_a_bad_entry(tmp_path: Path) -> None:
    from reporting.asr.phrases import _phrases_from

    path = tmp_path / "asr_phrases.json"
    with pytest.raises(
        LexiconError, match=r"asr_phrases\.json.*phrases\.chest_xr\[0\] has 1 words"
    ):
        _phrases_from(
            path, {"description": "d", "phrases": {"common": ["a b c"], "chest_xr": ["x"]}}
        )
    with pytest.raises(LexiconError, match=r"asr_phrases\.json.*'common'"):
        _phrases_from(path, {"description": "d", "phrases": {"chest_xr": ["a b c"]}})
    with pytest.raises(LexiconError, match=r"unknown key 'terms'"):
        _phrases_from(path, {"description": "d", "phrases": {}, "terms": []})


def test_phrases_learn_and_recall_commands(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports.jsonl"
    reports.write_text(
        "\n".join(
            json.dumps({"id": f"r{i}", "text": text})
            for i, text in enumerate(
                [
                    "FINDINGS: Granulomatous sequela in the right upper lobe. Heart size normal "
                    "today.\n\nIMPRESSION: No acute cardiopulmonary abnormality.",
                    "FINDINGS: Heart size normal today.\n\nIMPRESSION: Stable chest radiograph.",
                ]
            )
        )
        + "\n{broken json\n",
        encoding="utf-8",
    )
    assert main(["phrases", "learn", str(reports)]) == 3  # one line could not be read
    err = capsys.readouterr().err
    assert "learned 4 sentences from 2 reports" in err
    learned = isolated_home / "data" / "reporting" / "phrases.json"
    assert read_phrases(learned).sentences[0] == "Heart size normal today."
    assert main(["phrases", "recall", "brandy lomato you see quail in the right upper lobe"]) == 0
    assert "Granulomatous sequela in the right upper lobe." in capsys.readouterr().out.splitlines()
    empty = tmp_path / "empty.txt"
    empty.write_text("Ok.\n", encoding="utf-8")
    assert main(["phrases", "learn", str(empty), "--out", str(tmp_path / "x.json")]) == 4
    assert "Nothing learned" in capsys.readouterr().err
