"""template.unfilled for template fields: empty fields vs. a section reported in prose."""

from __future__ import annotations

from reporting import check
from reporting.model import FieldValue, Report, Section
from reporting.templating import load_template, new_draft


def _findings(report: Report, text: str, fields: tuple[FieldValue, ...]) -> Report:
    sections = [
        Section(s.name, text, s.title, s.code, fields) if s.name == "findings" else s
        for s in report.sections
    ]
    return report.with_sections(sections)


def _unfilled(report: Report) -> list[str]:
    return [i.message for i in check(report) if i.code == "template.unfilled"]


def test_empty_alert_fields_are_flagged_when_nothing_replaces_them() -> None:
    spec = load_template("chest_xr")
    draft = new_draft(spec, id="f1", procedure="XR CHEST PA AND LATERAL")
    cleared = tuple(FieldValue(f.id, None) for f in draft.section("findings").fields)  # type: ignore[union-attr]
    report = _findings(draft, "", cleared)
    assert any("Lungs" in m for m in _unfilled(report))


def test_prose_dictated_in_place_of_fields_is_not_flagged() -> None:
    spec = load_template("chest_xr")
    draft = new_draft(spec, id="f2", procedure="XR CHEST PA AND LATERAL")
    cleared = tuple(FieldValue(f.id, None) for f in draft.section("findings").fields)  # type: ignore[union-attr]
    prose = "The lungs are clear. No pleural effusion or pneumothorax. Heart size is normal."
    report = _findings(draft, prose, cleared)
    assert _unfilled(report) == []
