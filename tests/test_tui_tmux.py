"""The TUI in a real terminal (tmux), used the way a radiologist would: pick a study, dictate
from a recording, get killed with SIGKILL mid-report, restart, recover, sign and export."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REPORTING = REPO / ".venv" / "bin" / "reporting"
RECORDING = REPO / "examples" / "audio" / "measurements.flac"

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not REPORTING.exists(), reason=".venv/bin/reporting is not installed"),
]


class Terminal:
    def __init__(self, home: Path, outbox: Path) -> None:
        self.name = f"reporting-test-{uuid.uuid4().hex[:8]}"
        self.home = home
        self.outbox = outbox

    def command(self) -> str:
        env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "TERM": "xterm-256color",
        }
        args = [
            str(REPORTING), "tui", "--worklist", "examples/worklist.json", "--fake-asr",
            "--audio-file", str(RECORDING), "--outbox", str(self.outbox), "--user", "Dr Ines Roth",
        ]  # fmt: skip
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        return f"cd {shlex.quote(str(REPO))} && exec env {exports} {shlex.join(args)}"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=True)
        return done.stdout

    def start(self) -> None:
        self.tmux("new-session", "-d", "-s", self.name, "-x", "100", "-y", "30", self.command())
        self.tmux("set-option", "-t", self.name, "status", "off")
        self.tmux("set-option", "-t", self.name, "remain-on-exit", "on")

    def restart(self) -> None:
        self.tmux("respawn-pane", "-k", "-t", self.name, self.command())
        self.tmux("resize-window", "-t", self.name, "-x", "100", "-y", "30")

    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def wait_dead(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.tmux("display-message", "-p", "-t", self.name, "#{pane_dead}").strip() != "1":
            if time.monotonic() > deadline:
                raise AssertionError("the killed TUI is still running")
            time.sleep(0.1)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)
        time.sleep(0.3)

    def wait(self, *texts: str, absent: tuple[str, ...] = (), timeout: float = 40.0) -> str:
        """The screen once every one of ``texts`` shows and none of ``absent`` does."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts) and not any(t in screen for t in absent):
                return screen
            time.sleep(0.25)
        raise AssertionError(
            f"{texts} (without {absent}) not on screen after {timeout}s:\n{screen}"
        )

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_radiologist_session_survives_kill_9(tmp_path: Path) -> None:
    term = Terminal(tmp_path / "home", tmp_path / "outbox")
    term.start()
    try:
        term.wait("Worklist", "Müller, Zoë", "Kowalczyk, Łukasz")
        term.type("knee")
        term.wait("Nørgaard, Søren", absent=("Müller, Zoë",))  # typing filters the worklist
        for _ in "knee":
            term.keys("BSpace")
        term.type("chest")
        term.wait("Müller, Zoë", absent=("Nørgaard, Søren",))
        term.keys("Enter")
        term.wait("FINDINGS", "ASR: ready", "file: measurements.flac")
        term.keys("F5")
        term.wait("7 mm nodule", timeout=30)  # "seven millimeter" as the formatter writes it
        # killed hard in the middle of the report
        os.kill(term.pid(), signal.SIGKILL)
        term.wait_dead()
        term.restart()
        term.wait("Interrupted draft found", "ACC1001")
        term.keys("r")
        term.wait("7 mm nodule", "DRAFT")
        term.keys("F9")
        term.wait("Sign as Dr Ines Roth")
        term.keys("Enter")
        term.wait("FINAL", "signed by Dr Ines Roth")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list((tmp_path / "outbox").rglob("*.*"))) < 4:
            time.sleep(0.25)
        names = {p.name.split(".", 1)[1] for p in (tmp_path / "outbox").rglob("*.*")}
        assert {"sr.dcm", "hl7", "pdf", "fhir.json"} <= names
        term.keys("C-q")
    finally:
        term.close()
    audit = (tmp_path / "home" / "data" / "reporting" / "audit.jsonl").read_text()
    assert '"event": "recovered"' in audit and '"event": "signed"' in audit
    assert "nodule" not in audit
