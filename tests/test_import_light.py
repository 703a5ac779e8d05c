"""`import reporting` stays light: no UI, audio or ASR packages (and no spaCy) at import time."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "textual",
    "sounddevice",
    "faster_whisper",
    "ctranslate2",
    "spacy",
    "reporting.tui",
    "reporting.audio",
    "reporting.asr",
)


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_reporting_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import reporting")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY}


def test_qa_and_export_never_load_ui_audio_or_asr() -> None:
    loaded = _loaded_after(
        "import reporting.qa, reporting.export, reporting.ingest, reporting.batch"
    )
    forbidden = {
        "textual",
        "sounddevice",
        "faster_whisper",
        "reporting.tui",
        "reporting.audio",
        "reporting.asr",
    }
    assert not {m for m in loaded if m in forbidden or m.split(".")[0] in forbidden}
