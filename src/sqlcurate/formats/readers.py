"""Readers: from each input format's JSON value to the one conversation contract.

Every reader only *reshapes* a parsed line into a list of {role, content} dicts plus provenance, then
hands it to ``sqlcurate.conversation.check_messages``; so every format gets the same reason codes.

Formats (``--from``):
- ``nanochat``: each line a bare JSON array of {role, content} (nanochat v1 CustomJSON); provenance comes
  back from the line-aligned ``.meta.jsonl`` sidecar our writer puts beside such a file, if there is one.
- ``messages``: OpenAI chat ``{"messages": [...]}``; other top-level keys (id, metadata, ...) and extra
  per-message keys (name, ...) are kept as provenance in ``Conversation.meta`` (``message_extra``).
- ``sharegpt``: ``{"conversations": [{"from", "value"}]}``, role names mapped by ``SHAREGPT_ROLES``; an
  optional top-level ``system`` string becomes the leading system message.
- ``alpaca``: ``{"instruction", "input", "output"}`` (+ optional ``system``): one user turn
  (instruction, a blank line, input) and one assistant turn.
- ``auto``: decided per line by ``detect_format``; each row records the format it was read as (a
  ``.parquet`` file is read as Parquet).
- ``parquet``: a file written by the Parquet writer (``messages`` list of struct, ``meta`` JSON string).

``read_file(path, fmt)`` streams ``Record``s, one per physical line (or Parquet row).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlcurate.conversation import Conversation, brief, check_messages
from sqlcurate.findings import Finding
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, FileLevelError, open_input, read_lines

CODES = {
    "FORMAT_UNKNOWN": "--from auto: the line's object matches no known format",
    "FORMAT_MISSING_FIELD": "a field the format requires is absent (e.g. 'messages', 'instruction')",
    "FORMAT_FIELD_TYPE": "a format field has the wrong JSON type (e.g. alpaca 'input' not a string)",
}

JSONL_FORMATS = ("nanochat", "messages", "sharegpt", "alpaca")
INPUT_FORMATS = (*JSONL_FORMATS, "auto", "parquet")

# ShareGPT role names seen in the wild -> ours. Unknown names pass through and fail as BAD_ROLE.
SHAREGPT_ROLES = {
    "human": "user", "user": "user",
    "gpt": "assistant", "assistant": "assistant", "model": "assistant", "chatgpt": "assistant",
    "system": "system",
}

# auto: the key that identifies each object format, tried in this order.
DETECT_KEYS = (("messages", "messages"), ("conversations", "sharegpt"), ("instruction", "alpaca"))

_MESSAGE_KEYS = frozenset(("role", "content"))


@dataclass(slots=True)
class Record:
    """One input line (or Parquet row): a conversation, or the findings that say why not."""

    source: str
    line: int
    raw: str
    read_as: str = ""
    conversation: Conversation | None = None
    findings: list[Finding] = field(default_factory=list)
    blank: bool = False
    raw_bytes: int = 0  # for progress


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _wrong_type(fmt: str, expected: str, value: Any) -> list[Finding]:
    return [Finding("LINE_WRONG_TYPE", f"a {fmt} line must be a JSON {expected}, got {_json_type(value)}")]


Reshaped = tuple[Any, dict[str, Any], list[Finding]]  # (messages value, meta, findings)


def reshape_nanochat(value: Any) -> Reshaped:
    if not isinstance(value, list):
        return None, {}, _wrong_type("nanochat", "array", value)
    return value, {}, []


def reshape_messages(value: Any) -> Reshaped:
    if not isinstance(value, dict):
        return None, {}, _wrong_type("messages", "object", value)
    if "messages" not in value:
        return None, {}, [Finding("FORMAT_MISSING_FIELD", f"no 'messages' key (keys: {brief(sorted(value))})")]
    messages = value["messages"]
    meta = {k: v for k, v in value.items() if k != "messages"}
    if isinstance(messages, list):
        extra = [{k: v for k, v in m.items() if k not in _MESSAGE_KEYS} if isinstance(m, dict) else {} for m in messages]
        if any(extra):
            meta["message_extra"] = extra
    return messages, meta, []


def _leading_system(value: dict[str, Any]) -> list[dict[str, Any]]:
    system = value.get("system")
    return [{"role": "system", "content": system}] if isinstance(system, str) and system.strip() else []


def reshape_sharegpt(value: Any) -> Reshaped:
    if not isinstance(value, dict):
        return None, {}, _wrong_type("sharegpt", "object", value)
    if "conversations" not in value:
        return None, {}, [Finding("FORMAT_MISSING_FIELD", f"no 'conversations' key (keys: {brief(sorted(value))})")]
    turns = value["conversations"]
    meta = {k: v for k, v in value.items() if k not in ("conversations", "system")}
    if not isinstance(turns, list):
        return turns, meta, []  # check_messages says NOT_A_LIST
    messages: list[Any] = _leading_system(value)
    for turn in turns:
        if not isinstance(turn, dict):
            messages.append(turn)
            continue
        message: dict[str, Any] = {}
        if "from" in turn:
            who = turn["from"]
            message["role"] = SHAREGPT_ROLES.get(who.lower(), who) if isinstance(who, str) else who
        if "value" in turn:
            message["content"] = turn["value"]
        messages.append(message)
    return messages, meta, []


def reshape_alpaca(value: Any) -> Reshaped:
    if not isinstance(value, dict):
        return None, {}, _wrong_type("alpaca", "object", value)
    missing = [k for k in ("instruction", "output") if k not in value]
    if missing:
        return None, {}, [Finding("FORMAT_MISSING_FIELD", f"alpaca needs {' and '.join(repr(k) for k in missing)}")]
    instruction, extra_input = value["instruction"], value.get("input", "")
    if extra_input is None:
        extra_input = ""
    if not isinstance(extra_input, str):
        return None, {}, [Finding("FORMAT_FIELD_TYPE", f"alpaca 'input' is {_json_type(extra_input)}, not a string")]
    user = f"{instruction}\n\n{extra_input}" if isinstance(instruction, str) and extra_input.strip() else instruction
    meta = {k: v for k, v in value.items() if k not in ("instruction", "input", "output", "system")}
    messages = [*_leading_system(value), {"role": "user", "content": user}, {"role": "assistant", "content": value["output"]}]
    return messages, meta, []


RESHAPERS: dict[str, Callable[[Any], Reshaped]] = {
    "nanochat": reshape_nanochat,
    "messages": reshape_messages,
    "sharegpt": reshape_sharegpt,
    "alpaca": reshape_alpaca,
}


def detect_format(value: Any) -> str | None:
    """The format a parsed line looks like, or None."""
    if isinstance(value, list):
        return "nanochat"
    if isinstance(value, dict):
        for key, fmt in DETECT_KEYS:
            if key in value:
                return fmt
    return None


def to_conversation(value: Any, fmt: str) -> tuple[Conversation | None, list[Finding], str]:
    """(conversation or None, findings, the format the value was read as) for one parsed line."""
    if fmt == "auto":
        detected = detect_format(value)
        if detected is None:
            if isinstance(value, dict):
                return None, [Finding("FORMAT_UNKNOWN", f"object with keys {brief(sorted(value))} matches no known format "
                                      "(nanochat array, 'messages', 'conversations', 'instruction')")], "unknown"
            return None, _wrong_type("conversation", "array or object", value), "unknown"
        fmt = detected
    messages, meta, findings = RESHAPERS[fmt](value)
    if findings:
        return None, findings, fmt
    conversation, findings = check_messages(messages)
    if conversation is not None and meta:
        conversation.meta = meta
    return conversation, findings, fmt


def _sidecar_meta(path: Path, fmt: str) -> Iterator[dict[str, Any]] | None:
    """The provenance our nanochat writer put beside ``path`` (one object per non-blank line), or None."""
    from sqlcurate.formats.writers import sidecar_path

    sidecar = sidecar_path(path, "meta")
    if fmt not in ("nanochat", "auto") or not sidecar.is_file():
        return None

    def lines() -> Iterator[dict[str, Any]]:
        with open(sidecar, encoding="utf-8") as fh:
            for number, text in enumerate(fh, start=1):
                try:
                    meta = json.loads(text)
                except ValueError:
                    raise FileLevelError(sidecar, "FILE_UNREADABLE", f"line {number} is not JSON") from None
                yield meta if isinstance(meta, dict) else {}
        while True:  # a sidecar shorter than its file: the remaining rows have no provenance
            yield {}

    return lines()


def read_jsonl(path: Path, fmt: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
    """Records of a JSONL file; rows of a nanochat file get their provenance back from its meta sidecar."""
    assert fmt in (*JSONL_FORMATS, "auto"), f"not a JSONL input format: {fmt}"
    source = str(path)
    with open_input(path) as fh:
        sidecar = _sidecar_meta(path, fmt)
        for line in read_lines(fh, max_line_bytes):
            record = Record(source, line.number, line.text, findings=line.findings, blank=line.blank,
                            raw_bytes=line.raw_bytes)
            meta = next(sidecar) if sidecar is not None and not line.blank else None
            if line.parsed:
                conversation, findings, record.read_as = to_conversation(line.value, fmt)
                if conversation is not None and meta and not conversation.meta and record.read_as == "nanochat":
                    conversation.meta = meta
                record.conversation = conversation
                if findings:
                    record.findings = [*line.findings, *findings]
            yield record


def read_parquet(path: Path, batch_rows: int = 10_000) -> Iterator[Record]:
    """Rows of a Parquet file with a ``messages`` list-of-struct column (and optional ``meta`` JSON strings),
    read in batches; ``line`` is the 1-based row number."""
    import polars as pl

    with open_input(path):  # same file-level errors as JSONL inputs
        pass
    try:
        frame = pl.scan_parquet(path)
        columns = frame.collect_schema().names()
    except Exception as e:  # polars raises its own error types for a non-Parquet file
        raise FileLevelError(path, "FILE_UNREADABLE", f"not a readable Parquet file: {e}") from None
    if "messages" not in columns:
        raise FileLevelError(path, "FILE_UNREADABLE", f"Parquet file has no 'messages' column (columns: {columns})")
    source, row = str(path), 0
    for batch in frame.select([c for c in ("messages", "meta") if c in columns]).collect_batches(chunk_size=batch_rows):
        for item in batch.iter_rows(named=True):
            row += 1
            meta = json.loads(item["meta"]) if item.get("meta") else {}
            raw = json.dumps({"messages": item["messages"], **({"meta": meta} if meta else {})}, ensure_ascii=False)
            conversation, findings = check_messages(item["messages"])
            if conversation is not None and meta:
                conversation.meta = meta
            yield Record(source, row, raw, "parquet", conversation, findings)


def read_file(path: Path, fmt: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
    """Stream the records of one input file; raises FileLevelError for a file that cannot be read at all."""
    assert fmt in INPUT_FORMATS, f"unknown input format {fmt!r}; expected one of {INPUT_FORMATS}"
    if fmt == "parquet" or (fmt == "auto" and Path(path).suffix == ".parquet"):
        return read_parquet(Path(path))
    return read_jsonl(Path(path), fmt, max_line_bytes)
