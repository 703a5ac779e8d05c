"""``reporting transcribe``, ``reporting dictate`` and ``reporting devices`` (real model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reporting.cli import main
from reporting.model import Section
from reporting.records import loads_record

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "audio"


@pytest.mark.slow
def test_transcribe_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "transcribe",
            str(EXAMPLES / "measurements.flac"),
            str(EXAMPLES / "silence.flac"),
            "--json",
            "--template",
            "chest_xr",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and len(out) == 2
    first, silent = (json.loads(line) for line in out)
    assert first["file"].endswith("measurements.flac")
    assert "7 mm" in first["text"] and "3.2 x 2 cm" in first["text"]
    assert set(first["words"][0]) == {"word", "start", "end", "probability"}
    assert len(first["segments"]) == 2
    # each segment says what to confirm, with spans into its own text
    for segment in first["segments"]:
        for flag in segment["flags"]:
            assert set(flag) == {"start", "end", "word", "probability", "reason"}
            assert segment["text"][flag["start"] : flag["end"]] == flag["word"]
    assert silent == {
        "file": str(EXAMPLES / "silence.flac"),
        "text": "",
        "segments": [],
        "words": [],
    }


@pytest.mark.slow
def test_files_transcribed_two_at_once_print_in_order_as_one_by_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    files = [EXAMPLES / n for n in ("spine.flac", "heart_normal.flac", "recall.flac")]
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not audio")
    printed = []
    for workers in ("1", "2"):
        args = ["transcribe", *map(str, files[:2]), str(broken), str(files[2])]
        code = main([*args, "--template", "chest_xr", "--workers", workers])
        captured = capsys.readouterr()
        assert code == 3 and "broken.wav" in captured.err  # the others are still transcribed
        printed.append(captured.out.splitlines())
    assert printed[0] == printed[1] and len(printed[1]) == 3
    assert "L4-5" in printed[1][0] and "heart" in printed[1][1].lower()


@pytest.mark.slow
def test_transcribe_plain_text_and_a_missing_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["transcribe", str(EXAMPLES / "spine.flac"), str(tmp_path / "missing.wav")])
    captured = capsys.readouterr()
    assert code == 3
    assert "L4-5" in captured.out
    assert "missing.wav" in captured.err and "Traceback" not in captured.err


@pytest.mark.slow
def test_dictate_fills_the_template(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code = main(
        [
            "dictate",
            str(EXAMPLES / "cxr_dictation.flac"),
            "--template",
            "chest_xr",
            "--out",
            str(out),
            "--id",
            "demo-1",
            "--procedure",
            "XR CHEST PA AND LATERAL",
        ]
    )
    assert code == 0, capsys.readouterr().err
    report = loads_record(out.read_text())
    assert report.id == "demo-1" and report.template == "chest_xr"
    findings = report.section("findings").text
    # the speaker pauses between the sentences but says no punctuation there: a full stop or a
    # comma is the recogniser's choice
    assert re.match(r"There is a small left pleural effusion[.,] [Nn]o pneumothorax\.", findings)
    assert "Lines and tubes: No lines or tubes." in findings
    assert report.section("impression").text == "Small left pleural effusion. No acute disease."
    assert report.section("examination").text == "XR CHEST PA AND LATERAL"


@pytest.mark.slow
def test_dictate_does_a_command_said_at_the_end_of_an_utterance(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "Small left pleural effusion. Delete last sentence." in one breath: the command was typed
    # into the findings as "Delete left hemidiaphragm period."
    from reporting.dictation import DictationSession
    from reporting.templating import load_template

    out = tmp_path / "report.json"
    clip = str(EXAMPLES / "command_at_end.flac")
    assert main(["dictate", clip, "--template", "chest_xr", "--out", str(out)]) == 0
    report = loads_record(out.read_text())
    said = DictationSession(load_template("chest_xr"))
    said.apply("Small left pleural effusion. Delete last sentence.")
    assert report.section("findings").text == said.draft.section("findings").text
    assert not re.search(r"delete|small left|hemidiaphragm", report.text, re.IGNORECASE)


@pytest.mark.slow
def test_dictate_redoes_what_undo_took_back(tmp_path: Path) -> None:
    # "Go to impression." "Small left pleural effusion." "Undo." "Redo.", each said alone
    out = tmp_path / "report.json"
    clip = str(EXAMPLES / "undo_redo.flac")
    assert main(["dictate", clip, "--template", "chest_xr", "--out", str(out)]) == 0
    report = loads_record(out.read_text())
    assert report.section("impression").text == "Small left pleural effusion."
    assert "redo" not in report.text.lower()


@pytest.mark.slow
def test_recall_finds_the_terms_a_single_decode_mishears(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    clip = str(EXAMPLES / "recall.flac")
    assert main(["transcribe", clip, "--template", "chest_xr", "--no-recall"]) == 0
    once = capsys.readouterr().out.lower()
    assert "granulomatous" not in once and "sternotomy" not in once
    assert main(["transcribe", clip, "--template", "chest_xr"]) == 0
    twice = capsys.readouterr().out
    assert re.fullmatch(
        r"Sequelae? of prior granulomatous disease\. Median sternotomy wires are intact\.\n", twice
    )
    # recall off in config.toml is the same as --no-recall
    config = isolated_home / "config" / "reporting" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[asr]\nrecall = false\n")
    assert main(["transcribe", clip, "--template", "chest_xr"]) == 0
    assert capsys.readouterr().out.lower() == once


def test_dictate_needs_audio_or_a_device(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dictate", "--template", "chest_xr"]) == 4
    assert "AUDIO" in capsys.readouterr().err


def test_dictate_with_an_unknown_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dictate", str(EXAMPLES / "spine.flac"), "--template", "no_such_template"]) == 4
    assert "no_such_template" in capsys.readouterr().err


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("transcribe", "dictate", "devices"):
        assert main([command, "--help"]) == 0
        assert "Usage:" in capsys.readouterr().out


@pytest.mark.slow
def test_speech_with_no_words_heard_is_reported_not_lost_silently(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clip = str(EXAMPLES / "no_words.flac")  # "Undo." that Whisper base hears nothing in
    assert main(["transcribe", clip, "--template", "chest_xr"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == ""
    assert re.search(r"no_words\.flac: 0\.\d-\d\.\d s sounded like speech but no words", err)
    report = tmp_path / "r.json"
    assert main(["dictate", clip, "--template", "chest_xr", "--out", str(report)]) == 0
    assert "say it again" in capsys.readouterr().err
    assert report.is_file()


@pytest.mark.slow
def test_a_negated_list_said_with_pauses_stays_negated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reporting.nlp import analyze

    # Whisper base writes the pauses at this clip's commas as full stops ("No fractures.
    # Dislocations or bone destruction."), which would read the findings as present
    clip = str(EXAMPLES / "negated_list.flac")
    report = tmp_path / "r.json"
    assert main(["dictate", clip, "--template", "chest_xr", "--out", str(report)]) == 0
    err = capsys.readouterr().err
    findings = loads_record(report.read_text()).section("findings")
    assert findings is not None
    text = findings.text.lower()
    assert "no focal consolidation, large pleural effusion" in text
    assert "no fractures, dislocations" in text
    read = {m.concept: m.negated for m in analyze(findings.text).mentions}
    assert read["pneumothorax"] and read["pleural_effusion"] and read["dislocation"]
    assert main(["transcribe", clip, "--template", "chest_xr", "--json"]) == 0
    (segment,) = json.loads(capsys.readouterr().out)["segments"]
    if ". Large pleural" in segment["raw"]:  # heard with the full stop: joined and flagged
        assert "is negated too" in err
        assert "joined_list" in {f["reason"] for f in segment["flags"]}


def _dictated_findings(
    tmp_path: Path, clip: str, template: str, section: str = "findings"
) -> Section:
    """The findings (or another ``section``) of ``reporting dictate`` run on the example
    ``clip`` in ``template``."""
    report = tmp_path / "r.json"
    audio = str(EXAMPLES / f"{clip}.flac")
    assert main(["dictate", audio, "--template", template, "--out", str(report)]) == 0
    found = loads_record(report.read_text()).section(section)
    assert found is not None
    return found


@pytest.mark.slow
def test_new_paragraph_said_on_its_own_starts_a_paragraph(tmp_path: Path) -> None:
    # Whisper base, primed with report text, writes this "new paragraph" as "Euparadraft";
    # heard again with the break prompt it is the break that was said
    findings = _dictated_findings(tmp_path, "breaks", "chest_xr")
    first, second = findings.text.split("\n\n")
    assert first.endswith("pleural effusion.") and second.startswith("Heart size")


@pytest.mark.slow
def test_words_copied_from_the_prompt_never_reach_the_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "Lung volumes are low." that Whisper base, primed with the default prompt, wrote as that
    # prompt's "No pleural effusion." at probability ~0: a finding never said
    clip = str(EXAMPLES / "prompt_copy.flac")
    assert main(["transcribe", clip]) == 0
    out, err = capsys.readouterr()
    assert "effusion" not in out.lower() and "acute" not in out.lower()
    assert out.strip() or "say it again" in err


@pytest.mark.slow
def test_a_short_sentence_about_an_organ_is_dictated_not_a_command(tmp_path: Path) -> None:
    # "Heart normal." is as alike in letters to "insert normal" as a misheard command; it
    # once inserted the whole normal findings text ("Lungs: Clear. ... No pleural effusion")
    findings = _dictated_findings(tmp_path, "heart_normal", "chest_xr")
    assert findings.text.startswith("Heart normal.")
    assert "effusion" not in findings.text and "Lines and tubes" not in findings.text


@pytest.mark.slow
def test_field_values_said_after_the_field_name_fill_the_fields(tmp_path: Path) -> None:
    # the recogniser writes them as sentences ("Postvoid residual 50 mL."), which went to the
    # findings prose and wiped the template's normal kidney descriptions
    findings = _dictated_findings(tmp_path, "renal_lengths", "us_renal")
    values = {f.id: f.value for f in findings.fields}
    assert values["right_kidney_length"] == 11.2 and values["left_kidney_length"] == 10.5
    assert values["postvoid_volume"] == 50
    assert str(values["right_kidney"]).startswith("Normal echogenicity")


@pytest.mark.slow
def test_a_field_name_no_report_sentence_holds_is_heard(tmp_path: Path) -> None:
    # "uterine length" is in no phrasebook sentence: with nothing to recall for it, the second
    # decode wrote "Eugaring length 9.8 cm." and the field stayed empty
    findings = _dictated_findings(tmp_path, "pelvis_fields", "us_pelvis_female")
    values = {f.id: f.value for f in findings.fields}
    assert values["uterus_length"] == 9.8 and values["endometrial_thickness"] == 8
    assert values["free_fluid"] == "trace, physiologic"


@pytest.mark.slow
def test_a_numbered_impression_said_number_one_number_two_is_a_numbered_list(
    tmp_path: Path,
) -> None:
    # Whisper writes "number one" as "Number 1." or as the numero sign "No. 1.", which reads
    # as a negation of the finding after it
    impression = _dictated_findings(tmp_path, "numbered_impression", "chest_xr", "impression")
    assert impression.text.startswith("1. Small left pleural effusion. 2. No pneumothorax")
