"""The TUI's non-UI parts: worklists (JSON and DICOM), audit log, configuration, editing."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from reporting.errors import ConfigError, IngestError
from reporting.model import Laterality, Report, Section, Sex
from reporting.tui.audit import AuditLog
from reporting.tui.config import DEFAULT_KEYS, load_config
from reporting.tui.drafts import DraftState, DraftStore
from reporting.tui.editing import (
    location_to_offset,
    offset_to_location,
    parse_value,
    read_field,
    replace_section_text,
    write_field,
)
from reporting.tui.worklist import load_worklist

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "worklist.json"


# ---------------------------------------------------------------- worklist
def test_example_worklist_has_one_study_per_major_template() -> None:
    worklist = load_worklist(EXAMPLE)
    assert len(worklist.entries) >= 5
    first = worklist.find("ACC1001")
    assert first is not None
    assert first.display_name == "Müller, Zoë"
    assert first.sex is Sex.FEMALE
    knee = worklist.find("ACC1002")
    assert knee is not None and knee.laterality is Laterality.LEFT and knee.modality == "MR"


def test_worklist_filter_matches_every_word_case_insensitively() -> None:
    worklist = load_worklist(EXAMPLE)
    assert [e.accession for e in worklist.filter("knee LEFT")] == ["ACC1002"]
    assert [e.accession for e in worklist.filter("müller")] == ["ACC1001"]
    assert worklist.filter("knee right") == []


def test_worklist_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "wl.json"
    path.write_text(json.dumps({"studies": [{"accession": "A1", "pateint_name": "X"}]}))
    with pytest.raises(IngestError, match=r"wl\.json: studies\[0\]: unknown key 'pateint_name'"):
        load_worklist(path)


@pytest.mark.parametrize(
    ("study", "message"),
    [
        ({"patient_name": "X"}, "'accession' is required"),
        ({"accession": "A1", "sex": "Q"}, "sex must be"),
        ({"accession": "A1", "date": "yesterday"}, "not a date"),
        ({"accession": "A1", "laterality": "up"}, "laterality must be"),
    ],
)
def test_worklist_bad_values_are_clear_errors(tmp_path: Path, study: dict, message: str) -> None:
    path = tmp_path / "wl.json"
    path.write_text(json.dumps({"studies": [study]}))
    with pytest.raises(IngestError, match=message):
        load_worklist(path)


def test_worklist_missing_file_and_broken_json(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not found"):
        load_worklist(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(IngestError, match="broken.json: invalid JSON"):
        load_worklist(broken)


def _write_dicom(path: Path, **tags: str) -> None:
    from pydicom import Dataset
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # digital X-ray
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.save_as(path, enforce_file_format=True)


def test_worklist_from_a_dicom_folder(tmp_path: Path) -> None:
    folder = tmp_path / "dicom"
    folder.mkdir()
    common = {
        "PatientName": "Søndergaard^Åse",
        "PatientID": "P9",
        "PatientBirthDate": "19700102",
        "PatientSex": "F",
        "AccessionNumber": "DX77",
        "Modality": "DX",
        "StudyDescription": "XR HAND LEFT 2 VIEWS",
        "BodyPartExamined": "HAND",
        "StudyDate": "20261128",
        "StudyInstanceUID": "1.2.3.4.5",
    }
    _write_dicom(folder / "img1.dcm", **common)
    _write_dicom(folder / "img2.dcm", **common, ImageLaterality="L")
    _write_dicom(
        folder / "other.dcm",
        **{
            **common,
            "AccessionNumber": "CT5",
            "StudyInstanceUID": "1.2.3.9",
            "Modality": "CT",
            "StudyDescription": "CT HEAD",
        },  # fmt: skip
    )
    (folder / "notes.txt").write_text("not dicom")
    worklist = load_worklist(folder)
    assert sorted(e.accession for e in worklist.entries) == ["CT5", "DX77"]
    hand = worklist.find("DX77")
    assert hand is not None
    assert hand.patient_name == "Søndergaard^Åse"
    assert hand.laterality is Laterality.LEFT  # from the image that states it
    assert hand.birth_date is not None and hand.birth_date.isoformat() == "1970-01-02"
    assert hand.study_description == "XR HAND LEFT 2 VIEWS" and hand.body_part == "HAND"
    assert any(s.endswith("notes.txt") for s in worklist.skipped)


def test_empty_dicom_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(IngestError, match="no DICOM studies"):
        load_worklist(tmp_path)


# ---------------------------------------------------------------- audit
def test_audit_log_is_private_append_only_and_keeps_no_report_text(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, user="Dr Ünal")
    log.record("created", "A1", template="chest_xr")
    log.record("dictated", "A1", length=42)
    first = path.read_bytes()
    log.record(
        "qa_override", "A1", reason="clinically confirmed left", codes=["laterality.order_mismatch"]
    )
    assert path.read_bytes().startswith(first)  # earlier lines untouched
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = log.read()
    assert [r["event"] for r in rows] == ["created", "dictated", "qa_override"]
    assert all(r["user"] == "Dr Ünal" and r["accession"] == "A1" and r["time"] for r in rows)
    assert rows[1] == {**rows[1], "length": 42}
    with pytest.raises(ValueError, match="unknown audit event"):
        log.record("deleted", "A1")


# ---------------------------------------------------------------- config
def test_config_defaults_and_overrides(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml").keys == DEFAULT_KEYS
    path = tmp_path / "config.toml"
    path.write_text(
        '[tui]\nuser = "Dr Zoë"\n[tui.keys]\ndictate = "f12, ctrl+d"\n[templates]\npaths = []\n'
    )
    config = load_config(path)
    assert config.user == "Dr Zoë"
    assert config.key("dictate") == "f12,ctrl+d"
    assert config.key("sign") == DEFAULT_KEYS["sign"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tui]\nusr = "x"\n', "unknown key tui.usr"),
        ('[tui.keys]\nfly = "f2"\n', "unknown key tui.keys.fly"),
        ('[tui.keys]\nsign = ""\n', "tui.keys.sign must be a key name"),
        ("[tui\n", "config.toml"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


# ---------------------------------------------------------------- editing helpers
def test_field_lines_are_read_and_written_in_place() -> None:
    text = "Normal study.\nLungs: Clear.\nPleura: No effusion."
    assert read_field(text, "Lungs") == "Clear."
    changed = write_field(text, "Lungs", "Left lower lobe consolidation.")
    assert changed == "Normal study.\nLungs: Left lower lobe consolidation.\nPleura: No effusion."
    assert write_field(changed, "Heart", "Normal.").endswith("\nHeart: Normal.")
    assert write_field(changed, "Lungs", "") == "Normal study.\nPleura: No effusion."
    assert read_field(text, "Heart") is None


def test_offsets_and_locations_round_trip() -> None:
    text = "ab\ncde\n\nf"
    for offset in range(len(text) + 1):
        assert location_to_offset(text, offset_to_location(text, offset)) == offset
    assert offset_to_location(text, 4) == (1, 1)


def test_parse_value_by_field_type() -> None:
    assert parse_value("number", "12 mm", "mm") == 12
    assert parse_value("number", "4.5") == 4.5
    assert parse_value("number", "many") is None
    assert parse_value("checkbox", "yes") is True
    assert parse_value("checkbox", "No") is False
    assert parse_value("checkbox", "maybe") is None  # was a silent False
    assert parse_value("text", "  ") is None


def test_replace_section_text_recomposes_offsets() -> None:
    report = Report.from_sections(
        [Section("findings", "Old."), Section("impression", "Fine.")], id="r"
    )
    new = replace_section_text(report, "findings", "Much longer findings text.")
    imp = new.section("impression")
    assert imp is not None and imp.start is not None
    assert new.text[imp.start : imp.start + len(imp.text)] == "Fine."


# ---------------------------------------------------------------- drafts
def test_draft_store_states(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    assert store.state("A/1") is DraftState.NEW
    report = Report.from_sections([Section("findings", "x")], id="A/1", study={"accession": "A/1"})
    path = store.save(report)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent.name == "A_1"
    assert store.state("A/1") is DraftState.DRAFT
    store.files("A/1").journal.write_text(
        '{"type": "start", "report": {"text": "x"}}\n{"type": "utterance"}\n'
    )
    assert store.state("A/1") is DraftState.RECOVERABLE
    store.save(report.with_status("final", verifier="Dr X"))
    assert store.state("A/1") is DraftState.FINAL


# ---------------------------------------------------------------- CLI
def test_tui_command_help_and_early_errors(tmp_path: Path, capsys, isolated_home: Path) -> None:
    from reporting.cli import main

    assert main(["tui", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--audio-file" in out and "--fake-asr" in out and "toggle" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"studies": [{"accession": "A", "colour": "red"}]}')
    assert main(["tui", "--worklist", str(bad)]) == 4
    assert "unknown key 'colour'" in capsys.readouterr().err
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"RIFF")
    assert main(["tui", "--audio-file", str(wav), "--audio-device", "USB"]) == 4
    assert "not both" in capsys.readouterr().err
    config = isolated_home / "config" / "reporting" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[tui.keys]\nteleport = 'f3'\n")
    assert main(["tui"]) == 4
    assert "tui.keys.teleport" in capsys.readouterr().err


def test_worklist_from_real_dicom_files_skips_reports() -> None:
    from tests.conftest import shared_path

    folder = shared_path("external", "sr", "highdicom_testdata")
    worklist = load_worklist(folder)
    assert sorted(e.modality for e in worklist.entries) == [
        "CT",
        "DX",
    ]  # the SR documents are not studies
    dx = next(e for e in worklist.entries if e.modality == "DX")
    assert dx.patient_name == "Dog^AVeryGood" and dx.body_part == "THORAX"
    assert dx.laterality is Laterality.LEFT


# ---------------------------------------------------------------- recall in live dictation
def test_live_dictation_revises_with_the_templates_phrases_and_the_site_phrases(
    isolated_home: Path,
) -> None:
    from reporting.asr import FakeTranscriber, build_pipeline
    from reporting.asr.phrases import write_phrases
    from reporting.asr.recall import RecallingTranscriber
    from reporting.templating import load_template
    from reporting.tui.listen import DictationController

    engine = FakeTranscriber()
    pipeline = build_pipeline(spec=load_template("chest_xr"))
    write_phrases(
        isolated_home / "data" / "reporting" / "phrases.json", [("Site-only sentence here.", 1)]
    )
    reviser = DictationController._reviser(engine, pipeline).transcriber  # in a CommandTail
    assert isinstance(reviser, RecallingTranscriber) and reviser.transcriber is engine
    prompt = reviser.recall("Site only sentence hear", pipeline.prompt)
    assert (
        prompt is not None and "No acute cardiopulmonary disease. Site-only sentence here" in prompt
    )
    # and the template's fields, as dictated: "uterine length" is in no report sentence
    pelvis = build_pipeline(spec=load_template("us_pelvis_female"))
    recalling = DictationController._reviser(engine, pelvis).transcriber
    prompt = recalling.recall("U-turn lens 9.8 centimeters.", pelvis.prompt)
    assert prompt is not None and "Uterine length measured in cm." in prompt
    config = isolated_home / "config" / "reporting" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[asr]\nrecall = false\n")
    assert DictationController._reviser(engine, pipeline).transcriber is engine  # no recall


def test_each_final_is_recalled_then_listened_to_for_a_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    from reporting.asr import FakeTranscriber, build_pipeline
    from reporting.asr.command_tail import CommandTail
    from reporting.asr.phrases import Phrasebook
    from reporting.asr.recall import RecallingTranscriber
    from reporting.templating import load_template
    from reporting.tui.listen import DictationController

    pipeline = build_pipeline(spec=load_template("chest_xr"))
    live = FakeTranscriber([])
    reviser = DictationController._reviser(live, pipeline)
    assert isinstance(reviser, CommandTail)
    assert isinstance(reviser.transcriber, RecallingTranscriber)
    # recall off (config.toml): the final is still listened to for a command at its end, and
    # with neither, nothing revises
    monkeypatch.setattr("reporting.asr.phrases.phrasebook_for", lambda *a, **k: Phrasebook())
    reviser = DictationController._reviser(live, pipeline)
    assert isinstance(reviser, CommandTail) and reviser.transcriber is live
    silent = dataclasses.replace(
        pipeline, vocabulary=dataclasses.replace(pipeline.vocabulary, command_prompt="")
    )
    assert DictationController._reviser(live, silent) is None


def _replayer(said: str) -> tuple[Any, Any]:
    """A controller whose one recent utterance heard ``said`` over ten seconds of audio
    whose samples are their own indexes, and its words."""
    import numpy as np

    from reporting.asr.fake import transcript_from_text
    from reporting.tui.listen import _Recent

    words = transcript_from_text(said).words
    audio = np.arange(16_000 * 10, dtype=np.float32)
    return SimpleNamespace(recent=[_Recent(audio, tuple(words))]), words


def _replayed(controller: Any, word: str) -> Any:
    from reporting.tui.listen import DictationController

    return DictationController.word_audio(controller, word)


def test_replay_finds_one_word_or_a_joined_list_with_the_pause_before_it() -> None:
    controller, words = _replayer("No focal consolidation. Large pleural effusion or pneumothorax.")
    one = _replayed(controller, "pneumothorax")
    assert one is not None and one[0] == int((words[-1].start - 0.15) * 16_000)
    many = _replayed(controller, "large pleural effusion or pneumothorax")
    # from the word before the list ("consolidation.") to the list's last word
    assert many is not None
    assert many[0] == max(0, int((words[2].start - 0.15) * 16_000))
    assert many[-1] == int((words[-1].end + 0.15) * 16_000) - 1
    assert _replayed(controller, "small effusion") is None


def test_replay_finds_the_heard_words_of_a_rewritten_flag() -> None:
    controller, words = _replayer("And the regular hypoechoic lesion. Small plural effusion.")
    # "An irregular" was written for "And the regular": those three words are played
    opposite = _replayed(controller, "An irregular")
    assert opposite is not None
    assert opposite[0] == max(0, int((words[0].start - 0.15) * 16_000))
    assert opposite[-1] == int((words[2].end + 0.15) * 16_000) - 1
    pleural = _replayed(controller, "pleural")
    assert pleural is not None and pleural[0] == int((words[6].start - 0.15) * 16_000)
