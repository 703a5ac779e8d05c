"""Pilot tests of the radiologist's TUI: worklist, editing, QA, sign/override, export, addendum."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input

from reporting.model import Status
from reporting.tui.drafts import DraftState
from reporting.tui.screens.dialogs import AddendumDialog, SignDialog
from reporting.tui.screens.help import HelpScreen
from reporting.tui.screens.report import ReportScreen
from reporting.tui.screens.worklist import WorklistScreen
from reporting.tui.widgets.editor import ReportEditor
from tests.tui_helpers import make_app, run_async, wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _private_home(isolated_home: Path) -> None:
    """No test reads or writes the real ~/.config or ~/.local/share."""


async def open_study(pilot, query: str) -> ReportScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, WorklistScreen))
    await pilot.press(*query)
    await pilot.press("enter")
    return await open_ready(pilot)


async def open_ready(pilot) -> ReportScreen:
    app = pilot.app
    screen = await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen)
    await wait_for(
        pilot,
        lambda: (
            screen.draft is not None and screen.query(ReportEditor).first().query("SectionText")
        ),
    )
    return screen


@run_async
async def test_worklist_filters_by_typing_and_opens_the_suggested_template(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for(
            pilot, lambda: isinstance(app.screen, WorklistScreen) and app.screen
        )
        table = screen.query_one(DataTable)
        assert table.row_count == 5
        await pilot.press(*"knee")
        assert table.row_count == 1
        assert screen.shown[0].accession == "ACC1002"
        await pilot.press("enter")
        report = await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen)
        await wait_for(pilot, lambda: report.draft is not None)
        assert report.template_id == "mr_knee"
        assert report.draft.patient.name == "Nørgaard^Søren"
        assert report.draft.laterality.value == "left"
        editor = report.query_one(ReportEditor)
        assert editor.text_area("findings") is not None
        assert editor.field_input("medial_meniscus") is not None or len(editor.targets()) > 3
    events = [json.loads(line)["event"] for line in (tmp_path / "data" / "audit.jsonl").open()]
    assert events[:1] == ["created"]


@run_async
async def test_template_can_be_changed_before_opening(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for(
            pilot, lambda: isinstance(app.screen, WorklistScreen) and app.screen
        )
        await pilot.press(*"wrist", "f2")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TemplatePicker")
        picker = app.screen
        from textual.widgets import OptionList

        olist = picker.query_one(OptionList)
        ids = [olist.get_option_at_index(i).id for i in range(olist.option_count)]
        olist.highlighted = ids.index("generic")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.templates["ACC1003"] == "generic"
        await pilot.press("enter")
        report = await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen)
        await wait_for(pilot, lambda: report.draft is not None)
        assert report.template_id == "generic"


@run_async
async def test_editing_fields_and_sections_by_keyboard(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_study(pilot, "ACC1001")
        editor = screen.query_one(ReportEditor)
        # a field input rewrites its "Label: value" line in the section text
        field = next(iter(editor.query("FieldInput")))
        label, section = field.field.label, field.section
        field.focus()
        field.value = ""
        await pilot.press(*"Small left effusion.")
        await wait_for(
            pilot, lambda: f"{label}: Small left effusion." in screen.draft.section(section).text
        )
        values = {f.id: f.value for f in screen.draft.section(section).fields}
        assert values[field.field.id] == "Small left effusion."
        # the focused input keeps its one line for the value (a focus border hid it)
        assert field.has_focus and field.content_region.height == 1
        # the next-field key walks to the next input
        await pilot.press("f8")
        assert screen.focused is not field and editor.where(screen.focused)[0] == section
        # typing in a section's text updates the draft and the preview
        area = editor.text_area("impression")
        area.focus()
        area.select_all()
        await pilot.press(*"No acute disease.")
        await wait_for(
            pilot, lambda: screen.draft.section("impression").text == "No acute disease."
        )
        await wait_for(
            pilot, lambda: "No acute disease." in str(screen.query_one("#preview").render())
        )
        tabs = screen.query_one("#tabs")
        await pilot.press("ctrl+r")
        assert tabs.active == "tab-preview"
        await pilot.press("ctrl+r")
        assert tabs.active == "tab-qa"
        # "insert normal" puts the template's normal text back (through the undo history)
        await pilot.press("f2")
        normal = screen.normal_text("impression")
        assert normal and normal != "No acute disease."
        await wait_for(pilot, lambda: screen.draft.section("impression").text == normal)
        await pilot.press("ctrl+z")
        await wait_for(
            pilot, lambda: screen.draft.section("impression").text == "No acute disease."
        )
        await pilot.press("ctrl+q")  # quitting saves the open draft
    saved = app.drafts.load("ACC1001")
    assert saved is not None and saved.section("impression").text == "No acute disease."
    assert app.drafts.state("ACC1001") is DraftState.DRAFT  # nothing left to recover
    rows = [json.loads(line) for line in (tmp_path / "data" / "audit.jsonl").open()]
    edited = [r for r in rows if r["event"] == "field_edited"]
    assert {(r["section"], r["field"]) for r in edited} >= {
        (section, field.field.id),
        ("impression", None),
    }
    assert all("effusion" not in json.dumps(r) for r in rows)


@run_async
async def test_sign_exports_every_format_and_makes_the_report_read_only(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_study(pilot, "ACC1001")
        await pilot.press("f9")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, SignDialog) and app.screen)
        await wait_for(pilot, lambda: dialog.query("#sign"))
        if dialog.errors:  # the normal template must not have errors
            pytest.fail(f"unexpected QA errors: {[i.code for i in dialog.errors]}")
        await pilot.click("#sign")
        await wait_for(pilot, lambda: screen.draft.status is Status.FINAL)
        assert screen.draft.verifier == "Dr Ana Souza"
        outbox = tmp_path / "outbox"
        files = await wait_for(
            pilot,
            lambda: sorted(outbox.rglob("*.*")) if len(list(outbox.rglob("*.*"))) >= 5 else None,
        )
        assert all(area.read_only for area in screen.query("SectionText"))
        assert "FINAL" in str(screen.query_one("#banner").render())
        # an addendum makes an amended version, exported again
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, AddendumDialog))
        await pilot.press(*"Reviewed with the referring team.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.draft.status is Status.AMENDED)
        assert screen.draft.section("addendum").text == "Reviewed with the referring team."
        await wait_for(pilot, lambda: len(list((tmp_path / "outbox").glob("*amended*/*.hl7"))) == 1)
        # back on the worklist the study is final; reopened, it is read-only
        await pilot.press("escape")
        worklist = await wait_for(
            pilot, lambda: isinstance(app.screen, WorklistScreen) and app.screen
        )
        assert worklist.query_one(DataTable).get_row("ACC1001")[-1] == "final"
        await pilot.press("enter")
        reopened = await open_ready(pilot)
        assert reopened.read_only and reopened.draft.status is Status.AMENDED
        assert all(area.read_only for area in reopened.query("SectionText"))
    suffixes = {p.name.split(".", 1)[1] for p in files}
    assert {"sr.dcm", "hl7", "pdf", "fhir.json"} <= suffixes
    check_exports(files)
    rows = [json.loads(line) for line in (tmp_path / "data" / "audit.jsonl").open()]
    events = [r["event"] for r in rows]
    assert "signed" in events and "exported" in events and "addendum" in events
    assert app.drafts.load("ACC1001").status is Status.AMENDED
    versions = [r.status for r in app.drafts.versions("ACC1001")]
    assert versions == [Status.FINAL, Status.AMENDED]  # the signed version is kept as it was


def check_exports(files: list[Path]) -> None:
    """Each exported file parses with its format's real reader."""
    import pydicom
    from fhir.resources.R4B import get_fhir_model_class

    by = {p.name.split(".", 1)[1]: p for p in files}
    ds = pydicom.dcmread(by["sr.dcm"])
    assert ds.Modality == "SR" and ds.AccessionNumber == by["sr.dcm"].name.split(".")[0]
    assert ds.VerificationFlag == "VERIFIED"
    dciodvfy = shutil.which("dciodvfy")
    if dciodvfy:
        run = subprocess.run([dciodvfy, str(by["sr.dcm"])], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]
    assert by["pdf"].read_bytes().startswith(b"%PDF")
    data = json.loads(by["fhir.json"].read_text())
    model = get_fhir_model_class(data["resourceType"]).model_validate(data)
    assert model is not None
    hl7 = by["hl7"].read_text().replace("\n", "\r")
    assert hl7.startswith("MSH|") and "ORU^R01" in hl7.split("\r", 1)[0]


