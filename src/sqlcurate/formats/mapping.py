"""Other names for the same shapes, declared once: ``--map KEY=THEIRS`` or a LLaMA-Factory ``dataset_info.json`` entry.

Keys are LLaMA-Factory's: a column (``messages``, ``system``, ``prompt``, ...) names the field that holds it
in the user's rows; ``role_tag``/``content_tag`` name the keys inside a turn; ``user_tag``/``assistant_tag``/
``system_tag`` name the role values. ``--map messages=dialog --map role_tag=speaker --map user_tag=customer``
reads ``{"dialog": [{"speaker": "customer", ...}]}`` as a messages row. Everything else is unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlcurate.errors import SqlcurateError

COLUMNS = ("messages", "conversations", "system", "tools", "instruction", "input", "output", "history", "prompt",
           "completion", "chosen", "rejected", "label", "kto_tag", "images", "audios", "videos")
TAGS = {"role_tag": "role", "content_tag": "content"}
ROLE_TAGS = {"user_tag": "user", "assistant_tag": "assistant", "system_tag": "system",
             "observation_tag": "observation", "function_tag": "function_call"}
_ALIASES = {"kto_tag": "label"}  # LLaMA-Factory's name for the KTO label column


@dataclass(frozen=True)
class Mapping:
    columns: tuple[tuple[str, str], ...] = ()  # (their field, ours)
    tags: tuple[tuple[str, str], ...] = ()  # (their turn key, ours)
    roles: tuple[tuple[str, str], ...] = ()  # (their role value, ours)

    def __bool__(self) -> bool:
        return bool(self.columns or self.tags or self.roles)

    def row(self, value: Any) -> Any:
        if not self.columns or not isinstance(value, dict):
            return value
        renamed = dict(value)
        for theirs, ours in self.columns:
            if theirs in renamed and theirs != ours:
                renamed[ours] = renamed.pop(theirs)
        return renamed

    def message(self, msg: dict[str, Any]) -> dict[str, Any]:
        if not (self.tags or self.roles):
            return msg
        out = dict(msg)
        for theirs, ours in self.tags:
            if theirs in out and theirs != ours:
                out[ours] = out.pop(theirs)
        role = out.get("role", out.get("from"))
        for theirs, ours in self.roles:
            if role == theirs:
                out["role"] = ours
                out.pop("from", None)
        return out


def parse_mapping(specs: list[str] | tuple[str, ...]) -> Mapping:
    """``KEY=THEIRS`` items (see the module docstring) into a Mapping; a bad item is a usage error."""
    pairs = {}
    for spec in specs:
        key, sep, theirs = spec.partition("=")
        if not sep or not theirs:
            raise SqlcurateError("MAP_BAD_SPEC", f"--map {spec!r}: expected KEY=NAME, e.g. messages=dialog")
        pairs[key.strip()] = theirs.strip()
    return _from_pairs(pairs, "--map")


def load_dataset_info(path: Path, name: str) -> Mapping:
    """The ``columns`` and ``tags`` of entry ``name`` in a LLaMA-Factory ``dataset_info.json``."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SqlcurateError("MAP_BAD_SPEC", f"{path}: cannot read a dataset_info JSON object: {e}") from None
    if not isinstance(info, dict) or not isinstance(info.get(name), dict):
        raise SqlcurateError("MAP_BAD_SPEC", f"{path}: no dataset entry {name!r}")
    entry = info[name]
    pairs = {**entry.get("columns", {}), **entry.get("tags", {})}
    if entry.get("formatting") == "sharegpt" and "messages" in pairs:
        pairs["conversations"] = pairs.pop("messages")  # their sharegpt 'messages' column is our conversations
    return _from_pairs(pairs, f"{path}:{name}")


def _from_pairs(pairs: dict[str, str], where: str) -> Mapping:
    columns, tags, roles = [], [], []
    for key, theirs in pairs.items():
        if not isinstance(theirs, str):
            raise SqlcurateError("MAP_BAD_SPEC", f"{where}: {key} must name a field, got {theirs!r}")
        if key in COLUMNS:
            columns.append((theirs, _ALIASES.get(key, key)))
        elif key in TAGS:
            tags.append((theirs, TAGS[key]))
        elif key in ROLE_TAGS:
            roles.append((theirs, ROLE_TAGS[key]))
        else:
            known = ", ".join((*COLUMNS, *TAGS, *ROLE_TAGS))
            raise SqlcurateError("MAP_BAD_SPEC", f"{where}: unknown key {key!r} (known: {known})")
    return Mapping(tuple(columns), tuple(tags), tuple(roles))


def resolve_mapping(specs: list[str] | tuple[str, ...], dataset_info: str | None) -> Mapping:
    """``--map`` items, or a ``--map-file PATH:NAME`` entry (the file wins when both are given)."""
    if dataset_info:
        path, _, name = dataset_info.rpartition(":")
        if not path:
            raise SqlcurateError("MAP_BAD_SPEC", f"--map-file {dataset_info!r}: expected DATASET_INFO.json:NAME")
        return load_dataset_info(Path(path), name)
    return parse_mapping(specs) if specs else Mapping()
