"""``reporting templates``: list, show, match, render and import report templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reporting.errors import EXIT_ERROR, RecordError, TemplateError
from reporting.resources import atomic_write_text

__all__ = ["templates"]


def _paths(ctx: click.Context) -> list[str]:
    return list((ctx.obj or {}).get("template_paths", []))


@click.group("templates", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--templates",
    "template_paths",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    metavar="DIR",
    help="Also use the templates in DIR (repeatable); adds to $REPORTING_TEMPLATES and the "
    "templates.paths list in ~/.config/reporting/config.toml.",
)
@click.pass_context
def templates(ctx: click.Context, template_paths: tuple[str, ...]) -> None:
    """List, show, match, render and import report templates.

    Templates are folders holding spec.toml (sections, fields, topics, matching rules) and
    Jinja2 layouts; see templates/README.md for the format.
    """
    ctx.ensure_object(dict)
    ctx.obj["template_paths"] = list(template_paths)


@templates.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the available templates (id, modality, restrictions, title)."""
    from reporting.templating import list_templates

    specs = list_templates(paths=_paths(ctx))
    if as_json:
        rows = [
            {
                "id": s.id,
                "title": s.title,
                "modality": s.modality,
                "body_part": s.body_part,
                "lateral": s.lateral,
                "sex": s.sex,
                "folder": str(s.folder) if s.folder else None,
            }
            for s in specs
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max((len(s.id) for s in specs), default=2)
    for s in specs:
        flags = ("lateral" if s.lateral else "") + (f" sex={s.sex}" if s.sex else "")
        click.echo(f"{s.id:<{width}}  {s.modality:<3} {flags.strip():<12} {s.title}")


def _describe(spec: Any) -> dict[str, Any]:
    return {
        "id": spec.id,
        "title": spec.title,
        "modality": spec.modality,
        "body_part": spec.body_part,
        "lateral": spec.lateral,
        "sex": spec.sex,
        "min_age": spec.min_age,
        "max_age": spec.max_age,
        "description": spec.description,
        "source": spec.source,
        "folder": str(spec.folder) if spec.folder else None,
        "match": {
            "patterns": list(spec.match.patterns),
            "modality_patterns": list(spec.match.modality_patterns),
            "boost": list(spec.match.boost),
            "exclude": list(spec.match.exclude),
            "modalities": list(spec.match.modalities),
        },
        "sections": [
            {
                "name": sec.name,
                "title": sec.title,
                "code": sec.code.to_dict() if sec.code else None,
                "required": sec.required,
                "normal": spec.normal_macros.get(sec.name, ""),
                "fields": [
                    {
                        "id": f.id,
                        "label": f.label,
                        "type": f.type,
                        "unit": f.unit,
                        "choices": list(f.choices),
                        "default": f.default,
                        "trigger": f.trigger,
                        "completion": f.completion,
                    }
                    for f in sec.fields
                ],
            }
            for sec in spec.sections
        ],
        "topics": [
            {"topic": t.topic, "severity": t.severity, "section": t.section, "terms": list(t.terms)}
            for t in spec.required_topics
        ],
    }


@templates.command("check")
@click.pass_context
def check_cmd(ctx: click.Context) -> None:
    """Validate every template and report each problem.

    Loads each spec.toml and parses its Jinja2 layouts; exits with 4 when any template is
    broken, naming the file and key of each problem.
    """
    from reporting.templating.registry import registry

    reg = registry(_paths(ctx))
    broken = 0
    for template_id in reg.ids():
        try:
            spec = reg.load(template_id)
        except TemplateError as exc:
            broken += 1
            click.echo(f"FAIL {template_id}: {exc.one_line()}")
            continue
        click.echo(f"ok   {template_id} ({spec.folder})")
    if broken:
        click.echo(f"{broken} template(s) broken", err=True)
        raise click.exceptions.Exit(EXIT_ERROR)


@templates.command("show")
@click.argument("template_id")
@click.option("--json", "as_json", is_flag=True, help="Print the whole spec as JSON.")
@click.pass_context
def show_cmd(ctx: click.Context, template_id: str, as_json: bool) -> None:
    """Show a template's sections, fields and required topics.

    Fields are listed with type, normal default, spoken trigger and completion action.
    """
    from reporting.templating import load_template

    spec = load_template(template_id, paths=_paths(ctx))
    info = _describe(spec)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    restrict = []
    if spec.sex:
        restrict.append(f"sex {spec.sex}")
    if spec.min_age is not None or spec.max_age is not None:
        restrict.append(
            f"age {spec.min_age or 0}-{spec.max_age if spec.max_age is not None else ''}"
        )
    click.echo(f"{spec.id}: {spec.title} ({spec.modality}, {spec.body_part}"
               f"{', lateral' if spec.lateral else ''}{', ' + ', '.join(restrict) if restrict else ''})")  # fmt: skip
    if spec.description:
        click.echo(f"  {spec.description}")
    if spec.folder:
        click.echo(f"  folder: {spec.folder}")
    for sec in spec.sections:
        code = f" [{sec.code.scheme} {sec.code.value}]" if sec.code else ""
        click.echo(
            f"\n{sec.title.upper()} ({sec.name}{', required' if sec.required else ''}){code}"
        )
        if sec.normal:
            click.echo(f"  normal: {sec.normal}")
        for f in sec.fields:
            kind = f.type + (f" {f.unit}" if f.unit else "")
            if f.choices:
                kind += " [" + " | ".join(f.choices) + "]"
            extra = []
            if f.trigger:
                extra.append(f'say "{f.trigger}"')
            if f.completion != "none":
                extra.append(f"if empty: {f.completion}")
            default = "" if f.default is None else f" = {f.default!r}"
            click.echo(
                f"  - {f.id} ({kind}){default}" + (f"  ({'; '.join(extra)})" if extra else "")
            )
    if spec.required_topics:
        click.echo("\nA complete report addresses:")
        for t in spec.required_topics:
            terms = ", ".join(t.terms[:8]) + (", ..." if len(t.terms) > 8 else "")
            click.echo(f"  - {t.label or t.topic} [{t.severity}]: {terms}")


@templates.command("match")
@click.argument("procedure")
@click.option("--modality", default="", help="DICOM modality code (CR, DX, CT, MR, US, MG ...).")
@click.pass_context
def match_cmd(ctx: click.Context, procedure: str, modality: str) -> None:
    """Show the template a PROCEDURE description gets, and why."""
    from reporting.templating import match_scores, match_template

    spec = match_template(procedure, modality, paths=_paths(ctx))
    click.echo(spec.id)
    for score in match_scores(procedure, modality, paths=_paths(ctx))[:5]:
        click.echo(
            f"  {score.template_id:<20} score {score.score:>3}  ({', '.join(score.reasons)})"
        )


def _read_record(path: Path) -> Any:
    from reporting.records import loads_record

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path}: cannot read ({exc.strerror})") from None
    return loads_record(data, where=str(path))


