"""Grounding: every table and column a query names must exist in the catalog.

sqlglot's ``qualify`` passes unknown tables silently, so the resolution is our own: one walk over the
AST per query, with a scope per SELECT. A scope knows its sources (catalog tables, CTEs, derived tables,
table functions) under every name a query may use for them (alias, bare name, ``db.name``), its local
names (select aliases, which ClickHouse lets WHERE/GROUP BY/HAVING/ORDER BY use, ARRAY JOIN aliases,
``WITH expr AS name``, JOIN USING columns) and its parent (for correlated subqueries).

A column reference resolves, in order, to: a lambda parameter (``x -> x + 1``), a local name, a column of
a source, or the same in an enclosing scope. ``a.b.c`` tries the longest prefix that names a source; if
none does, ``a`` may be a column (Tuple/STRUCT/Nested field access, ``device.os``, ``items.sku``), whose
field is then checked against the column type. Sources whose columns we cannot know (``system.*``,
table functions such as ``numbers()`` or ``url()``, ``SELECT *`` over them) accept any column, so they
never produce a false finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from sqlcurate.findings import Finding
from sqlcurate.sql.catalog import Catalog, suggest
from sqlcurate.sql.transpile import TranspileError, parse_tokens

CODES = {
    "CATALOG_UNKNOWN_TABLE": "a query reads a table that is not in the catalog",
    "CATALOG_AMBIGUOUS_TABLE": "an unqualified table name exists in several databases of the catalog",
    "CATALOG_UNKNOWN_COLUMN": "a query names a column that no table, alias or CTE in scope has",
    "CATALOG_UNKNOWN_FIELD": "a query names a field that the Tuple/STRUCT/Nested column does not have",
    "CATALOG_UNKNOWN_QUALIFIER": "a column is qualified by a name that is no table, alias or column in scope",
    "CATALOG_AMBIGUOUS_COLUMN": "an unqualified column exists in more than one joined table",
}

# Databases whose tables the catalog does not hold and whose columns are accepted as they are.
UNCHECKED_DATABASES = frozenset({"system", "information_schema", "INFORMATION_SCHEMA"})
# Virtual columns every table has (ClickHouse MergeTree, Distributed, Merge, file-like engines; BigQuery).
VIRTUAL_COLUMNS = frozenset({"_part", "_part_index", "_part_uuid", "_partition_id", "_partition_value",
                             "_sample_factor", "_part_offset", "_row_exists", "_block_number", "_table",
                             "_database", "_shard_num", "_file", "_path", "_size", "_time", "_etag",
                             # BigQuery pseudo-columns of partitioned and wildcard tables
                             "_PARTITIONTIME", "_PARTITIONDATE", "_TABLE_SUFFIX"})
# Select parts holding expressions whose columns resolve in the select's own scope.
_SELECT_PARTS = ("expressions", "distinct", "prewhere", "where", "group", "having", "qualify", "windows",
                 "order", "limit", "offset")
_QUERIES = frozenset({exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery})
_LEAVES = frozenset({exp.Literal, exp.Identifier, exp.Var, exp.DataType, exp.Star, exp.Null, exp.Boolean,
                     exp.Placeholder, exp.Parameter})
_ANY = None  # a source whose columns cannot be known: every column is fine


@dataclass(eq=False, slots=True)
class _Source:
    label: str  # how messages name it
    columns: frozenset[str] | None  # None: any column is fine
    table: object = None  # the TableRecord, for Tuple/STRUCT field checks

    def has(self, name: str) -> bool | None:
        return None if self.columns is None else name in self.columns


@dataclass(eq=False, slots=True)
class _Scope:
    parent: _Scope | None
    ctes: dict[str, frozenset[str] | None]  # CTE name -> its output columns (inherited by nested scopes)
    sources: dict[str, _Source] = field(default_factory=dict)
    local: set[str] = field(default_factory=set)
    using: set[str] = field(default_factory=set)
    distinct: list[_Source] | None = None  # distinct_sources(), kept until a source is added

    def put(self, name: str, src: _Source, replace: bool = True) -> None:
        """Name ``src`` ``name`` in this scope (``replace=False``: only if the name is still free)."""
        if replace or name not in self.sources:
            self.sources[name] = src
            self.distinct = None

    def distinct_sources(self) -> list[_Source]:
        """Each source once (a table is named by its alias, bare name and db.name); read-only."""
        if self.distinct is None:
            self.distinct = list({id(s): s for s in self.sources.values()}.values())
        return self.distinct


class _Grounder:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.findings: dict[tuple[str, str], Finding] = {}  # one finding per (code, name) per query

    def report(self, code: str, key: str, message: str, severity: str = "error") -> None:
        self.findings.setdefault((code, key), Finding(code, message, severity))

    # ---- statements and queries

    def statement(self, node: exp.Expression) -> None:
        if isinstance(node, exp.Query):
            self.query(node, None, {})
        elif isinstance(node, exp.Insert):
            target = node.this.this if isinstance(node.this, exp.Schema) else node.this
            if isinstance(target, exp.Table):
                src = self.table_source(target, {})
                if isinstance(node.this, exp.Schema):  # INSERT INTO t (a, b): the listed columns must exist
                    for col in node.this.expressions:
                        self.source_column(src, col.name, [])
            if isinstance(node.expression, exp.Query):
                self.query(node.expression, None, {})
        elif isinstance(node, exp.Describe) and isinstance(node.this, exp.Table):
            self.table_source(node.this, {})
        # DDL and other statements define names rather than use them: nothing to ground.

    def query(self, node: exp.Expression, parent: _Scope | None, ctes: dict) -> frozenset[str] | None:
        """Ground a query; return its output column names (None if they cannot be known)."""
        if isinstance(node, exp.Subquery):
            return self.query(node.this, parent, ctes)
        with_ = node.args.get("with_")
        scalar_names: set[str] = set()
        if with_ is not None:
            ctes = dict(ctes)
            for cte in with_.expressions:
                name = cte.alias
                if cte.args.get("scalar"):  # ClickHouse `WITH expr AS name`: a value, not a table
                    scalar_names.add(name)
                    self.expression(cte.this, _Scope(parent, ctes, local=set(scalar_names)), frozenset())
                    continue
                ctes[name] = _ANY  # visible to itself (WITH RECURSIVE) before its outputs are known
                out = self.query(cte.this, parent, ctes)
                alias_cols = cte.args["alias"].columns if cte.args.get("alias") else []
                ctes[name] = frozenset(c.name for c in alias_cols) if alias_cols else out
        if isinstance(node, exp.SetOperation):
            left = self.query(node.this, parent, ctes)
            self.query(node.expression, parent, ctes)
            if node.args.get("order") or node.args.get("limit"):
                scope = _Scope(parent, ctes, local=set(left or ()) | scalar_names)
                if left is None:
                    scope.put("*", _Source("union", _ANY))
                for part in ("order", "limit", "offset"):
                    if node.args.get(part) is not None:
                        self.expression(node.args[part], scope, frozenset())
            return left
        if isinstance(node, exp.Select):
            return self.select(node, parent, ctes, scalar_names)
        return _ANY  # VALUES and other table-valued expressions: columns unknown

    def select(self, node: exp.Select, parent: _Scope | None, ctes: dict, scalar_names: set[str]) -> frozenset[str] | None:
        scope = _Scope(parent, ctes, local=set(scalar_names))
        from_ = node.args.get("from_")
        if from_ is not None:
            self.add_source(from_.this, scope)
        joins = node.args.get("joins") or []
        for join in joins:
            if join.args.get("kind") == "ARRAY":
                continue  # ARRAY JOIN reads columns of the sources: resolved below, after all of them
            self.add_source(join.this, scope)
        for p in node.expressions:
            if isinstance(p, exp.Alias):
                scope.local.add(p.alias)
        for join in joins:
            if join.args.get("kind") == "ARRAY":
                for e in (join.this, *join.expressions):
                    self.expression(e, scope, frozenset())
                    if isinstance(e, exp.Alias):
                        scope.local.add(e.alias)
                    # `ARRAY JOIN arr` (no alias): `arr` now names the element, still a column of its source
                continue
            for name in join.args.get("using") or []:
                self.using_column(name.name, join, scope)
            if join.args.get("on") is not None:
                self.expression(join.args["on"], scope, frozenset())
        for part in _SELECT_PARTS:
            value = node.args.get(part)
            if value is None:
                continue
            for v in value if isinstance(value, list) else (value,):
                self.expression(v, scope, frozenset())
        return self.outputs(node, scope)

    def outputs(self, node: exp.Select, scope: _Scope) -> frozenset[str] | None:
        names: set[str] = set()
        for p in node.expressions:
            star_of = None
            if isinstance(p, exp.Star):
                star_of = scope.distinct_sources()
            elif isinstance(p, exp.Column) and isinstance(p.this, exp.Star):
                src = scope.sources.get(p.table)
                star_of = [src] if src else [_Source("?", _ANY)]
            if star_of is not None:
                for s in star_of:
                    if s.columns is None:
                        return _ANY
                    names |= s.columns
            elif p.alias_or_name:
                names.add(p.alias_or_name)
        return frozenset(names)

    # ---- sources

    def add_source(self, node: exp.Expression, scope: _Scope) -> None:
        if isinstance(node, exp.Table):
            if isinstance(node.this, exp.Func):  # table function: numbers(), url(), s3(), remote() ...
                src = _Source(node.this.sql("clickhouse"), _ANY)
                names = [node.alias or node.this.name]
            else:
                src = self.table_source(node, scope.ctes)
                names = [node.alias] if node.alias else []
                names += [node.name, ".".join(p for p in (node.db, node.name) if p)]
                if node.catalog:
                    names.append(f"{node.catalog}.{node.db}.{node.name}")
            for n in names:
                if n:
                    scope.put(n, src, replace=False)
            if node.alias:
                scope.put(node.alias, src)
            return
        if isinstance(node, exp.Subquery):
            out = self.query(node.this, scope.parent, scope.ctes)
            alias = node.args.get("alias")
            if alias is not None and alias.columns:
                out = frozenset(c.name for c in alias.columns)
            scope.put(node.alias or f"<subquery {len(scope.sources)}>", _Source(node.alias or "subquery", out))
            return
        # UNNEST, LATERAL, VALUES, bare expressions: their columns come from the alias list if any.
        for child in node.iter_expressions():
            if not isinstance(child, exp.TableAlias):
                self.expression(child, scope, frozenset())
        alias = node.args.get("alias")
        cols = frozenset(c.name for c in alias.columns) if isinstance(alias, exp.TableAlias) and alias.columns else _ANY
        name = node.alias or f"<source {len(scope.sources)}>"
        scope.put(name, _Source(name, cols))
        if node.alias:
            scope.local.add(node.alias)  # BigQuery UNNEST(arr) AS x: `x` is the element itself

    def table_source(self, node: exp.Table, ctes: dict) -> _Source:
        db, name = node.db, node.name
        label = ".".join(p for p in (node.catalog, db, name) if p)
        if not db and name in ctes:
            return _Source(name, ctes[name])
        if db in UNCHECKED_DATABASES:
            return _Source(label, _ANY)
        found = self.catalog.table_candidates(name, db or None)
        if len(found) == 1:
            t = found[0]
            names = self.catalog.column_names(t)
            # a table whose columns the catalog does not list (a view over SELECT *) accepts any column
            return _Source(t.qualified, names | VIRTUAL_COLUMNS if names else _ANY, t)
        if found:
            self.report("CATALOG_AMBIGUOUS_TABLE", label,
                        f"table {label} is in several databases ({', '.join(t.qualified for t in found)}); qualify it",
                        "warning")
            return _Source(label, _ANY)
        self.report("CATALOG_UNKNOWN_TABLE", label, f"unknown table {label}{_did_you_mean(self.catalog.suggest_table(label))}")
        return _Source(label, _ANY)  # no cascade of unknown-column findings for an unknown table

    def using_column(self, name: str, join: exp.Join, scope: _Scope) -> None:
        scope.using.add(name)
        right = scope.sources.get(join.this.alias_or_name) if isinstance(join.this, (exp.Table, exp.Subquery)) else None
        if right is not None and right.has(name) is False:
            self.report("CATALOG_UNKNOWN_COLUMN", f"{right.label}.{name}",
                        f"unknown column {name} in JOIN USING: {right.label} has no such column"
                        f"{_did_you_mean(suggest(name, right.columns or ()))}")

    # ---- expressions

    def expression(self, node: exp.Expression, scope: _Scope, bound: frozenset[str]) -> None:
        # The hot loop: dispatch on the exact class (cheaper than isinstance chains), skip leaves.
        stack = [(node, bound)]
        while stack:
            n, b = stack.pop()
            cls = n.__class__
            if cls is exp.Column:
                self.column(n, scope, b)
                continue
            if cls in _LEAVES:
                continue
            if cls in _QUERIES:
                self.query(n, scope, scope.ctes)
                continue
            if cls is exp.Lambda:
                b = b | {p.name for p in n.expressions}
            elif cls is exp.Alias:
                if n.alias:
                    scope.local.add(n.alias)  # ClickHouse: an alias inside an expression names it everywhere
            elif cls is exp.Dot:
                stack.append((n.this, b))  # a.b.c.d.e: the head is a Column; deeper fields are not checked
                continue
            # children pushed last-first, so they are popped in the order they are written: an inline
            # alias (`(expr AS g)`) is seen before the uses that follow it in the text
            for child in n.iter_expressions(reverse=True):
                stack.append((child, b))

    def column(self, col: exp.Column, scope: _Scope, bound: frozenset[str]) -> None:
        parts = [p.name for p in col.parts]
        if isinstance(col.this, exp.Star):
            parts[-1] = "*"
        head = parts[0]
        if len(parts) == 1:
            self.bare_column(head, scope, bound)
            return
        if head in bound:
            return
        # Longest qualifier that names a source: analytics.events.ts, events.ts, e.ts, e.device.os.
        s: _Scope | None = scope
        while s is not None:
            for k in range(len(parts) - 1, 0, -1):
                src = s.sources.get(".".join(parts[:k]))
                if src is not None:
                    self.source_column(src, parts[k], parts[k + 1:])
                    return
            if head in s.local:
                return  # ARRAY JOIN alias or select alias used as a Tuple: fields unchecked
            s = s.parent
        # No source by that name: the head may be a column (Tuple/STRUCT/Nested field access).
        src = self.provider(head, scope)
        if src is not None:
            self.source_column(src, head, parts[1:])
            return
        qualifier = ".".join(parts[:-1])
        known = [n for sc in _chain(scope) for n in sc.sources if not n.startswith("<")]
        self.report("CATALOG_UNKNOWN_QUALIFIER", qualifier,
                    f"{'.'.join(parts)}: {qualifier} is no table, alias or column in scope{_did_you_mean(suggest(qualifier, known))}")

    def bare_column(self, name: str, scope: _Scope, bound: frozenset[str]) -> None:
        if name in bound:
            return
        s: _Scope | None = scope
        while s is not None:
            if name in s.local or name in s.using:
                return
            sources = s.distinct_sources()
            hits = [src for src in sources if src.has(name) is not False]
            if hits:
                known = [src for src in hits if src.columns is not None]
                if len(known) > 1 and len(known) == len(hits):
                    self.report("CATALOG_AMBIGUOUS_COLUMN", name,
                                f"column {name} is in {', '.join(src.label for src in known)}; qualify it", "warning")
                return
            s = s.parent
        candidates = {c for sc in _chain(scope) for src in sc.distinct_sources() for c in (src.columns or ())
                      if c not in VIRTUAL_COLUMNS} | {n for sc in _chain(scope) for n in sc.local}
        where = ", ".join(src.label for src in scope.distinct_sources()) or "no table"
        self.report("CATALOG_UNKNOWN_COLUMN", name,
                    f"unknown column {name} (in scope: {where}){_did_you_mean(suggest(name, candidates))}")

    def provider(self, name: str, scope: _Scope) -> _Source | None:
        """The source that has column ``name`` (nearest scope first), if one does."""
        for s in _chain(scope):
            for src in s.distinct_sources():
                if src.columns is not None and name in src.columns:
                    return src
        return None

    def source_column(self, src: _Source, name: str, fields: list[str]) -> None:
        if name == "*" or src.columns is None:
            return
        if name not in src.columns:
            real = src.columns - VIRTUAL_COLUMNS
            hint = _did_you_mean(suggest(name, real))
            if not hint and len(real) <= 8:  # a CTE or subquery with a few columns: just list them
                hint = f" (it has: {', '.join(sorted(real))})"
            self.report("CATALOG_UNKNOWN_COLUMN", f"{src.label}.{name}", f"unknown column {name} in {src.label}{hint}")
            return
        if not fields or src.table is None or fields[0].isdigit():
            return  # t.1 is a Tuple element by position
        allowed = self.catalog.fields_of(src.table, name)
        path = ".".join(fields)
        if allowed is not None and path not in allowed and not _opaque_prefix(fields, allowed):
            self.report("CATALOG_UNKNOWN_FIELD", f"{src.label}.{name}.{path}",
                        f"unknown field {name}.{path} in {src.label}{_did_you_mean([f'{name}.{f}' for f in suggest(path, allowed)])}")


def _opaque_prefix(fields: list[str], allowed: frozenset[str]) -> bool:
    """True if a declared field on the path has no declared subfields (a Map or JSON inside a STRUCT):
    what follows it cannot be checked."""
    for k in range(len(fields) - 1, 0, -1):
        prefix = ".".join(fields[:k])
        if prefix in allowed:
            return not any(f.startswith(prefix + ".") for f in allowed)
    return False


def _chain(scope: _Scope | None):
    while scope is not None:
        yield scope
        scope = scope.parent


def _did_you_mean(options: list[str]) -> str:
    return f" (did you mean {' or '.join(options)}?)" if options else ""


def ground(expression_or_sql: exp.Expression | str | list, catalog: Catalog, dialect: str = "clickhouse") -> list[Finding]:
    """Findings for every table and column the query (or queries) names that the catalog lacks.

    Takes SQL text (parsed with ``dialect`` through ``transpile.parse_tokens``'s guards: a text that does
    not parse, or nests too deep, raises TranspileError), one parsed statement, or a list of them. Each distinct problem is reported once per statement."""
    if isinstance(expression_or_sql, str):
        statements = parse_tokens(expression_or_sql, dialect)[1]
    elif isinstance(expression_or_sql, exp.Expression):
        statements = [expression_or_sql]
    else:
        statements = [s for s in expression_or_sql if s is not None]
    out: list[Finding] = []
    for stmt in statements:
        g = _Grounder(catalog)
        g.statement(stmt)
        out.extend(g.findings.values())
    return out


def ground_sql(sql: str, catalog: Catalog, dialect: str = "clickhouse") -> list[Finding] | None:
    """Like ``ground`` on text, but None when the text does not parse or nests too deep (those are
    another check's findings, not grounding's)."""
    try:
        return ground(sql, catalog, dialect)
    except TranspileError:
        return None
