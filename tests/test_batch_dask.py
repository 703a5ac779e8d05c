"""The same batch on a real Dask cluster on loopback (2 worker processes) gives identical output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporting.cli import main

pytest.importorskip("reporting.qa")
distributed = pytest.importorskip("distributed")


def test_dask_loopback_run_equals_local_run(tmp_path: Path, iu_records: list[dict]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        "".join(json.dumps(r) + "\n" for r in iu_records[:150]).encode() + b'{"id": "torn", "te\n'
    )
    local, remote = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    common = ["qa", str(src), "--partition-size", "20", "-q"]
    assert main([*common, "-o", str(local), "-w", "1"]) == 3
    with distributed.LocalCluster(
        processes=True,
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert main([*common, "-o", str(remote), "--scheduler", address]) == 3
        assert remote.read_bytes() == local.read_bytes()  # reports shipped to the workers
        assert main([*common, "-o", str(remote), "--scheduler", address, "--shared-storage"]) == 3
    assert remote.read_bytes() == local.read_bytes()  # workers read file slices themselves
    rows = [json.loads(line) for line in remote.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows[:-1]] == [r["id"] for r in iu_records[:150]]
    assert "error" in rows[-1]


def test_both_workers_and_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "IMPRESSION: Normal."}\n', encoding="utf-8")
    assert main(["qa", str(src), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 2
