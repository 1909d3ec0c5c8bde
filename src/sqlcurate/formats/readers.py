"""Readers: from each input format's JSON value to the one conversation contract.

Every reader only *reshapes* a row into a list of {role, content[, weight]} dicts plus provenance, then hands
it to ``sqlcurate.conversation.check_messages``; so every format gets the same reason codes. What a row says
about training is carried, never dropped: a turn that must not be trained becomes ``"weight": 0``.

Formats (``--from``; ``auto`` decides per row by ``DETECT_KEYS``):
- ``nanochat``: a bare JSON array of {role, content} (nanochat v1 CustomJSON); provenance comes back from
  the line-aligned ``.meta.jsonl`` sidecar our writer puts beside such a file, if there is one.
- ``messages``: OpenAI / TRL / LLaMA-Factory ``{"messages": [...]}``; other keys are provenance.
- ``sharegpt``: ``{"conversations": [...]}`` with ``from``/``value`` or ``role``/``content`` turns and an
  optional top-level ``system``.
- ``alpaca``: ``instruction``/``input``/``output`` (+ ``system``, ``history`` of earlier [user, assistant] pairs).
- ``trl``: ``prompt``/``completion``, standard (strings) or conversational (message lists).
- ``parquet``: any of the shapes above as columns, in Parquet or Arrow (IPC file or stream: Hugging Face
  exports and ``save_to_disk``); ``auto`` recognises them by their first bytes.

Every message, in every format: roles case-insensitively through ``ROLE_ALIASES`` (``developer`` is system);
content as a list of text parts is joined; training flags through ``TRAIN_KEYS``; images, audio and tool turns
are quarantined with their own codes. Row-level signals: a KTO ``label``, a preference pair (``chosen`` /
``rejected``, quarantined unless ``--preference chosen``), and prompt turns of prompt/completion, KTO and
preference rows (context there, so never trained here either).

The files themselves may be JSONL, one JSON array or one JSON document, compressed or not, or standard
input (``sqlcurate.formats.sources``). ``read_file(path, fmt, options)`` streams ``Record``s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlcurate.conversation import Conversation, brief, check_messages
from sqlcurate.findings import Finding
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, FileLevelError
from sqlcurate.formats.mapping import Mapping
from sqlcurate.formats.sources import is_stdin, open_input, read_values

CODES = {
    "FORMAT_UNKNOWN": "--from auto: the row's object matches no known format",
    "FORMAT_MISSING_FIELD": "a field the format requires is absent (e.g. 'messages', 'instruction')",
    "FORMAT_FIELD_TYPE": "a format field has the wrong JSON type (e.g. alpaca 'input' not a string)",
    "MEDIA_UNSUPPORTED": "the row holds images, audio or video (parts, an images/audios/videos field, or an "
                         "<image> placeholder); nanochat is text-only",
    "TOOL_ROLE_UNSUPPORTED": "a tool/function turn or an assistant tool call, which nanochat's chat format cannot hold",
    "PREFERENCE_PAIR": "a preference row (chosen/rejected); pass --preference chosen to train on the chosen answer",
    "KTO_UNDESIRABLE": "a KTO row labelled false: its answer is an example of what not to say, never a target",
    "FILE_IS_SIDECAR": "the input is a side file of an output (.meta/.rejected/.changes.jsonl), not conversations",
}

JSON_FORMATS = ("nanochat", "messages", "sharegpt", "alpaca", "trl")
INPUT_FORMATS = (*JSON_FORMATS, "auto", "parquet")  # "parquet" also reads Arrow files
PREFERENCE_CHOICES = ("reject", "chosen")

# role names seen in the wild -> ours, matched case-insensitively. Unknown names fail as BAD_ROLE.
ROLE_ALIASES = {
    "user": "user", "human": "user",
    "assistant": "assistant", "gpt": "assistant", "model": "assistant", "chatgpt": "assistant", "bot": "assistant",
    "system": "system", "developer": "system",
}
TOOL_ROLES = frozenset(("tool", "function", "function_call", "observation", "ipython", "tool_call", "tool_response"))
TOOL_KEYS = ("tool_calls", "function_call")  # an assistant message that calls a tool
TEXT_PARTS = frozenset(("text", "input_text", "output_text"))
MEDIA_PARTS = frozenset(("image", "image_url", "input_image", "audio", "input_audio", "video", "video_url", "file"))
MEDIA_ROW_KEYS = ("images", "audios", "videos", "image", "audio", "video")
MEDIA_PLACEHOLDERS = ("<image>", "<audio>", "<video>")
PART_SEPARATOR = "\n"
# per-turn "train this turn?" keys: OpenAI weight (0/1), axolotl/ShareGPT train/training (bool)
TRAIN_KEYS = ("weight", "train", "training")
# auto: the key that identifies each object format, tried in this order
DETECT_KEYS = (("messages", "messages"), ("conversations", "sharegpt"), ("instruction", "alpaca"), ("prompt", "trl"),
               ("chosen", "trl"))
SIDECAR_NAME = re.compile(r"\.(meta|rejected|changes)\.jsonl$")

_CANONICAL_ROLES = frozenset(("user", "assistant", "system"))
_ROLE_KEYS = ("role", "from")
_CONTENT_KEYS = ("content", "value")
_CONSUMED = frozenset((*_ROLE_KEYS, *_CONTENT_KEYS, *TRAIN_KEYS))


@dataclass(frozen=True)
class ReadOptions:
    mapping: Mapping = field(default_factory=Mapping)
    preference: str = "reject"  # what a chosen/rejected row becomes: quarantined, or its chosen answer


@dataclass(slots=True)
class Record:
    """One input row: a conversation, or the findings that say why not."""

    source: str
    line: int
    raw: str
    read_as: str = ""
    conversation: Conversation | None = None
    findings: list[Finding] = field(default_factory=list)
    blank: bool = False
    raw_bytes: int = 0  # for progress


class Refused(Exception):
    """A row-level refusal while reshaping (carries its finding)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.finding = Finding(code, message)


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _content(content: Any, index: int) -> Any:
    """Text content; a list of text parts is joined (a media part refuses the row)."""
    if isinstance(content, list) and content and all(isinstance(p, dict) for p in content):
        kinds = [p.get("type") for p in content]
        if media := [k for k in kinds if k in MEDIA_PARTS]:
            raise Refused("MEDIA_UNSUPPORTED", f"message {index} has a {media[0]} part; nanochat is text-only")
        if all(k in TEXT_PARTS and isinstance(p.get("text"), str) for k, p in zip(kinds, content, strict=True)):
            return PART_SEPARATOR.join(p["text"] for p in content)
    if isinstance(content, str) and "<" in content:
        for tag in MEDIA_PLACEHOLDERS:
            if tag in content:
                raise Refused("MEDIA_UNSUPPORTED", f"message {index} has an {tag} placeholder for media nanochat cannot see")
    return content


