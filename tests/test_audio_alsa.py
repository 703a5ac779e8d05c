"""The real microphone path without hardware.

PortAudio's ALSA backend opens an ALSA ``file`` PCM whose ``infile`` is a recording, so
sounddevice delivers that speech exactly as it would a microphone's (see DESIGN.md section 5).
PortAudio reads the ALSA configuration once per process, so each test runs the CLI in a child
process with ``HOME`` pointing at a folder holding the ``.asoundrc``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reporting.audio import load_audio
from reporting.resources import user_cache_dir

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "audio"
REPORTING = Path(sys.executable).with_name("reporting")


def _portaudio_or_skip() -> None:
    try:
        import sounddevice  # noqa: F401
    except OSError:
        pytest.skip("libportaudio2 is not installed (make install installs it)")


def _alsa_home(tmp_path: Path, clip: Path | None) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    if clip is not None:
        raw = tmp_path / "speech.raw"
        pcm = (np.clip(load_audio(clip), -1, 1) * 32767).astype("<i2")
        raw.write_bytes(pcm.tobytes())
        (home / ".asoundrc").write_text(
            "pcm.dictation {\n"
            "    type file\n"
            "    slave.pcm null\n"
            '    file "/dev/null"\n'
            f'    infile "{raw}"\n'
            '    format "raw"\n'
            "}\n"
        )
    env = dict(os.environ)
    env.pop("ALSA_CONFIG_PATH", None)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(user_cache_dir().parent), HF_HUB_OFFLINE="1")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    return env


def test_devices_lists_the_alsa_file_device(tmp_path: Path) -> None:
    _portaudio_or_skip()
    env = _alsa_home(tmp_path, EXAMPLES / "spine.flac")
    done = subprocess.run(
        [str(REPORTING), "devices"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "dictation" in done.stdout and "ALSA" in done.stdout


def test_no_input_device_is_a_clear_message(tmp_path: Path) -> None:
    _portaudio_or_skip()
    env = _alsa_home(tmp_path, None)
    done = subprocess.run(
        [str(REPORTING), "devices"], env=env, capture_output=True, text=True, timeout=60
    )
    if done.returncode == 0:
        pytest.skip("this machine has a real audio input device")
    assert done.returncode == 4
    assert "no audio input device" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run(
        [
            str(REPORTING),
            "dictate",
            "--template",
            "chest_xr",
            "--device",
            "dictation",
            "--seconds",
            "1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4 and "Traceback" not in done.stderr
    assert "no audio input device" in done.stderr


@pytest.mark.slow
def test_dictating_from_the_microphone_path(tmp_path: Path) -> None:
    """sounddevice opens the ALSA device like a microphone; the dictation fills the template."""
    _portaudio_or_skip()
    clip = EXAMPLES / "cxr_dictation.flac"
    seconds = load_audio(clip).size / 16000 + 3
    env = _alsa_home(tmp_path, clip)
    out = tmp_path / "report.json"
    journal = tmp_path / "journal" / "d.jsonl"
    done = subprocess.run(
        [
            str(REPORTING),
            "dictate",
            "--template",
            "chest_xr",
            "--device",
            "dictation",
            "--seconds",
            f"{seconds:.1f}",
            "--out",
            str(out),
            "--journal",
            str(journal),
            "--id",
            "mic-1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    sections = {s["name"]: s for s in record["sections"]}
    assert "left pleural effusion" in sections["findings"]["text"].lower()
    assert "pneumothorax" in sections["findings"]["text"].lower()
    assert "left pleural effusion" in sections["impression"]["text"].lower()
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert entries[1]["actions"] == ["go_to"]
    assert all(e["audio"] for e in entries[1:])
