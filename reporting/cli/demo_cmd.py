"""``reporting demo``: the main job end to end on the bundled examples.

1. dictate the bundled chest radiograph recording into the chest_xr template (real Whisper model),
2. QA-check the dictated report and every bundled example record (with an HTML dashboard),
3. export the dictated report as DICOM SR, HL7 ORU^R01 with embedded PDF, PDF and FHIR,
4. validate the SR with dciodvfy when dicom3tools is installed.

Every step runs the same command a user would type; the demo prints each command line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import click

from reporting.errors import EXIT_FAIL_ON, EXIT_OK, EXIT_PARTIAL, ConfigError, ReportingError
from reporting.resources import examples_dir

__all__ = ["demo"]

DICTATION = "audio/cxr_dictation.flac"
RECORDS = "records"


def _step(title: str, argv: list[str], allowed: tuple[int, ...] = (EXIT_OK,)) -> int:
    from reporting.cli import main

    click.secho(f"\n== {title}", bold=True)
    click.echo("$ reporting " + " ".join(argv))
    code = main(argv)
    if code not in allowed:
        raise ReportingError(
            f"demo step {title!r} failed with exit code {code}", title="Demo failed"
        )
    return code


def _dictation_available() -> str | None:
    """None when dictation can run here, else the reason it cannot."""
    try:
        import faster_whisper  # noqa: F401

        from reporting.asr.models import resolve_model  # noqa: F401
    except ImportError as exc:
        return (
            f"the dictation extra is not installed ({exc.name}); pip install 'reporting[dictation]'"
        )
    return None


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the demo's deliverables.",
)
@click.option(
    "--examples",
    "examples",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Examples folder (default: the repository's examples/).",
)
def demo(out_dir: Path, examples: Path | None) -> None:
    """Run dictation -> QA -> SR/HL7/PDF/FHIR export on the bundled examples."""
    ex = examples or examples_dir()
    if ex is None:
        raise ConfigError(
            "no examples folder found; pass --examples DIR (the repository's examples/)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    dictated = out_dir / "dictated-report.json"
    made: list[Path] = []

    reason = _dictation_available()
    audio = ex / DICTATION
    if reason is None and audio.exists():
        _step(
            "1. Dictate the bundled chest radiograph recording into the chest_xr template",
            [
                "dictate", str(audio), "--template", "chest_xr", "--id", "demo-cxr-1",
                "--procedure", "XR CHEST PA AND LATERAL", "--out", str(dictated),
            ],
        )  # fmt: skip
        _add_context(dictated)
        made.append(dictated)
    else:
        why = reason or f"{audio} is missing"
        click.secho(f"\n== 1. Dictation skipped: {why}", fg="yellow")
        fallback = ex / RECORDS / "chest-xr-normal.json"
        if not fallback.exists():
            fallback = sorted((ex / RECORDS).glob("*.json"))[0]
        shutil.copyfile(fallback, dictated)
        click.echo(f"using {fallback} as the report to export instead")

    results = out_dir / "qa-results.jsonl"
    summary = out_dir / "qa-summary.html"
    inputs = [str(dictated), *(str(p) for p in sorted((ex / RECORDS).glob("*.json")))]
    _step(
        "2. QA-check the dictated report and the bundled example records",
        [
            "qa",
            *inputs,
            "--out",
            str(results),
            "--summary",
            str(summary),
            "--workers",
            "1",
            "--quiet",
        ],
        allowed=(EXIT_OK, EXIT_FAIL_ON, EXIT_PARTIAL),
    )
    made += [results, summary]
    _show_issues(results)

    exports = out_dir / "exports"
    _step("3. Export the dictated report (SR, HL7, PDF, FHIR, text)",
          ["export", str(dictated), "--to", "all", "-o", str(exports)])  # fmt: skip
    made += sorted(p for p in exports.iterdir() if p.is_file())

    sr_files = sorted(exports.glob("*.dcm"))
    dciodvfy = shutil.which("dciodvfy")
    click.secho("\n== 4. Validate the DICOM SR with dciodvfy", bold=True)
    if dciodvfy and sr_files:
        for sr in sr_files:
            run = subprocess.run([dciodvfy, str(sr)], capture_output=True, text=True)
            errors = [ln for ln in (run.stdout + run.stderr).splitlines() if ln.startswith("Error")]
            verdict = "no errors" if run.returncode == 0 and not errors else f"{len(errors)} errors"
            click.echo(f"{sr.name}: dciodvfy {verdict}")
    else:
        click.echo("skipped: dciodvfy (dicom3tools) is not installed")

    click.secho(f"\nDemo finished. Deliverables in {out_dir}/:", bold=True)
    for path in made:
        click.echo(f"  {path}")


def _add_context(record_path: Path) -> None:
    """Give the dictated record the patient and study a worklist would have supplied."""
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record.setdefault("modality", "CR")
    record.setdefault("sex", "F")
    record.setdefault(
        "patient", {"name": "Müller^Zoë", "id": "DEMO-0001", "birth_date": "1961-03-14"}
    )
    record.setdefault(
        "study",
        {"accession": "DEMO-A1", "study_uid": "1.2.826.0.1.3680043.10.1.1", "date": "2026-11-28",
         "referring": "Dr Referrer"},
    )  # fmt: skip
    record.setdefault("author", "Dr Demo Radiologist")
    from reporting.resources import atomic_write_text

    atomic_write_text(record_path, json.dumps(record, ensure_ascii=False, indent=2) + "\n")


def _show_issues(results: Path) -> None:
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line]
    flagged = sum(1 for r in rows if r.get("issues"))
    click.echo(f"{len(rows)} reports checked, {flagged} with issues:")
    for row in rows:
        for issue in row.get("issues", []):
            click.echo(
                f"  {row['id']}: {issue['severity']:<7} {issue['code']:<30} {issue['message'][:70]}"
            )
        if row.get("error"):
            click.echo(f"  {row['id']}: error: {row['error']}")
