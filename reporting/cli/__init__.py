"""The ``reporting`` command: a thin layer over the library.

Sub-commands live in their own modules and are imported only when run, so ``reporting qa``
never loads audio, ASR or TUI code.  Errors become one line on stderr and an exit code:

====  =====================================================================
code  meaning
====  =====================================================================
0     the command completed (QA issues found or not)
1     ``--fail-on SEVERITY`` was met
2     usage error (unknown option, missing argument, bad value)
3     some inputs could not be read (the others were processed)
4     a reporting error stopped the command (bad template, missing model ...)
70    internal error (a bug: set ``REPORTING_DEBUG=1`` for the traceback)
130   interrupted (Ctrl-C)
====  =====================================================================
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from typing import Any

import click

from reporting.errors import EXIT_INTERRUPTED, EXIT_USAGE, ReportingError

__all__ = ["main", "cli", "EXIT_INTERNAL"]

EXIT_INTERNAL = 70

#: command name -> "module:attribute" (imported on use)
COMMANDS: dict[str, str] = {
    "templates": "reporting.cli.templates_cmd:templates",
    "qa": "reporting.cli.qa_cmd:qa",
    "export": "reporting.cli.export_cmd:export",
    "transcribe": "reporting.cli.dictation_cmd:transcribe",
    "dictate": "reporting.cli.dictation_cmd:dictate",
    "devices": "reporting.cli.dictation_cmd:devices",
    "phrases": "reporting.cli.phrases_cmd:phrases",
    "tui": "reporting.cli.tui_cmd:tui",
    "demo": "reporting.cli.demo_cmd:demo",
}

_HELP = {
    "templates": "List, show, render and import report templates.",
    "qa": "Check reports for laterality, sex, missing-section and other errors.",
    "export": "Export a report as DICOM SR, HL7 ORU^R01, PDF, FHIR or text.",
    "transcribe": "Transcribe audio files with the radiology vocabulary.",
    "dictate": "Dictate audio files into a template and write a report record.",
    "devices": "List audio input devices.",
    "phrases": "Learn report sentences from prior reports for dictation to recall.",
    "tui": "Open the radiologist's reporting terminal UI.",
    "demo": "Run the end-to-end demo on the bundled examples.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name and exc.name.startswith("reporting"):
                    raise ReportingError(
                        f"the {cmd_name!r} command is not part of this installation ({exc.name} missing)",
                        title="Unavailable command",
                    ) from None
                raise ReportingError(
                    f"the {cmd_name!r} command needs the Python package {exc.name!r}; "
                    "install the matching extra, e.g. pip install 'reporting[all]'",
                    title="Missing dependency",
                ) from None
            command = getattr(module, attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            builtin = click.Group.get_command(self, ctx, name)
            rows.append(
                (name, _HELP.get(name) or (builtin.get_short_help_str() if builtin else ""))
            )
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reporting")
@click.option(
    "--log", "log_file", type=click.Path(dir_okay=False), help="Write detailed logs to FILE."
)
@click.option("-v", "--verbose", count=True, help="More log detail (with --log).")
def cli(log_file: str | None, verbose: int) -> None:
    """Local-first radiology reporting: templates, dictation, QA checks and exports.

    Exit codes: 0 done, 1 --fail-on met, 2 usage error, 3 some inputs unreadable,
    4 reporting error, 70 internal error, 130 interrupted.
    """
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("reporting")
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if verbose else logging.INFO)


@cli.command("schema")
def schema() -> None:
    """Print the JSON Schema of a report record."""
    from reporting.records import RECORD_SCHEMA

    click.echo(json.dumps(RECORD_SCHEMA, indent=2, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn errors into exit codes (never a traceback)."""
    try:
        result: Any = cli.main(args=argv, prog_name="reporting", standalone_mode=False)
    except ReportingError as exc:
        click.echo(f"reporting: {exc.one_line()}", err=True)
        return exc.exit_code
    except click.UsageError as exc:
        click.echo(f"reporting: {exc.format_message()}", err=True)
        if exc.ctx is not None:
            click.echo(f"Try '{exc.ctx.command_path} --help'.", err=True)
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("reporting: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        click.echo(f"reporting: {exc.format_message()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("reporting: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line, traceback only on request
        if os.environ.get("REPORTING_DEBUG"):
            raise
        click.echo(
            f"reporting: internal error: {type(exc).__name__}: {exc} (set REPORTING_DEBUG=1 for details)",
            err=True,
        )
        return EXIT_INTERNAL
    return int(result) if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console script wrapper
    sys.exit(main())
