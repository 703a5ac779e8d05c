"""Shared sample report and golden-file helpers for the export and ingest tests."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from reporting.export.base import FixedClock, SequentialUids
from reporting.model import Report
from reporting.records import loads_record

GOLDEN = Path(__file__).resolve().parent / "golden"
CLOCK = FixedClock(dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))


def sample_report() -> Report:
    """Final CT chest report with Unicode (Müller^Zoë, ×, µ) and every HL7 delimiter."""
    return loads_record((GOLDEN / "record_r1.json").read_bytes(), where="record_r1.json")


def uids() -> SequentialUids:
    return SequentialUids()


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; REPORTING_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("REPORTING_UPDATE_GOLDEN"):
        path.write_bytes(actual.encode("utf-8"))
    assert path.exists(), f"golden file {name} is missing (REPORTING_UPDATE_GOLDEN=1 creates it)"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, (
        f"{name} differs from the golden file (REPORTING_UPDATE_GOLDEN=1 to accept)"
    )
