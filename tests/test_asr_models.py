"""Model resolution: explicit path, configuration, the bundled default (joined once, verified)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reporting.asr import models
from reporting.asr.engine import TranscriberOptions, WhisperTranscriber
from reporting.errors import ASRError, ConfigError


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPORTING_ASR_MODEL", raising=False)
    return tmp_path


def test_default_model_is_joined_once_and_verified(cache: Path) -> None:
    folders: list[Path] = []
    threads = [
        threading.Thread(target=lambda: folders.append(models.prepare_default_model()))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    folder = cache / "cache" / "reporting" / "models" / "whisper-base"
    assert folders == [folder] * 3
    assert sorted(p.name for p in folder.iterdir()) == [
        ".prepared",
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.json",
    ]
    assert (folder / ".prepared").read_text().split()[0] == models.DEFAULT_MODEL_SHA256
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert models.prepare_default_model() == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp  # not joined again
    assert models.resolve_model() == models.ResolvedModel(str(folder), "default")


def test_a_checksum_mismatch_leaves_nothing_behind(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "DEFAULT_MODEL_SHA256", "0" * 64)
    with pytest.raises(ASRError, match="SHA-256"):
        models.prepare_default_model()
    folder = cache / "cache" / "reporting" / "models" / "whisper-base"
    assert not (folder / "model.bin").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".model.bin")]


def test_resolution_order(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = cache / "mine"
    mine.mkdir()
    (mine / "model.bin").write_bytes(b"x")
    config = cache / "config" / "reporting" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[asr]\nmodel = "{mine}"\n')
    assert models.resolve_model() == models.ResolvedModel(str(mine), "config")
    monkeypatch.setenv("REPORTING_ASR_MODEL", "tiny.en")
    assert models.resolve_model() == models.ResolvedModel("tiny.en", "name")
    assert models.resolve_model(mine) == models.ResolvedModel(str(mine), "explicit")
    with pytest.raises(ASRError, match="not found"):
        models.resolve_model(cache / "absent")
    with pytest.raises(ASRError, match="no model.bin"):
        models.resolve_model(cache)
    monkeypatch.setenv("REPORTING_ASR_MODEL", "whisper-enormous")
    with pytest.raises(ASRError, match="whisper-enormous"):
        models.resolve_model()
    monkeypatch.delenv("REPORTING_ASR_MODEL")
    config.write_text("[asr\nmodel=")
    with pytest.raises(ConfigError, match="config.toml"):
        models.resolve_model()


def test_a_model_name_never_downloads(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(cache / "hf"))
    transcriber = WhisperTranscriber(TranscriberOptions(model="tiny.en"))
    with pytest.raises(ASRError, match="offline"):
        transcriber.warm_up()


def test_prepare_command(cache: Path) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache / "cache2"))
    done = subprocess.run(
        [sys.executable, "-m", "reporting.asr.models", "--prepare"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("models/whisper-base")
    assert (
        cache / "cache2" / "reporting" / "models" / "whisper-base" / "model.bin"
    ).stat().st_size > 100_000_000


def test_engine_options_from_config(cache: Path) -> None:
    from reporting.asr.engine import options_from_config

    assert options_from_config() == TranscriberOptions()
    config = cache / "config" / "reporting" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[asr]\ncompute_type = "int8_float32"\ncpu_threads = 1\nbeam_size = 2\n')
    opts = options_from_config(beam_size=None, cpu_threads=4)
    assert (opts.compute_type, opts.cpu_threads, opts.beam_size) == ("int8_float32", 4, 2)
    config.write_text("[asr]\nworkers = 3\n")
    assert options_from_config().workers == 3
    config.write_text("[asr]\nworkers = 0\n")
    with pytest.raises(ConfigError, match="workers must be >= 1"):
        options_from_config()
    config.write_text("[asr]\nthreads = 2\n")
    with pytest.raises(ConfigError, match=r"asr\.threads"):
        options_from_config()
    config.write_text('[asr]\nbeam_size = "five"\n')
    with pytest.raises(ConfigError, match=r"asr\.beam_size"):
        options_from_config()
