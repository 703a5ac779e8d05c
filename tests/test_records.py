"""The report record JSON: round trip (hypothesis), shorthands, clear errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting import Report, Section, from_record, to_record
from reporting.errors import RecordError
from reporting.model import FieldValue
from reporting.records import RECORD_SCHEMA, loads_record

text_st = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
name_st = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
field_st = st.builds(
    FieldValue,
    id=name_st,
    value=st.one_of(
        st.none(),
        text_st,
        st.integers(-1000, 1000),
        st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
    ),
    unit=st.one_of(st.none(), st.sampled_from(["mm", "cm", "mL"])),
)
section_st = st.builds(
    Section,
    name=name_st,
    text=text_st,
    title=text_st.filter(bool),
    fields=st.lists(field_st, max_size=3).map(tuple),
)


@st.composite
def reports(draw: st.DrawFn) -> Report:
    status = draw(st.sampled_from(["draft", "preliminary", "final", "amended"]))
    context = dict(
        id=draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        procedure=draw(text_st),
        modality=draw(st.sampled_from(["", "CR", "CT", "MR", "US"])),
        laterality=draw(st.sampled_from(["left", "right", "bilateral", "none"])),
        patient={
            "name": draw(st.sampled_from(["", "Müller^Zoë", "O'Brien^Seán"])),
            "id": draw(st.text(max_size=10)),
            "birth_date": draw(st.sampled_from([None, "1960-02-29", "2001-12-31"])),
            "sex": draw(st.sampled_from(["F", "M", "O", "U"])),
        },
        study={
            "accession": draw(st.text(max_size=10)),
            "study_uid": draw(st.sampled_from(["", "1.2.840.1234.5"])),
            "date": draw(st.sampled_from([None, "2026-11-28"])),
            "referring": draw(text_st),
        },
        age=draw(st.one_of(st.none(), st.integers(0, 120))),
        author=draw(text_st),
        verifier=draw(text_st.filter(bool)) if status in ("final", "amended") else draw(text_st),
        status=status,
        template=draw(st.sampled_from(["", "chest_xr", "mr_knee"])),
    )
    if draw(st.booleans()):
        return Report.from_text(draw(text_st), **context)
    return Report.from_sections(draw(st.lists(section_st, max_size=4)), **context)


@settings(max_examples=150, deadline=None)
@given(reports())
def test_record_round_trip_is_lossless(report: Report) -> None:
    record = to_record(report)
    again = from_record(json.loads(json.dumps(record, ensure_ascii=False)))
    assert again == report


def test_shorthands_and_minimal_record() -> None:
    report = from_record({"id": "r", "text": "FINDINGS: x\nIMPRESSION: y", "sex": "F", "age": 54})
    assert report.patient.sex.value == "F"
    assert report.age == 54
    assert report.section("impression").text == "y"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "obj, message",
    [
        ([], "expected a JSON object"),
        ({"text": "x"}, "missing 'id'"),
        ({"id": "a"}, "needs 'text' or 'sections'"),
        ({"id": "a", "text": "x", "colour": "red"}, "unknown key 'colour'"),
        ({"id": "a", "text": "x", "patient": {"nam": "x"}}, "unknown key 'nam'"),
        ({"id": "a", "text": "x", "laterality": "up"}, "laterality"),
        ({"id": "a", "text": "x", "status": "final"}, "verifier"),
        ({"id": "a", "text": 5}, "'text' must be a string"),
        ({"id": "a", "text": "x", "age": "old"}, "'age'"),
    ],
)
def test_bad_records_name_the_problem(obj: object, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        from_record(obj)


def test_loads_record_errors() -> None:
    with pytest.raises(RecordError, match="invalid JSON"):
        loads_record('{"id": ')
    with pytest.raises(RecordError, match="not UTF-8"):
        loads_record(b'{"id": "\xff"}')


def test_schema_names_every_record_key() -> None:
    report = Report.from_text(
        "FINDINGS: x",
        id="a",
        procedure="XR",
        modality="CR",
        laterality="left",
        age=3,
        template="t",
        author="a",
        patient={"name": "n", "id": "1", "birth_date": "2000-01-01", "sex": "M"},
        study={"accession": "A", "study_uid": "1.2", "date": "2026-01-01", "referring": "R"},
    )
    assert set(to_record(report)) <= set(RECORD_SCHEMA["properties"])


def test_committed_schema_file_matches_the_code() -> None:
    from pathlib import Path

    committed = Path(__file__).resolve().parent.parent / "docs" / "record.schema.json"
    assert json.loads(committed.read_text(encoding="utf-8")) == RECORD_SCHEMA, (
        "docs/record.schema.json is stale: run `reporting schema > docs/record.schema.json`"
    )
