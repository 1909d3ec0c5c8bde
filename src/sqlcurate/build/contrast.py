"""Dialect contrast: "rewrite this SQL Server / BigQuery query for ClickHouse", answered with our own
ClickHouse query.

The foreign query is written from the ClickHouse original: first the dialect's idioms (``IDIOMS``: how
a user of that dialect writes what ClickHouse writes its own way, e.g. an anti-join's ``IS NULL``, a
plain ``ORDER BY`` for keys that cannot be NULL), then sqlglot transpiles it out. A pair is kept only when the foreign text is a query a user of that dialect
could have written:
- the original uses no function sqlglot cannot translate (ClickHouse-only functions such as
  ``uniqExact`` or ``quantile(0.5)(x)`` would come out unchanged, a dialect nobody speaks);
- the foreign text really differs from the original;
- transpiling it back gives the original's template (the answer is a faithful rewrite);
- sqlglot neither raised nor warned, either way (a warning means an approximation);
- it breaks no rule of the target that sqlglot leaves to the user (T-SQL derived tables need an alias,
  T-SQL GROUP BY and HAVING cannot name an output alias, T-SQL weeks start on DATEFIRST);
- with sample data (a ``QueryRunner``), our transpilation of the foreign text back to ClickHouse returns
  the same rows as the original. A query an idiom rewrote is only offered with that proof: it no longer
  reads as the original's template, and its meaning is what the rewrite changed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import UnsupportedError

from sqlcurate.build.query_pairs import split_leading_comment, sql_answer
from sqlcurate.conversation import Conversation, Message
from sqlcurate.eval.compare import compare_results
from sqlcurate.records import QueryRecord
from sqlcurate.sql.catalog import Catalog
from sqlcurate.sql.fingerprint import template
from sqlcurate.sql.transpile import TranspileError, guarded_parse_one, to_clickhouse

# sqlglot dialect -> (how the prompt names it, fence label)
TARGETS = {"tsql": ("SQL Server (T-SQL)", "tsql"), "bigquery": ("BigQuery", "bigquery")}
# Nodes with no spelling in the targets: sqlglot passes them through as ClickHouse text.
UNTRANSLATABLE = (exp.Anonymous, exp.AnonymousAggFunc, exp.CombinedAggFunc, exp.CombinedParameterizedAgg,
                  exp.ParameterizedAgg, exp.Quantile)

def _names_an_output_alias(tree: exp.Expression) -> bool:
    """T-SQL evaluates GROUP BY and HAVING before SELECT, so neither may name an output alias."""
    for select in tree.find_all(exp.Select):
        aliases = {e.alias for e in select.expressions
                   if isinstance(e, exp.Alias) and not (isinstance(e.this, exp.Column) and e.this.name == e.alias)}
        for clause in (select.args.get("group"), select.args.get("having")):
            if clause and any(not c.table and c.name in aliases for c in clause.find_all(exp.Column)):
                return True
    return False


# Target rules sqlglot does not enforce when generating: a query breaking one is not offered.
INVALID_IN = {
    "tsql": lambda tree: (
        any(isinstance(s.parent, (exp.From, exp.Join)) and not s.alias for s in tree.find_all(exp.Subquery))
        or _names_an_output_alias(tree)
        # DATETRUNC(WEEK, ...) starts weeks on the server's DATEFIRST (Sunday by default), not on Monday
        or any(t.text("unit").upper().startswith("WEEK") for t in tree.find_all(exp.TimestampTrunc, exp.DateTrunc))
    ),
    "bigquery": lambda tree: False,
}


def _parse(sql: str, dialect: str) -> exp.Expression | None:
    try:
        return guarded_parse_one(sql, dialect)
    except TranspileError:
        return None


def _anti_join_is_null(tree: exp.Expression, catalog: Catalog | None) -> exp.Expression:
    """ClickHouse fills the unmatched side of a LEFT JOIN with the column type's default ('' or 0) unless
    join_use_nulls is on, so its anti-join tests ``right.key = ''``; the other dialects fill NULL and
    test ``IS NULL``."""
    for select in tree.find_all(exp.Select):
        right = {j.this.alias_or_name for j in select.args.get("joins") or [] if j.side == "LEFT"}
        where = select.args.get("where")
        for eq in list(where.find_all(exp.EQ)) if right and where else []:
            column, value = eq.this, eq.expression
            if isinstance(column, exp.Column) and column.table in right and isinstance(value, exp.Literal) and value.this in ("", "0"):
                eq.replace(exp.Is(this=column.copy(), expression=exp.Null()))
    return tree


def _never_null(key: exp.Expression, select: exp.Select, tables: list, catalog: Catalog) -> bool:
    """Whether a sort key can never be NULL in any dialect: every column under it is a catalog column of
    a non-Nullable type (an output alias is followed to its expression), and nothing under it makes NULL."""
    if isinstance(key, exp.Column) and not key.table:
        key = next((e.this for e in select.expressions if isinstance(e, exp.Alias) and e.alias == key.name), key)
    if any(isinstance(n, (exp.Null, exp.Case, exp.If, exp.Nullif)) for n in key.walk()):
        return False
    for column in [key] if isinstance(key, exp.Column) else key.find_all(exp.Column):
        types = [catalog.columns_of(t)[column.name].type for t in tables if column.name in catalog.columns_of(t)]
        if not types or any("Nullable(" in t for t in types):
            return False
    return True


def _null_order_unsaid(tree: exp.Expression, catalog: Catalog | None) -> exp.Expression:
    """ClickHouse sorts NULLs last, BigQuery and T-SQL first, so a faithful transpilation spells the
    placement out (``NULLS LAST``, or a ``CASE`` in T-SQL). For a key that can never be NULL the
    placement means nothing, and users of those dialects write plain ``ORDER BY``. Not under an outer
    join: there the other dialects fill NULL where ClickHouse fills defaults."""
    if catalog is None or any(j.side for j in tree.find_all(exp.Join)):
        return tree
    tables = [t for t in (catalog.table(f"{x.db}.{x.name}" if x.db else x.name) for x in tree.find_all(exp.Table)) if t]
    for select in tree.find_all(exp.Select):
        for ordered in (select.args["order"].expressions if select.args.get("order") else []):
            if _never_null(ordered.this, select, tables, catalog):
                ordered.set("nulls_first", not ordered.args.get("desc"))  # the targets' own default: unsaid
    return tree


# idiom -> (the dialects that write it, the rewrite of a ClickHouse tree into that idiom, whether the
# rewrite changes what the query means under ClickHouse's rules: such a query is only offered once sample
# data shows its transpilation returns the original's rows)
IDIOMS = {
    "anti-join IS NULL": (("tsql", "bigquery"), _anti_join_is_null, True),
    "ORDER BY without NULLS placement": (("tsql", "bigquery"), _null_order_unsaid, False),
}


def _count_star(node: exp.Expression) -> exp.Expression:
    """ClickHouse ``count()`` is ``COUNT(*)`` elsewhere (``COUNT()`` is an error in T-SQL and BigQuery)."""
    if isinstance(node, exp.Count) and node.this is None:
        return exp.Count(this=exp.Star())
    return node


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _sqlglot_warnings() -> Iterator[list[str]]:
    """What sqlglot warns while transpiling: it raises for some untranslatable constructs but only
    logs for others (a BigQuery WEEK, which starts on Sunday, read as ClickHouse's Monday week)."""
    logger = logging.getLogger("sqlglot")
    collect, propagate, level = _Collect(), logger.propagate, logger.level
    logger.addHandler(collect)
    logger.propagate = False
    logger.setLevel(logging.WARNING)  # the CLI quiets sqlglot's log; here its warnings are the evidence
    try:
        yield collect.messages
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
        logger.setLevel(level)


def _foreign(tree: exp.Expression, dialect: str, original: str) -> str | None:
    """The query in ``dialect`` if it is a faithful rewrite of ``tree`` (see the module doc), else None."""
    with _sqlglot_warnings() as warnings:
        try:
            foreign = tree.sql(dialect=dialect, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
        except UnsupportedError:
            return None
        back = _parse(foreign, dialect)
        if back is None or any(back.find_all(exp.Anonymous)) or INVALID_IN[dialect](back):
            return None
        round_trip = template(back.sql("clickhouse"), "clickhouse")
    return foreign if not warnings and round_trip == original else None


def same_rows(sql: str, foreign: str, dialect: str, runner) -> bool:
    """Whether our ClickHouse transpilation of ``foreign`` returns the rows ``sql`` returns (in order when
    the original orders them), both run by the sandboxed runner on the sample data. An empty result
    proves nothing: it is not a proof."""
    try:
        (back,) = to_clickhouse(foreign, dialect)
    except (TranspileError, ValueError):
        return False
    gold, got = runner.run(sql), runner.run(back)
    if not (gold.ok and got.ok and gold.rows):
        return False
    tree = _parse(sql, "clickhouse")
    if tree is None:
        return False
    ordered = any(isinstance(o.parent, exp.Select) for o in tree.find_all(exp.Order))
    return compare_results(gold.rows, got.rows, ordered).match


def contrast_pairs(rec: QueryRecord, runner=None, catalog: Catalog | None = None) -> list[Conversation]:
    """The template's contrast pairs; ``runner`` (a ``QueryRunner`` on sample data) proves each by its
    rows; ``catalog`` tells which columns can be NULL."""
    _, sql = split_leading_comment(rec.query)
    tree = _parse(sql, "clickhouse")
    if tree is None or any(tree.find_all(*UNTRANSLATABLE)):
        return []
    tree = tree.transform(_count_star)
    out = []
    for dialect, (display, label) in TARGETS.items():
        idiomatic, rewritten = tree.copy(), False
        for dialects, rewrite, changes_meaning in IDIOMS.values():
            if dialect in dialects:
                before = idiomatic.sql("clickhouse")
                idiomatic = rewrite(idiomatic, catalog)
                rewritten |= changes_meaning and idiomatic.sql("clickhouse") != before
        foreign = _foreign(idiomatic, dialect, template(idiomatic.sql("clickhouse"), "clickhouse"))
        if foreign is None or template(foreign, dialect) == template(sql, "clickhouse"):
            continue
        if (rewritten or runner is not None) and (runner is None or not same_rows(sql, foreign, dialect, runner)):
            continue
        question = f"Rewrite this {display} query for ClickHouse:\n\n```{label}\n{foreign}\n```"
        out.append(Conversation(
            messages=[Message(role="user", content=question), Message(role="assistant", content=sql_answer(sql))],
            meta={"source": rec.source, "task": f"contrast:{dialect}", "query_hash": rec.normalized_hash,
                  "tables": rec.tables, "proven_by": "rows" if runner is not None else "round_trip"},
        ))
    return out
