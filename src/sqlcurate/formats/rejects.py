"""The one quarantine file of every stage (convert, validate, redact, build), in datatrove's spirit: the
rejected row as it came in, and why.

One JSON object per line: ``source`` (input path), ``line`` (1-based line or row), ``codes`` and ``reasons``
(one reason per code, in order; the first is the one that decided), then optional context (``read_as``,
``task``, ``messages``, ``meta``, ``raw_truncated``/``raw_bytes``), and ``raw``: the row's text as read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlcurate.fileio import OutputSet, OutputSetMember
from sqlcurate.findings import Finding
from sqlcurate.formats.writers import dumps

REQUIRED = ("source", "line", "codes", "reasons")


def reject_row(source: str, line: int, findings: list[Finding], raw: str | None = None, **context: Any) -> dict[str, Any]:
    """A quarantine row; errors come first so ``codes[0]`` is what decided."""
    ordered = sorted(findings, key=lambda f: f.severity != "error")
    row: dict[str, Any] = {"source": source, "line": line, "codes": [f.code for f in ordered],
                           "reasons": [f.message for f in ordered]}
    row.update({k: v for k, v in context.items() if v is not None})
    if raw is not None:
        row["raw"] = raw
    return row


class RejectsWriter(OutputSetMember):
    """The quarantine file of a run, staged in its ``OutputSet`` (or its own, committed by ``close``)."""

    def __init__(self, path: Path, inputs: list[Path] | None = None, files: OutputSet | None = None,
                 keep_empty: bool = True):
        self.path, self.keep_empty = Path(path), keep_empty
        super().__init__(files, inputs)
        if files is not None and inputs:
            self.files.inputs = [*self.files.inputs, *[Path(p) for p in inputs]]
        self._out = self.files.open(self.path)
        self.count = 0

    def reject(self, source: str, line: int, findings: list[Finding], raw: str | None = None, **context: Any) -> None:
        self.add(reject_row(source, line, findings, raw, **context))

    def add(self, row: dict[str, Any]) -> None:
        """A row already in the schema (``reject_row``'s keys); anything else is a bug in the caller."""
        assert all(k in row for k in REQUIRED), f"a quarantine row needs {REQUIRED}, got {sorted(row)}"
        self._out.write(dumps(row) + "\n")
        self.count += 1

    def finish(self) -> None:
        """Before the set commits: an empty quarantine that is not wanted goes, and so does a stale one."""
        if self.count == 0 and not self.keep_empty:
            self.files.discard(self.path)
            self.files.remove_on_commit(self.path)

