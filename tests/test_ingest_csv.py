"""CSV/TSV reader: column auto-detection, explicit columns, delimiters, encodings, bad rows."""

from __future__ import annotations

import gzip
from pathlib import Path

from reporting.ingest import CsvColumns, IngestOptions, ItemStream, iter_items


def _items(path: Path, **options: object) -> list:
    return list(iter_items([path], options=IngestOptions(**options)))  # type: ignore[arg-type]


def test_common_column_names_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Accession Number,Report Text,Study Description,Patient Sex,Age,Radiologist,Study Date\n"
        'A100,"FINDINGS: Left knee effusion.\nIMPRESSION: Effusion.",XR KNEE LEFT,F,54,Dr Who,2025-03-02\n'
        "A101,IMPRESSION: Normal.,XR KNEE RIGHT,M,61,Dr Who,20250304\n",
        encoding="utf-8",
    )
    first, second = _items(path)
    assert first.source == f"{path}:2" and second.source == f"{path}:4"  # quoted newline: 2 lines
    r = first.report
    assert (r.id, r.procedure.description, r.sex.value, r.age, r.author) == (
        "A100",
        "XR KNEE LEFT",
        "F",
        54,
        "Dr Who",
    )
    assert r.study.date.isoformat() == "2025-03-02"
    assert r.section("findings").text == "Left knee effusion."
    assert second.report.study.date.isoformat() == "2025-03-04"


def test_findings_and_impression_columns_are_composed(tmp_path: Path) -> None:
    path = tmp_path / "split.csv"
    path.write_text("id;findings;impression\nk1;Lungs clear.;Normal chest.\n", encoding="utf-8")
    (item,) = _items(path)
    assert item.report.text == "FINDINGS: Lungs clear.\nIMPRESSION: Normal chest.\n"
    assert item.report.section("impression").text == "Normal chest."


def test_explicit_columns_win_and_missing_ones_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text(
        "key,body_x,text\nq1,IMPRESSION: chosen.,IMPRESSION: not this.\n", encoding="utf-8"
    )
    (item,) = _items(path, columns=CsvColumns(id="key", text="body_x"))
    assert (item.report.id, item.report.text) == ("q1", "IMPRESSION: chosen.")
    (bad,) = _items(path, columns=CsvColumns(text="narrative_col"))
    assert (
        bad.report is None and "no column 'narrative_col'" in bad.error and "'body_x'" in bad.error
    )


def test_no_text_column_is_one_error_for_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.csv"
    path.write_text("id,colour\n1,red\n", encoding="utf-8")
    (item,) = _items(path)
    assert "no report text column" in item.error and "--text-col" in item.error


def test_tsv_defaults_latin1_cells_and_row_ids(tmp_path: Path) -> None:
    path = tmp_path / "rows.tsv"
    path.write_bytes(b"report\tmodality\nIMPRESSION: Caf\xe9 normal.\t\nIMPRESSION: Ok.\tMR\n")
    stream = ItemStream([path], options=IngestOptions(modality="CT"))
    first, second = list(stream)
    assert first.report.id == "rows:2" and first.report.text == "IMPRESSION: Café normal."
    assert first.report.modality == "CT" and second.report.modality == "MR"
    assert stream.warnings == [(f"{path}:2", "not UTF-8; decoded as Latin-1")]


def test_bad_rows_are_error_items_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "ages.csv.gz"
    body = "id,text,age\nb1,IMPRESSION: Normal.,forty\nb2,IMPRESSION: Normal.,40\n\nb3,IMPRESSION: x,200\n"
    path.write_bytes(gzip.compress(body.encode()))
    items = _items(path)
    assert "age 'forty' is not a number" in items[0].error
    assert items[1].report.age == 40
    assert items[2].source == f"{path}:5" and "plausible age" in items[2].error
