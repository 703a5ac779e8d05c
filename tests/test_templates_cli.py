"""``reporting templates``: list, show, match, render, import, --templates, help and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, shared_path

from reporting.cli import main
from reporting.errors import EXIT_ERROR, EXIT_USAGE
from reporting.templating import clear_cache

RSNA_CXR = (
    "external",
    "templates",
    "rsna_radreport_via_openmrs",
    "RadReport_0000102_ChestXray.html",
)
INVALID = ("external", "templates", "openmrs_mrrt", "connectathon2015",
           "invalidMrrtReportTemplate-noScriptElement.html")  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPORTING_TEMPLATES", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    clear_cache()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "templates", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 13
    assert any(line.startswith("us_pelvis_female") and "sex=F" in line for line in lines)
    assert any(line.startswith("mr_knee") and "lateral" in line for line in lines)
    code, out, _ = run(capsys, "templates", "list", "--json")
    rows = json.loads(out)
    assert {r["id"] for r in rows} >= {"chest_xr", "generic"} and code == 0


def test_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "templates", "show", "chest_xr")
    assert code == 0
    assert out.startswith("chest_xr: Chest radiograph (CR, chest)")
    assert "FINDINGS (findings, required) [LN 59776-5]" in out
    assert (
        "- pleura (text) = 'No pleural effusion or pneumothorax.'  (say \"pleura\"; if empty: alert)"
        in out
    )
    assert "the bones [info]" in out
    code, out, _ = run(capsys, "templates", "show", "us_renal", "--json")
    data = json.loads(out)
    fields = {f["id"]: f for s in data["sections"] for f in s["fields"]}
    assert (
        fields["right_kidney_length"]["unit"] == "cm"
        and fields["right_kidney_length"]["type"] == "number"
    )


def test_show_unknown_template_exits_4_and_lists_ids(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "templates", "show", "nope")
    assert code == EXIT_ERROR and out == ""
    assert err.startswith(
        "reporting: Template error: unknown template 'nope'; available: chest_xr,"
    )
    assert len(err.strip().splitlines()) == 1


def test_match(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "templates", "match", "MRI KNEE RIGHT WO CONTRAST")
    assert code == 0 and out.splitlines()[0] == "mr_knee"
    code, out, _ = run(capsys, "templates", "match", "qqq zzz")
    assert out.splitlines() == ["generic"]


def test_render_new_draft_text_and_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "templates", "render", "ct_head")
    assert code == 0 and out.startswith("CT HEAD\n")
    assert "IMPRESSION:\nNo acute intracranial abnormality." in out
    target = tmp_path / "out" / "head.html"
    code, out, err = run(capsys, "templates", "render", "ct_head", "--html", "-o", str(target))
    assert code == 0 and out == "" and "wrote" in err
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<h2>Findings</h2>" in html


def test_render_record(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    record = {
        "id": "r9", "text": "FINDINGS:\nNo hydronephrosis.\nIMPRESSION:\nNormal.", "procedure": "US RENAL",
        "patient": {"name": "Doe^Ann", "id": "P9"},
    }  # fmt: skip
    path = tmp_path / "r9.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    code, out, _ = run(capsys, "templates", "render", "--record", str(path))
    assert code == 0
    assert out.startswith("ULTRASOUND KIDNEYS AND BLADDER\nPatient: Doe, Ann (ID P9)")
    code, out, _ = run(capsys, "templates", "render", "generic", "--record", str(path))
    assert out.startswith("IMAGING REPORT\n")
    path.write_text('{"id": "r9", "txt": "x"}', encoding="utf-8")
    code, _, err = run(capsys, "templates", "render", "--record", str(path))
    assert code == EXIT_ERROR and "txt" in err


def test_render_needs_an_id_or_a_record(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "templates", "render")
    assert code == EXIT_USAGE and "TEMPLATE_ID" in err


def test_templates_option_adds_a_user_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = shared_path(*RSNA_CXR)
    out_dir = tmp_path / "mine"
    code, out, _ = run(capsys, "templates", "import", str(source), "-o", str(out_dir))
    assert code == 0 and "as 'radreport_0000102_chestxray': 5 sections, 7 fields" in out
    code, out, _ = run(capsys, "templates", "--templates", str(out_dir), "list")
    assert "radreport_0000102_chestxray" in out and len(out.splitlines()) == 14
    code, out, _ = run(
        capsys, "templates", "--templates", str(out_dir), "render", "radreport_0000102_chestxray"
    )
    assert code == 0 and "Lungs: Normal." in out
    code, _, err = run(capsys, "templates", "render", "radreport_0000102_chestxray")
    assert code == EXIT_ERROR and "unknown template" in err
    code, _, err = run(capsys, "templates", "import", str(source), "-o", str(out_dir))
    assert code == EXIT_ERROR and "already exists" in err
    code, out, _ = run(
        capsys, "templates", "import", str(source), "-o", str(out_dir), "--id", "cxr_rsna"
    )
    assert code == 0 and (out_dir / "cxr_rsna" / "spec.toml").is_file()


def test_import_invalid_file_exits_4_with_the_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(
        capsys, "templates", "import", str(shared_path(*INVALID)), "-o", str(tmp_path)
    )
    assert code == EXIT_ERROR and out == ""
    assert 'no <script type="text/xml"> element' in err
    code, _, err = run(capsys, "templates", "import", str(tmp_path / "missing.html"))
    assert code == EXIT_ERROR and "file not found" in err
    code, _, err = run(capsys, "templates", "import", str(shared_path(*RSNA_CXR)), "--id", "Bad Id")
    assert code == EXIT_ERROR and "--id 'Bad Id'" in err


def test_check_reports_each_broken_template(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "templates", "check")
    assert code == 0 and out.count("ok   ") == 13
    bad = tmp_path / "site" / "broken"
    bad.mkdir(parents=True)
    (bad / "spec.toml").write_text('id = "broken"\ntitle = 3\n', encoding="utf-8")
    code, out, err = run(capsys, "templates", "--templates", str(tmp_path / "site"), "check")
    assert code == EXIT_ERROR and "1 template(s) broken" in err
    assert (
        f"FAIL broken: Template error: {bad / 'spec.toml'}: title: expected a string, got an integer"
        in out
    )
    assert out.count("ok   ") == 13


@pytest.mark.parametrize(
    "command", [[], ["list"], ["check"], ["show"], ["match"], ["render"], ["import"]]
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, _ = run(capsys, "templates", *command, "--help")
    assert code == 0
    assert out.startswith("Usage: reporting templates")
    description = out.split("\n\n")[1].strip()
    assert len(description) > 20 and not description.startswith("Options")


def test_console_script_runs_in_a_subprocess(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "reporting"
    if not script.exists():
        pytest.skip("the reporting console script is not installed next to this Python")
    env = {"PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(script), "templates", "match", "CT CHEST PE PROTOCOL"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "ctpa"
