"""The report screen: template sections and fields, dictation, live QA, preview, sign/export.

Work that may take time runs in thread workers (QA, export, speech recognition) and comes
back as messages; the UI thread only applies results.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from reporting.errors import ReportingError
from reporting.model import Issue, Report, Section, Status
from reporting.tui.backends import Missing, optional
from reporting.tui.config import DEFAULT_KEYS
from reporting.tui.editing import parse_value, read_field, replace_section_text
from reporting.tui.messages import (
    AudioLevel,
    ExportDone,
    ExportFailed,
    Heard,
    IssueChosen,
    ListenState,
    ModelState,
    PartialText,
    QAReady,
    QAUnavailable,
    Revised,
)
from reporting.tui.screens.signing import SignOff
from reporting.tui.widgets.editor import ReportEditor
from reporting.tui.widgets.mic import MicStatus
from reporting.tui.widgets.qa_panel import QAPanel
from reporting.tui.widgets.transcript import Line, TranscriptView
from reporting.tui.worklist import WorklistEntry

if TYPE_CHECKING:
    from reporting.tui.app import ReportingApp

__all__ = ["ReportScreen", "fallback_draft"]

log = logging.getLogger(__name__)

#: the transcript line of an utterance the VAD took for speech but no words were heard in
UNHEARD = "That sounded like speech, but no words were heard: if you said something, say it again"
_FALLBACK_SECTIONS = ("examination", "history", "technique", "comparison", "findings", "impression")


def fallback_draft(entry: WorklistEntry, author: str) -> Report:
    """A plain draft with the standard headings, used only when no template engine is present."""
    sections = [
        Section(name=name, text=entry.procedure if name == "examination" else "")
        for name in _FALLBACK_SECTIONS
    ]
    return Report.from_sections(sections, author=author, **entry.report_context())


_LABELS = {
    "help": "Help",
    "dictate": "Dictate",
    "next_field": "Next",
    "previous_field": "Prev",
    "save": "Save",
    "sign": "Sign",
    "addendum": "Addendum",
    "insert_normal": "Normal",
    "accept_word": "Accept",
    "replay_word": "Replay",
    "next_issue": "Issue",
    "worklist": "Worklist",
    "preview": "Preview",
}
_SHOWN = {"help", "dictate", "next_field", "save", "sign", "insert_normal", "worklist"}


def screen_bindings() -> list[BindingType]:
    """Bindings with ids ``report.<action>``; the app's keymap (config ``[tui.keys]``)
    replaces their keys."""
    return [
        Binding(
            DEFAULT_KEYS[action],
            action,
            label,
            show=action in _SHOWN,
            priority=True,
            id=f"report.{action}",
        )  # fmt: skip
        for action, label in _LABELS.items()
    ]


class ReportScreen(Screen[None]):
    """Report one study.  ``recover`` replays the dictation journal of an interrupted session."""

    BINDINGS: ClassVar[list[BindingType]] = screen_bindings()

    DEFAULT_CSS = """
    ReportScreen #body { height: 1fr; }
    ReportScreen #editor { width: 3fr; }
    ReportScreen #side { width: 2fr; min-width: 28; border-left: solid $primary; }
    ReportScreen #side TabPane { padding: 0; }
    ReportScreen #preview { padding: 0 1; }
    ReportScreen #banner { height: 1; padding: 0 1; background: $primary 40%; }
    ReportScreen #banner.-final { background: $success 40%; }
    """

    def __init__(self, entry: WorklistEntry, template_id: str, *, recover: bool = False) -> None:
        super().__init__()
        self.entry = entry
        self.template_id = template_id
        self.recover = recover
        self.spec: Any = None
        self.draft: Report | None = None
        self.version = 0
        self.issues: list[Issue] = []
        self.qa_version = -1
        self.qa_available = True
        self._qa_timer: Timer | None = None
        self._autosave_timer: Timer | None = None
        self.signoff = SignOff(self)
        self._dirty_places: set[tuple[str, str | None]] = set()
        self.place: tuple[str, str | None] = ("findings", None)
        # Where a voice command sent the focus, until that focus lands: focus events from
        # earlier commands that arrive late must not pull dictation back (a race under load).
        self._voice_focus: tuple[str, str | None] | None = None
        self.dictation: Any = None  # a reporting.tui.listen.DictationController when available

    # ---------------------------------------------------------------- setup
    @property
    def rapp(self) -> ReportingApp:
        from reporting.tui.app import ReportingApp

        assert isinstance(self.app, ReportingApp)
        return self.app

    @property
    def read_only(self) -> bool:
        return self.draft is not None and self.draft.status in (Status.FINAL, Status.AMENDED)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        with Horizontal(id="body"):
            yield ReportEditor(id="editor")
            with Vertical(id="side"), TabbedContent(id="tabs"):
                with TabPane("QA", id="tab-qa"):
                    yield QAPanel(id="qa")
                with TabPane("Preview", id="tab-preview"), VerticalScroll():
                    yield Static("", id="preview", markup=False)
        yield TranscriptView(id="transcript")
        yield MicStatus(id="mic")
        yield Footer()

    async def on_mount(self) -> None:
        self.title = f"{self.entry.accession} · {self.entry.display_name}"
        self.sub_title = self.entry.study_description
        try:
            self.draft = self.open_draft()
        except ReportingError as exc:  # a damaged saved report or unknown template: touch nothing
            self.app.notify(str(exc), title=exc.title, severity="error", timeout=15)
            self.app.pop_screen()
            return
        self.start_dictation_backend()
        editor = self.query_one(ReportEditor)
        await editor.load(self.spec, self.draft, read_only=self.read_only)
        self.update_banner()
        self.refresh_preview()
        targets = editor.targets()
        if targets:
            first = next((t for t in targets if editor.where(t) == ("findings", None)), targets[0])
            first.focus()
            block = first.parent if first.parent is not None else first
            self.call_after_refresh(editor.scroll_to_widget, block, top=True, animate=False)
        self.schedule_qa(0.0)

    def open_draft(self) -> Report:
        """The saved draft, the recovered one, or a new draft from the template."""
        app = self.rapp
        try:
            load_template = optional("reporting.templating", "load_template")
            new_draft = optional("reporting.templating", "new_draft")
        except Missing as exc:
            self.notify(f"Templates unavailable: {exc}", severity="warning")
            load_template = new_draft = None
        saved = app.drafts.load(self.entry.accession)
        template_id = saved.template if saved is not None and saved.template else self.template_id
        if load_template is not None:
            self.spec = load_template(template_id)
            self.template_id = self.spec.id
        if saved is not None:
            return saved  # recovery (if asked) replays the journal on top, in the controller
        if new_draft is not None:
            base = new_draft(self.spec, author=app.options.verifier, **self.entry.report_context())
            app.audit.record("created", self.entry.accession, template=self.template_id)
            return base  # type: ignore[no-any-return]
        app.audit.record("created", self.entry.accession, template="")
        return fallback_draft(self.entry, app.options.verifier)

    def start_dictation_backend(self) -> None:
        """Wire the dictation session (journal) and the speech model, if available."""
        from reporting.tui.listen import DictationController

        assert self.draft is not None
        if self.read_only:
            return
        files = self.rapp.drafts.prepare(self.entry.accession)
        try:
            self.dictation = DictationController.create(
                self, self.spec, self.draft, journal=files.journal, recover=self.recover
            )
        except Missing as exc:
            self.dictation = None
            self.query_one(MicStatus).model = "error"
            self.notify(f"Dictation unavailable: {exc}", severity="warning", timeout=8)
            return
        except ReportingError as exc:
            self.dictation = None
            self.query_one(MicStatus).model = "error"
            self.notify(str(exc), title=exc.title, severity="error", timeout=10)
            return
        if self.recover and self.dictation.journaled:
            self.spec = self.dictation.spec
            self.template_id = self.spec.id
            self.draft = self.dictation.draft
            self.rapp.audit.record("recovered", self.entry.accession)
            self.notify("Draft recovered from the dictation journal")
        self.query_one(MicStatus).source = self.dictation.source_label

    # ---------------------------------------------------------------- draft changes
    def set_draft(self, report: Report, *, sync: bool = False) -> None:
        self.draft = report
        self.version += 1
        if sync:
            self.query_one(ReportEditor).sync(report)
        self.schedule_qa()
        self.schedule_autosave()
        self.refresh_preview()

    def fields_from_text(self, section: str, text: str) -> tuple[Any, ...] | None:
        """Field values read back from the section text (None when there is no spec)."""
        if self.spec is None or self.draft is None:
            return None
        sspec = self.spec.section(section)
        current = self.draft.section(section)
        if sspec is None or current is None:
            return None
        values = []
        for fspec in sspec.fields:
            raw = read_field(text, fspec.label)
            value = parse_value(fspec.type, raw, fspec.unit) if raw is not None else None
            values.append(
                dataclasses.replace(fspec.value(), value=value)
                if raw is not None
                else dataclasses.replace(fspec.value(), value=None)
            )
        return tuple(values)

    @on(ReportEditor.Edited)
    def _edited(self, event: ReportEditor.Edited) -> None:
        if self.draft is None or self.read_only:
            return
        current = self.draft.section(event.section)
        if current is None or current.text == event.text:
            return
        fields = self.fields_from_text(event.section, event.text)
        new = replace_section_text(self.draft, event.section, event.text, fields)
        if self.dictation is not None:
            self.dictation.typed()
        self._dirty_places.add((event.section, event.field))
        self.set_draft(new)

    @on(ReportEditor.Moved)
    def _moved(self, event: ReportEditor.Moved) -> None:
        if not event.widget.has_focus:
            return  # stale: focus went on (e.g. a voice command moved it) before this arrived
        if self._voice_focus is not None:
            if (event.section, event.field) != self._voice_focus:
                return  # an earlier voice command's focus landing late: the voice moved on
            self._voice_focus = None
        self.flush_edit_audit()
        self.place = (event.section, event.field)
        if self.dictation is not None:
            self.dictation.moved(event.section, event.field)

    def flush_edit_audit(self) -> None:
        if self.draft is None:
            return
        for section, field in sorted(self._dirty_places, key=lambda p: (p[0], p[1] or "")):
            sec = self.draft.section(section)
            self.rapp.audit.record(
                "field_edited",
                self.entry.accession,
                section=section,
                field=field,
                length=len(sec.text) if sec else 0,
            )
        self._dirty_places.clear()

    def schedule_autosave(self) -> None:
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        self._autosave_timer = self.set_timer(1.0, self.autosave)

    def autosave(self) -> None:
        """Crash safety for typing: restart the dictation journal from the current draft
        (or, without dictation, save the draft record)."""
        if self.draft is None or self.read_only:
            return
        if self.dictation is not None:
            if self.dictation.dirty:
                self.dictation.checkpoint(self.draft)
        else:
            self.rapp.drafts.save(self.draft)

    def update_banner(self) -> None:
        assert self.draft is not None
        banner = self.query_one("#banner", Static)
        status = self.draft.status.value.upper()
        template = self.spec.title if self.spec is not None else "no template"
        e = self.entry
        who = f"{e.display_name} ({e.sex.value}{', ' + e.birth_date.isoformat() if e.birth_date else ''})"
        signed = f" · signed by {escape(self.draft.verifier)}" if self.read_only else ""
        banner.update(f"[b]{status}[/b]{signed} · {escape(who)} · {escape(template)}")
        banner.set_class(self.read_only, "-final")

    def refresh_preview(self) -> None:
        if self.draft is None:
            return
        text = self.draft.text
        if self.spec is not None:
            try:
                render_text = optional("reporting.templating", "render_text")
                text = render_text(self.spec, self.draft)
            except (Missing, ReportingError) as exc:
                text = f"(preview unavailable: {exc})\n\n{self.draft.text}"
        self.query_one("#preview", Static).update(text)

    # ---------------------------------------------------------------- QA
    def schedule_qa(self, delay: float | None = None) -> None:
        if self._qa_timer is not None:
            self._qa_timer.stop()
        wait = self.rapp.options.qa_delay if delay is None else delay
        self._qa_timer = self.set_timer(max(wait, 0.01), self.start_qa)

    def start_qa(self) -> None:
        if self.draft is None:
            return
        self.query_one(QAPanel).show_checking()
        self.run_qa(self.version, self.draft)

    @work(thread=True, exclusive=True, group="qa", exit_on_error=False)
    def run_qa(self, version: int, report: Report) -> None:
        try:
            check = optional("reporting.qa", "check")
        except Missing as exc:
            self.post_message(QAUnavailable(str(exc)))
            return
        try:
            issues = list(check(report))
        except ReportingError as exc:
            self.post_message(QAUnavailable(exc.one_line()))
            return
        self.post_message(QAReady(version, issues))

    @on(QAReady)
    def _qa_ready(self, message: QAReady) -> None:
        if message.version != self.version:
            return  # a newer draft is being checked
        self.qa_available = True
        self.issues = [*message.issues, *self.doubtful_words()]
        self.qa_version = message.version
        self.query_one(QAPanel).show(self.issues)
        self.show_confirm()
        self.signoff.qa_done()

    @on(QAUnavailable)
    def _qa_unavailable(self, message: QAUnavailable) -> None:
        self.qa_available = False
        self.issues = self.doubtful_words()
        self.qa_version = self.version
        self.query_one(QAPanel).show_unavailable(message.reason)
        self.show_confirm()
        self.signoff.qa_done()

    @on(IssueChosen)
    def _issue_chosen(self, message: IssueChosen) -> None:
        self.jump_to(message.issue)

    def jump_to(self, issue: Issue) -> bool:
        """Select the issue's span in the editor (its section's text area)."""
        if self.draft is None:
            return False
        sec = self.draft.section(issue.section) if issue.section else None
        if sec is None or sec.start is None or not (sec.start <= issue.start <= (sec.end or 0)):
            sec = self.draft.section_at(issue.start)
        if sec is None or sec.start is None:
            return False
        start = issue.start - sec.start
        end = issue.end - sec.start
        if start < 0 or start > len(sec.text):
            start = end = len(sec.text)
        end = max(start, min(end, len(sec.text)))
        return self.query_one(ReportEditor).select_span(sec.name, start, end)

    # ---------------------------------------------------------------- dictation messages
    @on(AudioLevel)
    def _level(self, message: AudioLevel) -> None:
        mic = self.query_one(MicStatus)
        mic.level = message.level
        mic.speaking = message.speaking

    @on(PartialText)
    def _partial(self, message: PartialText) -> None:
        self.query_one(TranscriptView).partial = message.text

    @on(ListenState)
    def _listen_state(self, message: ListenState) -> None:
        self.query_one(MicStatus).state = message.state
        if message.state in ("finished", "idle", "error"):
            self.query_one(MicStatus).level = 0.0
            self.query_one(TranscriptView).partial = ""
        if message.state == "error":
            self.notify(message.detail, title="Audio", severity="error", timeout=10)
        elif message.state == "finished":
            self.notify("End of the recording")

    @on(ModelState)
    def _model_state(self, message: ModelState) -> None:
        self.query_one(MicStatus).model = message.state
        if message.state == "error":
            self.notify(message.detail, title="Speech model", severity="error", timeout=10)

    @on(Heard)
    def _heard(self, message: Heard) -> None:
        if self.dictation is None or self.draft is None or self.read_only:
            return
        if not str(getattr(message.transcript, "text", "")).strip():
            view = self.query_one(TranscriptView)
            view.partial = ""
            if message.audio is not None and len(message.audio):  # the VAD heard speech
                view.add(Line("", note=UNHEARD))
            return
        try:
            result = self.dictation.apply(message, self.draft)
        except ReportingError as exc:
            self.notify(str(exc), title=exc.title, severity="error")
            return
        commands = _commands_done(result)
        self.query_one(TranscriptView).add(Line(result.text, result.flagged, ", ".join(commands)))
        self._audit_voice("dictated", result, commands=commands)
        self.set_draft(result.report, sync=True)
        self._follow_voice(result)

    def _follow_voice(self, result: Any) -> None:
        """Put the focus where the utterance left dictation, at the end of what it said."""
        self.place = (result.section, result.field)
        editor = self.query_one(ReportEditor)
        target = editor.focus_target(result.section, result.field)
        self._voice_focus = target
        if result.field is None and "dictate" in result.actions:
            area = editor.text_area(result.section)
            if area is not None:
                area.move_cursor(area.document.end)

    @on(Revised)
    def _revised(self, message: Revised) -> None:
        """The last utterance decoded again as a whole: its better text takes the place of the
        text joined from pieces, with the commands the pieces missed, unless anything happened
        since."""
        if self.dictation is None or self.draft is None or self.read_only:
            return
        editor = self.query_one(ReportEditor)
        result = self.dictation.revise(message, self.draft)
        if result is None:
            return
        area = editor.text_area(result.section) if result.field is None else None
        at_end = area is not None and area.cursor_location == area.document.end
        commands = _commands_done(result)
        line = Line(result.text, result.flagged, ", ".join(commands))
        self.query_one(TranscriptView).replace_last(line)
        self._audit_voice("revised", result, commands=commands)
        self.set_draft(result.report, sync=True)
        if commands:
            self._follow_voice(result)
        elif area is not None and at_end:
            area.move_cursor(area.document.end)

    def _audit_voice(self, event: str, result: Any, **details: Any) -> None:
        """Audit what an utterance did: where it went and how long it was, never its words."""
        self.rapp.audit.record(
            event,
            self.entry.accession,
            length=len(result.text),
            section=result.section,
            field=result.field,
            **details,
        )

    def doubtful_words(self) -> list[Issue]:
        if self.dictation is None or self.draft is None:
            return []
        return self.dictation.low_confidence_issues(self.draft)

    def current_doubt(self) -> Issue | None:
        return next((i for i in self.issues if i.code == "asr.low_confidence"), None)

    def show_confirm(self) -> None:
        issue = self.current_doubt()
        view = self.query_one(TranscriptView)
        if issue is None or self.draft is None:
            view.confirm = ""
            return
        word = self.draft.text[issue.start : issue.end]
        cfg = self.rapp.options.config
        view.confirm = f"“{word}” — {cfg.first_key('accept_word')} accept, {cfg.first_key('replay_word')} replay"

    # ---------------------------------------------------------------- actions
    def action_help(self) -> None:
        from reporting.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.rapp.options.config))

    def action_dictate(self) -> None:
        if self.read_only:
            self.notify("The report is signed; dictate an addendum instead", severity="warning")
            return
        if self.dictation is None:
            self.notify("Dictation is not available", severity="warning")
            return
        self.dictation.toggle()

    def _walk(self, step: int) -> None:
        editor = self.query_one(ReportEditor)
        targets = editor.targets()
        if not targets:
            return
        focused = self.focused
        index = targets.index(focused) if focused in targets else (-1 if step > 0 else 0)
        target = targets[(index + step) % len(targets)]
        target.focus()
        editor.scroll_to_widget(target)

    def action_next_field(self) -> None:
        self._walk(1)

    def action_previous_field(self) -> None:
        self._walk(-1)

    def action_insert_normal(self) -> None:
        if self.read_only or self.draft is None:
            return
        section = self.place[0]
        text = self.normal_text(section)
        if not text:
            self.notify(f"No normal text for {section}", severity="warning")
            return
        area = self.query_one(ReportEditor).text_area(section)
        if area is None:
            return
        # through the editor's undo history: ctrl+z brings the old text back
        area.replace(text, (0, 0), area.document.end)
        area.focus()

    def normal_text(self, section: str) -> str:
        if self.spec is None:
            return ""
        macro = self.spec.normal_macros.get(section)
        if macro:
            return str(macro)
        sspec = self.spec.section(section)
        return str(sspec.default_text()) if sspec is not None else ""

    def action_accept_word(self) -> None:
        issue = self.current_doubt()
        if issue is None or self.dictation is None or self.draft is None:
            self.notify("No low-confidence word to confirm")
            return
        self.dictation.accept(issue, self.draft)
        self.issues = [i for i in self.issues if i is not issue]
        self.query_one(QAPanel).show(self.issues)
        self.show_confirm()

    def action_replay_word(self) -> None:
        issue = self.current_doubt()
        if issue is None or self.dictation is None or self.draft is None:
            self.notify("No low-confidence word to replay")
            return
        self.jump_to(issue)

        def done(error: str | None) -> None:
            if error:
                self.notify(error, title="Replay", severity="warning")

        self.dictation.replay(self.draft.text[issue.start : issue.end], done)

    def action_preview(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.active = "tab-qa" if tabs.active == "tab-preview" else "tab-preview"

    def action_next_issue(self) -> None:
        panel = self.query_one(QAPanel)
        issue = panel.next_issue()
        if issue is None:
            self.notify("No QA issues")
            return
        self.query_one("#tabs", TabbedContent).active = "tab-qa"
        self.jump_to(issue)

    def action_save(self) -> None:
        if self.draft is None or self.read_only:
            return
        self.flush_edit_audit()
        self.save_draft()
        self.rapp.audit.record("draft_saved", self.entry.accession, length=len(self.draft.text))
        self.notify("Draft saved")

    def action_worklist(self) -> None:
        self.leave()
        self.app.pop_screen()

    def leave(self) -> None:
        if self.dictation is not None:
            self.dictation.stop()
        if self.draft is not None and not self.read_only:
            self.flush_edit_audit()
            self.save_draft()

    def save_draft(self) -> None:
        """Save the draft record; the dictation journal is then no longer needed."""
        assert self.draft is not None
        self.rapp.drafts.save(self.draft)
        if self.dictation is not None:
            self.dictation.saved(self.draft)
            self.rapp.drafts.discard_journal(self.entry.accession)

    # ---------------------------------------------------------------- sign / export / addendum
    def action_sign(self) -> None:
        if self._qa_timer is not None:
            self._qa_timer.stop()
        self.signoff.request()

    def action_addendum(self) -> None:
        self.signoff.addendum()

    @on(ExportDone)
    def _exported(self, message: ExportDone) -> None:
        self.signoff.exported(message)

    @on(ExportFailed)
    def _export_failed(self, message: ExportFailed) -> None:
        self.signoff.export_failed(message)


def _commands_done(result: Any) -> list[str]:
    """The voice commands an applied utterance carried out, as said ("next field")."""
    return [a.replace("_", " ") for a in result.actions if a != "dictate"]
