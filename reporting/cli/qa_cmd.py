"""``reporting qa``: check report archives and write one JSON result per report."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from reporting.errors import (
    EXIT_FAIL_ON,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    BatchError,
    ModelError,
)

__all__ = ["qa"]

_COLUMNS = (
    "id",
    "text",
    "procedure",
    "modality",
    "sex",
    "age",
    "laterality",
    "author",
    "date",
    "template",
)


def _sex(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    from reporting.model import Sex

    if not value:
        return ""
    try:
        return Sex.parse(value).value
    except ModelError as exc:
        raise click.BadParameter(str(exc)) from None


def _laterality(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    from reporting.model import Laterality

    if not value:
        return ""
    try:
        return Laterality.parse(value).value
    except ModelError as exc:
        raise click.BadParameter(str(exc)) from None


def _column_options(func: Any) -> Any:
    for name in reversed(_COLUMNS):
        func = click.option(
            f"--{name}-col",
            f"{name}_col",
            metavar="NAME",
            help=f"CSV column with the {name} (default: recognised from the header).",
        )(func)
    return func


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A polite kill (SIGTERM) stops the run like Ctrl-C: whole lines, then exit."""

    def handler(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (embedded use): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command("qa")
@click.argument(
    "inputs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="INPUT...",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results JSONL (one object per report). Default: standard output.",
)
@click.option(
    "--csv",
    "csv_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as CSV (one row per issue).",
)
@click.option(
    "--parquet",
    "parquet_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as Parquet (needs pyarrow).",
)
@click.option(
    "--summary",
    "summary_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML dashboard.",
)
@click.option("--redact", is_flag=True, help="Remove names, ids and dates from summary examples.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Exit 1 when an issue of this severity or worse is found.",
)
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes (default: all cores).",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="Run on an existing Dask distributed cluster instead of local processes.",
)
@click.option(
    "--shared-storage",
    is_flag=True,
    help="Dask workers see the input paths: they read JSONL slices from the files "
    "(default: the client sends each slice's bytes).",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run (needs --out).")
@click.option(
    "--partition-size",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Reports per unit of work (and per checkpoint).",
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="Longer reports become error rows instead of being checked.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no final summary.")
@click.option("--procedure", default="", help="Procedure of .txt reports, e.g. 'XR KNEE LEFT'.")
@click.option("--modality", default="", help="Modality of .txt reports (CR, CT, MR, US ...).")
@click.option("--sex", default="", callback=_sex, help="Patient sex of .txt reports (F, M, O, U).")
@click.option(
    "--age", type=click.IntRange(0, 150), default=None, help="Patient age of .txt reports."
)
@click.option(
    "--laterality",
    default="",
    callback=_laterality,
    help="Ordered side of .txt reports (left, right, bilateral).",
)
@click.option("--template", default="", help="Template id of .txt reports.")
@_column_options
def qa(
    inputs: tuple[Path, ...],
    out: Path | None,
    csv_out: Path | None,
    parquet_out: Path | None,
    summary_out: Path | None,
    redact: bool,
    fail_on: str | None,
    workers: int | None,
    scheduler: str | None,
    shared_storage: bool,
    resume: bool,
    partition_size: int,
    max_chars: int,
    quiet: bool,
    procedure: str,
    modality: str,
    sex: str,
    age: int | None,
    laterality: str,
    template: str,
    **columns: str | None,
) -> None:
    """Check reports for laterality, sex, missing-section and other errors.

    INPUT is any mix of files and folders (walked recursively): report-record JSONL/JSON,
    plain-text reports (.txt, context from --procedure/--modality/--sex/--age/--laterality),
    CSV/TSV, HL7 v2 ORU^R01, DICOM SR, FHIR DiagnosticReport/Bundle, and .gz versions of the
    text formats.  Each report gives one JSON line: {"id", "source", "issues": [...]} or
    {"id", "source", "error"} when it could not be read.

    With --out, a checkpoint (OUT.checkpoint.sqlite) records finished partitions so
    --resume continues a killed run without repeating or losing rows.  Details of unreadable
    inputs go to the log: reporting --log FILE qa ...

    Exit status: 0 done, 1 --fail-on met, 2 usage error, 3 some inputs could not be read
    (1 wins over 3), 130 interrupted (the output holds whole lines; continue with --resume).
    """
    from reporting.batch import BatchOptions, Progress, WorkOptions, default_workers, run_batch
    from reporting.ingest import CsvColumns, IngestOptions

    if resume and out is None:
        raise click.UsageError("--resume needs --out (the checkpoint lives next to the results)")
    if scheduler and workers is not None:
        raise click.UsageError("use either --workers (local) or --scheduler (Dask), not both")
    if shared_storage and not scheduler:
        raise click.UsageError(
            "--shared-storage is for --scheduler runs (local workers always read files)"
        )
    if parquet_out is not None and importlib.util.find_spec("pyarrow") is None:
        raise BatchError(
            "--parquet needs pyarrow: pip install 'reporting[parquet]'", title="Missing dependency"
        )
    ingest = IngestOptions(
        procedure=procedure,
        modality=modality,
        sex=sex,
        age=age,
        laterality=laterality,
        template=template,
        max_chars=max_chars,
        columns=CsvColumns(**{name: columns.get(f"{name}_col") for name in _COLUMNS}),
    )
    options = BatchOptions(
        ingest=ingest,
        work=WorkOptions(max_chars=max_chars, redact=redact),
        workers=workers or default_workers(),
        scheduler=scheduler,
        worker_reads=True if shared_storage else None,
        partition_size=partition_size,
        resume=resume,
    )
    stderr = sys.stderr
    progress = Progress(stderr, enabled=not quiet, total_bytes=0)
    echo = sys.stdout if out is None else None
    with _sigterm_as_interrupt():
        outcome = run_batch(
            [str(p) for p in inputs],
            options=options,
            out=out,
            echo=echo,
            progress=progress,
            spool=out is None and bool(csv_out or parquet_out),
        )
    written: list[str] = [str(out)] if out is not None else []
    try:
        if not outcome.interrupted and outcome.results is not None:
            from reporting.batch import write_csv, write_parquet

            if csv_out is not None:
                written.append(str(write_csv(outcome.results, csv_out)))
            if parquet_out is not None:
                written.append(str(write_parquet(outcome.results, parquet_out)))
    finally:
        if out is None and outcome.results is not None:
            with contextlib.suppress(OSError):
                os.unlink(outcome.results)
    if summary_out is not None and not outcome.interrupted:
        from reporting.batch import write_summary

        written.append(
            str(
                write_summary(
                    summary_out, outcome.stats, inputs=[str(p) for p in inputs], redact=redact
                )
            )
        )
    if not quiet:
        from reporting.batch import format_summary

        click.echo(
            format_summary(
                outcome.stats,
                elapsed=outcome.elapsed,
                new_reports=outcome.new_reports,
                workers=outcome.executor,
                outputs=written,
                warnings=len(outcome.warnings),
                interrupted=outcome.interrupted,
            ),
            err=True,
        )
    if outcome.interrupted:
        raise click.exceptions.Exit(EXIT_INTERRUPTED)
    if fail_on and outcome.stats.severity_met(fail_on):
        raise click.exceptions.Exit(EXIT_FAIL_ON)
    if outcome.stats.errors:
        raise click.exceptions.Exit(EXIT_PARTIAL)
    sys.stdout.flush()
    raise click.exceptions.Exit(EXIT_OK)
