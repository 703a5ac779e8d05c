"""``reporting export``: write a report record as DICOM SR, HL7, PDF, FHIR, text (or all)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from pydicom import Dataset

from reporting.errors import ExportError, RecordError
from reporting.export.base import FixedClock

__all__ = ["export"]

_CHOICES = ["sr", "hl7", "pdf", "fhir", "text", "encapsulated-pdf", "all"]


def _read_dicom(path: Path, what: str) -> Dataset:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise ExportError(f"{path}: cannot read the {what} as DICOM ({exc})") from None


def _clock(timestamp: str | None) -> FixedClock | None:
    if not timestamp:
        return None
    try:
        return FixedClock(dt.datetime.fromisoformat(timestamp))
    except ValueError:
        raise click.BadParameter(
            f"{timestamp!r} is not an ISO date-time like 2026-11-28T10:00:00",
            param_hint="--timestamp",
        ) from None


@click.command("export")
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "fmt",
    type=click.Choice(_CHOICES),
    required=True,
    help="Output format ('all' writes every format into the -o folder).",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file (a folder with --to all).",
)
@click.option(
    "--study",
    "study",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A DICOM image of the study: patient/study come from its header and it is referenced as evidence.",
)
@click.option(
    "--predecessor",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The SR this one replaces (for an amended report with an addendum).",
)
@click.option(
    "--institution", default="", help="Institution name written into DICOM and HL7 MSH-4."
)
@click.option(
    "--timestamp",
    metavar="ISO-DATETIME",
    help="Use this time instead of now (reproducible output), e.g. 2026-11-28T10:00:00+01:00.",
)
@click.option(
    "--uid-root",
    metavar="ROOT",
    help="Number new DICOM UIDs ROOT.1, ROOT.2 ... instead of random ones (reproducible output).",
)
def export(
    record: Path,
    fmt: str,
    output: Path,
    study: Path | None,
    predecessor: Path | None,
    institution: str,
    timestamp: str | None,
    uid_root: str | None,
) -> None:
    """Export the report record RECORD (JSON) as DICOM SR, HL7 ORU^R01, PDF, FHIR or text.

    \b
    Examples:
      reporting export report.json --to sr -o report.dcm --study CT0001.dcm
      reporting export report.json --to all -o outbox/
    """
    from reporting.export.base import SequentialUids
    from reporting.export.common import ExportOptions
    from reporting.export.files import FORMATS, export_all, export_one
    from reporting.records import loads_record

    try:
        data = record.read_bytes()
    except OSError as exc:
        raise RecordError(f"{record}: cannot read ({exc.strerror})") from None
    report = loads_record(data, where=str(record))
    study_ds = _read_dicom(study, "study image") if study else None
    pred_ds = _read_dicom(predecessor, "predecessor SR") if predecessor else None
    options = ExportOptions(institution=institution)
    clock = _clock(timestamp)
    uids = SequentialUids(root=uid_root) if uid_root else None
    if fmt == "all":
        if output.exists() and not output.is_dir():
            raise ExportError(f"{output}: --to all needs a folder, and this is a file")
        paths = export_all(
            report, output, clock=clock, uid_factory=uids, study_dataset=study_ds,
            predecessor=pred_ds, options=options,
        )  # fmt: skip
        for name in FORMATS:
            if name in paths:
                click.echo(f"{name}\t{paths[name]}")
        return
    if output.is_dir():
        from reporting.export.files import safe_stem

        output = output / f"{safe_stem(report.id)}{FORMATS[fmt]}"
    path = export_one(
        report, fmt, output, clock=clock, uid_factory=uids, study_dataset=study_ds,
        predecessor=pred_ds, options=options,
    )  # fmt: skip
    click.echo(f"{fmt}\t{path}")
