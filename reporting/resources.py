"""The one place that knows where the bundled data (``templates/``, ``lexicons/``) lives.

In a source checkout or an editable install the folders sit at the repository root, next to the
package.  In a wheel they are shipped inside the package as ``reporting/_data/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from reporting.errors import ConfigError, LexiconError

__all__ = [
    "data_dir",
    "templates_dir",
    "lexicons_dir",
    "examples_dir",
    "read_json",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "user_cache_dir",
    "user_config_dir",
    "user_data_dir",
]

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Folder of bundled data called ``name`` ("templates" or "lexicons")."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        f"the bundled {name!r} folder is missing (looked in {_PACKAGE / '_data'} and "
        f"{_PACKAGE.parent}); reinstall the package",
        title="Broken installation",
    )


def templates_dir() -> Path:
    return data_dir("templates")


def lexicons_dir() -> Path:
    return data_dir("lexicons")


def examples_dir() -> Path | None:
    """The repository's ``examples/`` folder when running from a checkout, else None."""
    candidate = _PACKAGE.parent / "examples"
    return candidate if candidate.is_dir() else None


def read_json(path: Path, *, error: type[Exception] = LexiconError) -> Any:
    """Read a JSON data file, naming the file in the error when it is broken."""
    try:
        with path.open("rb") as fh:
            return json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise error(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temp file beside ``path`` to write; when the block succeeds it is fsynced and
    renamed over ``path`` (and the folder fsynced).

    A failure leaves any previous file untouched and no partial file behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, mode: int | None = None
) -> Path:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, rename.

    A failure leaves any previous file untouched and no partial file behind.
    """
    with atomic_output(path, mode=mode) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int | None = None) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def _xdg(var: str, fallback: str) -> Path:
    base = os.environ.get(var)
    root = Path(base) if base else Path.home() / fallback
    return root / "reporting"


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/reporting`` (default ``~/.cache/reporting``)."""
    return _xdg("XDG_CACHE_HOME", ".cache")


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME/reporting`` (default ``~/.config/reporting``)."""
    return _xdg("XDG_CONFIG_HOME", ".config")


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/reporting`` (default ``~/.local/share/reporting``): drafts, journals, audit."""
    return _xdg("XDG_DATA_HOME", ".local/share")
