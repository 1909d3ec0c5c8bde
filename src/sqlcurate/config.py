"""Project defaults: ``[tool.sqlcurate]`` in ``pyproject.toml``, or a ``sqlcurate.toml`` (top-level keys).

The nearest file from the current directory upwards wins (a ``sqlcurate.toml`` before a ``pyproject.toml``
in the same directory; a ``pyproject.toml`` without the table is passed over). Relative paths are relative
to that file. A value is the default of the same-named option of every verb that has it; an option given
on the command line still wins. See docs/config.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlcurate.errors import SqlcurateError

CODES = {
    "CONFIG_INVALID": "sqlcurate.toml or [tool.sqlcurate] is not valid TOML, has an unknown key or a mistyped value",
}

# key -> (the option it sets on every verb that has it, whether it is a path)
KEYS: dict[str, tuple[str, bool]] = {
    "catalog": ("--catalog", True),
    "engine": ("--engine", False),
    "tokenizer": ("--tokenizer", True),
    "workspace": ("--workspace", True),
}


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the file the values came from; None when there is none
    values: dict[str, str] = field(default_factory=dict)  # option (e.g. "--catalog") -> value


def _table(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise SqlcurateError("CONFIG_INVALID", f"{path}: not readable TOML: {e}") from None
    if path.name == "pyproject.toml":
        return data.get("tool", {}).get("sqlcurate")
    return data


def find_config(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in ("sqlcurate.toml", "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file() and _table(candidate) is not None:
                return candidate
    return None


def load_config(start: Path | None = None) -> Config:
    """The project defaults that apply in ``start`` (default: the current directory)."""
    path = find_config(start)
    if path is None:
        return Config()
    table = _table(path) or {}
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise SqlcurateError("CONFIG_INVALID", f"{path}: unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")
    values = {}
    for key, value in table.items():
        option, is_path = KEYS[key]
        if not isinstance(value, str) or not value:
            raise SqlcurateError("CONFIG_INVALID", f"{path}: {key} must be a non-empty string, got {value!r}")
        values[option] = str((path.parent / Path(value).expanduser()).resolve()) if is_path else value
    return Config(path, values)
