"""The worklist: studies waiting for a report; type to filter, Enter to report."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from reporting.errors import ReportingError
from reporting.resources import examples_dir
from reporting.tui.backends import Missing, optional
from reporting.tui.drafts import DraftState
from reporting.tui.worklist import Worklist, WorklistEntry, load_worklist

if TYPE_CHECKING:
    from reporting.tui.app import ReportingApp

__all__ = ["WorklistScreen", "suggest_template"]

log = logging.getLogger(__name__)

_STATE_LABEL = {
    DraftState.NEW: "",
    DraftState.DRAFT: "draft",
    DraftState.RECOVERABLE: "RECOVER",
    DraftState.FINAL: "final",
}


_WIDE = 100  # columns from which the template column is shown (else only in the detail line)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def suggest_template(entry: WorklistEntry) -> str:
    """The template id for a study: explicit in the worklist, else matched on its procedure."""
    if entry.template:
        return entry.template
    try:
        match_template = optional("reporting.templating", "match_template")
    except Missing:
        return "generic"
    try:
        spec = match_template(entry.procedure, entry.modality)
    except ReportingError as exc:
        log.warning("no template match: %s", exc.title)
        return "generic"
    return str(spec.id)


class WorklistScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Report", priority=True),
        Binding("f2", "template", "Template"),
        Binding("f1", "help", "Help", id="worklist.help"),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("pagedown", "cursor(10)", show=False),
        Binding("pageup", "cursor(-10)", show=False),
        Binding("escape", "clear_filter", "Clear", show=False),
    ]

    DEFAULT_CSS = """
    WorklistScreen #filter { margin: 0 0 0 0; border: tall $accent; }
    WorklistScreen #table { height: 1fr; }
    WorklistScreen #detail { height: 3; padding: 0 1; background: $boost; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.worklist = Worklist(source="", entries=())
        self.shown: list[WorklistEntry] = []
        self.templates: dict[str, str] = {}  # accession -> chosen template id
        self.wide = False

    @property
    def rapp(self) -> ReportingApp:
        from reporting.tui.app import ReportingApp

        assert isinstance(self.app, ReportingApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            search = Input(
                placeholder="Type to filter: patient, accession, study, modality…", id="filter"
            )
            search.cursor_blink = False  # steady, like the editor's: calmer, and reproducible
            yield search
            table: DataTable[str] = DataTable(id="table", cursor_type="row", zebra_stripes=True)
            table.can_focus = False
            yield table
            yield Static("", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Worklist"
        self.load()
        self.query_one("#filter", Input).focus()
        self.call_after_refresh(self.offer_recovery)

    # ---------------------------------------------------------------- data
    def load(self) -> None:
        path = self.rapp.options.worklist
        if path is None:
            folder = examples_dir()
            path = folder / "worklist.json" if folder else None
        if path is None:
            self.notify("No worklist: pass --worklist FILE or DIR", severity="warning")
            return
        try:
            self.worklist = load_worklist(path)
        except ReportingError as exc:
            self.notify(str(exc), title=exc.title, severity="error", timeout=10)
            return
        if self.worklist.skipped:
            self.notify(f"{len(self.worklist.skipped)} file(s) in the folder are not DICOM studies")
        for entry in self.worklist.entries:
            self.templates[entry.accession] = suggest_template(entry)
        self.refresh_table()

    def on_resize(self) -> None:
        if self.wide != (self.size.width >= _WIDE):
            self.refresh_table()

    def refresh_table(self) -> None:
        query = self.query_one("#filter", Input).value
        table = self.query_one("#table", DataTable)
        current = self.current_entry()
        self.wide = self.size.width >= _WIDE
        table.clear(columns=True)
        fixed = 9 + 18 + 3 + 3 + 7 + (16 if self.wide else 0)
        columns = 7 if self.wide else 6
        study_width = max(12, self.size.width - fixed - 2 * columns - 2)
        table.add_column("Accession", key="acc", width=9)
        table.add_column("Patient", key="patient", width=18)
        table.add_column("Mod", key="mod", width=3)
        table.add_column("Study", key="study", width=study_width)
        table.add_column("Lat", key="lat", width=3)
        if self.wide:
            table.add_column("Template", key="template", width=16)
        table.add_column("State", key="state", width=7)
        self.shown = self.worklist.filter(query)
        for entry in self.shown:
            state = self.rapp.drafts.state(entry.accession)
            cells = [
                entry.accession,
                _clip(entry.display_name, 18),
                entry.modality,
                _clip(entry.study_description or entry.body_part, study_width),
                {"left": "L", "right": "R", "bilateral": "B"}.get(entry.laterality.value, ""),
            ]
            if self.wide:
                cells.append(self.templates.get(entry.accession, "generic"))
            cells.append(_STATE_LABEL[state])
            table.add_row(*cells, key=entry.accession)
        if current in self.shown:
            table.move_cursor(row=self.shown.index(current))
        self.show_detail()

    def current_entry(self) -> WorklistEntry | None:
        table = self.query_one("#table", DataTable)
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def show_detail(self) -> None:
        entry = self.current_entry()
        detail = self.query_one("#detail", Static)
        if entry is None:
            total = len(self.worklist.entries)
            detail.update(
                f"No study matches. ({total} on the worklist)" if total else "No studies."
            )
            return
        bits = [
            f"ID {entry.patient_id}" if entry.patient_id else "",
            f"born {entry.birth_date.isoformat()}" if entry.birth_date else "",
            f"sex {entry.sex.value}",
        ]
        study = [
            entry.date.isoformat() if entry.date else "",
            entry.body_part,
            entry.laterality.value if entry.laterality.value != "none" else "",
            f"ref. {entry.referring.replace('^', ' ')}" if entry.referring else "",
        ]
        detail.update(
            f"[b]{entry.display_name}[/b]  " + "  ".join(b for b in bits if b) + "\n"
            f"{entry.study_description}  " + "  ".join(s for s in study if s) + "\n"
            f"[dim]Enter: report with template [b]{self.templates.get(entry.accession)}[/b]"
            "  F2: change template[/dim]"
        )

    # ---------------------------------------------------------------- events
    @on(Input.Changed, "#filter")
    def _filter(self) -> None:
        self.refresh_table()

    @on(DataTable.RowHighlighted)
    def _highlight(self) -> None:
        self.show_detail()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def on_screen_resume(self) -> None:
        if self.worklist.entries:
            self.refresh_table()

    # ---------------------------------------------------------------- actions
    def action_cursor(self, step: int) -> None:
        table = self.query_one("#table", DataTable)
        if self.shown:
            row = max(0, min(len(self.shown) - 1, table.cursor_row + step))
            table.move_cursor(row=row)

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""

    def action_help(self) -> None:
        from reporting.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.rapp.options.config))

    def action_template(self) -> None:
        from reporting.tui.screens.dialogs import TemplatePicker

        entry = self.current_entry()
        if entry is None:
            return

        def chosen(template_id: str | None) -> None:
            if template_id:
                self.templates[entry.accession] = template_id
                self.refresh_table()

        self.app.push_screen(TemplatePicker(self.templates.get(entry.accession, "")), chosen)

    def action_open(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        self.open_entry(entry)

    def open_entry(self, entry: WorklistEntry, *, ask: bool = True) -> None:
        from reporting.tui.screens.dialogs import RecoverDialog
        from reporting.tui.screens.report import ReportScreen

        template_id = self.templates.get(entry.accession) or suggest_template(entry)
        if ask and self.rapp.drafts.state(entry.accession) is DraftState.RECOVERABLE:

            def answer(choice: str | None) -> None:
                if choice == "recover":
                    self.app.push_screen(ReportScreen(entry, template_id, recover=True))
                elif choice == "discard":
                    self.rapp.drafts.discard_journal(entry.accession)
                    self.app.push_screen(ReportScreen(entry, template_id))

            self.app.push_screen(RecoverDialog(entry), answer)
            return
        self.app.push_screen(ReportScreen(entry, template_id))

    def offer_recovery(self) -> None:
        """After a crash, offer the first interrupted draft straight away."""
        for entry in self.worklist.entries:
            if self.rapp.drafts.state(entry.accession) is DraftState.RECOVERABLE:
                self.open_entry(entry)
                return