def _trained(msg: dict[str, Any], index: int) -> int | None:
    """0 or 1 from the first training key present, or None; anything else is TRAIN_FLAG_INVALID."""
    for key in TRAIN_KEYS:
        if key in msg:
            flag = msg[key]
            if flag is None:
                continue
            if key == "weight" and flag in (0, 1) and not isinstance(flag, str):
                return int(flag)
            if isinstance(flag, bool):
                return int(flag)
            raise Refused("TRAIN_FLAG_INVALID", f"message {index}: {key} {brief(flag)} is not "
                          + ("0 or 1" if key == "weight" else "true or false"))
    return None


def normalize_message(msg: Any, index: int, mapping: Mapping) -> Any:
    """One message of any format as {role, content[, weight: 0]}; a non-object passes through to be
    reported by the contract."""
    if not isinstance(msg, dict):
        return msg
    if not mapping and len(msg) == 2 and msg.get("role") in _CANONICAL_ROLES:
        content = msg.get("content")
        if type(content) is str and "<" not in content:
            return msg  # the common case, already canonical: nothing to rename, flag or refuse
    msg = mapping.message(msg)
    out: dict[str, Any] = {}
    role_key = next((k for k in _ROLE_KEYS if k in msg), None)
    if role_key is not None:
        who = msg[role_key]
        if isinstance(who, str):
            low = who.strip().lower()
            if low in TOOL_ROLES:
                raise Refused("TOOL_ROLE_UNSUPPORTED", f"message {index} has role {who!r}; nanochat has no tool turns")
            who = ROLE_ALIASES.get(low, who)
        out["role"] = who
    if any(msg.get(k) for k in TOOL_KEYS):
        raise Refused("TOOL_ROLE_UNSUPPORTED", f"message {index} calls a tool; nanochat has no tool calls")
    content_key = next((k for k in _CONTENT_KEYS if k in msg), None)
    if content_key is not None:
        out["content"] = _content(msg[content_key], index)
    if _trained(msg, index) == 0:
        out["weight"] = 0
    return out


