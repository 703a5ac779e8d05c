"""Signing, exporting and addenda for the report screen.

Signing waits for QA on the exact text being signed; QA errors block it unless the
radiologist types a reason (kept in the audit log).  The signed report is saved (and kept
as a version), becomes read-only, and is exported to the outbox in a thread worker.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from reporting.errors import ReportingError
from reporting.model import Report, Severity, Status
from reporting.tui.backends import Missing, optional
from reporting.tui.drafts import safe_name
from reporting.tui.messages import ExportDone, ExportFailed
from reporting.tui.screens.dialogs import AddendumDialog, SignDecision, SignDialog
from reporting.tui.widgets.editor import ReportEditor

if TYPE_CHECKING:
    from reporting.tui.screens.report import ReportScreen

__all__ = ["SignOff", "outbox_folder"]


def outbox_folder(report: Report) -> str:
    """``<accession>-<status>-<signed time>``: one folder per signed version."""
    stamp = report.signed_at.strftime("%Y%m%dT%H%M%S") if report.signed_at else "unsigned"
    return f"{safe_name(report.study.accession or report.id)}-{report.status.value}-{stamp}"


class SignOff:
    """The sign / export / addendum flow of one :class:`ReportScreen`."""

    def __init__(self, screen: ReportScreen) -> None:
        self.screen = screen
        self.waiting_for_qa = False

    # ---------------------------------------------------------------- sign
    def request(self) -> None:
        """The sign key: check the current text first if QA has not seen it yet."""
        screen = self.screen
        if screen.draft is None:
            return
        if screen.read_only:
            screen.notify("Already signed. Use the addendum key to amend.", severity="warning")
            return
        if screen.dictation is not None:
            screen.dictation.stop()
        if screen.qa_version == screen.version:
            self.open_dialog()
        else:
            self.waiting_for_qa = True
            screen.start_qa()

    def qa_done(self) -> None:
        if self.waiting_for_qa:
            self.waiting_for_qa = False
            self.open_dialog()

    def open_dialog(self) -> None:
        screen = self.screen

        def decided(decision: SignDecision | None) -> None:
            if decision is not None:
                self.sign(decision)

        dialog = SignDialog(screen.issues, screen.rapp.options.verifier, qa_ran=screen.qa_available)
        screen.app.push_screen(dialog, decided)

    def sign(self, decision: SignDecision) -> None:
        screen = self.screen
        assert screen.draft is not None
        app = screen.rapp
        accession = screen.entry.accession
        errors = [i for i in screen.issues if i.severity is Severity.ERROR]
        if errors and not decision.override_reason:
            screen.notify("QA errors block signing", severity="error")
            return
        screen.flush_edit_audit()
        if errors:
            codes = sorted({i.code for i in errors})
            app.audit.record("qa_override", accession, reason=decision.override_reason, codes=codes)
        signed = screen.draft.with_status(
            Status.FINAL, verifier=app.options.verifier, when=app.options.clock()
        )
        app.drafts.save(signed)
        app.drafts.discard_journal(accession)  # a final report is not dictated into
        screen.dictation = None
        app.audit.record(
            "signed",
            accession,
            verifier=signed.verifier,
            overridden=bool(errors),
            warnings=len(screen.issues) - len(errors),
        )
        screen.draft = signed
        screen.version += 1
        screen.query_one(ReportEditor).set_read_only(True)
        screen.update_banner()
        screen.refresh_preview()
        screen.notify(f"Signed by {signed.verifier}; exporting…")
        self.export(signed)

    # ---------------------------------------------------------------- export
    def export(self, report: Report) -> None:
        self.screen.run_worker(
            partial(self._export, report),
            thread=True,
            group="export",
            exclusive=True,
            exit_on_error=False,
        )

    def _export(self, report: Report) -> None:
        """Worker thread: every format to a new outbox folder (atomic writes)."""
        post = self.screen.post_message
        try:
            export_all = optional("reporting.export", "export_all")
        except Missing as exc:
            post(ExportFailed(f"exporters unavailable: {exc}"))
            return
        outdir = self.screen.rapp.options.outbox_dir / outbox_folder(report)
        try:
            paths = export_all(report, outdir)
        except ReportingError as exc:
            post(ExportFailed(exc.one_line()))
            return
        except OSError as exc:
            post(ExportFailed(f"{outdir}: {exc.strerror or exc}"))
            return
        post(ExportDone({str(k): Path(v) for k, v in paths.items()}))

    def exported(self, message: ExportDone) -> None:
        names = sorted(message.paths)
        folder = str(next(iter(message.paths.values())).parent) if message.paths else ""
        files = [p.name for p in message.paths.values()]
        self.screen.rapp.audit.record(
            "exported", self.screen.entry.accession, formats=names, files=files, folder=folder
        )
        self.screen.notify("Exported " + ", ".join(names), title="Outbox")

    def export_failed(self, message: ExportFailed) -> None:
        self.screen.rapp.audit.record(
            "export_failed", self.screen.entry.accession, error=message.error
        )
        self.screen.notify(message.error, title="Export failed", severity="error", timeout=15)

    # ---------------------------------------------------------------- addendum
    def addendum(self) -> None:
        screen = self.screen
        if not screen.read_only:
            screen.notify(
                "Addenda are for signed reports; edit the draft instead", severity="warning"
            )
            return

        def written(text: str | None) -> None:
            if text:
                self.add_addendum(text)

        screen.app.push_screen(AddendumDialog(), written)

    def add_addendum(self, text: str) -> None:
        screen = self.screen
        assert screen.draft is not None
        app = screen.rapp
        try:
            amended = screen.draft.add_addendum(
                text, author=app.options.verifier, when=app.options.clock()
            )
        except ReportingError as exc:
            screen.notify(str(exc), title=exc.title, severity="error")
            return
        app.drafts.save(amended)
        app.audit.record(
            "addendum",
            screen.entry.accession,
            length=len(text.strip()),
            status=amended.status.value,
        )
        screen.draft = amended
        screen.version += 1
        screen.call_later(self._reload_editor)
        self.export(amended)

    async def _reload_editor(self) -> None:
        screen = self.screen
        assert screen.draft is not None
        await screen.query_one(ReportEditor).load(screen.spec, screen.draft, read_only=True)
        screen.update_banner()
        screen.refresh_preview()
