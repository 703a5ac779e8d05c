"""F1: the keys (as configured) and what can be said (from lexicons/voice_commands.json)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from reporting.errors import ReportingError
from reporting.resources import lexicons_dir, read_json
from reporting.tui.config import KEY_HELP, TuiConfig

__all__ = ["HelpScreen", "help_text", "voice_help"]

_ACTION_HELP = {
    "next_field": "move to the next field",
    "previous_field": "move to the previous field",
    "go_to": "jump to a section or field: say the phrase, then its name",
    "insert_normal": "insert the normal text for the current section",
    "scratch_that": "remove the last dictated utterance",
    "delete_last_sentence": "remove the last sentence",
    "undo": "undo the last change",
    "redo": "put back what the last undo took back",
}


def voice_help() -> str:
    try:
        data: Any = read_json(lexicons_dir() / "voice_commands.json")
    except ReportingError as exc:
        return f"(voice commands unavailable: {escape(str(exc))})"
    lines = []
    for command in data.get("commands", []):
        action = str(command.get("action", ""))
        phrases = ", ".join(f"“{p}”" for p in command.get("phrases", []))
        suffix = " + section/field" if action == "go_to" else ""
        lines.append(
            f"  [b]{escape(phrases)}[/b]{suffix}\n      {escape(_ACTION_HELP.get(action, action))}"
        )
    words = sorted(set(data.get("section_words", {})))
    if words:
        lines.append("  A section name said alone jumps there: " + escape(", ".join(words)))
    fillers = data.get("fillers", [])
    if fillers:
        lines.append("  Ignored around commands: " + escape(", ".join(fillers)))
    lines.append(
        "  A command is a sentence of its own: pause, or say “period”, before it. "
        "“Scratch that”, “delete last sentence”, “undo”, “go to …” and a section name "
        "with a comma or colon (“Impression, …”) may also begin a sentence you go on "
        "dictating; “next field”, “go to …”, “scratch that”, “delete last sentence” and "
        "the like may also end one (“small effusion next field”), and “scratch that” may "
        "come anywhere. Everything else goes into the current field."
    )
    lines.append(
        "  A field's name before a colon fills that field (“Lungs: clear”), as does its name "
        "before a measurement or, after a comma, a description (“Spleen 11 cm”, “Lungs, "
        "there is a nodule”); a field that takes a number or a choice also by its name and "
        "value (“Right kidney length 11.2 cm”, “BI-RADS, two, benign”). A value said again "
        "replaces the one there."
    )
    return "\n".join(lines)


def help_text(config: TuiConfig) -> str:
    rows = [(config.key(action).replace(",", " / "), text) for action, text in KEY_HELP.items()]
    rows += [("tab / shift+tab", "Next / previous input"), ("ctrl+q", "Quit")]
    width = max(len(key) for key, _ in rows)
    keys = "\n".join(f"  [b]{escape(key.ljust(width))}[/b]  {escape(text)}" for key, text in rows)
    return (
        "[b u]Keys[/b u]  (change them in ~/.config/reporting/config.toml, \\[tui.keys])\n"
        f"{keys}\n\n"
        "Dictation is a toggle: terminals cannot see a key being released, so press the "
        "dictation key once to start listening and again to stop.\n\n"
        "[b u]What can I say[/b u]\n" + voice_help()
    )


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 100%; height: 90%;
                                  border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss(None)", "Close"),
    ]

    def __init__(self, config: TuiConfig) -> None:
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(self.config), id="help-text")
