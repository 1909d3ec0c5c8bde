"""The streaming loop behind ``convert``, ``validate`` and ``redact``: read -> checks -> writer or quarantine.

Every non-blank input row ends in exactly one place: the output (``Outputs.writer``) or the quarantine
file (``Outputs.rejected``, ``sqlcurate.formats.rejects``). Every finding is printed as
``path:line: CODE message`` as it happens, so memory stays constant; the ``Summary`` only keeps counters.
All output files of a run are one ``OutputSet``: they appear together, or (on any error) none does.

``Job`` holds what a command asked for; ``execute(job)`` runs it and returns its ``Summary`` (exit code 0
clean, 1 some findings); a run-stopping problem raises ``SqlcurateError`` (the CLI prints ``error: CODE message``, exit 2).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlcurate.checks.base import Check, CheckRunner, Item
from sqlcurate.conversation import SystemPolicy
from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import OutputSet, OutputWriteError, is_stdio, refuse_overwrite
from sqlcurate.findings import Finding
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, PREVIEW_CHARS
from sqlcurate.formats.readers import ReadOptions, Record, read_file, refuse_sidecar_input, sidecars_read
from sqlcurate.formats.rejects import RejectsWriter
from sqlcurate.formats.sources import check_input, is_stdin
from sqlcurate.formats.writers import JsonlLog, Writer, open_writer, sidecar_path
from sqlcurate.output import info, quiet

_PROGRESS_EVERY = 2048  # records between progress-bar updates (a per-line update would cost more than parsing)
UNTRAINED_CHOICES = ("quarantine", "train")


@dataclass
class Outputs:
    writer: Writer | None = None
    rejected: RejectsWriter | None = None
    changes: JsonlLog | None = None
    # the quarantine's copy of a raw row (redact passes one that redacts it: no secret leaves through it)
    raw_text: Callable[[str], str] = str


@dataclass
class Summary:
    files: list[str]
    lines: int = 0  # physical lines (or rows of an array or Parquet file), blank ones included
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


@dataclass
class Job:
    """One convert/validate/redact run as the user asked for it."""

    inputs: list[Path]
    fmt: str = "auto"
    out: Path | None = None
    to: str = "nanochat"
    system: str = "merge"
    changes: bool = False
    output_format: str = "table"
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    verbose: bool = False
    read: ReadOptions = field(default_factory=ReadOptions)
    rejected: Path | None = None  # default: OUT's .rejected.jsonl (none when OUT is standard output)


def output_format_for(out: Path | None, to: str | None) -> str:
    """``--to`` if given, else Parquet for a ``.parquet`` path, else nanochat."""
    if to:
        return to
    return "parquet" if out is not None and Path(out).suffix == ".parquet" else "nanochat"


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _require(module: str, option: str) -> None:
    if not _module_exists(module):
        raise SqlcurateError("USAGE", f"{option} needs {module}, which is not installed")


def build_checks(*, to: str, system: str, untrained: str = "quarantine", sql: bool = False,
                 sql_dialect: str | None = None, fix: bool = False, catalog: Path | None = None,
                 engine: str | None = None, redact: bool = False, tokenizer: Path | None = None,
                 max_tokens: int | None = None, over_length: str = "drop", dedupe: str | None = None,
                 writes_output: bool = True) -> list[Check]:
    """The checks in the order they must run: policies, then fixers (redaction before SQL so a secret never
    reaches the engine), then SQL, grounding, engine, the contract again after fixes, dedupe, then length."""
    from sqlcurate.checks.schema import SchemaCheck, SystemCheck, UntrainedTurnCheck

    checks: list[Check] = []
    if to == "nanochat" and SystemPolicy(system) is SystemPolicy.REJECT:
        checks.append(SystemCheck(system))
    if to == "nanochat" and untrained == "quarantine":
        checks.append(UntrainedTurnCheck())
    if redact:
        _require("sqlcurate.checks.redaction", "--redact")
        from sqlcurate.checks.redaction import RedactionCheck

        # with an output, redact in place; without one there is nothing to redact into: report each secret
        checks.append(RedactionCheck(fix=writes_output))
    if sql or fix:
        if _module_exists("sqlcurate.checks.sql"):
            from sqlcurate.checks.sql import SqlCheck

            checks.append(SqlCheck(source_dialect=sql_dialect, fix=fix))
        elif fix:
            raise SqlcurateError("USAGE", "--fix needs the SQL check (sqlcurate.checks.sql), which is not installed")
        else:
            info("note: SQL check skipped (sqlcurate.checks.sql is not available)")
    if catalog is not None:
        _require("sqlcurate.checks.grounding", "--catalog")
        from sqlcurate.checks.grounding import GroundingCheck
        from sqlcurate.sql.catalog import load_catalog

        try:
            loaded = load_catalog(catalog)
        except SqlcurateError:
            raise
        except Exception as e:  # a catalog that cannot be loaded is an input error, not a crash
            raise SqlcurateError("CATALOG_UNREADABLE", f"{catalog}: {e}") from None
        checks.append(GroundingCheck(loaded, source_dialect=sql_dialect))  # same dialect as SqlCheck: one shared parse
        if engine == "chdb":
            _require("sqlcurate.checks.engine", "--engine chdb")
            from sqlcurate.checks.engine import EngineCheck

            checks.append(EngineCheck(loaded, source_dialect=sql_dialect))
    if redact or fix:
        checks.append(SchemaCheck())
    if dedupe:
        from sqlcurate.checks.dedupe import DedupeCheck

        checks.append(DedupeCheck(mode=dedupe))
    if tokenizer is not None:
        from sqlcurate.checks.length import LengthCheck

        try:
            checks.append(LengthCheck(tokenizer, max_tokens, over_length, system))
        except SqlcurateError:
            raise
        except Exception as e:  # a missing or unsafe tokenizer is an input error, not a crash
            raise SqlcurateError("TOKENIZER_UNREADABLE", f"{tokenizer}: {e}") from None
    return checks


@dataclass(frozen=True)
class ValidateSettings:
    """What a validate run checks, as the user asked for it: the one place that knows which options go
    together, which checks they turn on and when the run writes a changes file (the CLI and the Python
    API both start from it; each names the options its own way through ``spell``)."""

    sql: bool = True
    sql_dialect: str | None = None
    catalog: Path | None = None
    engine: str | None = None
    redact: bool = False
    fix: bool = False
    tokenizer: Path | None = None
    max_tokens: int | None = None
    over_length: str = "drop"
    dedupe: str | None = None
    untrained: str = "quarantine"

    def usage_problem(self, writes_output: bool, spell: Callable[[str], str]) -> str | None:
        """Why these settings cannot run together, or None. ``spell("max_tokens")`` names an option as the
        caller's user wrote it (``--max-tokens``, ``max_tokens=``)."""
        if self.fix and not writes_output:
            return f"{spell('fix')} writes the fixed rows, so it needs {spell('out')}"
        if self.engine and self.catalog is None:
            return f"{spell('engine')} needs {spell('catalog')} (the tables the queries run against)"
        if (self.tokenizer is None) != (self.max_tokens is None):
            return f"{spell('tokenizer')} and {spell('max_tokens')} go together"
        return None

    def writes_changes(self, writes_output: bool) -> bool:
        """Rows rewritten by a fixer (redaction, --fix, truncation) are listed in OUT's .changes.jsonl."""
        return writes_output and (self.fix or self.redact or (self.tokenizer is not None and self.over_length == "truncate"))

    def checks(self, *, to: str, system: str, writes_output: bool) -> list[Check]:
        return build_checks(to=to, system=system, untrained=self.untrained, sql=self.sql, sql_dialect=self.sql_dialect,
                            fix=self.fix, catalog=self.catalog, engine=self.engine, redact=self.redact,
                            tokenizer=self.tokenizer, max_tokens=self.max_tokens, over_length=self.over_length,
                            dedupe=self.dedupe, writes_output=writes_output)


