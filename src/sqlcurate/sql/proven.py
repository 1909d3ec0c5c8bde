"""Transpile a text of statements and prove every output on the real engine before it counts as done.

Each input statement is parsed once and rewritten (``sql.transpile``); each ClickHouse statement that
comes out must then pass ClickHouse's own parser and name only functions ClickHouse has
(``sql.native``), and, with a catalog, be planned by ``EXPLAIN PLAN`` against the catalog's tables
(``checks.engine.EngineCheck``). Engine work is cached per distinct fingerprint of the output, so a file
of many statements of few templates costs one engine call per template.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from sqlcurate.errors import SqlcurateError
from sqlcurate.sql.dialects import DISPLAY, normalize_dialect
from sqlcurate.sql.fingerprint import fingerprint
from sqlcurate.sql.native import NativeParser
from sqlcurate.sql.script import Script
from sqlcurate.sql.transpile import Statement, TranspileError, convert, parse_tokens, split_statements

# Reason codes of a refused statement are the SQL check's (checks/sql.py CODES): SQL_PARSE_ERROR,
# SQL_UNTRANSPILABLE, SQL_TOO_DEEP, SQL_INTERNAL_ERROR, SQL_OUTPUT_REJECTED.


@dataclass
class StatementResult:
    line: int  # where the input statement starts
    sql: str  # the input statement
    clickhouse: list[str] = field(default_factory=list)  # its ClickHouse statements, when written
    code: str | None = None  # why it was refused; None when written
    message: str | None = None
    notes: list[str] = field(default_factory=list)  # what was dropped on purpose (query hints)

    @property
    def ok(self) -> bool:
        return self.code is None

    def render(self, name: str, source: str) -> list[str]:
        """The stderr lines of this statement: its notes, then why it was refused."""
        lines = [f"{name}:{self.line}: note: {note}" for note in self.notes]
        if not self.ok:
            lines.append(f"{name}:{self.line}: {self.code} {self.message} [{DISPLAY[source]}: {' '.join(self.sql.split())[:200]}]")
        return lines

    def as_json(self, source: str) -> dict:
        return {"line": self.line, "source_dialect": source, "input": self.sql, "clickhouse": self.clickhouse,
                "code": self.code, "message": self.message, "notes": self.notes}


class Prover:
    """The engine's verdict on ClickHouse output: parser and functions, then ``EXPLAIN PLAN`` when a
    catalog's engine check is given."""

    def __init__(self, native: NativeParser, engine_check=None):
        self.native = native
        self.engine_check = engine_check
        self._by_text: dict[str, str | None] = {}  # exact repeats skip the fingerprint's tokenize too

    def prove(self, tree: exp.Expression, text: str) -> str | None:
        """None if the engine accepts the statement, else its message. Cached per template of the
        output itself: the input's template is not enough, a literal can change the output's form
        (Trino ``TIME '01:02:03'`` and ``TIME '01:02:03+09:00'`` become different types)."""
        if text in self._by_text:
            return self._by_text[text]
        key = fingerprint(text, "clickhouse")
        error = self.native.check(text, key).error
        if error is None and self.engine_check is not None:
            planned = self.engine_check.check_statement(tree, key)
            if planned is not None:
                error = f"{planned.message} ({planned.name})"
        self._by_text[text] = error
        return error


def read_sql(path: str) -> tuple[str, str]:
    """(text, display name) of FILE, or of stdin for ``-``; SqlcurateError when it cannot be read."""
    try:
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8"), "<stdin>"
        return Path(path).read_text(encoding="utf-8"), path
    except UnicodeDecodeError as e:
        raise SqlcurateError("INPUT_NOT_UTF8", f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise SqlcurateError("INPUT_UNREADABLE", f"{path}: {e.strerror or e}") from None


def prover_for(catalog_path=None) -> Prover | None:
    """The prover of this process's engine (with ``EXPLAIN PLAN`` on ``catalog_path``'s tables when
    given), or None when the engine is not installed (outputs then stay unproven)."""
    from sqlcurate.sql.native import shared_parser

    native = shared_parser()
    if native is None:
        if catalog_path is not None:
            raise SqlcurateError("ENGINE_MISSING", "--catalog needs the embedded engine: pip install 'sqlcurate[clickhouse]'")
        return None
    if catalog_path is None:
        return Prover(native)
    from sqlcurate.checks.engine import EngineCheck
    from sqlcurate.sql.catalog import load_catalog

    return Prover(native, EngineCheck(load_catalog(catalog_path), workers=1))


def transpile_statement(sql: str, line: int, source: str, pretty: bool = False,
                        prover: Prover | None = None, statement: Statement | None = None,
                        script: Script | None = None) -> StatementResult:
    """One input statement -> its result: written (and proven, given a prover) or refused with a code.
    ``statement``: the same statement as ``split_statements`` gave it (its tokens are reused).
    ``script``: the declarations of the statements before it in the same text (``transpile_text``); a
    declaration itself is written as no statement, with a note."""
    result = StatementResult(line, sql)
    source = normalize_dialect(source)
    script = script if script is not None else Script(source)
    try:
        if statement is not None and statement.tokens:
            _, trees = parse_tokens(statement.text, source, list(statement.tokens))
        else:
            _, trees = parse_tokens(sql, source)
        catalog = getattr(prover.engine_check, "catalog", None) if prover is not None else None
        converted = [convert(tree, source, pretty=pretty, notes=result.notes, script=script, catalog=catalog)
                     for tree in trees]
        outputs = [c for c in converted if c is not None]
    except TranspileError as e:
        result.code, result.message = e.code, str(e)
        return result
    for tree, text in outputs:
        error = prover.prove(tree, text) if prover is not None else None
        if error is not None:
            result.code = "SQL_OUTPUT_REJECTED"
            result.message = f"ClickHouse rejects the output: {error}; output: {' '.join(text.split())[:300]}"
            return result
    result.clickhouse = [text for _, text in outputs]
    return result


def transpile_text(text: str, source: str, pretty: bool = False, prover: Prover | None = None) -> list[StatementResult]:
    """Every statement of ``text`` (split at top-level semicolons), transpiled and proven.
    TranspileError (SQL_PARSE_ERROR) if the text cannot even be tokenized. One script state spans the
    text: a variable declared by one statement is written into the later ones."""
    script = Script(normalize_dialect(source))
    return [transpile_statement(st.sql, st.line, source, pretty, prover, st, script) for st in split_statements(text, source)]
