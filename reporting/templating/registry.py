"""Where templates come from: the bundled folder plus user folders.

User folders are added, in this order of precedence, by ``paths=`` arguments (the CLI's
``--templates DIR``), the ``REPORTING_TEMPLATES`` environment variable (``dir1:dir2``, the
platform's path separator) and the ``templates.paths`` list in ``~/.config/reporting/config.toml``.
Each folder holds one sub-folder per template (``<id>/spec.toml`` + Jinja2 files); sub-folders
whose name starts with ``_`` or ``.`` are shared material, not templates.  A template id found in
two folders is an error naming both, so nobody edits one copy while another is used.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reporting.errors import ConfigError, TemplateError
from reporting.resources import templates_dir, user_config_dir
from reporting.templating.loader import read_spec
from reporting.templating.spec import TemplateSpec

__all__ = [
    "ENV_VAR",
    "TemplateRoot",
    "TemplateRegistry",
    "configured_roots",
    "registry",
    "clear_cache",
]

log = logging.getLogger(__name__)

ENV_VAR = "REPORTING_TEMPLATES"
_CONFIG_NAME = "config.toml"
_TEMPLATE_CONFIG_KEYS = {"paths"}


@dataclass(frozen=True, slots=True)
class TemplateRoot:
    """A folder of templates and where it was configured (for error messages)."""

    path: Path
    origin: str


def _config_paths() -> list[TemplateRoot]:
    path = user_config_dir() / _CONFIG_NAME
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    section = data.get("templates")
    if section is None:
        return []
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: key 'templates' must be a table")
    unknown = sorted(set(section) - _TEMPLATE_CONFIG_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key 'templates.{unknown[0]}' (allowed: paths)")
    paths = section.get("paths", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise ConfigError(f"{path}: key 'templates.paths' must be a list of folder names")
    out = []
    for item in paths:
        folder = Path(item).expanduser()
        if not folder.is_absolute():
            folder = path.parent / folder
        out.append(TemplateRoot(folder, f"templates.paths in {path}"))
    return out


_ROOTS_MEMO: dict[tuple[object, ...], tuple[TemplateRoot, ...]] = {}


_CONFIG_FILE_MEMO: dict[tuple[str | None, str | None], str] = {}


def _config_key() -> tuple[str, int, int] | None:
    env = (os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"))
    path = _CONFIG_FILE_MEMO.get(env)
    if path is None:
        path = _CONFIG_FILE_MEMO[env] = str(user_config_dir() / _CONFIG_NAME)
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size)


def configured_roots(paths: Iterable[str | os.PathLike[str]] = ()) -> tuple[TemplateRoot, ...]:
    """All template folders in search order: ``paths``, the environment, the config, bundled."""
    given = tuple(str(p) for p in paths)
    env = os.environ.get(ENV_VAR, "")
    key = (given, env, _config_key())
    memo = _ROOTS_MEMO.get(key)
    if memo is not None:
        return memo
    roots = [TemplateRoot(Path(p).expanduser(), "--templates") for p in given]
    roots += [TemplateRoot(Path(p).expanduser(), f"${ENV_VAR}") for p in env.split(os.pathsep) if p]
    roots += _config_paths()
    roots.append(TemplateRoot(templates_dir(), "bundled"))
    unique: list[TemplateRoot] = []
    seen: set[Path] = set()
    for root in roots:
        resolved = root.path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        if not resolved.is_dir():
            raise TemplateError(f"template folder {root.path} (from {root.origin}) does not exist")
        unique.append(TemplateRoot(resolved, root.origin))
    result = tuple(unique)
    if len(_ROOTS_MEMO) > 64:
        _ROOTS_MEMO.clear()
    _ROOTS_MEMO[key] = result
    return result


# Parsed specs keyed by file, invalidated when the file changes (one stat per use).
_SPEC_CACHE: dict[str, tuple[tuple[int, int], TemplateSpec]] = {}
#: Bumped whenever a spec is (re)read, so remembered matches never outlive the specs they used.
_GENERATION = 0


def _load_cached(path: Path | str) -> TemplateSpec:
    name = str(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise TemplateError(f"{path}: file not found (was the template removed?)") from None
    key = (st.st_mtime_ns, st.st_size)
    hit = _SPEC_CACHE.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    spec = read_spec(Path(path))
    _SPEC_CACHE[name] = (key, spec)
    global _GENERATION
    _GENERATION += 1
    return spec


def _stamp(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


class TemplateRegistry:
    """The templates found in an ordered list of folders.

    The folder listing is kept until a template folder changes (one stat per folder per use),
    and match results are remembered per set of loaded specs, so batch QA can ask for the
    template of every report cheaply.
    """

    def __init__(self, roots: Sequence[TemplateRoot]) -> None:
        self.roots = tuple(roots)
        self._listing: tuple[tuple[int, ...], dict[str, Path], tuple[str, ...]] | None = None
        self._root_names = tuple(str(r.path) for r in self.roots)
        self._matches: dict[tuple[object, ...], str] = {}
        self._spec_files: dict[str, str] = {}

    def _signature(self, pending: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(_stamp(r) for r in self._root_names) + tuple(_stamp(p) for p in pending)

    def _folders(self) -> dict[str, Path]:
        if self._listing is not None:
            signature, found, pending = self._listing
            if self._signature(pending) == signature:
                return found
        found = {}
        self._spec_files = {}
        waiting: list[str] = []
        for root in self.roots:
            try:
                children = sorted(root.path.iterdir())
            except OSError as exc:
                raise TemplateError(
                    f"template folder {root.path} (from {root.origin}): {exc.strerror}"
                ) from None
            for child in children:
                if child.name.startswith(("_", ".")) or not child.is_dir():
                    continue
                spec = child / "spec.toml"
                if not spec.is_file():
                    log.debug("skipping %s: no spec.toml", child)
                    waiting.append(str(spec))
                    continue
                if child.name in found:
                    raise TemplateError(
                        f"duplicate template id {child.name!r}: {found[child.name] / 'spec.toml'} "
                        f"and {spec}; rename one of the folders"
                    )
                found[child.name] = child
                self._spec_files[child.name] = str(spec)
        pending = tuple(waiting)
        self._listing = (self._signature(pending), found, pending)
        self._matches.clear()
        return found

    def ids(self) -> list[str]:
        return sorted(self._folders())

    def load(self, template_id: str) -> TemplateSpec:
        folders = self._folders()
        folder = folders.get(template_id)
        if folder is None:
            raise TemplateError(
                f"unknown template {template_id!r}; available: {', '.join(sorted(folders)) or 'none'}"
            )
        return _load_cached(self._spec_files[template_id])

    def all(self) -> list[TemplateSpec]:
        folders = self._folders()
        return [_load_cached(self._spec_files[tid]) for tid in sorted(folders)]

    def folders(self) -> tuple[Path, ...]:
        return tuple(r.path for r in self.roots)

    def remembered_match(self, specs: Sequence[TemplateSpec], procedure: str, modality: str,
                         choose: Callable[[], str]) -> str:  # fmt: skip
        """``choose()`` once per (specs, procedure, modality); later calls reuse the answer."""
        key = (_GENERATION, tuple(s.id for s in specs), procedure, modality)
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) > 50_000:
                self._matches.clear()
            found = self._matches[key] = choose()
        return found


@lru_cache(maxsize=16)
def _registry(roots: tuple[TemplateRoot, ...]) -> TemplateRegistry:
    return TemplateRegistry(roots)


def registry(paths: Iterable[str | os.PathLike[str]] | None = None) -> TemplateRegistry:
    """The registry for the configured folders plus ``paths``."""
    return _registry(configured_roots(paths or ()))


def clear_cache() -> None:
    """Forget parsed specs (they are also re-read when a spec file changes)."""
    _SPEC_CACHE.clear()
    _ROOTS_MEMO.clear()
    _registry.cache_clear()
