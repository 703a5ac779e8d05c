"""The wheel ships templates/ and lexicons/, and an installed (non-editable) copy finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheels = list(out.glob("reporting-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("templates", "lexicons"):
        bundled = [n for n in names if n.startswith(f"reporting/_data/{folder}/")]
        on_disk = [p for p in (REPO / folder).rglob("*") if p.is_file()]
        assert len(bundled) == len(on_disk) > 0, folder


def test_installed_copy_loads_its_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import reporting, reporting.resources as r, reporting.sectioning as s;"
        "assert r.templates_dir().parts[-3:] == ('reporting', '_data', 'templates'), r.templates_dir();"
        "assert r.lexicons_dir().parts[-2] == '_data';"
        "assert s.canonical_section('IMPRESSION') == 'impression';"
        "import reporting.templating as t; print(len(t.list_templates()))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 13
