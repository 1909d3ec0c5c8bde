"""Prove queries on the real ClickHouse engine (chdb) against a catalog's tables, created empty.

``ScratchSchema`` creates each catalog table, with ClickHouse types, in a private database per catalog
database (``<prefix><database>``), so a check never touches the workspace's real tables that may live in
the same engine directory. Queries are pointed at those scratch tables by rewriting their table names,
``EXPLAIN PLAN`` runs them (PLAN resolves functions, names and types; SYNTAX/AST do not), and the engine's
error comes back with the scratch prefix taken out again. The queries are untrusted (rows of a dataset),
so the tables live in a sandboxed engine of a child process (``sqlcurate.sql.sandbox``), and the sandbox's
refusals come back as failures named by their reason code.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass

from sqlglot import exp

from sqlcurate.records import TableRecord
from sqlcurate.sql.geography import STORED_TYPE as GEOGRAPHY_STORED_TYPE
from sqlcurate.sql.transpile import TranspileError, guarded_parse_one

# BigQuery (and other warehouse) types as sqlglot names them -> ClickHouse. Scalars become Nullable
# because BigQuery columns are NULLABLE unless declared REQUIRED; arrays and structs cannot be Nullable.
TYPE_MAP: dict[str, str] = {
    "BIGINT": "Int64", "INT": "Int32", "SMALLINT": "Int16", "TINYINT": "Int8",
    "DOUBLE": "Float64", "FLOAT": "Float32", "DECIMAL": "Decimal(38, 9)", "BIGDECIMAL": "Decimal(76, 38)",
    "BOOLEAN": "Bool", "TEXT": "String", "VARCHAR": "String", "CHAR": "String", "NVARCHAR": "String",
    "BINARY": "String", "VARBINARY": "String", "BLOB": "String", "JSON": "String", "GEOGRAPHY": GEOGRAPHY_STORED_TYPE,
    "INTERVAL": "String", "TIME": "String", "UUID": "UUID",
    # sqlglot reads BigQuery DATETIME (civil time) as TIMESTAMP and TIMESTAMP (an instant) as TIMESTAMPTZ
    "DATE": "Date32", "DATETIME": "DateTime64(6)", "DATETIME64": "DateTime64(6)",
    "TIMESTAMP": "DateTime64(6)", "TIMESTAMPTZ": "DateTime64(6, 'UTC')",
}

# Errors that come from the scratch tables being empty, not from the query: ClickHouse evaluates scalar
# subqueries while planning, and over empty tables `x / (SELECT count() FROM t)` divides by zero.
EMPTY_TABLE_ARTEFACTS = frozenset({"ILLEGAL_DIVISION"})

_ERROR_NAME = re.compile(r"\(([A-Z][A-Z0-9_]+)\)\s*$")
_ERROR_TEXT = re.compile(r".*DB::Exception:\s*(.*?)(?:\s*In scope .*)?\s*\([A-Z][A-Z0-9_]+\)\s*$", re.DOTALL)
_scratch_ids = itertools.count(1)
# engines whose tables are created from their own DDL: local storage only, no network, no Keeper
_LOCAL_ENGINE = re.compile(
    r"^(?:(?:Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Graphite|Coalescing)?MergeTree"
    r"|Memory|Log|TinyLog|StripeLog|Null|Set|Join)\b"
)


def clickhouse_type(type_sql: str, dialect: str) -> str:
    """A ClickHouse column type for a catalog column type written in ``dialect``."""
    if dialect == "clickhouse":
        return type_sql
    dt = exp.DataType.build(type_sql, dialect=dialect)
    return _map(dt, nullable=True)


def _map(dt: exp.DataType, nullable: bool) -> str:
    kind = dt.this.name
    if kind == "ARRAY":
        inner = dt.expressions[0] if dt.expressions else exp.DataType.build("TEXT")
        return f"Array({_map(inner, nullable=False)})"
    if kind == "STRUCT":
        fields = []
        for f in dt.expressions:
            if isinstance(f, exp.ColumnDef):
                fields.append(f"{f.name} {_map(f.args['kind'], nullable=True)}")
            else:
                fields.append(_map(f, nullable=True))
        return f"Tuple({', '.join(fields)})"
    if kind in TYPE_MAP and not (kind == "DECIMAL" and dt.expressions):
        base = TYPE_MAP[kind]
    else:
        # NUMERIC(p, s) and the types ClickHouse shares with the source; nullable=False stops sqlglot
        # from adding a Nullable() of its own
        base = dt.copy()
        base.set("nullable", False)
        base = base.sql("clickhouse")
    return f"Nullable({base})" if nullable else base


@dataclass(frozen=True)
class EngineFailure:
    name: str  # ClickHouse's error name (e.g. UNKNOWN_IDENTIFIER), or the sandbox's reason code (EXEC_...)
    message: str  # its text, scratch names mapped back to the catalog's


def parse_engine_error(text: str, prefix: str = "") -> EngineFailure:
    """The one reader of ClickHouse's error text (chdb and clickhouse-connect raise it alike): its name
    from the trailing ``(NAME)``, its message without the ``Code: n. DB::Exception:`` head, the query
    echo (``In scope ...``) and ``prefix`` (a scratch database prefix)."""
    m = _ERROR_NAME.search(text)
    name = m.group(1) if m else "ENGINE_ERROR"
    t = _ERROR_TEXT.search(text)
    message = (t.group(1) if t else text).strip().rstrip(".:")
    if prefix:
        message = message.replace(prefix, "")
    return EngineFailure(name, " ".join(message.split()))


class ScratchSchema:
    """The catalog's tables, empty, in private databases of a sandboxed engine (``sqlcurate.sql.sandbox``):
    the queries planned here come from files we did not write, and EXPLAIN evaluates scalar subqueries."""

    def __init__(self, tables: list[TableRecord], default_database: str | None = None, sandbox=None,
                 workers: int = 1, timeout_s: float = 5.0):
        """``sandbox``: a ``Sandbox`` to create the tables in (default: one of the schema's own, closed by
        ``drop``). ``workers``: connections the sandbox plans ``explain_many``'s queries over, side by side.
        ``timeout_s``: the limit on one plan (scalar subqueries run while planning)."""
        from sqlcurate.sql.sandbox import Limits, Sandbox

        assert workers >= 1, f"workers must be at least 1, got {workers}"
        self.owns_sandbox = sandbox is None
        self.sandbox = sandbox if sandbox is not None else Sandbox()
        self.workers = workers
        self.limits = Limits(timeout_s=timeout_s)
        self.prefix = f"sqlcurate_scratch_{os.getpid()}_{next(_scratch_ids)}_"
        self.tables = {(t.database, t.name): t for t in tables}
        by_name: dict[str, list[TableRecord]] = {}
        for t in tables:
            by_name.setdefault(t.name, []).append(t)
        # a bare table name resolves to the default database, else to the only database that has it
        self.bare = {
            name: next((t for t in ts if t.database == default_database), ts[0] if len(ts) == 1 else None)
            for name, ts in by_name.items()
        }
        self.databases = {t.database for t in tables}
        self.scratch_databases = frozenset(self.prefix + db for db in self.databases)
        for db in sorted(self.databases):
            self.sandbox.setup(f"CREATE DATABASE IF NOT EXISTS `{self.prefix}{db}`")
        for t in tables:
            self._create(t)

    def _create(self, t: TableRecord) -> None:
        """A ClickHouse table with a local engine is created from its own DDL, so its engine, sorting and
        sampling keys hold (FINAL, SAMPLE and PREWHERE are legal or not because of them); other engines
        (Replicated*, Distributed, Kafka, URL...) and DDL chdb rejects get the generic table."""
        from sqlcurate.sql.sandbox import SandboxError

        own = self.own_ddl(t)
        if own is not None:
            try:
                self.sandbox.setup(own)
                return
            except SandboxError:  # the engine refused that DDL; the generic table below still works
                pass
        self.sandbox.setup(self.create_statement(t))

    def own_ddl(self, t: TableRecord) -> str | None:
        """``t``'s ClickHouse CREATE TABLE pointed at the scratch database, or None if it has none."""
        if t.dialect != "clickhouse" or not t.ddl:
            return None
        try:
            tree = guarded_parse_one(t.ddl, "clickhouse")
        except TranspileError:
            return None
        if not isinstance(tree, exp.Create) or (tree.kind or "").upper() != "TABLE":
            return None
        engine = tree.find(exp.EngineProperty)
        if engine is None or not _LOCAL_ENGINE.match(engine.this.sql("clickhouse")):
            return None  # Kafka, URL, MySQL... could reach out to other machines; Replicated needs Keeper
        table = tree.find(exp.Table)
        table.set("db", exp.to_identifier(self.prefix + t.database, quoted=True))
        tree.set("exists", True)
        return tree.sql("clickhouse")

    def create_statement(self, t: TableRecord) -> str:
        """A generic MergeTree table with the catalog's columns (mapped to ClickHouse types)."""
        cols = ", ".join(f"`{c.name}` {clickhouse_type(c.type or 'String', t.dialect)}" for c in t.columns)
        return (f"CREATE TABLE IF NOT EXISTS `{self.prefix}{t.database}`.`{t.name}` ({cols}) "
                "ENGINE = MergeTree ORDER BY tuple()")

    def scratch_sql(self, tree: exp.Expression) -> str:
        """ClickHouse text of ``tree`` with its catalog table names pointed at the scratch tables and its
        top-level SETTINGS left out. The tree
        is changed only while it is generated and restored right after (copying a tree cost more than
        generating it); the ClickHouse generator itself does not change ClickHouse trees. Not for trees
        other threads read at the same time."""
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        changed: list[tuple[exp.Table, exp.Expression | None]] = []
        for table in tree.find_all(exp.Table):
            if not isinstance(table.this, exp.Identifier):
                continue  # a table function such as numbers(10)
            db, name = table.db, table.name
            if db:
                # a catalog database with an unknown table still points at the scratch database, so the
                # engine says "table does not exist" rather than "database does not exist"
                database = db if db in self.databases else None
            elif name in ctes:
                continue
            else:
                record = self.bare.get(name)
                database = record.database if record is not None else None
            if database is not None:
                changed.append((table, table.args.get("db")))
                table.set("db", exp.to_identifier(self.prefix + database, quoted=True))
        # The query's own SETTINGS are not what the check proves, and the sandbox refuses every SETTINGS
        # clause (a setting could lift its limits): the plan is asked for without them.
        settings = tree.args.get("settings")
        tree.set("settings", None)
        try:
            from sqlcurate.sql.transpile import generate

            return generate(tree)
        finally:
            tree.set("settings", settings)
            for table, db in changed:
                table.set("db", db)

    def _failure(self, outcome) -> EngineFailure | None:
        if outcome.ok:
            return None
        if outcome.code:  # the sandbox's reason: a refusal, a timeout, a memory limit
            return EngineFailure(outcome.code, (outcome.message or parse_engine_error(outcome.error, self.prefix).message))
        error = parse_engine_error(outcome.error, self.prefix)
        return None if error.name in EMPTY_TABLE_ARTEFACTS else error

    def explain(self, sql: str) -> EngineFailure | None:
        """None if the engine plans ``sql`` (``EXPLAIN PLAN``, in the sandbox), else why not."""
        return self._failure(self.sandbox.run(sql, self.scratch_databases, self.limits, explain=True))

    def explain_many(self, sqls: list[str]) -> list[EngineFailure | None]:
        """``explain`` of each, planned by the sandbox over ``workers`` connections side by side (chdb
        releases the GIL while it plans, so the plans use as many cores as are free)."""
        outcomes = self.sandbox.explain_many(sqls, self.scratch_databases, self.limits, self.workers)
        return [self._failure(o) for o in outcomes]

    def drop(self) -> None:
        if self.owns_sandbox:
            self.sandbox.close()
            return
        for db in self.databases:
            self.sandbox.setup(f"DROP DATABASE IF EXISTS `{self.prefix}{db}`")
