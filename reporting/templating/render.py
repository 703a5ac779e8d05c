"""Sandboxed Jinja2 rendering of reports, and new drafts from a template.

Templates run in :class:`jinja2.sandbox.SandboxedEnvironment` with ``StrictUndefined``: no access
to Python internals (``''.__class__``), no undefined names passing silently, HTML autoescaped.
``{% include %}``/``{% extends %}`` reach only ``<folder>/<file>.j2`` inside template folders
(``_base/report.txt.j2`` is the shared layout); anything else (``/etc/passwd``, ``../x``) is a
:class:`TemplateError`.  Templates see plain data (strings, numbers, lists, dicts), never the
:class:`Report` object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reporting.errors import TemplateError
from reporting.model import Laterality, Report, Section, Status
from reporting.resources import templates_dir
from reporting.templating.spec import TemplateSpec

__all__ = [
    "TEXT_FILE",
    "HTML_FILE",
    "new_draft",
    "render_text",
    "render_html",
    "check_template_files",
    "template_context",
]

TEXT_FILE = "report.txt.j2"
HTML_FILE = "report.html.j2"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*/[A-Za-z0-9_][A-Za-z0-9_.-]*\.j2")


class _FolderLoader(jinja2.BaseLoader):
    """Loads ``<folder>/<file>.j2`` from a fixed list of template roots, nothing else."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.roots = roots

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if not _NAME.fullmatch(template) or ".." in template:
            raise jinja2.TemplateNotFound(
                template,
                f"{template!r} is not a template file name: only '<template folder>/<file>.j2' "
                "inside the template folders can be included (for example '_base/report.txt.j2')",
            )
        for root in self.roots:
            path = (root / template).resolve()
            if not path.is_relative_to(root):
                raise jinja2.TemplateNotFound(
                    template, f"{template!r} leads outside the template folder {root} (a link?)"
                )
            if path.is_file():
                source = path.read_text(encoding="utf-8")
                mtime = path.stat().st_mtime_ns

                def uptodate(path: Path = path, mtime: int = mtime) -> bool:
                    try:
                        return path.stat().st_mtime_ns == mtime
                    except OSError:
                        return False

                return source, str(path), uptodate
        raise jinja2.TemplateNotFound(
            template, f"{template!r} was not found in {', '.join(str(r) for r in self.roots)}"
        )


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


