"""Batch runner with the real QA engine: error rows, stable order, stats, outputs, summary HTML."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reporting.batch import (
    BatchOptions,
    Progress,
    Stats,
    WorkOptions,
    render_summary,
    run_batch,
    write_csv,
    write_parquet,
)
from reporting.errors import BatchError
from reporting.model import Issue, Report

pytest.importorskip("reporting.qa")

FLAGGED = {
    "id": "lat-1",
    "text": "EXAMINATION: XR KNEE LEFT\nFINDINGS: Joint effusion in the right knee.\n"
    "IMPRESSION: Right knee effusion.\n",
    "procedure": "XR KNEE LEFT",
    "modality": "DX",
    "laterality": "left",
    "author": "Dr Able",
    "study": {"date": "2025-04-09", "accession": "ACC99123"},
    "patient": {"name": "Doe^Jane", "id": "MRN445566"},
}


def _records(iu_records: list[dict], n: int) -> list[dict]:
    return iu_records[:n]


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, iu_records: list[dict]) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    _jsonl(folder / "a.jsonl", [*_records(iu_records, 120), FLAGGED])
    bad = folder / "b.jsonl"
    bad.write_bytes(
        b'{"id": "broken", "text": \n'
        + json.dumps({"id": "empty", "text": ""}).encode()
        + b"\n"
        + json.dumps({"id": "nosec", "sections": []}).encode()
        + b"\n"
        + json.dumps(
            {"id": "ctrl", "text": "FINDINGS: Lungs\x00 clear\x07.\nIMPRESSION: Normal."}
        ).encode()
        + b"\n"
        + b'{"id": "latin", "text": "IMPRESSION: Caf\xe9 normal."}\n'
        + json.dumps({"id": "huge", "text": "FINDINGS: " + "normal lungs. " * 800_000}).encode()
        + b"\n"
    )
    (folder / "c.txt").write_text("FINDINGS: Left lower lobe consolidation.\n", encoding="utf-8")
    (folder / "d.bin.jsonl").write_bytes(bytes(range(256)) * 4)
    return folder


@pytest.fixture(scope="module")
def clean_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Stats]:
    out = tmp_path_factory.mktemp("clean") / "results.jsonl"
    outcome = run_batch([str(corpus)], options=BatchOptions(partition_size=16), out=out)
    return out, outcome.stats


def test_every_input_gives_one_row_in_input_order(
    clean_run: tuple[Path, Stats], corpus: Path
) -> None:
    out, stats = clean_run
    rows = _rows(out)
    assert len(rows) == 121 + 6 + 1 + 1
    assert [r["source"] for r in rows[:3]] == [f"{corpus}/a.jsonl:{i}" for i in (1, 2, 3)]
    by_id = {r["id"]: r for r in rows if r["id"]}
    assert by_id["iu-1"]["issues"] == [] or all("code" in i for i in by_id["iu-1"]["issues"])
    lat = by_id["lat-1"]["issues"]
    assert any(i["code"].startswith("laterality.") for i in lat)
    for issue in lat:
        assert set(issue) >= {"code", "severity", "message", "start", "end", "section"}
    assert stats.reports == len(rows) and stats.errors == sum(1 for r in rows if "error" in r)


def test_bad_input_becomes_clear_error_rows(clean_run: tuple[Path, Stats], corpus: Path) -> None:
    rows = {r["source"].removeprefix(f"{corpus}/"): r for r in _rows(clean_run[0])}
    assert "invalid JSON" in rows["b.jsonl:1"]["error"] and rows["b.jsonl:1"]["id"] is None
    assert rows["b.jsonl:2"] == {
        "id": "empty",
        "source": f"{corpus}/b.jsonl:2",
        "error": "empty report (no text)",
    }
    assert rows["b.jsonl:3"]["error"] == "empty report (no text)"  # no sections, no text
    assert "issues" in rows["b.jsonl:4"]  # control characters are checked like any text
    assert "issues" in rows["b.jsonl:5"]  # Latin-1 decoded
    assert "limit is 1,000,000 (--max-chars)" in rows["b.jsonl:6"]["error"]
    assert rows["c.txt"]["id"] == "c" and "issues" in rows["c.txt"]
    assert rows["d.bin.jsonl"]["error"] == "binary data, not JSONL text"


def test_two_workers_give_the_same_output(
    clean_run: tuple[Path, Stats], corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "two.jsonl"
    outcome = run_batch([str(corpus)], options=BatchOptions(workers=2, partition_size=16), out=out)
    assert out.read_bytes() == clean_run[0].read_bytes()
    assert outcome.stats.to_json() == clean_run[1].to_json()
    assert outcome.executor == "2 local workers"


def test_workers_reading_slices_equal_shipped_reports(
    clean_run: tuple[Path, Stats], corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "shipped.jsonl"
    options = BatchOptions(partition_size=16, worker_reads=False)
    outcome = run_batch([str(corpus)], options=options, out=out)
    assert out.read_bytes() == clean_run[0].read_bytes()  # the clean run read slices
    assert outcome.stats.to_json() == clean_run[1].to_json()


def _breaking_check_many(
    reports: list[Report], **_kw: object
) -> Iterator[tuple[Report, list[Issue]]]:
    """A checker beside the real one that breaks on one report, to prove isolation."""
    from reporting.qa import check

    for report in reports:
        if "BREAK" in report.text:
            raise RuntimeError("engine bug")
        yield report, check(report)


def test_a_checker_failure_only_costs_that_report(tmp_path: Path, iu_records: list[dict]) -> None:
    records = [*_records(iu_records, 5), {"id": "boom", "text": "IMPRESSION: BREAK here."}]
    path = _jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    options = BatchOptions(work=WorkOptions(checker=_breaking_check_many))
    run_batch([str(path)], options=options, out=out)
    rows = _rows(out)
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert rows[-1]["error"] == "QA failed: RuntimeError: engine bug"
    assert all("issues" in r for r in rows[:-1])


def test_reports_the_engine_cannot_check_are_error_rows(tmp_path: Path) -> None:
    records = [{"id": "t1", "text": "IMPRESSION: Normal.", "template": "no_such_template"}]
    out = tmp_path / "out.jsonl"
    outcome = run_batch(
        [str(_jsonl(tmp_path / "in.jsonl", records))], options=BatchOptions(), out=out
    )
    (row,) = _rows(out)
    assert row["id"] == "t1" and "issues" not in row
    assert row["error"].startswith("could not be checked:") and "no_such_template" in row["error"]
    assert outcome.stats.errors == 1


def test_csv_and_parquet_outputs(clean_run: tuple[Path, Stats], tmp_path: Path) -> None:
    import csv

    pq = pytest.importorskip("pyarrow.parquet")
    results = clean_run[0]
    rows = list(csv.DictReader(write_csv(results, tmp_path / "r.csv").open(encoding="utf-8")))
    n_issues = sum(len(r.get("issues", [])) for r in _rows(results))
    assert sum(1 for r in rows if r["status"] == "flagged") == n_issues
    assert {r["status"] for r in rows} == {"ok", "flagged", "error"}
    table = pq.read_table(write_parquet(results, tmp_path / "r.parquet"))
    assert table.num_rows == len(rows) and table.column_names[:3] == ["id", "source", "status"]


def test_summary_html_counts_examples_and_escaping(clean_run: tuple[Path, Stats]) -> None:
    stats = clean_run[1]
    html = render_summary(stats, inputs=["a.jsonl"])
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "http://" not in html and "https://" not in html  # self-contained
    assert "data:image/png;base64," in html
    assert f"<b>{stats.reports:,}</b>reports" in html
    for code in stats.by_code:
        assert code in html
    assert "<mark>" in html and "By modality" in html and "By month" in html
    assert "DX" in html and "Dr Able" in html and "2025-04" in html

    evil = Stats()
    report = Report.from_text("FINDINGS: <script>alert(1)</script> left.", id="x<y>")
    evil.add(report, [Issue("a.b", "warning", "msg <b>", 10, 18)], "s.jsonl:1", redact=False)
    page = render_summary(evil)
    assert "<script>" not in page and "&lt;script&gt;" in page and "x&lt;y&gt;" in page


def test_redact_removes_names_ids_and_dates_from_examples() -> None:
    report = Report.from_text(
        "FINDINGS: Jane Doe (MRN445566) seen by Dr. Smith on 03/04/2025: left effusion.\n",
        id="ACC99123",
        patient={"name": "Doe^Jane", "id": "MRN445566"},
    )
    at = report.text.index("left")
    issue = Issue("laterality.missing", "warning", "side of effusion", at, at + 4)
    stats = Stats()
    stats.add(report, [issue], "ACC99123.txt", redact=True)
    page = render_summary(stats, redact=True)
    for secret in ("Jane", "Doe", "MRN445566", "Smith", "03/04/2025", "ACC99123"):
        assert secret not in page
    assert "[NAME]" in page and "[ID]" in page and "[DATE]" in page and "<mark>left</mark>" in page
    plain = Stats()
    plain.add(report, [issue], "ACC99123.txt", redact=False)
    assert "Smith" in render_summary(plain)


def test_stats_merge_is_order_stable() -> None:
    a, b = Stats(), Stats()
    r1 = Report.from_text("IMPRESSION: left.", id="1", modality="CR")
    r2 = Report.from_text("IMPRESSION: right.", id="2", modality="CT")
    a.add(r1, [Issue("x.y", "error", "m", 12, 16)], "f:1", redact=False)
    b.add(r2, [], "f:2", redact=False)
    b.add_error("f:3", "invalid JSON at column 2: bad")
    merged = Stats.from_json(json.loads(json.dumps(a.to_json())))
    merged.merge(b)
    assert (merged.reports, merged.errors, merged.flagged, merged.issues) == (3, 1, 1, 1)
    assert merged.groups["modality"] == {"CR": [1, 1, 1], "CT": [1, 0, 0]}
    assert merged.severity_met("warning") and not Stats().severity_met("info")


def test_progress_draws_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    plain, tty = io.StringIO(), Tty()
    for stream in (plain, tty):
        bar = Progress(stream, enabled=True, total_bytes=1000)
        bar.update(500, 500, 2, force=True)
        bar.close()
    assert plain.getvalue() == ""
    assert "50%" in tty.getvalue() and "500 reports" in tty.getvalue() and "ETA" in tty.getvalue()
    quiet = Tty()
    Progress(quiet, enabled=False, total_bytes=10).update(5, 5, 0, force=True)
    assert quiet.getvalue() == ""


def test_resume_refuses_a_different_run(tmp_path: Path, iu_records: list[dict]) -> None:
    path = _jsonl(tmp_path / "in.jsonl", _records(iu_records, 3))
    out = tmp_path / "out.jsonl"
    run_batch([str(path)], options=BatchOptions(), out=out)
    with pytest.raises(BatchError, match="other inputs or options"):
        run_batch([str(path)], options=BatchOptions(partition_size=7, resume=True), out=out)
    again = run_batch([str(path)], options=BatchOptions(resume=True), out=out)
    assert again.new_reports == 0 and len(_rows(out)) == 3