@run_async
async def test_help_lists_keys_and_voice_commands_and_keys_are_configurable(tmp_path: Path) -> None:
    from reporting.tui.config import DEFAULT_KEYS, TuiConfig

    config = TuiConfig(keys={**DEFAULT_KEYS, "sign": "f12", "help": "f11"})
    app = make_app(tmp_path, config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_study(pilot, "ACC1005")
        await pilot.press("f9")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, SignDialog))
        await pilot.press("escape")
        await pilot.press("f11")
        help_screen = await wait_for(
            pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen
        )
        text = str(help_screen.query_one("#help-text").render())
        assert "next field" in text and "insert normal" in text and "go to" in text
        assert "f12" in text and "toggle" in text
        assert "may also end one" in " ".join(text.split())  # commands said after text
        assert "fills that field" in " ".join(text.split())  # fields by name and value
        assert "Spleen 11 cm" in " ".join(text.split())  # a text field by name and measurement
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen))


@run_async
async def test_worklist_error_is_shown_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"studies": [{"acession": "x"}]}')
    app = make_app(tmp_path, worklist=bad)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await wait_for(
            pilot, lambda: isinstance(app.screen, WorklistScreen) and app.screen
        )
        await pilot.pause(0.1)
        assert screen.query_one(DataTable).row_count == 0
        assert any("unknown key 'acession'" in n.message for n in app._notifications)
        assert isinstance(screen.query_one("#filter", Input), Input)
        assert not screen.query(Button)


@run_async
async def test_a_damaged_saved_report_is_left_alone(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    record = app.drafts.prepare("ACC1003").record
    record.write_text('{"id": "ACC1003", "text": ')  # cut off mid-write by another program
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WorklistScreen))
        await pilot.press(*"wrist", "enter")
        await wait_for(pilot, lambda: any("report.json" in n.message for n in app._notifications))
        await wait_for(pilot, lambda: isinstance(app.screen, WorklistScreen))
    assert record.read_text() == '{"id": "ACC1003", "text": '
