"""Plain-text export and export_all (every format, atomic, nothing written on failure)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pydicom
import pytest
from export_helpers import CLOCK, check_golden, sample_report, uids

from reporting.errors import ExportError
from reporting.export import export_all, to_text
from reporting.model import Patient


def test_text_export_golden() -> None:
    text = to_text(sample_report())
    assert text.startswith("Patient:")
    assert sample_report().text.rstrip("\n") in text
    check_golden("r1.txt", text)


def test_export_all_writes_every_format(tmp_path: Path) -> None:
    paths = export_all(sample_report(), tmp_path / "out", clock=CLOCK, uid_factory=uids())
    assert set(paths) == {"sr", "hl7", "pdf", "fhir", "text"}
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    assert pydicom.dcmread(paths["sr"]).Modality == "SR"
    assert paths["hl7"].read_bytes().startswith(b"MSH|^~\\&|")
    assert all(p.name.startswith("r1.") for p in paths.values())


def test_export_all_writes_nothing_when_one_format_fails(tmp_path: Path) -> None:
    report = dataclasses.replace(sample_report(), patient=Patient(name="No^Id"))  # HL7 needs PID-3
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="patient id"):
        export_all(report, out, clock=CLOCK, uid_factory=uids())
    assert not out.exists() or list(out.iterdir()) == []


def test_failed_write_leaves_previous_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporting.export import files

    out = tmp_path / "out"
    out.mkdir()
    (out / "r1.txt").write_text("previous", encoding="utf-8")

    def boom(report, fmt, **kwargs):  # noqa: ANN001, ANN003, ANN202
        if fmt == "text":
            raise ExportError("disk on fire")
        return b"x"

    monkeypatch.setattr(files, "render", boom)
    with pytest.raises(ExportError):
        export_all(sample_report(), out, clock=CLOCK, uid_factory=uids())
    assert (out / "r1.txt").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in out.iterdir()) == ["r1.txt"]


def test_import_export_package_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, reporting.export; print(' '.join(sys.modules))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert not loaded & {"pydicom", "highdicom", "reportlab", "hl7apy", "fhir", "matplotlib"}
