"""CLI contract: every command has help; errors are one line on stderr with documented exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from reporting.cli import COMMANDS, cli, main

REPO = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "reporting"


def _all_commands() -> list[tuple[str, ...]]:
    ctx = click.Context(cli)
    out: list[tuple[str, ...]] = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        out.append((name,))
        if isinstance(command, click.Group):
            out += [(name, sub) for sub in command.list_commands(click.Context(command))]
    return out


def test_every_registered_command_loads() -> None:
    names = {c[0] for c in _all_commands()}
    assert set(COMMANDS) <= names


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out
    ctx = click.Context(cli)
    command: click.Command | None = cli.get_command(ctx, path[0])
    if len(path) == 2 and isinstance(command, click.Group):
        command = command.get_command(click.Context(command), path[1])
    assert command is not None and (command.help or command.short_help), f"{path} has no help text"


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe not json")
    result = subprocess.run(
        [str(EXE), "export", str(bad), "--to", "text", "-o", str(tmp_path / "o.txt")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.txt").exists()


def test_schema_command_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["required"] == ["id"]