@lru_cache(maxsize=32)
def _environment(roots: tuple[Path, ...], html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=_FolderLoader(roots),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    env.filters["paragraphs"] = _paragraphs
    return env


def _roots(spec: TemplateSpec) -> tuple[Path, ...]:
    roots: list[Path] = []
    if spec.folder is not None:
        roots.append(spec.folder.parent.resolve())
    bundled = templates_dir().resolve()
    if bundled not in roots:
        roots.append(bundled)
    return tuple(roots)


def _where(spec: TemplateSpec, filename: str) -> str:
    return str(spec.folder / filename) if spec.folder is not None else f"{spec.id}/{filename}"


def _wrap(where: str, exc: Exception) -> TemplateError:
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return TemplateError(f"{where}: blocked by the template sandbox: {exc}")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        place = f"{exc.filename or where}:{exc.lineno}"
        return TemplateError(f"{place}: template syntax error: {exc.message}")
    if isinstance(exc, jinja2.TemplateNotFound):
        return TemplateError(f"{where}: cannot include {exc.name!r}: {exc.message or 'not found'}")
    if isinstance(exc, jinja2.UndefinedError):
        return TemplateError(f"{where}: {exc.message} (the template uses a name it is not given)")
    return TemplateError(f"{where}: rendering failed: {type(exc).__name__}: {exc}")


_RENDER_ERRORS = (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, OverflowError)


def check_template_files(spec: TemplateSpec) -> None:
    """Both Jinja2 files exist and parse (run on load, so a broken template fails early)."""
    if spec.folder is None:
        return
    for name in (TEXT_FILE, HTML_FILE):
        path = spec.folder / name
        if not path.is_file():
            raise TemplateError(f"{spec.folder / 'spec.toml'}: template file {name} is missing")
        env = _environment(_roots(spec), name == HTML_FILE)
        try:
            env.parse(path.read_text(encoding="utf-8"), name, str(path))
        except jinja2.TemplateSyntaxError as exc:
            raise _wrap(str(path), exc) from None
        except UnicodeDecodeError as exc:
            raise TemplateError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None


def _name_display(name: str) -> str:
    """DICOM PN ``Family^Given`` as ``Family, Given``."""
    parts = [p for p in name.split("^") if p]
    if len(parts) >= 2:
        return f"{parts[0]}, {' '.join(parts[1:])}"
    return name


def template_context(spec: TemplateSpec, report: Report) -> dict[str, Any]:
    """The plain data a report template sees (documented in ``templates/README.md``)."""
    sections: list[dict[str, Any]] = []
    for sec in report.sections:
        sspec = spec.section(sec.name)
        fields: list[dict[str, Any]] = []
        for fv in sec.fields:
            fspec = sspec.field(fv.id) if sspec is not None else None
            fields.append(
                {
                    "id": fv.id,
                    "label": fspec.label
                    if fspec is not None
                    else fv.id.replace("_", " ").capitalize(),
                    "value": fv.value,
                    "unit": fv.unit or "",
                    "display": fv.display(),
                    "type": fspec.type if fspec is not None else "text",
                }
            )
        sections.append(
            {
                "name": sec.name,
                "title": sec.title,
                "text": sec.text.strip(),
                "lines": _paragraphs(sec.text),
                "code": sec.code.to_dict() if sec.code is not None else None,
                "required": bool(sspec and sspec.required),
                "fields": fields,
            }
        )
    lat = report.laterality
    info = {
        "id": report.id,
        "status": report.status.value,
        "procedure": report.procedure.description,
        "modality": report.modality,
        "laterality": "" if lat is Laterality.NONE else lat.value,
        "sex": report.sex.value,
        "age": report.effective_age,
        "author": report.author,
        "verifier": report.verifier,
        "patient_name": _name_display(report.patient.name),
        "patient_id": report.patient.id,
        "birth_date": report.patient.birth_date.isoformat() if report.patient.birth_date else "",
        "accession": report.study.accession,
        "study_date": report.study.date.isoformat() if report.study.date else "",
        "referring": _name_display(report.study.referring),
        "signed_at": report.signed_at.isoformat(timespec="minutes") if report.signed_at else "",
    }
    return {
        "template": {
            "id": spec.id,
            "title": spec.title,
            "modality": spec.modality,
            "body_part": spec.body_part,
            "lateral": spec.lateral,
        },
        "report": info,
        "sections": [s for s in sections if s["name"] != "preamble"],
        "section": {s["name"]: s for s in sections},
        "fields": {f["id"]: f["display"] for s in sections for f in s["fields"]},
    }


def _render(spec: TemplateSpec, filename: str, context: Mapping[str, Any]) -> str:
    where = _where(spec, filename)
    env = _environment(_roots(spec), filename == HTML_FILE)
    name = f"{spec.folder.name}/{filename}" if spec.folder is not None else f"{spec.id}/{filename}"
    try:
        return env.get_template(name).render(**context)
    except _RENDER_ERRORS as exc:
        raise _wrap(where, exc) from None


def render_text(spec: TemplateSpec, report: Report) -> str:
    """The report as plain text, laid out by the template's ``report.txt.j2``."""
    return _render(spec, TEXT_FILE, template_context(spec, report))


def render_html(spec: TemplateSpec, report: Report) -> str:
    """The report as an HTML document (for PDF and preview), from ``report.html.j2``."""
    return _render(spec, HTML_FILE, template_context(spec, report))


def new_draft(spec: TemplateSpec, **context: Any) -> Report:
    """A draft report with the template's sections, fields at their normal defaults.

    ``context`` is what :meth:`Report.from_sections` accepts (``id``, ``procedure``, ``sex``,
    ``age``, ``laterality``, ``patient``, ``study`` ...).  The examination section shows the
    procedure description when one is given.  ``template`` is set to ``spec.id``; ``modality``
    defaults to the template's.
    """
    ctx = dict(context)
    ctx["template"] = spec.id
    if not ctx.get("modality"):
        ctx["modality"] = spec.modality
    ctx.setdefault("status", Status.DRAFT)
    procedure = ctx.get("procedure")
    described = procedure if isinstance(procedure, str) else getattr(procedure, "description", "")
    sections = []
    for sspec in spec.sections:
        text = sspec.default_text()
        if sspec.name == "examination" and described:
            text = described.strip()
        elif sspec.name == "examination" and not text:
            text = spec.title
        sections.append(
            Section(
                name=sspec.name,
                title=sspec.title,
                code=sspec.code,
                text=text,
                fields=tuple(f.value() for f in sspec.fields),
            )
        )
    return Report.from_sections(sections, **ctx)
