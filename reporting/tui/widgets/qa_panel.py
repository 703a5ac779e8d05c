"""The QA panel: issues of the current draft, worst first; choosing one jumps to its span."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from reporting.model import Issue, Severity
from reporting.tui.messages import IssueChosen

__all__ = ["QAPanel"]

_ICON = {
    Severity.ERROR: "[b red]✖[/]",
    Severity.WARNING: "[yellow]▲[/]",
    Severity.INFO: "[cyan]i[/]",
}


class QAPanel(Vertical):
    DEFAULT_CSS = """
    QAPanel { height: 1fr; }
    QAPanel > #qa-status { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    QAPanel > OptionList { height: 1fr; border: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.issues: list[Issue] = []
        self.available = True

    def compose(self) -> ComposeResult:
        yield Static("QA: waiting…", id="qa-status")
        yield OptionList(id="qa-list")

    def set_status(self, text: str) -> None:
        self.query_one("#qa-status", Static).update(text)

    def show_checking(self) -> None:
        if self.available:
            self.set_status(self._summary() + " [dim](checking…)[/dim]")

    def show_unavailable(self, reason: str) -> None:
        self.available = False
        self.issues = []
        self.query_one(OptionList).clear_options()
        self.set_status("QA engine unavailable")
        self.query_one(OptionList).add_option(Option(escape(reason), disabled=True))

    def show(self, issues: list[Issue]) -> None:
        self.available = True
        self.issues = sorted(issues, key=lambda i: (-i.severity.rank, i.start))
        olist = self.query_one(OptionList)
        highlighted = olist.highlighted
        olist.clear_options()
        for n, issue in enumerate(self.issues):
            olist.add_option(Option(f"{_ICON[issue.severity]} {escape(issue.message)}", id=str(n)))
        if self.issues and highlighted is not None:
            olist.highlighted = min(highlighted, len(self.issues) - 1)
        self.set_status(self._summary())

    def _summary(self) -> str:
        if not self.issues:
            return "QA: no issues"
        counts = {s: sum(1 for i in self.issues if i.severity is s) for s in Severity}
        parts = [f"{n} {s.value}{'s' if n > 1 else ''}" for s, n in counts.items() if n]
        return "QA: " + ", ".join(parts)

    def next_issue(self) -> Issue | None:
        if not self.issues:
            return None
        olist = self.query_one(OptionList)
        index = 0 if olist.highlighted is None else (olist.highlighted + 1) % len(self.issues)
        olist.highlighted = index
        return self.issues[index]

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None and self.issues:
            self.post_message(IssueChosen(self.issues[int(event.option.id)]))
