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


def test_a_field_holding_what_its_type_cannot_hold_is_flagged_on_its_value() -> None:
    # dictation keeps words it could not read as a value; QA then asks for the value
    from reporting.dictation import DictationSession

    s = DictationSession(load_template("mammo_birads"))
    s.apply("Go to BI-RADS.")
    s.apply("Two, probably benign.")  # two categories named: kept as said
    report = s.draft
    (issue,) = [i for i in check(report) if "BI-RADS" in i.message]
    assert issue.code == "template.unfilled" and issue.severity.value == "error"
    assert "not one of its choices" in issue.message
    assert report.text[issue.start : issue.end] == "Two, probably benign."
    s.apply("Two, benign.")  # a category said again replaces the words
    assert not [i for i in check(s.draft) if "BI-RADS" in i.message]
    r = DictationSession(load_template("us_renal"))
    r.apply("Right kidney length, 11.2 cm.")
    r.apply("The bladder is partially distended.")
    (issue,) = [i for i in check(r.draft) if "Right kidney length" in i.message]
    assert issue.severity.value == "warning" and "not a number" in issue.message
