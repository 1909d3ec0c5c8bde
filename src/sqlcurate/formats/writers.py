"""Writers: conversations out to nanochat JSONL, messages JSONL or Parquet, atomically.

Public API (other stages, e.g. ``build``, write through it)::

    from sqlcurate.formats.writers import open_writer
    with open_writer(Path("train.jsonl"), "nanochat", SystemPolicy.MERGE, inputs=[...]) as writer:
        writer.write(conversation)      # one output row
    # or: writer = open_writer(...); ...; writer.close()  (commit)  /  writer.abort()  (discard)

- Every file goes through ``sqlcurate.fileio.atomic_open``: nothing appears at the final path until
  ``close()``; on an exception inside ``with`` (or ``abort()``) no partial file is left.
- ``inputs`` are checked with ``refuse_overwrite`` for the output and each sidecar.
- ``nanochat``: each line a bare JSON array, the only shape nanochat v1 CustomJSON reads. A leading
  system message follows the ``SystemPolicy`` (merge into the first user turn by default, drop, or
  reject: ``write`` raises ``SystemRejected``; callers screen rows first with ``schema.SystemCheck``).
  Provenance (``Conversation.meta``) cannot go into the line, so it goes line-aligned into the sidecar
  ``sidecar_path(out, "meta")`` (``train.jsonl`` -> ``train.meta.jsonl``: one JSON object per output line,
  ``{}`` where a row has none). The sidecar is kept only if some row had meta; a stale one from an
  earlier run is removed, so a meta file beside a nanochat file always lines up with it.
- ``messages``: ``{"messages": [...], **meta}``, per-message extras (``meta["message_extra"]``) put back.
  System messages are kept as they are.
- ``parquet``: columns ``messages`` (list of struct{role, content}) and ``meta`` (JSON string); rows are
  buffered ``batch_rows`` at a time into part files and streamed into one file by polars' sink, so memory
  stays bounded whatever the row count.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from sqlcurate.conversation import Conversation, SystemPolicy
from sqlcurate.fileio import atomic_open, refuse_overwrite

OUTPUT_FORMATS = ("nanochat", "messages", "parquet")


class SystemRejected(ValueError):
    """A conversation with a system message was written under SystemPolicy.REJECT."""


def sidecar_path(out: Path, kind: str) -> Path:
    """The file beside an output: ``train.jsonl`` -> ``train.<kind>.jsonl`` (meta, rejected, changes)."""
    out = Path(out)
    return out.with_name(f"{out.stem if out.suffix else out.name}.{kind}.jsonl")


def _dumps(value: Any) -> str:
    # ensure_ascii=False keeps SQL and prose readable; separators match nanochat's own JSONL.
    return json.dumps(value, ensure_ascii=False)


class _AtomicFile:
    """An ``atomic_open`` context held open across calls, committed by ``commit`` or dropped by ``discard``."""

    def __init__(self, path: Path, mode: str = "w"):
        self.path = path
        self._ctx = atomic_open(path, mode)
        self.fh: IO = self._ctx.__enter__()
        self._done = False

    def commit(self) -> None:
        if not self._done:
            self._done = True  # even if the rename fails: atomic_open has removed the temp file then
            self._ctx.__exit__(None, None, None)

    def discard(self) -> None:
        if not self._done:
            self._done = True
            error = _Discarded()
            self._ctx.__exit__(type(error), error, None)  # atomic_open removes the temp file


class _Discarded(Exception):
    pass


class Writer:
    """Base: a context manager with ``write``, ``close`` (commit) and ``abort`` (discard)."""

    count: int = 0

    def write(self, conversation: Conversation) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class NanochatWriter(Writer):
    def __init__(self, path: Path, system: SystemPolicy = SystemPolicy.MERGE):
        self.path, self.system = Path(path), SystemPolicy(system)
        self.meta_path = sidecar_path(self.path, "meta")
        self._out = _AtomicFile(self.path)
        self._meta = _AtomicFile(self.meta_path)
        self._any_meta = False
        self.count = 0

    def write(self, conversation: Conversation) -> None:
        try:
            messages = conversation.as_nanochat(self.system)
        except ValueError:
            raise SystemRejected("conversation has a system message and the system policy is reject") from None
        self._out.fh.write(_dumps(messages) + "\n")
        self._meta.fh.write(_dumps(conversation.meta) + "\n" if conversation.meta else "{}\n")
        self._any_meta = self._any_meta or bool(conversation.meta)
        self.count += 1

    def close(self) -> None:
        self._out.commit()
        if self._any_meta:
            self._meta.commit()
        else:
            self._meta.discard()
            self.meta_path.unlink(missing_ok=True)  # a stale sidecar would no longer line up

    def abort(self) -> None:
        self._out.discard()
        self._meta.discard()


class MessagesWriter(Writer):
    def __init__(self, path: Path):
        self.path = Path(path)
        self._out = _AtomicFile(self.path)
        self.count = 0

    def write(self, conversation: Conversation) -> None:
        meta = dict(conversation.meta)
        extra = meta.pop("message_extra", None)
        messages = conversation.as_messages()
        if isinstance(extra, list) and len(extra) == len(messages):
            messages = [{**e, **m} if isinstance(e, dict) else m for m, e in zip(messages, extra, strict=True)]
        self._out.fh.write(_dumps({"messages": messages, **meta}) + "\n")
        self.count += 1

    def close(self) -> None:
        self._out.commit()

    def abort(self) -> None:
        self._out.discard()


class ParquetWriter(Writer):
    def __init__(self, path: Path, batch_rows: int = 10_000):
        self.path, self.batch_rows = Path(path), batch_rows
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._parts = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.parts.", dir=self.path.parent))
        self._rows: list[dict[str, Any]] = []
        self._nparts = 0
        self.count = 0

    def write(self, conversation: Conversation) -> None:
        self._rows.append({"messages": conversation.as_messages(),
                           "meta": _dumps(conversation.meta) if conversation.meta else None})
        self.count += 1
        if len(self._rows) >= self.batch_rows:
            self._flush()

    def _frame(self, rows: list[dict[str, Any]]):
        import polars as pl

        schema = {"messages": pl.List(pl.Struct({"role": pl.String, "content": pl.String})), "meta": pl.String}
        return pl.DataFrame(rows, schema=schema)

    def _flush(self) -> None:
        if self._rows or self._nparts == 0:
            self._frame(self._rows).write_parquet(self._parts / f"part-{self._nparts:06d}.parquet")
            self._nparts += 1
            self._rows = []

    def close(self) -> None:
        import polars as pl

        try:
            self._flush()
            parts = sorted(self._parts.glob("part-*.parquet"))
            with atomic_open(self.path, "wb") as fh:
                # bounded row groups: with the default, the sink buffers the whole file before writing it
                pl.scan_parquet(parts).sink_parquet(fh, row_group_size=self.batch_rows)
        finally:
            shutil.rmtree(self._parts, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self._parts, ignore_errors=True)


def open_writer(path: Path, fmt: str = "nanochat", system: SystemPolicy | str = SystemPolicy.MERGE,
                inputs: list[Path] | None = None) -> Writer:
    """A writer for ``fmt`` at ``path`` (nothing visible there until ``close``)."""
    assert fmt in OUTPUT_FORMATS, f"unknown output format {fmt!r}; expected one of {OUTPUT_FORMATS}"
    path = Path(path)
    for target in (path, sidecar_path(path, "meta")):
        refuse_overwrite(target, [Path(p) for p in inputs or []])
    if fmt == "nanochat":
        return NanochatWriter(path, SystemPolicy(system))
    if fmt == "messages":
        return MessagesWriter(path)
    return ParquetWriter(path)


class JsonlLog:
    """An atomic JSONL side file (quarantine, change log): ``add(dict)``, then ``close`` or ``abort``."""

    def __init__(self, path: Path, inputs: list[Path] | None = None):
        refuse_overwrite(Path(path), [Path(p) for p in inputs or []])
        self.path = Path(path)
        self._out = _AtomicFile(self.path)
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        self._out.fh.write(_dumps(row) + "\n")
        self.count += 1

    def close(self) -> None:
        self._out.commit()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._out.discard()
