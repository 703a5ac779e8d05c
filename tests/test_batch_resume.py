"""Kill a real run halfway (SIGKILL, then Ctrl-C), resume it, and get exactly the clean output."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reporting.batch import BatchOptions, run_batch

pytest.importorskip("reporting.qa")

REPORTING = str(Path(sys.executable).parent / "reporting")
PARTITION = "10"
N = 600


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, iu_records: list[dict]) -> tuple[Path, Path]:
    """600 reports (IU records with fresh ids) and the output of an uninterrupted run."""
    folder = tmp_path_factory.mktemp("resume")
    src = folder / "in.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i in range(N):
            record = dict(iu_records[i % len(iu_records)])
            record["id"] = f"r{i:05d}"
            fh.write(json.dumps(record) + "\n")
    clean = folder / "clean.jsonl"
    run_batch([str(src)], options=BatchOptions(partition_size=int(PARTITION)), out=clean)
    return src, clean


def _done_partitions(checkpoint: Path) -> int:
    if not checkpoint.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{checkpoint}?mode=ro", uri=True, timeout=0.1) as db:
            return int(db.execute("SELECT COUNT(*) FROM parts").fetchone()[0])
    except sqlite3.Error:
        return 0


def _default_ctrl_c() -> None:
    # as from a terminal: a test run started in the background of a non-interactive shell
    # (`make test &`) inherits SIGINT ignored, and the run would then finish with exit 0
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(src: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [REPORTING, "qa", str(src), "-o", str(out), "--partition-size", PARTITION, "-q", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_ctrl_c,
    )


def _wait_for_partitions(proc: subprocess.Popen[str], checkpoint: Path, n: int) -> None:
    deadline = time.monotonic() + 60
    while _done_partitions(checkpoint) < n:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)


def test_resume_after_sigkill_gives_every_row_exactly_once(
    tmp_path: Path, corpus: tuple[Path, Path]
) -> None:
    src, clean = corpus
    out = tmp_path / "results.jsonl"
    checkpoint = tmp_path / "results.jsonl.checkpoint.sqlite"
    proc = _start(src, out, "-w", "1")
    _wait_for_partitions(proc, checkpoint, 5)
    proc.kill()
    proc.wait()
    partial = out.read_bytes()
    assert 0 < len(partial) < clean.stat().st_size
    with out.open("ab") as fh:  # a torn last line, as if killed in the middle of a write
        fh.write(b'{"id":"r9999","source":"in.js')
    resumed = subprocess.run(
        [
            REPORTING,
            "qa",
            str(src),
            "-o",
            str(out),
            "--partition-size",
            PARTITION,
            "--resume",
            "-w",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == clean.read_bytes()
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == [f"r{i:05d}" for i in range(N)]
    assert "reporting qa done: 600 reports" in resumed.stderr  # counts include the first run
    assert "Traceback" not in resumed.stderr


def test_ctrl_c_leaves_whole_lines_and_exit_130(tmp_path: Path, corpus: tuple[Path, Path]) -> None:
    src, clean = corpus
    out = tmp_path / "results.jsonl"
    proc = _start(src, out, "-w", "2")
    _wait_for_partitions(proc, tmp_path / "results.jsonl.checkpoint.sqlite", 3)
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n") and clean.read_text(encoding="utf-8").startswith(text)
    for line in text.splitlines():
        json.loads(line)