def _messages(turns: Any, mapping: Mapping, offset: int = 0) -> Any:
    if not isinstance(turns, list):
        return turns  # check_messages says NOT_A_LIST
    return [normalize_message(t, i + offset, mapping) for i, t in enumerate(turns)]


def _as_context(messages: list[Any]) -> list[Any]:
    """Prompt turns of a prompt/completion, preference or KTO row: assistant turns there are context."""
    return [{**m, "weight": 0} if isinstance(m, dict) and m.get("role") == "assistant" else m for m in messages]


def _leading_system(value: dict[str, Any], key: str = "system") -> list[dict[str, Any]]:
    system = value.get(key)
    return [{"role": "system", "content": system}] if isinstance(system, str) and system.strip() else []


def _check_media_keys(value: dict[str, Any]) -> None:
    for key in MEDIA_ROW_KEYS:
        if value.get(key):
            raise Refused("MEDIA_UNSUPPORTED", f"the row has {key} ({brief(value[key], 60)}); nanochat is text-only")


def _completion(value: Any, mapping: Mapping, offset: int) -> list[Any]:
    """A completion / chosen answer: a string, one message, or a list of messages."""
    if isinstance(value, str):
        return [{"role": "assistant", "content": value}]
    if isinstance(value, dict):
        return [normalize_message(value, offset, mapping)]
    if isinstance(value, list):
        return _messages(value, mapping, offset)
    raise Refused("FORMAT_FIELD_TYPE", f"the answer is {_json_type(value)}, not a string, message or list")


def _row_signals(value: dict[str, Any], prompt: list[Any], options: ReadOptions, answer_key: str | None) -> list[Any]:
    """Apply KTO labels and preference pairs to a row whose prompt turns are ``prompt``."""
    if "chosen" in value and "rejected" in value:
        if options.preference != "chosen":
            raise Refused("PREFERENCE_PAIR", "a chosen/rejected preference row; pass --preference chosen to train "
                          "on the chosen answer (the rejected one is never trained)")
        return [*_as_context(prompt), *_completion(value["chosen"], options.mapping, len(prompt))]
    if "label" in value and isinstance(value["label"], bool):
        if not value["label"]:
            raise Refused("KTO_UNDESIRABLE", "KTO label false: the answer is what not to say; it is never trained")
        if answer_key is None:  # the completion is the last assistant turn; earlier ones are its prompt
            last = max((i for i, m in enumerate(prompt) if isinstance(m, dict) and m.get("role") == "assistant"), default=None)
            if last is not None:
                return [*_as_context(prompt[:last]), *prompt[last:]]
    return prompt


def reshape_nanochat(value: Any, options: ReadOptions) -> tuple[Any, dict[str, Any]]:
    if not isinstance(value, list):
        raise Refused("LINE_WRONG_TYPE", f"a nanochat row must be a JSON array, got {_json_type(value)}")
    return _messages(value, options.mapping), {}


def _extras(turns: Any) -> list[dict[str, Any]]:
    if not isinstance(turns, list):
        return []
    return [{k: v for k, v in m.items() if k not in _CONSUMED} if isinstance(m, dict) else {} for m in turns]


def reshape_messages(value: Any, options: ReadOptions) -> tuple[Any, dict[str, Any]]:
    return _reshape_turns(value, options, "messages", "messages")


