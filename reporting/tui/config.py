"""TUI settings from ``~/.config/reporting/config.toml`` (``[tui]`` and ``[tui.keys]``).

::

    [tui]
    user = "Dr A. Radiologist"      # verifier written on signed reports
    outbox = "/srv/outbox"          # where signed exports go
    audio_device = "USB mic"

    [tui.keys]
    dictate = "f5,ctrl+t"           # push-to-talk toggle (terminals cannot see key-up)
    sign = "f9"

Unknown keys and unknown actions are errors naming the file and key.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporting.errors import ConfigError
from reporting.resources import user_config_dir

__all__ = ["DEFAULT_KEYS", "KEY_HELP", "TuiConfig", "load_config", "default_config_path"]

#: action -> comma-separated keys (Textual key names)
DEFAULT_KEYS: dict[str, str] = {
    "help": "f1",
    "insert_normal": "f2",
    "next_issue": "f3",
    "accept_word": "f4",
    "dictate": "f5,ctrl+t",
    "replay_word": "f6",
    "next_field": "f8,ctrl+n",
    "previous_field": "f7,ctrl+b",
    "save": "ctrl+s",
    "sign": "f9",
    "addendum": "f10",
    "worklist": "escape",
    "preview": "ctrl+r",
}

KEY_HELP: dict[str, str] = {
    "help": "Help: keys and voice commands",
    "insert_normal": "Insert the normal text for the current section",
    "next_issue": "Jump to the next QA issue",
    "accept_word": "Accept the highlighted low-confidence word",
    "dictate": "Start / stop dictation (push-to-talk toggle)",
    "replay_word": "Replay the audio of the low-confidence word",
    "next_field": "Next field",
    "previous_field": "Previous field",
    "save": "Save the draft",
    "sign": "Sign the report (final)",
    "addendum": "Add an addendum to a signed report",
    "worklist": "Back to the worklist",
    "preview": "Show the rendered report / the QA panel",
}

_TUI_KEYS = frozenset({"user", "outbox", "audio_device", "keys"})


def default_config_path() -> Path:
    return user_config_dir() / "config.toml"


@dataclass(frozen=True, slots=True)
class TuiConfig:
    user: str = ""
    outbox: str = ""
    audio_device: str = ""
    keys: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))

    def key(self, action: str) -> str:
        return self.keys.get(action, DEFAULT_KEYS[action])

    def first_key(self, action: str) -> str:
        return self.key(action).split(",")[0].strip()


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "radiologist")


def load_config(path: Path | None = None) -> TuiConfig:
    """Read the ``[tui]`` table; a missing file gives the defaults."""
    path = path or default_config_path()
    data: Mapping[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    tui = data.get("tui", {})
    if not isinstance(tui, Mapping):
        raise ConfigError(f"{path}: [tui] must be a table")
    unknown = set(tui) - _TUI_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key tui.{sorted(unknown)[0]}")
    for key in ("user", "outbox", "audio_device"):
        if key in tui and not isinstance(tui[key], str):
            raise ConfigError(f"{path}: tui.{key} must be a string")
    keys = dict(DEFAULT_KEYS)
    raw_keys = tui.get("keys", {})
    if not isinstance(raw_keys, Mapping):
        raise ConfigError(f"{path}: [tui.keys] must be a table")
    for action, value in raw_keys.items():
        if action not in DEFAULT_KEYS:
            raise ConfigError(
                f"{path}: unknown key tui.keys.{action} (actions: {', '.join(sorted(DEFAULT_KEYS))})"
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f'{path}: tui.keys.{action} must be a key name such as "f5"')
        keys[action] = ",".join(k.strip() for k in value.split(",") if k.strip())
    return TuiConfig(
        user=str(tui.get("user") or _default_user()),
        outbox=str(tui.get("outbox") or ""),
        audio_device=str(tui.get("audio_device") or ""),
        keys=keys,
    )
