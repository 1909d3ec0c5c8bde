"""The warehouse catalog: which tables exist and which columns they have.

Grounding checks every query of the training data against it, so the model never learns a table or a
column that is not there. It loads from three sources, all into ``sqlcurate.records.TableRecord``:

- DDL files (``*.sql``): ClickHouse or BigQuery ``CREATE TABLE`` / ``CREATE VIEW`` (also MATERIALIZED) / ``CREATE DICTIONARY`` statements separated
  by ``;``, as ``sqlcurate pull`` writes them to ``schemas/clickhouse/<database>.sql`` and
  ``schemas/bigquery/<dataset>.sql``. The dialect comes from the path (a ``clickhouse`` or ``bigquery``
  folder or file name) or, failing that, from the text (backticks, ``STRUCT<``, ``OPTIONS(`` mean BigQuery).
  ``CREATE DATABASE``/``CREATE SCHEMA`` statements are skipped; anything else is a ``CATALOG_BAD_DDL`` error
  naming the file and line.
- Catalog JSON (written by the connectors, read and written here), exactly::

      {"version": 1,
       "dialect": "clickhouse" | "bigquery",
       "source": "<where it was pulled from, e.g. clickhouse://host:9000>",
       "tables": [TableRecord.model_dump(), ...]}

  ``version`` must be 1. Each table is a ``TableRecord`` dump: ``kind`` ("table"), ``source``,
  ``database`` (ClickHouse database or BigQuery dataset), ``name``, ``columns`` (``name``, ``type`` in the
  warehouse's own spelling, ``comment``), ``comment``, ``engine`` (ClickHouse engine or ""), ``ddl``,
  ``dialect``.
- A directory: every ``catalog.json`` below it, and every ``*.sql`` in folders without one (``pull``
  writes both, and the JSON already holds the folder's tables), sorted so loading is deterministic.

BigQuery names are ``project.dataset.table``; the catalog keys on ``dataset.table`` (the project is
the connection's, not the data's). Names are case-sensitive, as in ClickHouse; suggestions catch case slips.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from sqlcurate.errors import LocatedError
from sqlcurate.fileio import atomic_open
from sqlcurate.records import Column, TableRecord
from sqlcurate.sql.transpile import TranspileError, guarded_parse_one

CODES = {
    "CATALOG_BAD_DDL": "a schema file holds a statement that is not a CREATE TABLE/VIEW sqlcurate can read",
    "CATALOG_BAD_JSON": "a catalog JSON file is not valid JSON or not in the catalog format (version 1)",
    "CATALOG_NOT_FOUND": "the catalog path does not exist or holds no DDL or catalog.json",
}

CATALOG_JSON_VERSION = 1
DIALECTS = ("clickhouse", "bigquery")

# Text markers of BigQuery DDL, for .sql files whose path does not say the dialect.
_BIGQUERY_MARKERS = re.compile(r"`[^`\n]*\.[^`\n]*`|\bSTRUCT<|\bARRAY<|\bOPTIONS\s*\(|\bINT64\b|\bCLUSTER BY\b", re.I)
# Types whose fields are not declared, so any field access on them is accepted.
_OPEN_TYPES = frozenset({exp.DataType.Type.MAP, exp.DataType.Type.JSON, exp.DataType.Type.OBJECT})
_FIELD_TYPES = frozenset({exp.DataType.Type.STRUCT, exp.DataType.Type.NESTED})


class CatalogError(LocatedError, ValueError):
    """A catalog that cannot be loaded; ``str()`` is a ``path:line: CODE reason`` diagnostic."""

    codes = CODES


class Catalog:
    """Tables by ``database.table`` and by bare name, with their columns and "did you mean" help.

    A bare table name resolves to ``default_database`` when given and the table is there, else to the
    one table of that name if only one database has it (``table_candidates`` lists all of them).
    """

    def __init__(self, tables: Iterable[TableRecord] = (), default_database: str | None = None,
                 dialect: str = "clickhouse", source: str = ""):
        self.default_database = default_database
        self.dialect = dialect
        self.source = source
        self._tables: dict[str, TableRecord] = {}
        self._by_name: dict[str, list[TableRecord]] = {}
        self._columns: dict[str, dict[str, Column]] = {}
        self._fields: dict[tuple[str, str], frozenset[str] | None] = {}
        self._column_sets: dict[str, frozenset[str]] = {}
        for t in tables:
            self.add(t)

    def add(self, table: TableRecord) -> None:
        """Add (or replace) a table."""
        key = table.qualified
        if key in self._tables:
            self._by_name[table.name] = [t for t in self._by_name[table.name] if t.qualified != key]
            self._fields = {k: v for k, v in self._fields.items() if k[0] != key}
        self._tables[key] = table
        self._by_name.setdefault(table.name, []).append(table)
        self._columns[key] = {c.name: c for c in table.columns}
        # system.columns lists a Nested column flattened (`items.sku`, `items.qty`): `items` names the group
        groups = {c.name.split(".", 1)[0] for c in table.columns if "." in c.name}
        self._column_sets[key] = frozenset(self._columns[key]) | groups

    def __len__(self) -> int:
        return len(self._tables)

    def __iter__(self):
        return iter(self._tables.values())

    def __contains__(self, name: str) -> bool:
        return self.table(name) is not None

    @property
    def databases(self) -> set[str]:
        """The databases (BigQuery datasets) the catalog has tables in."""
        return {t.database for t in self._tables.values()}

    def table_candidates(self, name: str, database: str | None = None) -> list[TableRecord]:
        """Every table ``name`` (or ``database.name``) could mean."""
        if database is None and "." in name:
            database, name = name.rsplit(".", 1)
            database = database.rsplit(".", 1)[-1]  # BigQuery project.dataset -> dataset
        if database is not None:
            t = self._tables.get(f"{database}.{name}")
            return [t] if t else []
        found = self._by_name.get(name, [])
        if self.default_database is not None:
            preferred = [t for t in found if t.database == self.default_database]
            if preferred:
                return preferred
        return list(found)

    def table(self, name: str, database: str | None = None) -> TableRecord | None:
        """The table ``name`` means, or None if none or several (ask ``table_candidates``)."""
        found = self.table_candidates(name, database)
        return found[0] if len(found) == 1 else None

    def columns_of(self, table: str | TableRecord) -> dict[str, Column]:
        """Column name -> Column of a table (by record or name); empty if the table is unknown."""
        if isinstance(table, TableRecord):
            return self._columns.get(table.qualified, {})
        t = self.table(table)
        return self._columns[t.qualified] if t else {}

    def column_names(self, table: TableRecord) -> frozenset[str]:
        """The column names of a catalog table, as a set (built once per table: grounding's hot path),
        with the group name of flattened Nested columns (``items`` for ``items.sku``)."""
        return self._column_sets[table.qualified]

    def fields_of(self, table: TableRecord, column: str) -> frozenset[str] | None:
        """Field names reachable by ``column.field`` (Tuple/STRUCT/Nested, also inside Array, or the
        flattened ``column.field`` columns of a Nested group), or None when any field is fine (Map, JSON,
        or a type without named fields that we cannot check)."""
        key = (table.qualified, column)
        if key not in self._fields:
            columns = self._columns.get(table.qualified, {})
            col = columns.get(column)
            if col is not None:
                self._fields[key] = _named_fields(col.type, table.dialect)
            else:  # a flattened Nested group: its fields are the suffixes of `column.*`
                prefix = column + "."
                self._fields[key] = frozenset(n[len(prefix):] for n in columns if n.startswith(prefix)) or None
        return self._fields[key]

    def suggest_table(self, name: str, n: int = 3) -> list[str]:
        """Qualified names of the tables ``name`` most likely meant: same bare name in another database
        or case first, then close bare names (tables of the named database before others)."""
        database, _, bare = name.rpartition(".")
        database = database.rsplit(".", 1)[-1]
        by_bare: dict[str, list[str]] = {}
        for t in self._tables.values():
            by_bare.setdefault(t.name, []).append(t.qualified)
        out: list[str] = []
        for b in suggest(bare, by_bare, n) + ([bare] if bare in by_bare else []):
            out.extend(sorted(by_bare[b], key=lambda q: q.rpartition(".")[0] != database))
        return _dedupe(out)[:n]

    def suggest_column(self, table: str | TableRecord, name: str, n: int = 3) -> list[str]:
        """Columns of ``table`` that ``name`` most likely meant (case slips first)."""
        return suggest(name, self.columns_of(table), n)

    def to_json(self) -> dict:
        return {"version": CATALOG_JSON_VERSION, "dialect": self.dialect, "source": self.source,
                "tables": [t.model_dump() for t in self._tables.values()]}

    def save_json(self, path: str | Path) -> None:
        """Write the catalog JSON (format in the module docstring) atomically."""
        with atomic_open(Path(path)) as fh:
            json.dump(self.to_json(), fh, indent=1, ensure_ascii=False)
            fh.write("\n")


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """``did you mean``: exact case-insensitive matches first, then difflib's close matches."""
    cands = list(candidates)
    exact_ci = [c for c in cands if c.lower() == name.lower() and c != name]
    lowered = {c.lower(): c for c in cands}
    close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.7)]
    return _dedupe(exact_ci + close)[:n]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _named_fields(type_sql: str, dialect: str) -> frozenset[str] | None:
    try:
        dt = exp.DataType.build(type_sql, dialect=dialect)
    except (ParseError, TokenError, ValueError):
        return None
    while dt.this in (exp.DataType.Type.ARRAY, exp.DataType.Type.LOWCARDINALITY) \
            and dt.expressions and isinstance(dt.expressions[0], exp.DataType):
        dt = dt.expressions[0]
    if dt.this in _FIELD_TYPES:
        names = frozenset(_field_paths(dt))
        return names or None
    return None  # Map/JSON/unnamed Tuple: nothing to check against


