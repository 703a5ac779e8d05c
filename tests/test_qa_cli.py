"""``reporting qa`` end to end with the real QA engine: outputs, context flags, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reporting.cli import main

pytest.importorskip("reporting.qa")

CLEAN = {
    "id": "ok-1",
    "text": "EXAMINATION: Chest PA and lateral\nFINDINGS: The lungs are clear. No pleural effusion or "
    "pneumothorax. Heart size is normal. Bones are intact.\nIMPRESSION: Normal chest.\n",
    "modality": "CR",
    "procedure": "XR CHEST PA AND LATERAL",
}
WRONG_SIDE = {
    "id": "side-1",
    "text": "EXAMINATION: XR KNEE LEFT\nFINDINGS: Joint effusion in the right knee.\n"
    "IMPRESSION: Right knee effusion.\n",
    "procedure": "XR KNEE LEFT",
    "laterality": "left",
    "modality": "DX",
}


def _jsonl(path: Path, records: list[dict], extra: bytes = b"") -> Path:
    path.write_bytes("".join(json.dumps(r) + "\n" for r in records).encode() + extra)
    return path


def _rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_results_file_and_exit_zero_with_issues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [CLEAN, WRONG_SIDE])
    out = tmp_path / "results.jsonl"
    assert main(["qa", str(src), "--out", str(out), "--workers", "1"]) == 0
    rows = _rows(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in rows] == ["ok-1", "side-1"]
    assert rows[1]["source"] == f"{src}:2"
    side = [i for i in rows[1]["issues"] if i["code"] == "laterality.order_mismatch"]
    assert side and side[0]["severity"] == "error"
    assert WRONG_SIDE["text"][side[0]["start"] : side[0]["end"]].lower() == "right"
    err = capsys.readouterr().err
    assert "reporting qa done: 2 reports" in err and "laterality.order_mismatch" in err
    assert "\r" not in err  # no progress bar when stderr is not a terminal


def test_stdout_output_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [CLEAN])
    assert main(["qa", str(src), "-w", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert [r["id"] for r in _rows(captured.out)] == ["ok-1"]
    assert captured.err == ""


def test_fail_on_severity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [WRONG_SIDE])
    out = str(tmp_path / "r.jsonl")
    assert main(["qa", str(src), "-o", out, "-w", "1", "-q", "--fail-on", "error"]) == 1
    assert any(i["severity"] == "error" for i in _rows(Path(out).read_text())[0]["issues"])
    clean = _jsonl(tmp_path / "clean.jsonl", [CLEAN])
    assert main(["qa", str(clean), "-o", out, "-w", "1", "-q", "--fail-on", "error"]) == 0


def test_unreadable_input_exits_three_and_keeps_the_rest(tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [CLEAN], extra=b'{"id": "cut", "te\n\xff\xfe\x00garbage\n')
    noise = tmp_path / "noise.dat"
    noise.write_bytes(bytes(range(256)))
    out = tmp_path / "r.jsonl"
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "reporting"),
            "qa",
            str(src),
            str(noise),
            "-o",
            str(out),
            "-w",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = _rows(out.read_text(encoding="utf-8"))
    assert rows[0]["id"] == "ok-1" and "issues" in rows[0]
    assert [r["source"] for r in rows[1:]] == [f"{src}:2", f"{src}:3", str(noise)]
    assert all("error" in r for r in rows[1:])
    assert "unreadable 3" in proc.stderr


def test_fail_on_wins_over_unreadable(tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [WRONG_SIDE], extra=b"{broken\n")
    assert (
        main(
            [
                "qa",
                str(src),
                "-o",
                str(tmp_path / "r.jsonl"),
                "-w",
                "1",
                "-q",
                "--fail-on",
                "warning",
            ]
        )
        == 1
    )
    assert main(["qa", str(src), "-o", str(tmp_path / "r.jsonl"), "-w", "1", "-q"]) == 3


@pytest.mark.parametrize(
    "args",
    [
        ["--resume"],
        ["--sex", "purple"],
        ["--fail-on", "fatal"],
        ["--workers", "0"],
        ["--laterality", "up"],
        ["--shared-storage"],
    ],
)
def test_usage_errors_exit_two(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    src = _jsonl(tmp_path / "in.jsonl", [CLEAN])
    assert main(["qa", str(src), *args]) == 2
    assert "Try 'reporting qa --help'" in capsys.readouterr().err


def test_parquet_without_pyarrow_fails_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    src = _jsonl(tmp_path / "in.jsonl", [CLEAN])
    out = tmp_path / "r.jsonl"
    assert main(["qa", str(src), "-o", str(out), "--parquet", str(tmp_path / "r.parquet")]) == 4
    assert "needs pyarrow" in capsys.readouterr().err and not out.exists()


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["qa", str(tmp_path / "nope.jsonl")]) == 2


def test_text_reports_take_context_from_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "US-77.txt"
    report.write_text(
        "FINDINGS: The uterus is enlarged with a fibroid.\nIMPRESSION: Fibroid uterus.\n",
        encoding="utf-8",
    )
    assert (
        main(
            [
                "qa",
                str(report),
                "-w",
                "1",
                "-q",
                "--sex",
                "male",
                "--procedure",
                "US PELVIS",
                "--age",
                "50",
            ]
        )
        == 0
    )
    (row,) = _rows(capsys.readouterr().out)
    assert row["id"] == "US-77" and row["source"] == str(report)
    sex = [i for i in row["issues"] if i["code"] == "sex.mismatch"]
    assert sex and row["issues"] and "uterus" in " ".join(i["message"] for i in sex)
    assert main(["qa", str(report), "-w", "1", "-q", "--sex", "F"]) == 0
    (row,) = _rows(capsys.readouterr().out)
    assert not [i for i in row["issues"] if i["code"] == "sex.mismatch"]


def test_csv_summary_and_redact_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "export.csv"
    src.write_text(
        "accession,report,procedure,laterality,radiologist,date\n"
        'ACC5551234,"FINDINGS: Mrs. Jones has a joint effusion in the right knee.\nIMPRESSION: Right '
        'knee effusion, 12/03/2025.",XR KNEE LEFT,left,Dr Grey,2025-03-12\n',
        encoding="utf-8",
    )
    summary = tmp_path / "report.html"
    table = tmp_path / "issues.csv"
    args = ["qa", str(src), "-w", "1", "-q", "--summary", str(summary), "--csv", str(table)]
    assert main([*args, "--redact"]) == 0
    page = summary.read_text(encoding="utf-8")
    assert "laterality.order_mismatch" in page and "<mark>" in page
    for secret in ("Jones", "ACC5551234", "12/03/2025"):
        assert secret not in page
    assert "ACC5551234" in table.read_text(encoding="utf-8")  # the results themselves keep ids
    assert main(args) == 0
    assert "Jones" in summary.read_text(encoding="utf-8")
    capsys.readouterr()


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qa", "--help"]) == 0
    text = capsys.readouterr().out
    for option in (
        "--out",
        "--workers",
        "--scheduler",
        "--resume",
        "--fail-on",
        "--summary",
        "--text-col",
    ):
        assert option in text


def test_csv_and_parquet_without_out_use_a_temporary_spool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    src = _jsonl(tmp_path / "in.jsonl", [CLEAN, WRONG_SIDE])
    table, parquet = tmp_path / "issues.csv", tmp_path / "issues.parquet"
    assert (
        main(["qa", str(src), "-w", "1", "-q", "--csv", str(table), "--parquet", str(parquet)]) == 0
    )
    assert [r["id"] for r in _rows(capsys.readouterr().out)] == ["ok-1", "side-1"]
    text = table.read_text(encoding="utf-8")
    assert text.startswith("id,source,status,code,severity,message,start,end,section,error")
    assert "laterality.order_mismatch" in text
    assert pq.read_table(parquet).num_rows == len(text.strip().splitlines()) - 1
    assert list((tmp_path / "tmp").iterdir()) == []  # the spool is gone
