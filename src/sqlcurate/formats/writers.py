"""Writers: conversations out to nanochat JSONL, messages JSONL or Parquet, as one committed set.

Public API (other stages, e.g. ``build``, write through it)::

    from sqlcurate.formats.writers import open_writer
    with open_writer(Path("train.jsonl"), "nanochat", SystemPolicy.MERGE, inputs=[...]) as writer:
        writer.write(conversation)      # one output row
    # or: writer = open_writer(..., files=output_set); ...; output_set.commit() / .abort()

- Every file is staged in a ``sqlcurate.fileio.OutputSet``: nothing appears at the final paths until the
  set commits, and then all of them do (output, provenance, quarantine, change log). ``-`` is standard output.
- ``inputs`` are checked with ``refuse_overwrite`` for the output and each side file.
- Strict JSON out: any string a row can hold is written, a lone surrogate (only possible in provenance; the
  contract refuses it in messages) as a ``\\udXXX`` escape; NaN never reaches a writer (the reader refuses it).
- ``nanochat``: each line a bare JSON array, the only shape nanochat v1 CustomJSON reads. A leading
  system message follows the ``SystemPolicy``. The format cannot say "do not train this assistant turn":
  such rows are screened before the writer (``checks.schema.UntrainedTurnCheck``) unless the user chose to
  train them, and the writer writes plain turns. Provenance goes line-aligned into the sidecar
  ``sidecar_path(out, "meta")`` (``train.jsonl`` -> ``train.meta.jsonl``), kept only if some row had meta; a
  stale one from an earlier run goes with the commit, so a meta file always lines up with its file.
- ``messages``: ``{"messages": [...], **meta}``, per-message extras put back, untrained turns ``"weight": 0``.
- ``parquet``: ``messages`` (list of struct{role, content, weight}) and ``meta`` (JSON string); rows are
  buffered ``batch_rows`` at a time into part files and streamed into one file by polars' sink.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from sqlcurate.conversation import Conversation, SystemPolicy
from sqlcurate.fileio import OutputSet, OutputSetMember, OutputWriteError, is_stdio, refuse_overwrite

OUTPUT_FORMATS = ("nanochat", "messages", "parquet")


class SystemRejected(ValueError):
    """A conversation with a system message was written under SystemPolicy.REJECT."""


def sidecar_path(out: Path, kind: str) -> Path:
    """The file beside an output: ``train.jsonl`` -> ``train.<kind>.jsonl`` (meta, rejected, changes)."""
    out = Path(out)
    return out.with_name(f"{out.stem if out.suffix else out.name}.{kind}.jsonl")


def dumps(value: Any) -> str:
    """Strict JSON for one line: readable UTF-8, and ASCII escapes only when a lone surrogate forces them."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text


class Writer(OutputSetMember):
    """Base: ``write``, then ``close`` (commit its own set) or ``abort``; a context manager."""

    count: int = 0

    def write(self, conversation: Conversation) -> None:
        raise NotImplementedError


class NanochatWriter(Writer):
    def __init__(self, path: Path, system: SystemPolicy = SystemPolicy.MERGE, files: OutputSet | None = None):
        super().__init__(files)
        self.path, self.system = Path(path), SystemPolicy(system)
        self._out: IO = self.files.open(self.path)
        self.meta_path: Path | None = None if is_stdio(path) else sidecar_path(self.path, "meta")
        self._meta: IO | None = self.files.open(self.meta_path) if self.meta_path else None
        self._any_meta = False
        self.count = 0

    def write(self, conversation: Conversation) -> None:
        try:
            # untrained turns were screened out or knowingly kept: the format has no way to mark them
            messages = conversation.as_nanochat(self.system, weights=False)
        except ValueError:
            raise SystemRejected("conversation has a system message and the system policy is reject") from None
        self._out.write(dumps(messages) + "\n")
        if self._meta is not None:
            self._meta.write(dumps(conversation.meta) + "\n" if conversation.meta else "{}\n")
        self._any_meta = self._any_meta or bool(conversation.meta)
        self.count += 1

    @property
    def lost_meta(self) -> bool:
        """Rows had provenance but the output is standard output, which has no place beside it."""
        return self._meta is None and self._any_meta

    def finish(self) -> None:
        if self.meta_path is not None and not self._any_meta:
            self.files.discard(self.meta_path)
            self.files.remove_on_commit(self.meta_path)  # a stale sidecar would no longer line up