def _field_paths(dt: exp.DataType, prefix: str = "") -> Iterable[str]:
    """Field names of a STRUCT/Tuple/Nested type, nested ones as ``a.b`` too."""
    for e in dt.expressions:
        if isinstance(e, exp.ColumnDef):
            name = prefix + e.name
            yield name
            kind = e.args.get("kind")
            while isinstance(kind, exp.DataType) and kind.this == exp.DataType.Type.ARRAY and kind.expressions:
                kind = kind.expressions[0]
            if isinstance(kind, exp.DataType) and kind.this in _FIELD_TYPES:
                yield from _field_paths(kind, name + ".")


# ---------------------------------------------------------------------------------------------- loading


def load_catalog(path: str | Path, dialect: str | None = None, default_database: str | None = None) -> Catalog:
    """A Catalog from a directory of DDL files and catalog.json files, one ``.sql`` file, or one catalog
    JSON. Raises ``CatalogError`` (``path:line: CODE reason``) on anything it cannot read."""
    path = Path(path)
    if not path.exists():
        raise CatalogError("CATALOG_NOT_FOUND", path, 0, "no such file or directory")
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and (p.suffix == ".sql" or p.name == "catalog.json"))
        # `pull` writes a folder's DDL files and its catalog.json together; the JSON holds the same tables
        # already parsed, so it stands for the whole folder (a DDL quirk there cannot stop the load).
        with_json = {p.parent for p in found if p.name == "catalog.json"}
        files = [p for p in found if p.name == "catalog.json" or p.parent not in with_json]
        if not files:
            raise CatalogError("CATALOG_NOT_FOUND", path, 0, "no *.sql DDL file and no catalog.json below it")
    else:
        files = [path]
    tables: list[TableRecord] = []
    dialects: set[str] = set()
    for f in files:
        if f.suffix == ".json":
            d, found = read_catalog_json(f)
        else:
            d = dialect or dialect_of_ddl_file(f)
            found = parse_ddl(f.read_text(encoding="utf-8"), d, str(f))
        dialects.add(d)
        tables.extend(found)
    only = dialects.pop() if len(dialects) == 1 else "clickhouse"
    return Catalog(tables, default_database=default_database, dialect=only, source=str(path))


