"""The example records produce the codes their names promise; QA stays quiet on real reports."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import EXAMPLES

from reporting.qa import CODES, check, check_many
from reporting.records import from_record, loads_record

RECORDS = EXAMPLES / "records"

#: example file -> the codes it must produce (and nothing else)
EXPECTED: dict[str, set[str]] = {
    "knee-left-ordered-right-reported": {"laterality.order_mismatch"},
    "chest-findings-right-impression-left": {"laterality.findings_impression"},
    "shoulder-mri-side-never-stated": {"laterality.missing"},
    "us-pelvis-female-patient-described-as-man": {"sex.mismatch"},
    "chest-impression-missing": {"section.missing"},
    "ct-head-ventricles-not-addressed": {"finding.missing"},
    "chest-no-effusion-then-effusion": {"finding.contradiction"},
    "ctpa-embolism-not-communicated": {"critical.not_communicated"},
    "ct-chest-nodule-followup-no-interval": {"followup.incomplete"},
    "ct-abdomen-cyst-measured-twice-differently": {"measurement.mismatch"},
    "mr-brain-placeholder-left": {"template.unfilled"},
}
TEMPLATES = {
    "chest_xr", "ct_chest", "ct_abdomen_pelvis", "ct_head", "ctpa", "mr_brain", "mr_knee",
    "xr_extremity", "us_abdomen", "us_pelvis_female", "us_renal", "mammo_birads", "generic",
}  # fmt: skip


def _examples() -> list[Path]:
    return sorted(RECORDS.glob("*.json"))


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.stem)
def test_example_produces_exactly_its_expected_codes(path: Path) -> None:
    report = from_record(json.loads(path.read_text(encoding="utf-8")), where=path.name)
    found = {i.code for i in check(report)}
    assert found == EXPECTED.get(path.stem, set())


def test_examples_cover_every_template_and_every_code() -> None:
    records = [json.loads(p.read_text(encoding="utf-8")) for p in _examples()]
    assert {r.get("template") for r in records} >= TEMPLATES
    assert set(CODES) - {"qa.unchecked"} == set().union(*EXPECTED.values())


def test_all_jsonl_holds_every_example_in_order() -> None:
    lines = (RECORDS / "all.jsonl").read_text(encoding="utf-8").splitlines()
    reports = [loads_record(line, where=f"all.jsonl:{n}") for n, line in enumerate(lines, 1)]
    assert sorted(r.id for r in reports) == sorted(p.stem for p in _examples())
    for report, issues in check_many(reports):
        assert {i.code for i in issues} == EXPECTED.get(report.id, set())


#: Highest share of real reports a code may fire on.  finding.missing is allowed more: the
#: chest template asks for the pleura, and a few percent of Open-i reports genuinely never
#: mention it (benchmarks/qa_eval.py: 3.0% of 1,684 reports).
LIMITS = {"finding.missing": 0.05}


def test_false_positive_rate_on_real_reports(iu_records: list[dict]) -> None:
    """Smoke test: on the first 300 real chest reports each code fires on <= 3% of them.

    Info-level findings ("bones not described") are advisory and not counted.
    """
    reports = [from_record(r) for r in iu_records[:300]]
    fired: Counter[str] = Counter()
    for _, issues in check_many(reports):
        fired.update({i.code for i in issues if i.severity.value != "info"})
    rates = {code: n / len(reports) for code, n in fired.items()}
    too_often = {code: r for code, r in rates.items() if r > LIMITS.get(code, 0.03)}
    assert not too_often, too_often
    assert rates.get("laterality.order_mismatch", 0) == 0  # chest exams are never lateral
