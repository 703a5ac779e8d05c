"""Validated loading of the JSON lexicons under ``lexicons/``.

Every lexicon is a JSON object with a top-level ``"description"`` and its own documented shape
(see ``lexicons/README.md``).  Loaders describe the keys they accept; anything else is an error
that names the file and the key, so a typo in a data file never silently disables a rule.

    data = load_lexicon("laterality.json", required=("cues",))
    for i, cue in enumerate(data["cues"]):
        where = f"cues[{i}]"
        check_keys(data.path, where, cue, required=("phrase", "side"), optional=("position",))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporting.errors import LexiconError
from reporting.resources import lexicons_dir, read_json

__all__ = [
    "Lexicon",
    "load_lexicon",
    "lexicon_path",
    "check_keys",
    "expect_str",
    "expect_str_list",
    "expect_bool",
    "expect_int",
    "expect_choice",
    "expect_object",
    "expect_list",
]


@dataclass(frozen=True)
class Lexicon:
    """A lexicon file's ``path``, its ``description`` and the remaining top-level ``data``."""

    path: Path
    description: str
    data: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def lexicon_path(name: str) -> Path:
    """Path of the bundled lexicon ``name`` (``"anatomy.json"``)."""
    return lexicons_dir() / name


def check_keys(
    path: Path,
    where: str,
    obj: object,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> Mapping[str, Any]:
    """Check that ``obj`` is an object holding every ``required`` key and nothing unknown."""
    mapping = expect_object(path, where, obj)
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in mapping:
        if key not in allowed:
            raise LexiconError(
                f"{path}: unknown key {key!r} in {where} (allowed: {', '.join(sorted(allowed))})"
            )
    for key in required:
        if key not in mapping:
            raise LexiconError(f"{path}: {where} is missing the key {key!r}")
    return mapping


def expect_object(path: Path, where: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise LexiconError(f"{path}: {where} must be a JSON object")
    return value


def expect_list(path: Path, where: str, value: object) -> list[Any]:
    if not isinstance(value, list):
        raise LexiconError(f"{path}: {where} must be a JSON list")
    return value


def expect_str(path: Path, where: str, value: object, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise LexiconError(f"{path}: {where} must be a non-empty string")
    return value


def expect_str_list(
    path: Path, where: str, value: object, *, allow_empty: bool = False
) -> list[str]:
    items = expect_list(path, where, value)
    if not items and not allow_empty:
        raise LexiconError(f"{path}: {where} must not be empty")
    return [expect_str(path, f"{where}[{i}]", item) for i, item in enumerate(items)]


def expect_bool(path: Path, where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise LexiconError(f"{path}: {where} must be true or false")
    return value


def expect_int(path: Path, where: str, value: object, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise LexiconError(f"{path}: {where} must be an integer >= {minimum}")
    return value


def expect_choice(path: Path, where: str, value: object, choices: Iterable[str]) -> str:
    options = tuple(choices)
    if value not in options:
        raise LexiconError(f"{path}: {where} must be one of {', '.join(options)} (got {value!r})")
    assert isinstance(value, str)
    return value


def load_lexicon(
    name_or_path: str | Path,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> Lexicon:
    """Read a lexicon and check its top-level keys.

    ``name_or_path`` is a file name inside the bundled ``lexicons/`` folder or a path.  The
    top level must be an object with a ``"description"`` string, every ``required`` key and no
    key outside ``required``/``optional``; otherwise :class:`LexiconError` names file and key.
    """
    path = Path(name_or_path) if isinstance(name_or_path, Path) else lexicon_path(name_or_path)
    raw = read_json(path)
    required = tuple(required)
    top = check_keys(
        path, "the top level", raw, required=("description", *required), optional=optional
    )
    description = expect_str(path, "description", top["description"])
    data = {k: v for k, v in top.items() if k != "description"}
    return Lexicon(path=path, description=description, data=data)
