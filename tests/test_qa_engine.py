"""The QA engine: check / check_many contracts, options, bad input, lexicon validation."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reporting
from reporting.errors import LexiconError, QAError
from reporting.model import Issue, Report, Severity
from reporting.qa import CODES, QAOptions, check, check_many, describe
from reporting.qa import lexicon as qa_lexicon

BAD_CHEST = (
    "EXAMINATION: XR CHEST\nFINDINGS: Moderate right pneumothorax. There is a ___ cm nodule.\n"
    "IMPRESSION: Moderate right pneumothorax.\n"
)


def test_public_api_is_reachable_from_the_package() -> None:
    assert reporting.check is check
    assert reporting.check_many is check_many
    assert "critical.not_communicated" in CODES and describe("sex.mismatch")


def test_issues_are_sorted_by_start_and_carry_spans() -> None:
    issues = check(BAD_CHEST, procedure="XR CHEST PORTABLE")
    assert [i.start for i in issues] == sorted(i.start for i in issues)
    assert {"critical.not_communicated", "template.unfilled"} <= {i.code for i in issues}
    for issue in issues:
        assert isinstance(issue, Issue)
        assert 0 <= issue.start <= issue.end <= len(BAD_CHEST)
        for ev in issue.evidence:
            assert BAD_CHEST[ev.start : ev.end] == ev.text
        assert Issue.from_dict(json.loads(json.dumps(issue.to_dict()))) == issue


def test_options_select_codes_and_override_severity() -> None:
    only = check(BAD_CHEST, options=QAOptions(enabled=frozenset({"template.unfilled"})))
    assert {i.code for i in only} == {"template.unfilled"}
    without = check(BAD_CHEST, options=QAOptions(disabled=frozenset({"template.unfilled"})))
    assert "template.unfilled" not in {i.code for i in without}
    graded = check(BAD_CHEST, options=QAOptions(severity={"template.unfilled": "info"}))
    assert {i.severity for i in graded if i.code == "template.unfilled"} == {Severity.INFO}
    errors_only = check(BAD_CHEST, options=QAOptions(min_severity=Severity.ERROR))
    assert all(i.severity is Severity.ERROR for i in errors_only)


def test_unknown_code_in_options_is_a_clear_error() -> None:
    with pytest.raises(QAError, match="unknown QA code 'laterality.wrong'"):
        QAOptions(enabled=frozenset({"laterality.wrong"}))


def test_forced_template_and_unknown_template() -> None:
    text = "FINDINGS: Lungs clear.\nIMPRESSION: Normal."
    forced = check(text, options=QAOptions(template="ct_head"))
    assert "ventricles" in {i.topic for i in forced if i.code == "finding.missing"}
    with pytest.raises(QAError, match="no_such_template"):
        check(text, template="no_such_template")


def test_check_many_streams_in_input_order() -> None:
    reports = [
        Report.from_text(
            f"FINDINGS: Case {n}. {'No pneumothorax.' if n % 2 else 'Large pneumothorax.'}\n"
            "IMPRESSION: See findings.",
            id=f"r{n}",
        )
        for n in range(23)
    ]
    results = list(check_many(iter(reports), batch_size=5))
    assert [r.id for r, _ in results] == [r.id for r in reports]
    flagged = [
        r.id for r, issues in results if "critical.not_communicated" in {i.code for i in issues}
    ]
    assert flagged == [f"r{n}" for n in range(0, 23, 2)]
    single = {r.id: check(r) for r in reports}
    assert all(single[r.id] == issues for r, issues in results)


def test_check_many_with_processes_matches_one_process() -> None:
    reports = [
        Report.from_text(
            BAD_CHEST if n % 3 == 0 else "FINDINGS: Clear.\nIMPRESSION: Normal.", id=f"p{n}"
        )
        for n in range(12)
    ]
    one = [(r.id, issues) for r, issues in check_many(reports, batch_size=4)]
    two = [(r.id, issues) for r, issues in check_many(reports, batch_size=4, processes=2)]
    assert one == two


def test_too_long_report_is_refused_by_check_and_flagged_by_check_many() -> None:
    huge = "FINDINGS: " + "Lungs are clear. " * 700_000 + "\nIMPRESSION: Normal."
    assert len(huge) > 10_000_000
    with pytest.raises(QAError, match="characters long"):
        check(huge)
    small = Report.from_text("FINDINGS: Clear.\nIMPRESSION: Normal.", id="ok")
    results = list(check_many([small, Report(id="huge", text=huge), small]))
    assert [r.id for r, _ in results] == ["ok", "huge", "ok"]
    assert [i.code for i in results[1][1]] == ["qa.unchecked"]
    assert results[0][1] == results[2][1]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "\x00\x01\x02 FINDINGS:\x0b\x0c IMPRESSION:\x7f",
        "IMPRESSION",
        "[[[[ <<<< ____ ****",
    ],
)
def test_odd_text_gives_a_result_not_a_crash(text: str) -> None:
    issues = check(text)
    assert "section.missing" in {i.code for i in issues}


def test_wrong_input_type_is_a_clear_error() -> None:
    with pytest.raises(QAError, match="takes a Report or a str"):
        check(42)  # type: ignore[arg-type]
    with pytest.raises(QAError, match="only apply to text"):
        check(Report.from_text("FINDINGS: x", id="a"), sex="F")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            list("abcdeflrtLRT .,:;-\n[]*_<>{}?#0123456789")
            + [
                "left ",
                "right ",
                "no ",
                "FINDINGS: ",
                "IMPRESSION: ",
                "pneumothorax ",
                "cm ",
                "woman ",
                "prostate ",
                "recommend ",
                "follow-up ",
                "XXXX ",
                "\x00",
                "é",
                "İ",
            ]
        ),
        max_size=120,
    ).map("".join),
    st.sampled_from(["", "XR KNEE LEFT", "MRI RT SHOULDER", "XR CHEST", "US PELVIS"]),
    st.sampled_from(["", "F", "M"]),
)
def test_check_never_crashes(text: str, procedure: str, sex: str) -> None:
    issues = check(text, procedure=procedure, sex=sex)
    for issue in issues:
        assert issue.code in CODES
        assert 0 <= issue.start <= issue.end <= len(text)
        for ev in issue.evidence:
            assert text[ev.start : ev.end] == ev.text


def test_lexicon_with_unknown_key_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporting.resources import lexicons_dir

    for name in ("sex.json", "critical.json", "followup.json", "qa_rules.json"):
        (tmp_path / name).write_text(
            (lexicons_dir() / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    data = json.loads((tmp_path / "followup.json").read_text(encoding="utf-8"))
    data["modalitys"] = ["ct"]
    (tmp_path / "followup.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(qa_lexicon, "lexicons_dir", lambda: tmp_path)
    qa_lexicon.followup_lexicon.cache_clear()
    try:
        with pytest.raises(LexiconError, match=r"followup\.json: unknown key 'modalitys'"):
            qa_lexicon.followup_lexicon()
    finally:
        qa_lexicon.followup_lexicon.cache_clear()


def test_check_many_reads_its_input_lazily() -> None:
    """An endless input still yields results: only a few batches are ever held."""
    pulled = 0

    def endless():
        nonlocal pulled
        while True:
            pulled += 1
            yield Report.from_text("FINDINGS: Clear.\nIMPRESSION: Normal.", id=f"e{pulled}")

    for processes in (1, 2):
        pulled = 0
        first = list(itertools.islice(check_many(endless(), batch_size=3, processes=processes), 4))
        assert [r.id for r, _ in first] == ["e1", "e2", "e3", "e4"]
        assert pulled <= 3 * (2 * processes + 1)
