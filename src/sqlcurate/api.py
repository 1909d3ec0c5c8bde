"""The Python API: one function per verb, returning what the command would print as typed objects.

Nothing here prints or exits: a run-stopping problem raises ``sqlcurate.errors.SqlcurateError`` (read
``.code``), row-level problems come back as findings with file and line. Every heavy module (sqlglot, the
engine, torch) is imported inside the function that needs it, so ``import sqlcurate`` stays light.
Examples: docs/api.md.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlcurate.errors import SqlcurateError

if TYPE_CHECKING:
    from sqlcurate.build.pipeline import BuildReport
    from sqlcurate.file_stats import FileStats
    from sqlcurate.training import TrainSettings

CODES = {
    "API_USAGE": "arguments of an API call that do not go together (e.g. fix=True without out=)",
    "API_IO_ERROR": "an input that cannot be read or an output that cannot be written",
}

PathLike = str | Path
_DIAGNOSTIC = re.compile(r"^(?P<path>.*?):(?P<line>\d+): (?P<code>[A-Z][A-Z0-9_]*) (?P<message>.*)$")


@dataclass(frozen=True)
class Finding:
    """One problem of one row: ``path:line: CODE message``."""

    path: str
    line: int
    code: str
    message: str
    severity: str = "error"

    def render(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


@dataclass
class Report:
    """What a convert or validate run did: rows in = kept + quarantined, every finding, the files written."""

    files: list[str]
    rows: int  # non-blank input rows
    kept: int
    quarantined: int
    changed: int  # rows rewritten by a fixing check (redaction, --fix, truncation)
    codes: dict[str, int]  # reason code -> count
    findings: list[Finding]
    paths: dict[str, str] = field(default_factory=dict)  # output, rejected, changes, meta
    summary: dict[str, Any] = field(default_factory=dict)  # the full `--format json` summary

    @property
    def ok(self) -> bool:
        return not self.codes


def _paths(values: Iterable[PathLike]) -> list[Path]:
    return [Path(v) for v in ([values] if isinstance(values, str | Path) else values)]


def _run_pipeline(inputs: list[Path], input_format: str, checks: list, out: Path | None, to: str, system: str,
                  changes: bool) -> Report:
    """The convert/validate loop of ``sqlcurate.formats``, its printed summary and diagnostics read back."""
    from sqlcurate.checks.base import CheckRunner
    from sqlcurate.fileio import InputOverwriteError, OutputWriteError
    from sqlcurate.formats.lines import FileLevelError
    from sqlcurate.formats.pipeline import Job, execute

    printed, diagnostics = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(diagnostics):
            execute(Job(inputs, input_format, out, to, system, changes, "json"), CheckRunner(checks))
    except FileLevelError as e:
        raise SqlcurateError(e.code, f"{e.path}: {e.message}") from None
    except (InputOverwriteError, OutputWriteError) as e:
        raise SqlcurateError("API_IO_ERROR", e.message) from None
    lines = diagnostics.getvalue().splitlines()
    summary = json.loads(printed.getvalue())
    severity = {code: v["severity"] for code, v in summary["codes"].items()}
    findings = [Finding(m["path"], int(m["line"]), m["code"], m["message"], severity.get(m["code"], "error"))
                for m in map(_DIAGNOSTIC.match, lines) if m]
    return Report(summary["files"], summary["rows"], summary["kept"], summary["quarantined"], summary["changed"],
                  {code: v["count"] for code, v in summary["codes"].items()}, findings, summary.get("outputs", {}),
                  summary)


def validate(files: PathLike | Iterable[PathLike], *, input_format: str = "auto", out: PathLike | None = None,
             output_format: str | None = None, system: str = "merge", sql: bool = True, sql_dialect: str | None = None,
             catalog: PathLike | None = None, engine: str | None = None, redact: bool = False, fix: bool = False,
             tokenizer: PathLike | None = None, max_tokens: int | None = None, over_length: str = "drop") -> Report:
    """Check conversation files (``sqlcurate validate``); with ``out``, write the rows that pass and
    quarantine the rest beside it. ``engine="chdb"`` proves every query on the embedded ClickHouse."""
    from sqlcurate.formats.pipeline import ValidateSettings, output_format_for

    settings = ValidateSettings(sql, sql_dialect, Path(catalog) if catalog is not None else None, engine, redact, fix,
                                Path(tokenizer) if tokenizer is not None else None, max_tokens, over_length)
    problem = settings.usage_problem(out is not None, spell=lambda name: f"{name}=" if name != "fix" else "fix=True")
    if problem:
        raise SqlcurateError("API_USAGE", problem)
    out = Path(out) if out is not None else None
    to = output_format_for(out, output_format) if out is not None else (output_format or "nanochat")
    checks = settings.checks(to=to, system=system, writes_output=out is not None)
    return _run_pipeline(_paths(files), input_format, checks, out, to, system, settings.writes_changes(out is not None))


def convert(input: PathLike, output: PathLike, *, input_format: str = "auto", output_format: str | None = None,
            system: str = "merge") -> Report:
    """Reformat conversations (``sqlcurate convert``): every readable row to ``output``, every other row with
    its reason to ``output``'s ``.rejected.jsonl``."""
    from sqlcurate.formats.pipeline import build_checks, output_format_for

    to = output_format_for(Path(output), output_format)
    checks = build_checks(to=to, system=system)
    return _run_pipeline([Path(input)], input_format, checks, Path(output), to, system, False)


