"""Transpile a text of statements and prove every output on the real engine before it counts as done.

Each input statement is parsed once and rewritten (``sql.transpile``); each ClickHouse statement that
comes out must then pass ClickHouse's own parser and name only functions ClickHouse has
(``sql.native``), and, with a catalog, be planned by ``EXPLAIN PLAN`` against the catalog's tables
(``checks.engine.EngineCheck``). Engine work is cached per distinct fingerprint of the output, so a file
of many statements of few templates costs one engine call per template.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from sqlcurate.errors import SqlcurateError
from sqlcurate.sql.dialects import DISPLAY, normalize_dialect
from sqlcurate.sql.fingerprint import fingerprint
from sqlcurate.sql.native import NativeParser
from sqlcurate.sql.script import Script
from sqlcurate.sql.transpile import (
    Statement,
    TranspileError,
    convert,
    parse_tokens,
    split_statements,
    tune_gc,
)

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
        """None if the engine accepts the statement, else its message."""
        return self.prove_many([(tree, text)])[0]

    def prove_many(self, outputs: list[tuple[exp.Expression | None, str]]) -> list[str | None]:
        """``prove`` of each (ClickHouse AST, its text; the AST may be None without an engine check), the
        ones not seen yet checked together (``NativeParser.check_many``). Cached per template of the
        output itself: the input's template is not enough, a literal can change the output's form (Trino
        ``TIME '01:02:03'`` and ``TIME '01:02:03+09:00'`` become different types)."""
        todo: dict[str, exp.Expression | None] = {}  # text -> tree, in first-seen order
        for tree, text in outputs:
            if text not in self._by_text and text not in todo:
                todo[text] = tree
        if todo:
            keys = [fingerprint(text, "clickhouse") for text in todo]
            verdicts = self.native.check_many(list(zip(todo, keys, strict=True)))
            errors = [v.error for v in verdicts]
            if self.engine_check is not None:
                accepted = [i for i, error in enumerate(errors) if error is None]
                trees = list(todo.values())
                planned = self.engine_check.check_statements([(trees[i], keys[i]) for i in accepted])
                for i, failure in zip(accepted, planned, strict=True):
                    if failure is not None:
                        errors[i] = f"{failure.message} ({failure.name})"
            self._by_text.update(zip(todo, errors, strict=True))
        return [self._by_text[text] for _, text in outputs]


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
    source = normalize_dialect(source)
    script = script if script is not None else Script(source)
    result, outputs = _transpiled(sql, line, source, pretty, statement, script, _catalog(prover))
    if prover is not None and outputs:
        _settle(result, outputs, prover.prove_many(outputs))
    return result


def _catalog(prover: Prover | None):
    return getattr(prover.engine_check, "catalog", None) if prover is not None else None


def _transpiled(sql: str, line: int, source: str, pretty: bool, statement: Statement | None, script: Script,
                catalog) -> tuple[StatementResult, list[tuple[exp.Expression, str]]]:
    """The statement's result before the proof, with its (ClickHouse AST, text) outputs ([] if refused);
    ``result.clickhouse`` holds the texts until a proof refuses one."""
    result = StatementResult(line, sql)
    try:
        if statement is not None and statement.tokens:
            _, trees = parse_tokens(statement.text, source, list(statement.tokens))
        else:
            _, trees = parse_tokens(sql, source)
        converted = [convert(tree, source, pretty=pretty, notes=result.notes, script=script, catalog=catalog)
                     for tree in trees]
        outputs = [c for c in converted if c is not None]
    except TranspileError as e:
        result.code, result.message = e.code, str(e)
        return result, []
    result.clickhouse = [text for _, text in outputs]
    return result, outputs


def _settle(result: StatementResult, outputs: list[tuple[exp.Expression | None, str]], errors: list[str | None]) -> None:
    """Refuse ``result`` on the first output the engine rejected (``errors``: the proof of each output)."""
    for (_, text), error in zip(outputs, errors, strict=True):
        if error is not None:
            result.clickhouse = []
            result.code = "SQL_OUTPUT_REJECTED"
            result.message = f"ClickHouse rejects the output: {error}; output: {' '.join(text.split())[:300]}"
            return


# Statements transpiled before their outputs are proven together (``Prover.prove_many``): enough that a
# batch of formatting queries is full, few enough that the window's trees stay small in memory.
PROOF_WINDOW = 256


def transpile_text(text: str, source: str, pretty: bool = False, prover: Prover | None = None) -> list[StatementResult]:
    """Every statement of ``text`` (split at top-level semicolons), transpiled and proven.
    TranspileError (SQL_PARSE_ERROR) if the text cannot even be tokenized. One script state spans the
    text: a variable declared by one statement is written into the later ones (the statements are
    transpiled in order; only their proof waits for the window)."""
    source = normalize_dialect(source)
    tune_gc()  # a file of statements is what the pipeline's GC setting is for
    return _transpile_statements(_split_out_of_gc(text, source), source, pretty, prover)


def _split_out_of_gc(text: str, source: str) -> list[Statement]:
    """``split_statements``, its tokens kept out of the cyclic GC's collections. They are most of the
    objects alive while the file is transpiled (two per token), make no cycles and are freed by reference
    counting window by window, but every full collection walked them all again: GC took 0.35-0.42 s of a
    1-s transpile of 1,666 T-SQL statements, 0.1 s of bare sqlglot's 0.43 s, which tokenizes a statement
    at a time (measured). So no collection runs while they are made, and then they are frozen as
    ``tune_gc`` freezes the process's long-lived objects (with the same cost: cycles among frozen
    objects are not collected)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        statements = split_statements(text, source)
        gc.freeze()
        return statements
    finally:
        if enabled:
            gc.enable()


def _transpile_statements(statements: list[Statement | None], source: str, pretty: bool,
                          prover: Prover | None) -> list[StatementResult]:
    script = Script(source)
    catalog = _catalog(prover)
    # only EXPLAIN PLAN needs the output's tree: without a catalog the window keeps just the texts (a
    # window of trees alive made the cyclic GC's collections cost more than the batching saved, measured)
    keep_trees = prover is not None and prover.engine_check is not None
    results: list[StatementResult] = []
    for start in range(0, len(statements), PROOF_WINDOW):
        window = []
        for st in statements[start:start + PROOF_WINDOW]:
            result, outputs = _transpiled(st.sql, st.line, source, pretty, st, script, catalog)
            window.append((result, outputs if keep_trees else [(None, out) for _, out in outputs]))
        statements[start:start + PROOF_WINDOW] = [None] * len(window)  # their tokens are no longer needed
        if prover is not None:
            errors = iter(prover.prove_many([out for _, outputs in window for out in outputs]))
            for result, outputs in window:
                _settle(result, outputs, [next(errors) for _ in outputs])
        results.extend(result for result, _ in window)
    return results