def reshape_sharegpt(value: Any, options: ReadOptions) -> tuple[Any, dict[str, Any]]:
    return _reshape_turns(value, options, "conversations", "sharegpt")


def _reshape_turns(value: Any, options: ReadOptions, key: str, fmt: str) -> tuple[Any, dict[str, Any]]:
    if not isinstance(value, dict):
        raise Refused("LINE_WRONG_TYPE", f"a {fmt} row must be a JSON object, got {_json_type(value)}")
    if key not in value:
        raise Refused("FORMAT_MISSING_FIELD", f"no {key!r} key (keys: {brief(sorted(value))})")
    _check_media_keys(value)
    turns = value[key]
    meta = {k: v for k, v in value.items() if k not in (key, "system", "chosen", "rejected", "label")}
    system = _leading_system(value)
    messages = _messages(turns, options.mapping, len(system))
    if not isinstance(messages, list):
        return messages, meta
    mapped = [options.mapping.message(t) if isinstance(t, dict) else t for t in turns] if options.mapping else turns
    if extra := _extras(mapped):
        if any(extra):
            meta["message_extra"] = [{}] * len(system) + extra
    messages = _row_signals(value, [*system, *messages], options, None)
    return messages, meta


def reshape_alpaca(value: Any, options: ReadOptions) -> tuple[Any, dict[str, Any]]:
    if not isinstance(value, dict):
        raise Refused("LINE_WRONG_TYPE", f"an alpaca row must be a JSON object, got {_json_type(value)}")
    missing = [k for k in ("instruction", "output") if k not in value]
    if missing:
        raise Refused("FORMAT_MISSING_FIELD", f"alpaca needs {' and '.join(repr(k) for k in missing)}")
    _check_media_keys(value)
    instruction, extra_input = value["instruction"], value.get("input", "")
    if extra_input is None:
        extra_input = ""
    if not isinstance(extra_input, str):
        raise Refused("FORMAT_FIELD_TYPE", f"alpaca 'input' is {_json_type(extra_input)}, not a string")
    history: list[dict[str, Any]] = []
    for n, pair in enumerate(value.get("history") or []):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise Refused("FORMAT_FIELD_TYPE", f"alpaca history item {n} is not a [user, assistant] pair")
        history += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    user = f"{instruction}\n\n{extra_input}" if isinstance(instruction, str) and extra_input.strip() else instruction
    meta = {k: v for k, v in value.items()
            if k not in ("instruction", "input", "output", "system", "history", "chosen", "rejected", "label")}
    system = _leading_system(value)
    prompt = [*system, *history, {"role": "user", "content": _content(user, len(system) + len(history))}]
    output = value["output"]
    if isinstance(output, list) and len(output) == 2 and "chosen" not in value:  # LLaMA-Factory alpaca preference
        value = {**value, "chosen": output[0], "rejected": output[1]}
    if "chosen" in value:
        return _row_signals(value, prompt, options, "output"), meta
    if "label" in value and value["label"] is False:
        raise Refused("KTO_UNDESIRABLE", "KTO label false: the answer is what not to say; it is never trained")
    answer = {"role": "assistant", "content": _content(output, len(prompt))}
    return [*prompt, answer], meta


