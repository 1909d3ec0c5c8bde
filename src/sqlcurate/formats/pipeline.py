"""The streaming loop behind ``convert`` and ``validate``: read -> checks -> writer or quarantine.

Every non-blank input line ends in exactly one place: the output (``Outputs.writer``) or the quarantine
file (``Outputs.rejected``, one JSON object per line: path, line, code, message, read_as, raw, and all
findings when there are several). Every finding is printed as ``path:line: CODE message`` as it happens,
so memory stays constant; the ``Summary`` only keeps counters.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlcurate.checks.base import CheckRunner, Item
from sqlcurate.findings import Finding
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, PREVIEW_CHARS, open_input
from sqlcurate.formats.readers import Record, read_file
from sqlcurate.formats.writers import JsonlLog, Writer

_PROGRESS_EVERY = 2048  # records between progress-bar updates (a per-line update would cost more than parsing)


@dataclass
class Outputs:
    writer: Writer | None = None
    rejected: JsonlLog | None = None
    changes: JsonlLog | None = None

    def close(self) -> None:
        """Commit every file; if one cannot be committed, discard the rest (no half set of outputs)."""
        try:
            for part in (self.writer, self.rejected, self.changes):
                if part is not None:
                    part.close()
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        for part in (self.writer, self.rejected, self.changes):
            if part is not None:
                with contextlib.suppress(Exception):  # discarding must reach every file
                    part.abort()


@dataclass
class Summary:
    files: list[str]
    lines: int = 0  # physical lines (or Parquet rows), blank ones included
    blank: int = 0
    kept: int = 0
    quarantined: int = 0
    changed: int = 0  # rows rewritten by a fixing check
    read_as: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    severities: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def problems(self) -> int:
        return sum(self.codes.values())

    @property
    def exit_code(self) -> int:
        return 1 if self.codes else 0


def quarantine_row(record: Record | Item, findings: list[Finding]) -> dict[str, Any]:
    first = next((f for f in findings if f.severity == "error"), findings[0])
    row: dict[str, Any] = {"path": record.source, "line": record.line, "code": first.code, "message": first.message,
                           "read_as": record.read_as}
    if len(findings) > 1:
        row["findings"] = [{"code": f.code, "message": f.message, "severity": f.severity} for f in findings]
    raw = record.raw
    if isinstance(record, Record) and any(f.code == "LINE_TOO_LONG" for f in findings):
        row["raw_truncated"], row["raw_bytes"] = True, record.raw_bytes
        raw = raw[:PREVIEW_CHARS]
    row["raw"] = raw
    return row


def check_inputs(paths: Iterable[Path]) -> None:
    """Raise FileLevelError for the first input that cannot be read, before any output is opened."""
    for path in paths:
        open_input(path).close()


def run(inputs: list[Path], fmt: str, runner: CheckRunner, outputs: Outputs, diagnostics: TextIO = sys.stderr,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, progress: bool = False, verbose: bool = False) -> Summary:
    """Stream every input through the checks; raises FileLevelError/OSError (the caller aborts outputs)."""
    summary = Summary([str(p) for p in inputs])
    t0 = time.perf_counter()
    bar = _progress(inputs) if progress else None
    write_diag = diagnostics.write

    def report(source: str, line: int, findings: list[Finding]) -> None:
        for f in findings:
            summary.codes[f.code] += 1
            summary.severities.setdefault(f.code, f.severity)
            write_diag(f.render(source, line) + "\n")

    try:
        for path in inputs:
            pending_bytes = 0
            n = 0
            for window in _windows(read_file(path, fmt, max_line_bytes), runner.WINDOW):
                # the checks take the window's readable rows together (see CheckRunner.run_window);
                # everything below still goes row by row, in input order
                items = {i: Item(r.conversation, r.source, r.line, r.raw, r.read_as)
                         for i, r in enumerate(window) if not r.blank and r.conversation is not None}
                verdicts = dict(zip(items, runner.run_window(list(items.values())), strict=True))
                for i, record in enumerate(window):
                    n += 1
                    summary.lines += 1
                    if bar is not None:
                        pending_bytes += record.raw_bytes
                        if n % _PROGRESS_EVERY == 0:
                            bar[0].advance(bar[1], pending_bytes)
                            pending_bytes = 0
                    if record.findings:
                        report(record.source, record.line, record.findings)
                    if record.blank:
                        summary.blank += 1
                        continue
                    if verbose:
                        write_diag(f"{record.source}:{record.line}: read as {record.read_as or 'unreadable'}\n")
                    if record.conversation is None:
                        summary.read_as[record.read_as or "unreadable"] += 1
                        summary.quarantined += 1
                        if outputs.rejected is not None:
                            outputs.rejected.add(quarantine_row(record, record.findings))
                        continue
                    summary.read_as[record.read_as] += 1
                    item, found = items[i], verdicts[i]
                    if found:
                        report(item.source, item.line, found)
                    if any(f.severity == "error" for f in found):
                        summary.quarantined += 1
                        if outputs.rejected is not None:
                            outputs.rejected.add(quarantine_row(item, [*record.findings, *found]))
                        continue
                    summary.kept += 1
                    if outputs.writer is not None:
                        outputs.writer.write(item.conversation)
                    if item.changes:
                        summary.changed += 1
                        if outputs.changes is not None:
                            for change in item.changes:
                                outputs.changes.add({"path": item.source, "line": item.line, "check": change.check,
                                                     "code": change.code, "before": change.before, "after": change.after})
            if bar is not None:
                bar[0].advance(bar[1], pending_bytes)
    finally:
        if bar is not None:
            bar[0].stop()
    summary.seconds = time.perf_counter() - t0
    return summary


def _windows(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """``records`` in lists of at most ``size``. If the reader fails part-way, the rows read before the
    fault are still yielded (and so reported and written) before the error goes on to the caller."""
    assert size >= 1, f"window size must be at least 1, got {size}"
    window: list[Record] = []
    try:
        for record in records:
            window.append(record)
            if len(window) == size:
                yield window
                window = []
    except Exception:
        if window:
            yield window
        raise
    if window:
        yield window


def _progress(inputs: list[Path]):
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    total = sum(Path(p).stat().st_size for p in inputs)
    bar = Progress(TextColumn("reading"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("read", total=total)
    bar.start()
    return bar, task
