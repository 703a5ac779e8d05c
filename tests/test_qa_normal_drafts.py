"""A template's normal draft must not raise clinical alarms (critical, contradiction, side, sex)."""

from __future__ import annotations

import pytest

from reporting import check
from reporting.templating import list_templates, new_draft

ALARMS = {
    "critical.not_communicated",
    "finding.contradiction",
    "laterality.findings_impression",
    "laterality.order_mismatch",
    "sex.mismatch",
    "measurement.mismatch",
    "followup.incomplete",
}


@pytest.mark.parametrize("spec", list_templates(), ids=lambda s: s.id)
def test_normal_draft_raises_no_alarm(spec: object) -> None:
    draft = new_draft(spec, id="normal", sex=getattr(spec, "sex", None) or "F")  # type: ignore[arg-type]
    alarms = [(i.code, draft.text[i.start : i.end]) for i in check(draft) if i.code in ALARMS]
    assert alarms == []


def test_zero_measurement_reads_as_absent() -> None:
    issues = check(
        "FINDINGS:\nMidline shift: 0 mm\nIMPRESSION:\nNormal CT head.", procedure="CT HEAD"
    )
    assert "critical.not_communicated" not in {i.code for i in issues}
    issues = check(
        "FINDINGS:\nMidline shift: 7 mm\nIMPRESSION:\nMidline shift.", procedure="CT HEAD"
    )
    assert "critical.not_communicated" in {i.code for i in issues}
