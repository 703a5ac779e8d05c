"""``reporting export``: every --to value, --to all, --study, and clear errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pydicom
import pytest
from conftest import need_tool, shared_path
from export_helpers import GOLDEN

from reporting.cli import main

RECORD = GOLDEN / "record_r1.json"


@pytest.mark.parametrize(
    ("fmt", "name", "magic"),
    [
        ("sr", "r.dcm", b"DICM"),
        ("encapsulated-pdf", "r.pdf.dcm", b"DICM"),
        ("hl7", "r.hl7", b"MSH|"),
        ("pdf", "r.pdf", b"%PDF-"),
        ("fhir", "r.json", b"{"),
        ("text", "r.txt", b"Patient:"),
    ],
)
def test_each_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, name: str, magic: bytes
) -> None:
    out = tmp_path / name
    assert main(["export", str(RECORD), "--to", fmt, "-o", str(out)]) == 0
    data = out.read_bytes()
    assert magic in data[:200]
    assert str(out) in capsys.readouterr().out
    if fmt in ("sr", "encapsulated-pdf"):
        run = subprocess.run([need_tool("dciodvfy"), str(out)], capture_output=True, text=True)
        assert run.returncode == 0 and "Error" not in run.stdout + run.stderr
    if fmt == "fhir":
        assert json.loads(data)["resourceType"] == "Bundle"


def test_all_into_folder(tmp_path: Path) -> None:
    out = tmp_path / "outbox"
    assert main(["export", str(RECORD), "--to", "all", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "r1.fhir.json",
        "r1.hl7",
        "r1.pdf",
        "r1.sr.dcm",
        "r1.txt",
    ]


def test_study_option_refuses_image_of_another_study(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = shared_path("external", "sr", "highdicom_testdata", "ct_image.dcm")
    out = tmp_path / "r.dcm"
    assert main(["export", str(RECORD), "--to", "sr", "-o", str(out), "--study", str(image)]) == 4
    assert "another study" in capsys.readouterr().err
    assert not out.exists()


def test_study_option_copies_header_and_references_image(tmp_path: Path) -> None:
    image = shared_path("external", "sr", "highdicom_testdata", "ct_image.dcm")
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    del record["study"]
    del record["patient"]["id"]
    src = tmp_path / "rec.json"
    src.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "r.dcm"
    assert main(["export", str(src), "--to", "sr", "-o", str(out), "--study", str(image)]) == 0
    ds = pydicom.dcmread(out)
    header = pydicom.dcmread(image, stop_before_pixels=True)
    assert ds.StudyInstanceUID == header.StudyInstanceUID
    assert "CurrentRequestedProcedureEvidenceSequence" in ds


def test_bad_record_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "text": "a", "colour": 1}', encoding="utf-8")
    assert main(["export", str(bad), "--to", "text", "-o", str(tmp_path / "x.txt")]) == 4
    err = capsys.readouterr().err
    assert "colour" in err and len(err.strip().splitlines()) == 1


def test_unknown_format_is_usage_error(tmp_path: Path) -> None:
    assert main(["export", str(RECORD), "--to", "docx", "-o", str(tmp_path / "x")]) == 2


def test_not_dicom_study_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"not dicom at all")
    assert (
        main(
            [
                "export",
                str(RECORD),
                "--to",
                "sr",
                "-o",
                str(tmp_path / "x.dcm"),
                "--study",
                str(junk),
            ]
        )
        == 4
    )
    assert "cannot read the study image" in capsys.readouterr().err


def test_timestamp_and_uid_root_make_output_reproducible(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        args = [
            "export",
            str(RECORD),
            "--to",
            "all",
            "-o",
            str(out),
            "--timestamp",
            "2026-11-28T10:00:00+01:00",
        ]
        assert main([*args, "--uid-root", "1.2.826.0.1.3680043.8.498.7"]) == 0
        runs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert runs[0] == runs[1]
    assert b"20261128100000+0100" in runs[0]["r1.hl7"]
    assert (
        main(
            [
                "export",
                str(RECORD),
                "--to",
                "text",
                "-o",
                str(tmp_path / "x"),
                "--timestamp",
                "noon",
            ]
        )
        == 2
    )