class MessagesWriter(Writer):
    def __init__(self, path: Path, files: OutputSet | None = None):
        super().__init__(files)
        self.path = Path(path)
        self._out = self.files.open(self.path)
        self.count = 0

    def write(self, conversation: Conversation) -> None:
        meta = dict(conversation.meta)
        extra = meta.pop("message_extra", None)
        messages = conversation.as_messages()
        if isinstance(extra, list) and len(extra) == len(messages):
            messages = [{**e, **m} if isinstance(e, dict) else m for m, e in zip(messages, extra, strict=True)]
        self._out.write(dumps({"messages": messages, **meta}) + "\n")
        self.count += 1


class ParquetWriter(Writer):
    def __init__(self, path: Path, batch_rows: int = 10_000, files: OutputSet | None = None):
        super().__init__(files)
        if is_stdio(path):
            raise ValueError("Parquet cannot be streamed to standard output; give a file name")
        self.path, self.batch_rows = Path(path), batch_rows
        self._parts = self.files.staging_dir(self.path)
        self._rows: list[dict[str, Any]] = []
        self._nparts = 0
        self.count = 0

    def write(self, conversation: Conversation) -> None:
        self._rows.append({"messages": [{"role": m.role, "content": m.content, "weight": None if m.trained else 0}
                                        for m in conversation.messages],
                           "meta": dumps(conversation.meta) if conversation.meta else None})
        self.count += 1
        if len(self._rows) >= self.batch_rows:
            self._flush()

    def _frame(self, rows: list[dict[str, Any]]):
        import polars as pl

        message = pl.Struct({"role": pl.String, "content": pl.String, "weight": pl.Int8})
        return pl.DataFrame(rows, schema={"messages": pl.List(message), "meta": pl.String})

    def _flush(self) -> None:
        if self._rows or self._nparts == 0:
            part = self._parts / f"part-{self._nparts:06d}.parquet"
            try:
                self._frame(self._rows).write_parquet(part)
            except Exception as e:  # polars wraps a full disk in its own error types
                raise OutputWriteError(f"{self.path}: cannot write a Parquet part file: {e}") from None
            self._nparts += 1
            self._rows = []

    def finish(self) -> None:
        import polars as pl

        self._flush()
        parts = sorted(self._parts.glob("part-*.parquet"))
        fh = self.files.open(self.path, "wb")
        try:
            # bounded row groups: with the default, the sink buffers the whole file before writing it
            pl.scan_parquet(parts).sink_parquet(fh, row_group_size=self.batch_rows)
        except Exception as e:  # polars wraps a full disk in its own error types
            raise OutputWriteError(f"{self.path}: cannot write the Parquet file: {e}") from None


def open_writer(path: Path, fmt: str = "nanochat", system: SystemPolicy | str = SystemPolicy.MERGE,
                inputs: list[Path] | None = None, files: OutputSet | None = None) -> Writer:
    """A writer for ``fmt`` at ``path`` (nothing visible there until its set commits)."""
    assert fmt in OUTPUT_FORMATS, f"unknown output format {fmt!r}; expected one of {OUTPUT_FORMATS}"
    path = Path(path)
    for target in (path, sidecar_path(path, "meta")):
        refuse_overwrite(target, [Path(p) for p in inputs or []])
    if files is not None:
        files.inputs = [*files.inputs, *[Path(p) for p in inputs or []]]
    if fmt == "nanochat":
        return NanochatWriter(path, SystemPolicy(system), files)
    if fmt == "messages":
        return MessagesWriter(path, files)
    return ParquetWriter(path, files=files)


class JsonlLog:
    """A JSONL side file (change log) in an output set: ``add(dict)``; committed with the set."""

    def __init__(self, path: Path, inputs: list[Path] | None = None, files: OutputSet | None = None):
        refuse_overwrite(Path(path), [Path(p) for p in inputs or []])
        self.path = Path(path)
        self.owns_files = files is None
        self.files = files if files is not None else OutputSet(inputs)
        self._out = self.files.open(self.path)
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        self._out.write(dumps(row) + "\n")
        self.count += 1

    def close(self) -> None:
        if self.owns_files:
            self.files.commit()

    def abort(self) -> None:
        self.files.abort()
