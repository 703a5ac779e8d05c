"""Microphone state and level, and the speech model's state, in one line."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["MicStatus", "level_bar"]

_BAR = 10


def level_bar(level: float, width: int = _BAR) -> str:
    filled = max(0, min(width, round(level * width)))
    return "▮" * filled + "▯" * (width - filled)


class MicStatus(Widget):
    DEFAULT_CSS = """
    MicStatus { height: 1; width: 1fr; padding: 0 1; }
    MicStatus.-listening { background: $error 30%; }
    """

    state: reactive[str] = reactive("idle")  # idle | listening | finished | error
    level: reactive[float] = reactive(0.0)
    speaking: reactive[bool] = reactive(False)
    model: reactive[str] = reactive("")  # "" | loading | ready | error
    source: reactive[str] = reactive("")

    def watch_state(self, state: str) -> None:
        self.set_class(state == "listening", "-listening")

    def render(self) -> str:
        if self.state == "listening":
            dot = "[b red]● REC[/]" if self.speaking else "[red]● REC[/]"
        elif self.state == "error":
            dot = "[b]✖ mic error[/]"
        elif self.state == "finished":
            dot = "■ end of recording"
        else:
            dot = "○ mic off"
        model = {
            "loading": "  ASR: loading…",
            "ready": "  ASR: ready",
            "error": "  ASR: unavailable",
        }.get(self.model, "")
        source = f"  [dim]{self.source}[/]" if self.source else ""
        return f"{dot} {level_bar(self.level)}{model}{source}"
