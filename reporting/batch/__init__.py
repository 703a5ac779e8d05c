"""Batch QA: stream reports from files and folders through the QA engine, at scale.

``run_batch(paths, options=BatchOptions(...), out=Path("results.jsonl"))`` reads every input
(see :mod:`reporting.ingest`), checks it in partitions on local processes or a Dask cluster,
writes one JSON line per report in input order, checkpoints for ``resume`` and returns the
merged :class:`Stats`; :func:`write_summary` turns them into a self-contained HTML dashboard.
"""

from __future__ import annotations

from reporting.batch.output import write_csv, write_parquet
from reporting.batch.progress import Progress, format_summary
from reporting.batch.runner import BatchOptions, BatchOutcome, default_workers, run_batch
from reporting.batch.stats import Stats
from reporting.batch.summary import render_summary, write_summary
from reporting.batch.worker import WorkOptions, process_partition

__all__ = [
    "BatchOptions",
    "BatchOutcome",
    "Progress",
    "Stats",
    "WorkOptions",
    "default_workers",
    "format_summary",
    "process_partition",
    "render_summary",
    "run_batch",
    "write_csv",
    "write_parquet",
    "write_summary",
]
