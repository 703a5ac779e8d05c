"""Modal dialogs with typed results: recover a draft, pick a template, sign (with an override
reason when QA found errors), write an addendum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from reporting.model import Issue, Severity
from reporting.tui.backends import Missing, optional
from reporting.tui.worklist import WorklistEntry

__all__ = ["RecoverDialog", "TemplatePicker", "SignDialog", "SignDecision", "AddendumDialog"]

MIN_REASON = 8

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 76; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; width: 100%; content-align: center middle; }}
{name} Horizontal {{ height: auto; align: right middle; }}
{name} Button {{ margin: 0 0 0 1; min-width: 10; }}
"""


class RecoverDialog(ModalScreen[str | None]):
    """``recover`` | ``discard`` | None (cancel)."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="RecoverDialog")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("r", "dismiss('recover')", "Recover"),
        Binding("n", "dismiss('discard')", "Start over"),
    ]

    def __init__(self, entry: WorklistEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Interrupted draft found", classes="title")
            yield Static(
                f"The report for {self.entry.accession} ({self.entry.display_name}, "
                f"{self.entry.study_description}) was not closed properly.\n"
                "Recover it from the dictation journal?"
            )
            with Horizontal():
                yield Button("Recover (r)", id="recover", variant="primary")
                yield Button("Start over (n)", id="discard", variant="error")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#recover", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)


class TemplatePicker(ModalScreen[str | None]):
    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="TemplatePicker")
        + """
    TemplatePicker OptionList { height: auto; max-height: 16; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options: list[Option] = []
        try:
            specs = optional("reporting.templating", "list_templates")()
            options = [Option(f"{s.id:<18} {s.title}", id=s.id) for s in specs]
        except Missing as exc:
            options = []
            message = str(exc)
        else:
            message = "Enter chooses; Esc cancels."
        with Vertical():
            yield Label("Template", classes="title")
            yield OptionList(*options, id="templates")
            yield Static(message)

    def on_mount(self) -> None:
        olist = self.query_one(OptionList)
        olist.focus()
        for index in range(olist.option_count):
            if olist.get_option_at_index(index).id == self.current:
                olist.highlighted = index

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


@dataclass(frozen=True, slots=True)
class SignDecision:
    """The radiologist confirmed signing; ``override_reason`` when QA errors were overridden."""

    override_reason: str | None = None


class SignDialog(ModalScreen[SignDecision | None]):
    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="SignDialog")
        + """
    SignDialog .issues { height: auto; max-height: 8; }
    SignDialog .error { color: $error; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, issues: list[Issue], verifier: str, *, qa_ran: bool = True) -> None:
        super().__init__()
        self.errors = [i for i in issues if i.severity is Severity.ERROR]
        self.warnings = [i for i in issues if i.severity is Severity.WARNING]
        self.verifier = verifier
        self.qa_ran = qa_ran

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Sign as {self.verifier}", classes="title")
            if not self.qa_ran:
                yield Static("[b]The QA engine did not check this report.[/b]")
            if self.errors:
                lines = "\n".join(f"• {i.message}" for i in self.errors[:6])
                yield Static(
                    f"[b]{len(self.errors)} QA error(s) block signing:[/b]\n{lines}",
                    classes="issues error",
                )
                yield Static(
                    f"To sign anyway, type the reason for overriding (≥ {MIN_REASON} chars):"
                )
                yield Input(placeholder="Reason for override", id="reason")
            elif self.warnings:
                yield Static(f"{len(self.warnings)} QA warning(s); signing is allowed.")
            else:
                yield Static("No QA errors.")
            yield Static("The signed report becomes final and read-only.", classes="note")
            with Horizontal():
                label = "Override and sign" if self.errors else "Sign"
                yield Button(label, id="sign", variant="error" if self.errors else "success")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        if self.errors:
            reason = self.query_one("#reason", Input)
            reason.cursor_blink = False
            reason.focus()
            self.query_one("#sign", Button).disabled = True
        else:
            self.query_one("#sign", Button).focus()

    @on(Input.Changed, "#reason")
    def _reason(self, event: Input.Changed) -> None:
        self.query_one("#sign", Button).disabled = len(event.value.strip()) < MIN_REASON

    @on(Input.Submitted, "#reason")
    def _submitted(self) -> None:
        self._sign()

    @on(Button.Pressed, "#sign")
    def _sign(self) -> None:
        if not self.errors:
            self.dismiss(SignDecision())
            return
        reason = self.query_one("#reason", Input).value.strip()
        if len(reason) < MIN_REASON:
            self.notify(f"Type a reason of at least {MIN_REASON} characters", severity="warning")
            return
        self.dismiss(SignDecision(override_reason=reason))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class AddendumDialog(ModalScreen[str | None]):
    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="AddendumDialog")
        + """
    AddendumDialog TextArea { height: 6; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "save", "Sign addendum"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Addendum", classes="title")
            yield Static("The report is final. The addendum creates an amended version.")
            yield TextArea(id="addendum-text")
            with Horizontal():
                yield Button("Sign addendum", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = False
        area.focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("The addendum is empty", severity="warning")
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