@dataclass(frozen=True)
class TranspiledStatement:
    """One input statement: the dialect it was read as and why, and its canonical ClickHouse."""

    line: int  # where it starts in the input
    sql: str  # as written
    dialect: str  # read as (given, or detected)
    evidence: tuple[str, ...]  # the markers that point at a dialect, e.g. "TOP at 1:8"
    clickhouse: str | None  # None when it cannot be transpiled faithfully (see error)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.clickhouse is not None and self.clickhouse != self.sql


def transpile(sql: str, source: str | None = None) -> list[TranspiledStatement]:
    """Each statement of ``sql`` as canonical ClickHouse (``sqlcurate transpile``). ``source``: the
    dialect it is written in (any name `--from` takes); default: detected from the markers in the text."""
    from sqlglot.errors import TokenError

    from sqlcurate.sql.dialects import detect, normalize_dialect
    from sqlcurate.sql.script import Script
    from sqlcurate.sql.transpile import TranspileError, split_statements, to_clickhouse

    try:
        dialect = normalize_dialect(source) if source else detect(sql).dialect
    except ValueError as e:
        raise SqlcurateError("API_USAGE", str(e)) from None
    try:
        statements = split_statements(sql, dialect)
    except TokenError as e:
        raise SqlcurateError("SQL_PARSE_ERROR", f"<sql>:1: the text cannot be tokenized as {dialect}: {e}") from None
    out = []
    script = Script(dialect)  # a variable declared by one statement is written into the later ones
    for st in statements:
        evidence = tuple(e.render() for e in detect(st.sql).evidence)
        try:
            text, error = ";\n".join(to_clickhouse(st.sql, dialect, script=script)), None
        except TranspileError as e:
            text, error = None, str(e)
        out.append(TranspiledStatement(st.line, st.sql, dialect, evidence, text, error))
    return out


def build(workspace: PathLike = ".", **options: Any) -> BuildReport:
    """Pulled records -> checked, deduped, split conversations (``sqlcurate build``); ``options`` are
    ``sqlcurate.build.pipeline.build``'s (out, catalog_path, engine, val_fraction, mix, seed, ...)."""
    from sqlcurate.build.pipeline import build as run_build

    return run_build(Path(workspace), **options)


def redact(input: PathLike, output: PathLike, *, input_format: str = "auto", output_format: str = "auto",
           system: str = "merge", dialect: str = "clickhouse") -> dict[str, Any]:
    """Replace secrets and personal data with typed placeholders (``sqlcurate redact``); returns the counts
    (rows in/out, quarantined, replacements per kind) as ``--format json`` prints them."""
    from sqlcurate.fileio import InputOverwriteError, OutputWriteError
    from sqlcurate.formats.lines import FileLevelError
    from sqlcurate.formats.pipeline import Job
    from sqlcurate.formats.redacting import run_redact

    printed = io.StringIO()
    try:
        # its diagnostics are in the quarantine file
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
            run_redact(Job([Path(input)], input_format, Path(output), system=system, output_format="json"),
                       output_format, dialect)
    except FileLevelError as e:
        raise SqlcurateError(e.code, f"{e.path}: {e.message}") from None
    except (InputOverwriteError, OutputWriteError) as e:
        raise SqlcurateError("API_IO_ERROR", e.message) from None
    return json.loads(printed.getvalue())


def stats(path: PathLike, input_format: str = "auto", tokenizer: PathLike | None = None) -> FileStats:
    """Rows, turns, sources and (with a nanochat tokenizer directory) token statistics of a file."""
    from sqlcurate.file_stats import collect

    return collect(path, input_format, tokenizer)


def train(settings: TrainSettings, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fine-tune a nanochat checkpoint (``sqlcurate train``): ``settings`` is a
    ``sqlcurate.TrainSettings``, the one declaration of every train option."""
    from sqlcurate.training import train as run_train

    return run_train(settings, log)