def reshape_trl(value: Any, options: ReadOptions) -> tuple[Any, dict[str, Any]]:
    if not isinstance(value, dict):
        raise Refused("LINE_WRONG_TYPE", f"a trl row must be a JSON object, got {_json_type(value)}")
    if "prompt" not in value and isinstance(value.get("chosen"), list) and isinstance(value.get("rejected"), list):
        # TRL's implicit prompt: the turns chosen and rejected share are the prompt
        shared = 0
        while shared < min(len(value["chosen"]), len(value["rejected"])) - 1 and \
                value["chosen"][shared] == value["rejected"][shared]:
            shared += 1
        value = {**value, "prompt": value["chosen"][:shared], "chosen": value["chosen"][shared:]}
    if "prompt" not in value:
        raise Refused("FORMAT_MISSING_FIELD", f"no 'prompt' key (keys: {brief(sorted(value))})")
    _check_media_keys(value)
    prompt_value = value["prompt"]
    prompt = ([{"role": "user", "content": prompt_value}] if isinstance(prompt_value, str)
              else _messages(prompt_value, options.mapping))
    if not isinstance(prompt, list):
        raise Refused("FORMAT_FIELD_TYPE", f"trl 'prompt' is {_json_type(prompt_value)}, not a string or messages")
    meta = {k: v for k, v in value.items() if k not in ("prompt", "completion", "chosen", "rejected", "label")}
    if "chosen" in value:
        return _row_signals(value, prompt, options, "completion"), meta
    if "completion" not in value:
        raise Refused("FORMAT_MISSING_FIELD", "trl needs 'completion' (or 'chosen'/'rejected'); a prompt-only row "
                      "has no answer to train")
    if "label" in value and value["label"] is False:
        raise Refused("KTO_UNDESIRABLE", "KTO label false: the answer is what not to say; it is never trained")
    return [*_as_context(prompt), *_completion(value["completion"], options.mapping, len(prompt))], meta


RESHAPERS = {
    "nanochat": reshape_nanochat,
    "messages": reshape_messages,
    "sharegpt": reshape_sharegpt,
    "alpaca": reshape_alpaca,
    "trl": reshape_trl,
}


def detect_format(value: Any) -> str | None:
    """The format a parsed row looks like, or None."""
    if isinstance(value, list):
        return "nanochat"
    if isinstance(value, dict):
        for key, fmt in DETECT_KEYS:
            if key in value:
                return fmt
    return None


def to_conversation(value: Any, fmt: str, options: ReadOptions = ReadOptions()) -> tuple[Conversation | None, list[Finding], str]:
    """(conversation or None, findings, the format the value was read as) for one parsed row."""
    value = options.mapping.row(value)
    if fmt == "auto":
        detected = detect_format(value)
        if detected is None:
            if isinstance(value, dict):
                return None, [Finding("FORMAT_UNKNOWN", f"object with keys {brief(sorted(value))} matches no known format "
                                      "(nanochat array, 'messages', 'conversations', 'instruction', 'prompt'; "
                                      "other names: --map)")], "unknown"
            return None, [Finding("LINE_WRONG_TYPE", f"a conversation row must be a JSON array or object, "
                                  f"got {_json_type(value)}")], "unknown"
        fmt = detected
    try:
        messages, meta = RESHAPERS[fmt](value, options)
    except Refused as e:
        return None, [e.finding], fmt
    conversation, findings = check_messages(messages)
    if conversation is not None and meta:
        conversation.meta = meta
    return conversation, findings, fmt


def _sidecar_meta(path: Path, fmt: str) -> Iterator[dict[str, Any]] | None:
    """The provenance our nanochat writer put beside ``path`` (one object per non-blank line), or None."""
    from sqlcurate.formats.writers import sidecar_path

    if is_stdin(path) or fmt not in ("nanochat", "auto"):
        return None
    sidecar = sidecar_path(path, "meta")
    if not sidecar.is_file():
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


def sidecars_read(path: Path, fmt: str) -> list[Path]:
    """The side files reading ``path`` also reads (outputs must never be written over them)."""
    from sqlcurate.formats.writers import sidecar_path

    if is_stdin(path) or fmt not in ("nanochat", "auto"):
        return []
    return [p for p in [sidecar_path(path, "meta")] if p.is_file()]


def refuse_sidecar_input(path: Path) -> None:
    if SIDECAR_NAME.search(str(path)):
        raise FileLevelError(path, "FILE_IS_SIDECAR", "is a side file written beside an output (provenance, quarantine "
                             "or change log), not a conversation file; rename it if it really is one")


