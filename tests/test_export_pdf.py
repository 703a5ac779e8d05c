"""PDF export: text with Unicode, signature block, page numbers, watermark, reproducible bytes."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from conftest import need_tool
from export_helpers import CLOCK, sample_report

from reporting.export import to_pdf
from reporting.export.pdf import font_path
from reporting.model import Patient, Report, Status


def _pdftotext(tmp_path: Path, pdf: bytes) -> str:
    tool = need_tool("pdftotext")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    run = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return run.stdout.decode("utf-8")


def test_final_pdf_has_header_sections_signature_and_unicode(tmp_path: Path) -> None:
    text = _pdftotext(tmp_path, to_pdf(sample_report(), clock=CLOCK))
    for expected in (
        "Müller, Zoë",
        "CT CHEST WITH CONTRAST (CT)",
        "accession A2026-1",
        "5 mm × 3 mm",
        "10 µGy",
        "Cough | fever ^ weight loss ~ 3 kg \\ & night sweats.",
        "IMPRESSION",
        "FINAL - electronically signed by Smith, John on 2026-11-28 09:30 +01:00",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert "DRAFT" not in text and "PRELIMINARY" not in text


def test_not_final_pdf_carries_watermark(tmp_path: Path) -> None:
    for status in (Status.DRAFT, Status.PRELIMINARY):
        report = dataclasses.replace(sample_report(), status=status)
        text = _pdftotext(tmp_path, to_pdf(report, clock=CLOCK))
        assert text.count(status.value.upper()) >= 2  # watermark, status line, footer
        assert "not signed" in text


def test_long_report_is_numbered_page_x_of_y(tmp_path: Path) -> None:
    body = "\n\n".join(
        f"Paragraph {i}: the lungs are clear without focal consolidation." for i in range(120)
    )
    report = Report.from_text(f"FINDINGS:\n{body}", id="long", patient=Patient(name="Long^Report"))
    text = _pdftotext(tmp_path, to_pdf(report, clock=CLOCK))
    assert "Page 1 of 3" in text or "Page 1 of 4" in text
    pages = text.count("Page ")
    assert f"Page {pages} of {pages}" in text
    assert "Paragraph 119:" in text


def test_same_clock_gives_identical_bytes() -> None:
    assert to_pdf(sample_report(), clock=CLOCK) == to_pdf(sample_report(), clock=CLOCK)


def test_embedded_font_is_dejavu_from_an_installed_package() -> None:
    path = font_path()
    assert path.name == "DejaVuSans.ttf" and path.is_file()
    assert b"DejaVuSans" in to_pdf(sample_report(), clock=CLOCK)
