"""Input readers: JSONL/JSON records, plain text, gzip, format sniffing, folders, bad bytes."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest

from reporting.ingest import IngestOptions, ItemStream, detect_format, iter_files, iter_items

RECORD = {
    "id": "r1",
    "text": "FINDINGS: Left pleural effusion.\nIMPRESSION: Effusion.\n",
    "sex": "F",
}


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _items(*paths: Path, **options: object) -> list:
    return list(iter_items(paths, options=IngestOptions(**options)))  # type: ignore[arg-type]


def test_jsonl_records_with_positions_and_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps(RECORD),
        "",
        '{"id": "r2", "text": "IMPRESSION: Normal."',
        json.dumps({**RECORD, "id": "r3"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = _items(path)
    assert [i.source for i in items] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    assert items[0].report.id == "r1" and items[0].report.sex.value == "F"
    assert items[0].report.section("findings").text == "Left pleural effusion."
    assert items[1].report is None and "invalid JSON" in items[1].error
    assert items[2].report.id == "r3"


def test_record_errors_name_the_problem(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "bad.jsonl",
        [{"id": "x", "text": "ok", "colour": "red"}, {"text": "no id"}, [1, 2], {"id": "y"}],
    )
    errors = [i.error for i in _items(path)]
    assert "unknown key 'colour'" in errors[0]
    assert "missing 'id'" in errors[1]
    assert errors[2] == "expected a JSON object, got int"  # a list is a list of records
    assert "needs 'text' or 'sections'" in errors[-1]


def test_latin1_line_is_decoded_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "l1.jsonl"
    path.write_bytes(b'{"id": "z", "text": "FINDINGS: Caf\xe9 au lait spot."}\n')
    stream = ItemStream([path])
    items = list(stream)
    assert items[0].report.text == "FINDINGS: Café au lait spot."
    assert stream.warnings == [(f"{path}:1", "not UTF-8; decoded as Latin-1")]


def test_over_long_line_is_an_error_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    big = json.dumps({"id": "big", "text": "x" * 5000})
    path.write_text(big + "\n" + json.dumps(RECORD) + "\n", encoding="utf-8")
    items = _items(path, max_record_bytes=1000)
    assert "longer than 1,000 bytes" in items[0].error
    assert items[1].report.id == "r1" and items[1].source == f"{path}:2"


def test_json_document_array_and_misnamed_jsonl(tmp_path: Path) -> None:
    single = tmp_path / "one.json"
    single.write_text(json.dumps(RECORD, indent=2), encoding="utf-8")
    many = tmp_path / "many.json"
    many.write_text(json.dumps([RECORD, {**RECORD, "id": "r2"}]), encoding="utf-8")
    lines = _write_jsonl(tmp_path / "lines.json", [RECORD, {**RECORD, "id": "r9"}])
    assert [(i.source, i.report.id) for i in _items(single)] == [(str(single), "r1")]
    assert [(i.source, i.report.id) for i in _items(many)] == [
        (f"{many}:1", "r1"),
        (f"{many}:2", "r2"),
    ]
    assert [i.report.id for i in _items(lines)] == ["r1", "r9"]


def test_text_report_takes_context_from_options(tmp_path: Path) -> None:
    path = tmp_path / "ACC-17.txt"
    path.write_text(
        "FINDINGS: Fracture of the left radius.\nIMPRESSION: Fracture.\n", encoding="utf-8"
    )
    (item,) = _items(
        path, procedure="XR WRIST RIGHT", modality="dx", sex="M", age=40, laterality="right"
    )
    report = item.report
    assert (report.id, report.modality, report.laterality.value, report.age) == (
        "ACC-17",
        "DX",
        "right",
        40,
    )
    assert report.procedure.description == "XR WRIST RIGHT" and report.sex.value == "M"
    assert [s.name for s in report.sections] == ["findings", "impression"]


def test_empty_binary_and_control_character_text(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n")
    binary = tmp_path / "noise.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    controls = tmp_path / "ctrl.txt"
    controls.write_bytes(b"FINDINGS: Lungs \x07clear\x1b.\n")
    items = {Path(i.source).name: i for i in _items(empty, binary, controls)}
    assert items["empty.txt"].error == "empty file"
    assert items["noise.txt"].error == "binary data, not TXT text"
    assert items["ctrl.txt"].report.text == "FINDINGS: Lungs \x07clear\x1b.\n"


def test_gzip_variants_and_truncated_gzip(tmp_path: Path) -> None:
    data = "".join(json.dumps({**RECORD, "id": f"g{i}"}) + "\n" for i in range(2000)).encode()
    jl = tmp_path / "a.jsonl.gz"
    jl.write_bytes(gzip.compress(data))
    txt = tmp_path / "note.txt.gz"
    txt.write_bytes(gzip.compress(b"IMPRESSION: Normal chest.\n"))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(data)[:3000])
    items = _items(jl, txt, cut)
    assert [i.report.id for i in items[:2000]] == [f"g{i}" for i in range(2000)]
    assert items[1999].source == f"{jl}:2000"
    assert items[2000].report.id == "note" and items[2000].report.section("impression") is not None
    tail = items[2001:]
    assert all(i.report is not None for i in tail[:-1]) and tail
    assert "truncated or corrupt compressed data after" in tail[-1].error


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.txt", b"MSH|^~\\&|RIS|", "hl7"),
        ("msg", b"\xef\xbb\xbfFHS|^~\\&|", "hl7"),
        ("IM0001", b"\0" * 128 + b"DICM" + b"\0" * 10, "dicom"),
        ("x.dcm", b"", "dicom"),
        ("export", b'{"resourceType": "Bundle"}', "json"),
        ("a.txt", b'{"id": "1"}', "jsonl"),
        ("a.json", b'{"id": "1"}', "json"),
        ("a.csv", b"id,text\n", "csv"),
        ("notes", b"FINDINGS: normal", "txt"),
        ("blob", bytes(range(256)), "unknown"),
    ],
)
def test_detect_format_by_extension_and_content(name: str, head: bytes, expected: str) -> None:
    assert detect_format(name, head) == expected


def test_folders_are_walked_in_sorted_order_skipping_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    _write_jsonl(tmp_path / "b" / "1.jsonl", [RECORD])
    (tmp_path / "a" / "deep" / "z.txt").write_text("IMPRESSION: Normal.", encoding="utf-8")
    (tmp_path / "a" / "README.md").write_text("# notes", encoding="utf-8")
    (tmp_path / "a" / ".hidden.jsonl").write_text("{}", encoding="utf-8")
    (tmp_path / "a" / "IM0001").write_bytes(b"MSH|^~\\&|RIS|")
    (tmp_path / "a" / "NOTES").write_bytes(b"not a report, no extension")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert found == ["a/IM0001", "a/NOTES", "a/deep/z.txt", "b/1.jsonl"]
    read = {Path(i.source).name for i in iter_items([tmp_path])}
    assert "NOTES" not in read and {"IM0001", "z.txt"} <= read
    (named,) = iter_items([tmp_path / "a" / "NOTES"])  # named explicitly: read as a text report
    assert named.report is not None and named.report.id == "NOTES"


def test_unreadable_and_unrecognised_files_become_error_items(tmp_path: Path) -> None:
    blob = tmp_path / "blob.bin"
    # random bytes, but never starting like JSON ("{", "["): those are read as JSON and fail
    # as "binary data, not JSON text", also a clear error; os.urandom did so about 1 run in 125
    noise = random.Random(5).randbytes(4095).replace(b"DICM", b"xxxx")
    blob.write_bytes(b"\x00" + noise)
    empty = tmp_path / "nothing.jsonl"
    empty.write_bytes(b"")
    locked = tmp_path / "locked.jsonl"
    _write_jsonl(locked, [RECORD])
    locked.chmod(0)
    items = _items(blob, empty, locked)
    assert items[0].error.startswith("unrecognised format")
    if os.geteuid() != 0:  # root reads anything
        assert items[-1].error.startswith("cannot open file")
    assert len([i for i in items if i.report is not None]) <= 1


def test_progress_counters_follow_the_bytes_read(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", [{**RECORD, "id": f"p{i}"} for i in range(50)])
    stream = ItemStream([path])
    assert stream.bytes_total == path.stat().st_size
    assert len(list(stream)) == 50
    assert stream.bytes_done == stream.bytes_total


def test_fhir_report_and_bundle_use_the_export_reader(tmp_path: Path) -> None:
    pytest.importorskip("reporting.ingest.fhir")
    from reporting.export import to_fhir
    from reporting.model import Report

    one = to_fhir(
        Report.from_text("FINDINGS: Normal.\nIMPRESSION: Normal.\n", id="f1", modality="CR")
    )
    two = to_fhir(Report.from_text("IMPRESSION: Left effusion.\n", id="f2", modality="CR"))
    report = next(
        e["resource"] for e in one["entry"] if e["resource"]["resourceType"] == "DiagnosticReport"
    )
    (tmp_path / "dr.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "bundle.json").write_text(json.dumps({**one, "entry": one["entry"] + two["entry"]}))
    (tmp_path / "lines.ndjson").write_text(json.dumps(report) + "\n" + json.dumps(two) + "\n")
    items = [(Path(i.source).name, i.report.id) for i in iter_items([tmp_path])]
    assert items == [
        ("bundle.json#1", "f1"),
        ("bundle.json#2", "f2"),
        ("dr.json", "f1"),
        ("lines.ndjson:1", "f1"),
        ("lines.ndjson:2", "f2"),
    ]


def test_shared_hl7_batch_and_dicom_sr_files(tmp_path: Path) -> None:
    from conftest import shared_path

    oru = shared_path(
        "external", "hl7", "spacki_OruAdapter", "oru_msg1_GE_RIS_thorax_xray_v2.4.hl7"
    )
    oru2 = shared_path("external", "hl7", "dcm4che_testdata", "ORU^R01.hl7")
    order = shared_path("external", "hl7", "dcm4che_testdata", "ORM^O01-GeneralOrder.hl7")
    sr = shared_path("external", "sr", "dcmtk_mkreport_3.6.7", "report01.dcm")
    segments = [
        seg
        for p in (oru, order, oru2)
        for seg in p.read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r")
        if seg.strip()
    ]
    batch = tmp_path / "batch.hl7"
    batch.write_bytes(
        b"\r".join([b"FHS|^~\\&|RIS", b"BHS|^~\\&|RIS", *segments, b"BTS|3", b"FTS|1"]) + b"\r"
    )
    (tmp_path / "IM0001").write_bytes(sr.read_bytes())  # DICOM without extension: sniffed
    (tmp_path / "cut.dcm").write_bytes(sr.read_bytes()[:700])  # truncated DICOM
    items = list(iter_items([tmp_path]))
    by_name: dict[str, list] = {}
    for item in items:
        by_name.setdefault(Path(item.source.split("#")[0]).name, []).append(item)
    hl7 = by_name["batch.hl7"]
    assert [i.source for i in hl7] == [f"{batch}#{n}" for n in (1, 2, 3)]  # one per message
    assert hl7[0].report is not None and hl7[2].report is not None
    assert hl7[1].report is None and hl7[1].error  # the order message is not a result
    assert by_name["IM0001"][0].report is not None and by_name["IM0001"][0].report.text.strip()
    assert by_name["cut.dcm"][0].report is None and by_name["cut.dcm"][0].error


def test_jsonl_slices_cover_the_file_and_read_like_the_whole(tmp_path: Path) -> None:
    from reporting.ingest import jsonl_slices, read_slice

    path = tmp_path / "big.jsonl"
    lines = [json.dumps({**RECORD, "id": f"s{i}"}).encode() for i in range(300)]
    lines[17] = b""  # blank line
    lines[40] = b'{"id": "lat", "text": "IMPRESSION: Caf\xe9."}'
    lines[99] = b"{torn"
    path.write_bytes(b"\n".join(lines))  # no newline at the end
    slices = list(jsonl_slices(path, 2000))
    assert len(slices) > 10
    assert slices[0].start == 0 and slices[-1].end == path.stat().st_size
    data = path.read_bytes()
    for a, b in zip(slices, slices[1:], strict=False):
        assert a.end == b.start and data[a.end - 1 : a.end] == b"\n"
        assert b.first_line == data[: b.start].count(b"\n") + 1
    whole = [(i.source, i.report.id if i.report else i.error) for i in iter_items([path])]
    pieces, warnings = [], []
    for part in slices:
        items, notes = read_slice(part)
        pieces += [(i.source, i.report.id if i.report else i.error) for i in items]
        warnings += notes
    assert pieces == whole and len(whole) == 299
    assert warnings == [(f"{path}:41", "not UTF-8; decoded as Latin-1")]
    attached = list(jsonl_slices(path, 2000, attach=True))
    assert [(a.start, a.end, a.first_line) for a in attached] == [
        (p.start, p.end, p.first_line) for p in slices
    ]
    assert b"".join(a.data or b"" for a in attached) == data
    shipped = [i.source for a in attached for i in read_slice(a)[0]]
    assert shipped == [source for source, _ in whole]
