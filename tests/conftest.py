"""Shared test fixtures: paths to ../shared/data and helpers to skip when material is absent."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples in every run (Hypothesis's "ci" profile: derandomized,
# no example database), so `make test` here fails exactly when CI does.
# HYPOTHESIS_PROFILE=explore draws new examples each run, to look for new failures.
settings.register_profile("explore", derandomize=False, print_blob=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
EXAMPLES = REPO / "examples"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the test when it is absent (it is present in CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is not available")
    return path


def need_tool(name: str) -> str:
    """The path of an external tool (dciodvfy, dsrdump, espeak-ng, ...); skips when missing."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (make install installs it)")
    return found


@pytest.fixture(scope="session")
def iu_records() -> list[dict]:
    path = shared_path("iu-cxr-dev.jsonl")
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point XDG config/data (not cache: the Whisper model lives there) at a temp folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    yield tmp_path
