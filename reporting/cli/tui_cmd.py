"""``reporting tui``: the radiologist's terminal UI."""

from __future__ import annotations

from pathlib import Path

import click

from reporting.errors import ConfigError

__all__ = ["tui"]


@click.command("tui")
@click.option(
    "--worklist",
    type=click.Path(exists=True, path_type=Path),
    help="Worklist JSON file or a folder of DICOM files (default: the bundled examples).",
)
@click.option("--audio-device", metavar="NAME", help="Microphone (see `reporting devices`).")
@click.option(
    "--audio-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Dictate from a recording (WAV/FLAC) instead of a microphone.",
)
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for signed exports (SR, HL7, PDF, FHIR).")  # fmt: skip
@click.option("--user", metavar="NAME", help="Verifier name written on signed reports.")
@click.option(
    "--fake-asr",
    is_flag=True,
    help="Use the scripted recogniser instead of Whisper (demos, tests): the utterances are "
    "the lines of the .txt file beside --audio-file.",
)
def tui(
    worklist: Path | None,
    audio_device: str | None,
    audio_file: Path | None,
    outbox: Path | None,
    user: str | None,
    fake_asr: bool,
) -> None:
    """Open the reporting terminal UI: worklist, dictation, live QA, sign and export.

    Dictation is a toggle (F5 or ctrl+t): terminals cannot see a key being released.
    Press F1 inside the UI for all keys and voice commands; change keys and the verifier
    name in ~/.config/reporting/config.toml ([tui] user, [tui.keys]).  Drafts, dictation
    journals and the audit log live under ~/.local/share/reporting/.
    """
    from reporting.tui.app import create_app
    from reporting.tui.config import load_config
    from reporting.tui.options import TuiOptions

    config = load_config()
    if audio_device and audio_file:
        raise ConfigError("use --audio-device or --audio-file, not both")
    if worklist is not None:
        from reporting.tui.worklist import load_worklist

        load_worklist(worklist)  # a broken worklist stops here with a clear one-line error
    options = TuiOptions(
        worklist=worklist,
        audio_device=audio_device or config.audio_device or None,
        audio_file=audio_file,
        outbox=outbox,
        user=user or "",
        fake_asr=fake_asr,
        config=config,
    )
    create_app(options).run()