def check_inputs(paths: Iterable[Path], fmt: str = "auto") -> list[Path]:
    """Raise FileLevelError for the first input that cannot be read, before any output is opened (without
    consuming it: a FIFO or standard input is read once, by the run). Returns the side files reading them
    will read too (outputs must not overwrite those either)."""
    paths = list(paths)
    if sum(is_stdin(p) for p in paths) > 1:
        raise SqlcurateError("USAGE", "standard input ('-') can be read only once")
    also: list[Path] = []
    for path in paths:
        refuse_sidecar_input(Path(path))
        check_input(path)
        also.extend(sidecars_read(Path(path), fmt))
    return also


def open_outputs(job: Job, files: OutputSet) -> tuple[Outputs, dict[str, str]]:
    """The writer, quarantine and change log of ``job`` staged in ``files``, and their paths for the report."""
    out = job.out
    assert out is not None
    stdout = is_stdio(out)
    if stdout and job.to == "parquet":
        raise SqlcurateError("USAGE", "Parquet cannot be streamed to standard output; give a file name")
    rejected = job.rejected if job.rejected is not None else (None if stdout else sidecar_path(out, "rejected"))
    targets = {"output": out, **({"rejected": rejected} if rejected else {})}
    if job.changes:
        if stdout:
            raise SqlcurateError("USAGE", "a change log needs an output file (OUT is standard output)")
        targets["changes"] = sidecar_path(out, "changes")
    for target in (*targets.values(), *([] if stdout else [sidecar_path(out, "meta")])):
        refuse_overwrite(Path(target), files.inputs)
    outputs = Outputs(writer=open_writer(out, job.to, job.system, files.inputs, files))
    if rejected:
        outputs.rejected = RejectsWriter(rejected, files=files)
    if job.changes:
        outputs.changes = JsonlLog(targets["changes"], files=files)
    return outputs, {k: str(v) for k, v in targets.items()}


