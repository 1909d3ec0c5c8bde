"""Dialect contrast: "rewrite this SQL Server / BigQuery query for ClickHouse", answered with our own
ClickHouse query.

The foreign query is made by transpiling the ClickHouse original out with sqlglot. A pair is kept only
when the foreign text is a query a user of that dialect could have written:
- the original uses no function sqlglot cannot translate (ClickHouse-only functions such as
  ``uniqExact`` or ``quantile(0.5)(x)`` would come out unchanged, a dialect nobody speaks);
- the foreign text really differs from the original;
- transpiling it back gives the original's template (the answer is a faithful rewrite);
- sqlglot neither raised nor warned, either way (a warning means an approximation);
- it breaks no rule of the target that sqlglot leaves to the user (T-SQL derived tables need an alias).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError, UnsupportedError

from sqlcurate.build.query_pairs import split_leading_comment, sql_answer
from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import QueryRecord
from sqlcurate.sql.fingerprint import template

# sqlglot dialect -> (how the prompt names it, fence label)
TARGETS = {"tsql": ("SQL Server (T-SQL)", "tsql"), "bigquery": ("BigQuery", "bigquery")}
# Nodes with no spelling in the targets: sqlglot passes them through as ClickHouse text.
UNTRANSLATABLE = (exp.Anonymous, exp.AnonymousAggFunc, exp.CombinedAggFunc, exp.CombinedParameterizedAgg,
                  exp.ParameterizedAgg, exp.Quantile)

# Target rules sqlglot does not enforce when generating: a query breaking one is not offered.
INVALID_IN = {
    "tsql": lambda tree: any(isinstance(s.parent, (exp.From, exp.Join)) and not s.alias for s in tree.find_all(exp.Subquery)),
    "bigquery": lambda tree: False,
}


def _parse(sql: str, dialect: str) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(sql, read=dialect)
    except (ParseError, TokenError):
        return None


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


def contrast_pairs(rec: QueryRecord) -> list[Conversation]:
    _, sql = split_leading_comment(rec.query)
    tree = _parse(sql, "clickhouse")
    if tree is None or any(tree.find_all(*UNTRANSLATABLE)):
        return []
    tree = tree.transform(_count_star)
    original = template(tree.sql("clickhouse"), "clickhouse")
    out = []
    for dialect, (display, label) in TARGETS.items():
        foreign = _foreign(tree, dialect, original)
        if foreign is None or template(foreign, dialect) == template(sql, "clickhouse"):
            continue
        question = f"Rewrite this {display} query for ClickHouse:\n\n```{label}\n{foreign}\n```"
        out.append(Conversation(
            messages=[Message(role="user", content=question), Message(role="assistant", content=sql_answer(sql))],
            meta={"source": rec.source, "task": f"contrast:{dialect}", "query_hash": rec.normalized_hash,
                  "tables": rec.tables},
        ))
    return out