def read_json_rows(path: Path, fmt: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                   options: ReadOptions = ReadOptions()) -> Iterator[Record]:
    """Records of a JSONL / JSON array / JSON document input; rows of a nanochat file get their provenance
    back from its meta sidecar."""
    assert fmt in (*JSON_FORMATS, "auto"), f"not a JSON input format: {fmt}"
    source = str(path)
    with open_input(path) as fh:
        sidecar = _sidecar_meta(Path(path), fmt)
        for line in read_values(fh, path, max_line_bytes):
            record = Record(source, line.number, line.text, findings=line.findings, blank=line.blank,
                            raw_bytes=line.raw_bytes)
            meta = next(sidecar) if sidecar is not None and not line.blank else None
            if line.parsed:
                conversation, findings, record.read_as = to_conversation(line.value, fmt, options)
                if conversation is not None and meta and not conversation.meta and record.read_as == "nanochat":
                    conversation.meta = meta
                record.conversation = conversation
                if findings:
                    record.findings = [*line.findings, *findings]
            yield record


TABLE_MAGIC = ((b"PAR1", "parquet"), (b"ARROW1", "arrow"), (b"\xff\xff\xff\xff", "arrow-stream"))


def table_kind(path: Path) -> str | None:
    """'parquet', 'arrow' (IPC file, Feather v2) or 'arrow-stream' (what Hugging Face ``save_to_disk`` writes)
    from the file's first bytes, or None."""
    if is_stdin(path) or not Path(path).is_file():
        return None
    with open(path, "rb") as fh:
        head = fh.read(6)
    return next((kind for magic, kind in TABLE_MAGIC if head.startswith(magic)), None)


def _table_batches(path: Path, kind: str, batch_rows: int) -> Iterator[Any]:
    """Record batches as polars frames, bounded by ``batch_rows`` where the format allows it."""
    import polars as pl

    if kind == "arrow-stream":
        try:
            import pyarrow.ipc
        except ImportError:  # polars alone reads a stream whole
            yield pl.read_ipc_stream(path)
            return
        with pyarrow.ipc.open_stream(path) as reader:
            for batch in reader:
                yield pl.from_arrow(batch)
        return
    frame = pl.scan_ipc(path) if kind == "arrow" else pl.scan_parquet(path)
    frame.collect_schema()
    yield from frame.collect_batches(chunk_size=batch_rows)


def read_table(path: Path, fmt: str = "auto", options: ReadOptions = ReadOptions(),
               batch_rows: int = 10_000) -> Iterator[Record]:
    """Rows of a Parquet or Arrow file in any of the JSON shapes (a ``messages`` or ``conversations``
    list-of-struct column, alpaca or trl columns; our own ``meta`` JSON-string column), read in batches;
    ``line`` is the 1-based row number."""
    if is_stdin(path):
        raise FileLevelError(path, "FILE_UNREADABLE", "Parquet and Arrow cannot be read from standard input; give a file")
    open_input(path).close()  # same file-level errors as JSON inputs
    kind = table_kind(path) or "parquet"
    source, row = str(path), 0
    row_fmt = fmt if fmt in JSON_FORMATS else "auto"
    batches = _table_batches(Path(path), kind, batch_rows)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as e:  # polars and pyarrow raise their own error types for a damaged file
            raise FileLevelError(path, "FILE_UNREADABLE", f"not a readable {kind} file: {e}") from None
        for item in batch.iter_rows(named=True):
            row += 1
            own_meta = item.pop("meta", None) if isinstance(item.get("meta"), str) else None
            value = {k: v for k, v in item.items() if v is not None}
            raw = json.dumps(value, ensure_ascii=False, default=str)
            conversation, findings, read_as = to_conversation(value, row_fmt, options)
            if conversation is not None and own_meta:
                conversation.meta = {**conversation.meta, **json.loads(own_meta)}
            yield Record(source, row, raw, f"{kind}/{read_as}", conversation, findings)


def read_file(path: Path, fmt: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
              options: ReadOptions = ReadOptions()) -> Iterator[Record]:
    """Stream the records of one input; raises FileLevelError for an input that cannot be read at all."""
    assert fmt in INPUT_FORMATS, f"unknown input format {fmt!r}; expected one of {INPUT_FORMATS}"
    refuse_sidecar_input(Path(path))
    if fmt == "parquet" or (fmt == "auto" and table_kind(path)):
        return read_table(Path(path), "auto", options)
    return read_json_rows(path, fmt, max_line_bytes, options)