def execute(job: Job, runner: CheckRunner, outputs_hook: Callable[[Outputs], None] | None = None,
            report: Callable[[Summary, CheckRunner, dict[str, str], TextIO], None] | None = None) -> Summary:
    """Run ``job``: check the inputs, stage the outputs, stream, commit all outputs together, report.
    The exit code is ``summary.exit_code``."""
    paths: dict[str, str] = {}
    try:
        sidecars = check_inputs(job.inputs, job.fmt)
        files = OutputSet([*job.inputs, *sidecars])
        outputs = Outputs()
        try:
            if job.out is not None:
                outputs, paths = open_outputs(job, files)
                if outputs_hook is not None:
                    outputs_hook(outputs)
            summary = run(job.inputs, job.fmt, runner, outputs, sys.stderr, job.max_line_bytes,
                          progress=sys.stderr.isatty() and job.output_format == "table" and not quiet(),
                          verbose=job.verbose,
                          options=job.read)
            for part in (outputs.writer, outputs.rejected):
                if part is not None:
                    part.finish()
            files.commit()
        except BrokenPipeError:  # `convert ... - | head`: the reader has all it wanted, as with any Unix filter
            files.abort()
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's final flush stays quiet
            raise SystemExit(1) from None
        except OSError as e:  # a full disk or a quota while writing: nothing of this run is committed
            files.abort()
            raise OutputWriteError(f"{e.filename or job.out}: {e.strerror or e}") from None
        except BaseException:
            files.abort()
            raise
    finally:
        runner.close()
    meta = sidecar_path(job.out, "meta") if job.out is not None and not is_stdio(job.out) and job.to == "nanochat" else None
    if meta is not None and meta.exists():
        paths["meta"] = str(meta)
    if getattr(outputs.writer, "lost_meta", False):
        info("note: rows carried provenance, which a nanochat stream on standard output has no place "
             "for; write to a file to keep it in OUT.meta.jsonl")
    # the report goes to stderr when the rows themselves go to stdout
    stream = sys.stderr if job.out is not None and is_stdio(job.out) else sys.stdout
    from sqlcurate.formats.report import print_json, print_tables, summary_dict

    if report is not None:
        report(summary, runner, paths, stream)
    elif job.output_format == "json":
        print_json(summary_dict(summary, runner, paths), stream)
    else:
        print_tables(summary, runner, paths, stream)
    return summary


def _reject(outputs: Outputs, record: Record | Item, findings: list[Finding], raw_bytes: int = 0) -> None:
    if outputs.rejected is None:
        return
    raw = outputs.raw_text(record.raw)
    context: dict[str, Any] = {"read_as": record.read_as or None}
    if any(f.code == "LINE_TOO_LONG" for f in findings):
        context.update(raw_truncated=True, raw_bytes=raw_bytes)
        raw = raw[:PREVIEW_CHARS]
    outputs.rejected.reject(record.source, record.line, findings, raw, **context)


def run(inputs: list[Path], fmt: str, runner: CheckRunner, outputs: Outputs, diagnostics: TextIO = sys.stderr,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, progress: bool = False, verbose: bool = False,
        options: ReadOptions | None = None) -> Summary:
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
            for window in _windows(read_file(path, fmt, max_line_bytes, options or ReadOptions()), runner.WINDOW):
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
                        _reject(outputs, record, record.findings, record.raw_bytes)
                        continue
                    summary.read_as[record.read_as] += 1
                    item, found = items[i], verdicts[i]
                    if found:
                        report(item.source, item.line, found)
                    if any(f.severity == "error" for f in found):
                        summary.quarantined += 1
                        _reject(outputs, item, [*record.findings, *found])
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
    fault are still yielded (and so reported) before the error goes on to the caller."""
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

    total = sum(Path(p).stat().st_size for p in inputs if not is_stdin(p) and Path(p).is_file())
    bar = Progress(TextColumn("reading"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("read", total=total or None)
    bar.start()
    return bar, task
