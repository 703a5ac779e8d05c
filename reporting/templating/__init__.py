"""Report templates: specs (TOML) + Jinja2 layouts, matching, drafts and sandboxed rendering.

::

    from reporting.templating import match_template, new_draft, render_text
    spec = match_template("XR KNEE LEFT 3 VIEWS", "DX")      # -> xr_extremity
    draft = new_draft(spec, id="r1", procedure="XR KNEE LEFT 3 VIEWS", laterality="left")
    print(render_text(spec, draft))

Templates live in the bundled ``templates/`` folder and in user folders (``--templates DIR``,
``$REPORTING_TEMPLATES``, ``templates.paths`` in ``~/.config/reporting/config.toml``); the format
is documented in ``templates/README.md``.  IHE MRRT (RSNA RadReport) HTML templates convert with
:func:`reporting.templating.mrrt.import_mrrt`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from reporting.model import Report
from reporting.templating.matching import GENERIC_ID, MatchScore, rank_templates
from reporting.templating.registry import ENV_VAR, clear_cache, configured_roots, registry
from reporting.templating.render import new_draft, render_html, render_text, template_context
from reporting.templating.spec import (
    FieldSpec,
    MatchRule,
    SectionSpec,
    TemplateSpec,
    TopicSpec,
    field_line,
)

__all__ = [
    "ENV_VAR",
    "FieldSpec",
    "MatchRule",
    "MatchScore",
    "SectionSpec",
    "TemplateSpec",
    "TopicSpec",
    "clear_cache",
    "configured_roots",
    "field_line",
    "list_templates",
    "load_template",
    "match_template",
    "match_scores",
    "new_draft",
    "render_html",
    "render_text",
    "template_context",
    "template_for",
]

Paths = Iterable[str | os.PathLike[str]] | None


def load_template(template_id: str, *, paths: Paths = None) -> TemplateSpec:
    """The validated template ``template_id``; unknown ids raise TemplateError listing the known."""
    return registry(paths).load(template_id)


def list_templates(*, paths: Paths = None) -> list[TemplateSpec]:
    """Every template in the configured folders (plus ``paths``), sorted by id."""
    return registry(paths).all()


def match_scores(
    procedure: str = "", modality: str = "", *, paths: Paths = None
) -> list[MatchScore]:
    """How each applicable template scored for the procedure, best first (for explanations)."""
    return rank_templates(list_templates(paths=paths), procedure or "", modality or "")


def match_template(procedure: str = "", modality: str = "", *, paths: Paths = None) -> TemplateSpec:
    """The most specific template for a procedure description and DICOM modality code.

    Falls back to ``generic`` when nothing matches; never raises for odd input text.
    """
    reg = registry(paths)
    specs = reg.all()

    def choose() -> str:
        ranked = rank_templates(specs, procedure or "", modality or "")
        return ranked[0].template_id if ranked else GENERIC_ID

    return reg.load(reg.remembered_match(specs, procedure or "", modality or "", choose))


def template_for(report: Report, *, paths: Paths = None) -> TemplateSpec:
    """The report's own template (``report.template``), else the match for its procedure."""
    if report.template:
        return load_template(report.template, paths=paths)
    return match_template(report.procedure.description, report.modality, paths=paths)
