"""The Textual application: a thin shell that owns the options, the audit log and the screens."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from reporting.errors import ReportingError
from reporting.tui.audit import AuditLog
from reporting.tui.backends import Missing, optional
from reporting.tui.drafts import DraftStore
from reporting.tui.options import TuiOptions

__all__ = ["ReportingApp", "create_app"]

log = logging.getLogger(__name__)


class ReportingApp(App[None]):
    """``reporting tui``: worklist -> report (dictation, QA, sign, export)."""

    CSS_PATH = "app.tcss"
    TITLE = "reporting"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
    ]

    def __init__(self, options: TuiOptions) -> None:
        super().__init__()
        self.transcriber: Any = None  # loaded once, shared by every report screen
        self.options = options
        self.audit = AuditLog(options.audit_path, user=options.verifier)
        self.drafts = DraftStore(options.drafts_dir)
        self.sub_title = options.verifier

    def on_mount(self) -> None:
        from reporting.tui.screens.worklist import WorklistScreen

        keys = self.options.config.keys
        keymap = {f"report.{action}": value for action, value in keys.items()}
        keymap["worklist.help"] = keys["help"]
        self.set_keymap(keymap)
        self.push_screen(WorklistScreen())
        self.run_worker(self._warm_up, thread=True, group="warm-up", exit_on_error=False)

    def _warm_up(self) -> None:
        """Load the QA engine (spaCy, lexicons) and the dictation vocabulary, corrections and
        voice commands while the radiologist picks a study, so opening one is quick."""
        try:
            check = optional("reporting.qa", "check")
            check("FINDINGS:\nNormal.\n\nIMPRESSION:\nNormal.")
        except (Missing, ReportingError) as exc:
            log.info("QA warm-up skipped: %s", exc)
        try:
            optional("reporting.asr", "build_pipeline")()
            optional("reporting.asr.commands", "load_grammar")()
            optional("reporting.dictation", "DictationSession")
        except (Missing, ReportingError) as exc:
            log.info("dictation warm-up skipped: %s", exc)

    async def action_quit(self) -> None:
        """Quit, saving any open draft first (a crash, unlike this, leaves the journal)."""
        from reporting.tui.screens.report import ReportScreen

        for screen in self.screen_stack:
            if isinstance(screen, ReportScreen):
                screen.leave()
        self.exit()


def create_app(options: TuiOptions | None = None) -> ReportingApp:
    """The one place the CLI and the tests build the app."""
    return ReportingApp(options or TuiOptions())