def read_catalog_json(path: Path) -> tuple[str, list[TableRecord]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CatalogError("CATALOG_BAD_JSON", path, getattr(e, "lineno", 0), f"not valid JSON: {e}") from None
    if not isinstance(data, dict) or data.get("version") != CATALOG_JSON_VERSION:
        raise CatalogError("CATALOG_BAD_JSON", path, 1, f"expected an object with \"version\": {CATALOG_JSON_VERSION}")
    dialect = data.get("dialect", "clickhouse")
    if dialect not in DIALECTS:
        raise CatalogError("CATALOG_BAD_JSON", path, 1, f"dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
    if not isinstance(data.get("tables"), list):
        raise CatalogError("CATALOG_BAD_JSON", path, 1, "\"tables\" must be a list of table records")
    tables = []
    for i, raw in enumerate(data["tables"]):
        try:
            tables.append(TableRecord.model_validate(raw))
        except ValueError as e:
            first = str(e).splitlines()[1:3]
            raise CatalogError("CATALOG_BAD_JSON", path, 1, f"tables[{i}] is not a table record: {' '.join(first)}") from None
    return dialect, tables


def dialect_of_ddl_file(path: Path) -> str:
    """``bigquery`` or ``clickhouse`` from the path, else from the text."""
    parts = [p.lower() for p in path.parts]
    for d in DIALECTS:
        if any(p == d or p.startswith(d + ".") or p.startswith(d + "_") for p in parts):
            return d
    return "bigquery" if _BIGQUERY_MARKERS.search(path.read_text(encoding="utf-8")) else "clickhouse"


def split_statements(text: str, dialect: str, path: str = "<ddl>") -> list[tuple[int, str]]:
    """(first line, text) of each ``;``-separated statement, split on real semicolon tokens (not the
    ones inside strings or comments)."""
    try:
        tokens = sqlglot.tokenize(text, read=dialect)
    except TokenError as e:
        raise CatalogError("CATALOG_BAD_DDL", path, _line_of_error(e, text), f"cannot tokenize: {e}") from None
    out: list[tuple[int, str]] = []
    start = 0
    for tok in tokens + [None]:
        if tok is not None and tok.token_type != TokenType.SEMICOLON:
            continue
        end = tok.start if tok is not None else len(text)
        chunk = text[start:end]
        lead = _LEADING_COMMENTS.match(chunk).end()  # comments before a statement are not its DDL
        stripped = chunk[lead:].strip()
        if stripped:
            out.append((text.count("\n", 0, start + lead) + 1, stripped))
        start = tok.end + 1 if tok is not None else len(text)
    return out


_ENGINE = re.compile(r"\bENGINE\s*=\s*(\w+(?:\s*\((?:[^()'\"]|'[^']*'|\"[^\"]*\"|\((?:[^()]|\([^()]*\))*\))*\))?)", re.I)
_LEADING_COMMENTS = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)


def _line_of_error(e: Exception, text: str) -> int:
    errors = getattr(e, "errors", None) or []
    if errors and errors[0].get("line"):
        return int(errors[0]["line"])
    m = re.search(r"[Ll]ine (\d+)", str(e))
    return int(m.group(1)) if m else 1


def parse_ddl(text: str, dialect: str = "clickhouse", path: str = "<ddl>", source: str | None = None) -> list[TableRecord]:
    """The tables and views a DDL text defines. Errors name ``path`` and the line in it."""
    assert dialect in DIALECTS, f"DDL dialect must be one of {DIALECTS}, got {dialect!r}"
    tables = []
    for line, stmt in split_statements(text, dialect, path):
        try:
            tree = guarded_parse_one(stmt, dialect)
        except TranspileError as e:  # its ``errors`` are sqlglot's, with the position
            reason = _first_error(e)
            raise CatalogError("CATALOG_BAD_DDL", path, line + _line_of_error(e, stmt) - 1, reason) from None
        if isinstance(tree, exp.Create) and tree.kind in ("DATABASE", "SCHEMA"):
            continue
        if not isinstance(tree, exp.Create) or tree.kind not in ("TABLE", "VIEW", "DICTIONARY"):
            what = f"CREATE {tree.kind}" if isinstance(tree, exp.Create) else " ".join(stmt.split()[:3])
            raise CatalogError("CATALOG_BAD_DDL", path, line, f"expected CREATE TABLE, VIEW or DICTIONARY, found {what}")
        tables.append(_table_record(tree, stmt, dialect, source or f"ddl:{path}", path, line))
    return tables


def _first_error(e: Exception) -> str:
    errors = getattr(e, "errors", None) or []
    if errors:
        err = errors[0]
        near = (err.get("highlight") or "").strip()
        return f"{err.get('description', 'parse error')}" + (f" near {near!r}" if near else "")
    return str(e).splitlines()[0]


def _table_record(tree: exp.Create, stmt: str, dialect: str, source: str, path: str, line: int) -> TableRecord:
    target = tree.this
    schema = target if isinstance(target, exp.Schema) else None
    table = schema.this if schema is not None else target
    if not isinstance(table, exp.Table) or not table.name:
        raise CatalogError("CATALOG_BAD_DDL", path, line, "CREATE statement without a table name")
    if tree.kind == "TABLE" and schema is None and not isinstance(tree.expression, exp.Query):
        raise CatalogError("CATALOG_BAD_DDL", path, line,
                           f"table {table.name!r} has no column list (CREATE TABLE ... AS other: write the columns, as SHOW CREATE TABLE does)")
    database = table.db
    if not database:
        raise CatalogError("CATALOG_BAD_DDL", path, line,
                           f"table {table.name!r} has no database/dataset (write {'dataset' if dialect == 'bigquery' else 'db'}.{table.name})")
    columns = []
    if schema is not None:
        for cd in schema.expressions:
            if isinstance(cd, exp.Identifier):  # a bare name in the column list: a column without a type
                raise CatalogError("CATALOG_BAD_DDL", path, line, f"column {cd.name!r} of {table.name} has no type")
            if isinstance(cd, exp.ColumnDef):
                kind = cd.args.get("kind")
                if kind is None and not cd.constraints and tree.kind == "TABLE":
                    raise CatalogError("CATALOG_BAD_DDL", path, line, f"column {cd.name!r} of {table.name} has no type")
                columns.append(Column(name=cd.name, type=kind.sql(dialect) if kind else "", comment=_column_comment(cd)))
    elif isinstance(tree.expression, exp.Query):
        # A view (or CREATE TABLE ... AS SELECT) without a column list: its named projections are its
        # columns (types unknown).
        columns = [Column(name=p.alias_or_name, type="") for p in tree.expression.selects if p.alias_or_name != "*"]
    # The engine as written: regenerating it through sqlglot would rewrite its arguments (rand() ...).
    m = _ENGINE.search(stmt) if dialect == "clickhouse" else None
    engine = m.group(1) if m else ("Dictionary" if tree.kind == "DICTIONARY" else "")
    comment = ""
    for prop in (tree.args.get("properties") or exp.Properties()).expressions:
        if isinstance(prop, exp.SchemaCommentProperty):
            comment = prop.this.name
        elif isinstance(prop, exp.Property) and prop.name.lower() == "description":
            comment = prop.args["value"].name
    return TableRecord(source=source, database=database, name=table.name, columns=columns, comment=comment,
                       engine=engine, ddl=stmt, dialect=dialect)


def _column_comment(cd: exp.ColumnDef) -> str:
    for c in cd.constraints:
        kind = c.args.get("kind")
        if isinstance(kind, exp.CommentColumnConstraint):
            return kind.this.name
        if isinstance(kind, exp.Properties):  # BigQuery OPTIONS(description=...)
            for p in kind.expressions:
                if p.name.lower() == "description":
                    return p.args["value"].name
    return ""
