"""The live transcript: the last utterances (doubtful words underlined), the partial text
while speaking, and the word waiting for confirmation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.markup import escape
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["TranscriptView", "Line"]


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    flagged: tuple[str, ...] = ()
    command: str = ""
    note: str = ""  # said of the utterance instead of its text ("no words were heard")


class TranscriptView(Widget):
    DEFAULT_CSS = """
    TranscriptView { height: auto; min-height: 2; max-height: 5; padding: 0 1;
                     border-top: solid $primary; }
    """

    partial: reactive[str] = reactive("", layout=True)
    confirm: reactive[str] = reactive("", layout=True)  # the doubtful word and its keys

    def __init__(self, *, id: str | None = None, keep: int = 2) -> None:
        super().__init__(id=id)
        self.heard: list[Line] = []
        self.keep = keep

    def add(self, line: Line) -> None:
        self.heard.append(line)
        del self.heard[: -self.keep]
        self.partial = ""
        self.refresh(layout=True)

    def replace_last(self, line: Line) -> None:
        """The last utterance was heard again, better (a revision)."""
        if self.heard:
            self.heard[-1] = line
            self.refresh(layout=True)
        else:
            self.add(line)

    def _line(self, line: Line) -> str:
        if line.note:
            return f"[i $warning]⚠ {escape(line.note)}[/]"
        if line.command and not line.text:
            return f"[dim]⟫ {escape(line.command)}[/dim]"
        text = escape(line.text)
        for word in sorted(set(line.flagged), key=len, reverse=True):
            text = re.sub(  # a joined list's flag starts in lower case where it was heard
                rf"(?<!\w){re.escape(escape(word))}(?!\w)",
                lambda m: f"[u b]{m.group(0)}[/u b]",
                text,
                count=1,
                flags=re.IGNORECASE,
            )
        prefix = f"[dim]⟫ {escape(line.command)}[/dim] " if line.command else ""
        return prefix + text

    def render(self) -> str:
        shown = [self._line(line) for line in self.heard]
        if self.partial:
            shown.append(f"[i]{escape(self.partial)}…[/i]")
        if not shown:
            shown.append("[dim]Transcript: press the dictation key and speak.[/dim]")
        if self.confirm:
            shown.append(f"[reverse] confirm {escape(self.confirm)} [/reverse]")
        return "\n".join(shown)