@templates.command("render")
@click.argument("template_id", required=False)
@click.option(
    "--record",
    "record_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Render this report record (JSON) instead of a new normal draft; without TEMPLATE_ID "
    "the record's own template (or the match for its procedure) is used.",
)
@click.option(
    "--html", "as_html", is_flag=True, help="Render the HTML layout instead of plain text."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (atomically) instead of standard output.",
)
@click.pass_context
def render_cmd(ctx: click.Context, template_id: str | None, record_path: Path | None,
               as_html: bool, output: Path | None) -> None:  # fmt: skip
    """Render a new normal draft or a --record with a template.

    Plain text by default, --html for the HTML layout used for PDF and preview.
    """
    from reporting.templating import (
        load_template,
        new_draft,
        render_html,
        render_text,
        template_for,
    )

    paths = _paths(ctx)
    if template_id is None and record_path is None:
        raise click.UsageError("give a TEMPLATE_ID, a --record FILE, or both")
    if record_path is not None:
        report = _read_record(record_path)
        spec = (
            load_template(template_id, paths=paths)
            if template_id
            else template_for(report, paths=paths)
        )
    else:
        assert template_id is not None
        spec = load_template(template_id, paths=paths)
        report = new_draft(spec, id=f"{spec.id}-draft")
    text = render_html(spec, report) if as_html else render_text(spec, report)
    if output is not None:
        atomic_write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@templates.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the template folder in (use it later with --templates DIR).",
)
@click.option("--id", "template_id", help="Template id (default: from the file name).")
@click.option("--force", is_flag=True, help="Replace an existing template folder of that id.")
def import_cmd(source: Path, outdir: Path, template_id: str | None, force: bool) -> None:
    """Convert an IHE MRRT (RadReport HTML) template.

    The template folder is created in --output.

    Sections, fields (type, default, units, choices), spoken triggers, completion actions and
    coded content are kept.  An invalid MRRT file is refused with every problem listed.
    """
    from reporting.templating.loader import ID_PATTERN
    from reporting.templating.mrrt import import_mrrt

    if template_id is not None and not ID_PATTERN.fullmatch(template_id):
        raise TemplateError(f"--id {template_id!r} must be lower-case letters, digits and _")
    spec = import_mrrt(source, outdir, template_id=template_id, overwrite=force)
    fields = sum(len(s.fields) for s in spec.sections)
    click.echo(
        f"imported {source.name} as {spec.id!r}: {len(spec.sections)} sections, {fields} fields "
        f"-> {spec.folder}"
    )
