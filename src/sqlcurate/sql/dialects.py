"""Which SQL dialect a query is written in, with the evidence, from a declarative table of markers.

A marker is a pattern that is typical of one or more dialects. Each has a *standing* in ClickHouse:

- ``foreign``: ClickHouse rejects it or means something else by it (``GETDATE()``, ``SAFE_DIVIDE``);
- ``noncanonical``: ClickHouse happens to accept it, but the training target is written differently
  (``SELECT TOP 10`` runs in ClickHouse; the model must learn ``LIMIT 10``);
- ``hint``: valid, ordinary ClickHouse too (``ILIKE``, backticks, ``DATE_TRUNC('month', ts)``); it only
  helps choose between dialects when other markers are present.

Markers are matched on the query with string contents and comments blanked out (positions kept), so a
``'GETDATE()'`` inside a literal or a comment is not evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlcurate.errors import SqlcurateError

# sqlglot dialect name -> how users call it in messages: every dialect sqlglot 30 reads, the six the
# markers below know best first (their order is the order of the --from help text)
DISPLAY = {
    "clickhouse": "ClickHouse", "tsql": "T-SQL", "bigquery": "BigQuery", "snowflake": "Snowflake",
    "postgres": "Postgres", "mysql": "MySQL",
    "athena": "Athena", "databricks": "Databricks", "doris": "Doris", "dremio": "Dremio", "drill": "Drill",
    "druid": "Druid", "duckdb": "DuckDB", "dune": "Dune", "exasol": "Exasol", "fabric": "Fabric",
    "hive": "Hive", "materialize": "Materialize", "oracle": "Oracle", "presto": "Presto", "prql": "PRQL",
    "redshift": "Redshift", "risingwave": "RisingWave", "solr": "Solr", "spark": "Spark", "spark2": "Spark 2",
    "sqlite": "SQLite", "starrocks": "StarRocks", "tableau": "Tableau", "teradata": "Teradata", "trino": "Trino",
}
# Accepted spellings of --from values
ALIASES = {
    "t-sql": "tsql", "mssql": "tsql", "sqlserver": "tsql", "sql-server": "tsql", "azuresql": "tsql",
    "synapse": "fabric", "microsoft-fabric": "fabric",
    "bq": "bigquery", "googlesql": "bigquery", "standardsql": "bigquery",
    "postgresql": "postgres", "pg": "postgres", "psql": "postgres", "greenplum": "postgres",
    "mariadb": "mysql", "ch": "clickhouse", "sqlite3": "sqlite", "duck": "duckdb",
    "sparksql": "spark", "spark-sql": "spark", "pyspark": "spark", "hiveql": "hive",
    "prestodb": "presto", "trinodb": "trino", "aws-athena": "athena", "oracledb": "oracle", "plsql": "oracle",
    "sf": "snowflake", "rs": "redshift",
}
# Dialects that share another's conventions where the fix-up tables care (day-of-week numbering, week
# start, string ``+``, three-part names): the key of those tables for a dialect not listed is its own name.
FAMILY = {
    "fabric": "tsql", "redshift": "postgres", "materialize": "postgres", "risingwave": "postgres",
    "doris": "mysql", "starrocks": "mysql", "databricks": "spark", "spark2": "spark", "hive": "spark",
    "athena": "trino", "presto": "trino", "dune": "trino",
}


def family(dialect: str) -> str:
    return FAMILY.get(dialect, dialect)


FOREIGN, NONCANONICAL, HINT = "foreign", "noncanonical", "hint"
_WEIGHT = {FOREIGN: 2, NONCANONICAL: 2, HINT: 1}

_TSQL_UNITS = r"(?:year|yy|yyyy|quarter|qq|month|mm|m|week|wk|ww|day|dd|d|hour|hh|minute|mi|n|second|ss|s)"
_BQ_PARTS = r"(?:MICROSECOND|MILLISECOND|SECOND|MINUTE|HOUR|DAY|DAYOFWEEK|WEEK|ISOWEEK|MONTH|QUARTER|YEAR)"

# (dialects it points to, label shown as evidence, keys, pattern (group 1 locates it), standing in ClickHouse).
# A marker's pattern only runs when one of its keys occurs in the query: a whole upper-cased word
# (GETDATE, DATE_TRUNC) or one of the symbols in _SYMBOL_KEYS. Most queries contain few of them, which
# keeps detection to a few regex passes per query.
MARKERS: list[tuple[tuple[str, ...], str, tuple[str, ...], str, str]] = [
    # T-SQL
    (("tsql",), "TOP", ('TOP',), r"\bSELECT\s+(?:DISTINCT\s+)?(TOP)\b", NONCANONICAL),
    (("tsql",), "GETDATE()", ('GETDATE', 'GETUTCDATE', 'SYSDATETIME'), r"\b(GETDATE|GETUTCDATE|SYSDATETIME)\s*\(", FOREIGN),
    (("tsql",), "ISNULL(x, y)", ('ISNULL',), r"\b(ISNULL)\s*\((?:[^()]|\([^()]*\))*,", FOREIGN),
    (("tsql",), "[bracketed] name", ('[',), r"(?<![\w\])'\"])(\[(?!(?:NULL|TRUE|FALSE)\])[A-Za-z_][\w ]*\])", FOREIGN),
    (("tsql",), "CONVERT(type, ...)", ('CONVERT',), r"\b(CONVERT)\s*\(\s*(?:N?VARCHAR|N?CHAR|DATE|DATETIME2?|INT|BIGINT|DECIMAL|FLOAT)\b", FOREIGN),
    (("tsql", "snowflake"), "DATEADD(unit, ...)", ('DATEADD',), rf"\b(DATEADD)\s*\(\s*{_TSQL_UNITS}\s*,", FOREIGN),
    (("tsql", "snowflake"), "DATEDIFF(unit, ...)", ('DATEDIFF',), rf"\b(DATEDIFF)\s*\(\s*{_TSQL_UNITS}\s*,", FOREIGN),
    (("tsql",), "DATEPART()", ('DATEPART', 'DATENAME'), r"\b(DATEPART|DATENAME)\s*\(", FOREIGN),
    (("tsql",), "LEN()", ('LEN', 'CHARINDEX'), r"\b(LEN|CHARINDEX)\s*\(", FOREIGN),
    (("tsql",), "db..table", ('..',), r"(?<![.\w])([A-Za-z_]\w*\.\.[A-Za-z_]\w*)", FOREIGN),
    (("tsql",), "WITH (NOLOCK)", ('NOLOCK',), r"\bWITH\s*\(\s*(NOLOCK)\s*\)", FOREIGN),
    (("tsql",), "OFFSET ... FETCH", ('FETCH',), r"\bROWS\s+(FETCH)\s+(?:NEXT|FIRST)\b", FOREIGN),
    (("tsql",), "N'...' string", ("N'",), r"(?<![\w'])(N)'", FOREIGN),
    (("tsql",), "IIF()", ('IIF',), r"\b(IIF)\s*\(", FOREIGN),
    (("tsql", "postgres"), "STRING_AGG()", ('STRING_AGG',), r"\b(STRING_AGG)\s*\(", FOREIGN),
    (("postgres",), "STRING_AGG(x, sep ORDER BY ...)", ('STRING_AGG',), r"\b(STRING_AGG)\s*\([^()]*\bORDER\s+BY\b", FOREIGN),
    # BigQuery
    (("bigquery",), "`project.dataset.table`", ('`',), r"(`[^`\s]+\.[^`\s]+`)", FOREIGN),
    (("bigquery",), "SAFE_DIVIDE()", ('SAFE_DIVIDE', 'SAFE_CAST', 'SAFE'), r"\b(SAFE_DIVIDE|SAFE_CAST|SAFE\.\w+)\s*\(", FOREIGN),
    (("bigquery",), "[SAFE_OFFSET(i)]", ('SAFE_OFFSET', 'SAFE_ORDINAL', 'OFFSET', 'ORDINAL'), r"\[\s*(SAFE_OFFSET|SAFE_ORDINAL|OFFSET|ORDINAL)\s*\(", FOREIGN),
    (("bigquery",), "STRUCT()", ('STRUCT',), r"\b(STRUCT)\s*\(", FOREIGN),
    (("bigquery",), "UNNEST()", ('UNNEST',), r"\b(UNNEST)\s*\(", FOREIGN),
    (("bigquery",), "TIMESTAMP_DIFF()", ('TIMESTAMP_DIFF', 'DATETIME_DIFF', 'TIMESTAMP_TRUNC', 'TIMESTAMP_SUB', 'TIMESTAMP_ADD'), r"\b(TIMESTAMP_DIFF|DATETIME_DIFF|TIMESTAMP_TRUNC|TIMESTAMP_SUB|TIMESTAMP_ADD)\s*\(", FOREIGN),
    (("bigquery",), "DATE_DIFF(a, b, PART)", ('DATE_DIFF', 'DATE_SUB', 'DATE_ADD'), rf"\b(DATE_DIFF|DATE_SUB|DATE_ADD)\s*\([^()]*(?:\([^()]*\))?[^()]*,\s*(?:INTERVAL\s+\S+\s+)?{_BQ_PARTS}\s*\)", FOREIGN),
    (("bigquery",), "DATE_TRUNC(x, PART)", ('DATE_TRUNC',), rf"\b(DATE_TRUNC)\s*\([^'()]*(?:\([^()]*\))?\s*,\s*{_BQ_PARTS}\s*\)", FOREIGN),
    (("bigquery",), "WEEK(<weekday>)", ('WEEK',), r"\b(WEEK)\s*\(\s*(?:MONDAY|TUESDAY|WEDNESDAY|THURSDAY|FRIDAY|SATURDAY|SUNDAY)\s*\)", FOREIGN),
    (("bigquery",), "EXTRACT(DAYOFWEEK ...)", ('EXTRACT',), r"\bEXTRACT\s*\(\s*(DAYOFWEEK|DAYOFYEAR|ISOWEEK)\b", FOREIGN),
    (("bigquery",), "FORMAT_DATE()", ('FORMAT_DATE', 'FORMAT_TIMESTAMP', 'PARSE_DATE', 'PARSE_TIMESTAMP'), r"\b(FORMAT_DATE|FORMAT_TIMESTAMP|PARSE_DATE|PARSE_TIMESTAMP)\s*\(", FOREIGN),
    (("bigquery",), "APPROX_QUANTILES()", ('APPROX_QUANTILES', 'APPROX_COUNT_DISTINCT', 'APPROX_TOP_COUNT'), r"\b(APPROX_QUANTILES|APPROX_COUNT_DISTINCT|APPROX_TOP_COUNT)\s*\(", FOREIGN),
    (("bigquery",), "COUNTIF()", ('COUNTIF',), r"\b(COUNTIF|countif|CountIf)\s*\(", FOREIGN),  # not countIf: ClickHouse's own
    (("bigquery",), "PERCENTILE_CONT(x, p) OVER", ('PERCENTILE_CONT', 'PERCENTILE_DISC'), r"\b(PERCENTILE_CONT|PERCENTILE_DISC)\s*\([^()]*,[^()]*\)\s*OVER\b", FOREIGN),
    (("bigquery",), "ARRAY_LENGTH()", ('ARRAY_LENGTH', 'ARRAY_TO_STRING', 'GENERATE_DATE_ARRAY', 'UNIX_SECONDS', 'UNIX_MILLIS'), r"\b(ARRAY_LENGTH|ARRAY_TO_STRING|GENERATE_DATE_ARRAY|UNIX_SECONDS|UNIX_MILLIS)\s*\(", FOREIGN),
    (("bigquery",), "CURRENT_DATE()", ('CURRENT_DATE', 'CURRENT_TIMESTAMP'), r"\b(CURRENT_DATE|CURRENT_TIMESTAMP)\s*\(\s*\)", HINT),
    # Postgres
    # lower-case type names after :: are the Postgres habit, upper-case ones Snowflake's (ClickHouse's
    # own casts name CamelCase types: ::Date, ::UInt64)
    (("postgres",), "::type cast", ('::',), r"(::)\s*(?:int|integer|bigint|smallint|text|numeric|date|timestamp|timestamptz|varchar|float8?|boolean|interval|jsonb?)\b", FOREIGN),
    (("snowflake",), "::TYPE cast", ('::',), r"(::)\s*(?:INT|INTEGER|NUMBER|NUMERIC|VARCHAR|STRING|TEXT|DATE|TIMESTAMP|TIMESTAMP_NTZ|TIMESTAMP_TZ|FLOAT|BOOLEAN|VARIANT)\b", FOREIGN),
    (("postgres", "snowflake", "tsql"), "PERCENTILE_CONT() WITHIN GROUP", ('PERCENTILE_CONT', 'PERCENTILE_DISC'), r"\b(PERCENTILE_CONT|PERCENTILE_DISC)\s*\([^()]*\)\s*WITHIN\s+GROUP\b", FOREIGN),
    (("postgres",), "generate_series()", ('GENERATE_SERIES',), r"\b(generate_series)\s*\(", FOREIGN),
    (("postgres",), "INTERVAL '7 days'", ('INTERVAL',), r"\b(INTERVAL)\s+'", FOREIGN),
    (("postgres",), "EXTRACT(EPOCH ...)", ('EPOCH',), r"\bEXTRACT\s*\(\s*(EPOCH)\b", FOREIGN),
    (("postgres",), "DISTINCT ON", ('DISTINCT',), r"\bDISTINCT\s+(ON)\s*\(", FOREIGN),
    (("postgres",), "FILTER (WHERE ...)", ('FILTER',), r"\)\s*(FILTER)\s*\(\s*WHERE\b", FOREIGN),
    (("postgres", "snowflake"), "TO_CHAR()", ('TO_CHAR',), r"\b(TO_CHAR)\s*\(", FOREIGN),
    (("postgres", "snowflake"), "ILIKE", ('ILIKE',), r"\b(ILIKE)\b", HINT),
    (("postgres", "snowflake"), "DATE_TRUNC('unit', x)", ('DATE_TRUNC',), r"\b(DATE_TRUNC)\s*\(\s*'", HINT),
    (("postgres",), "NOW()", ('NOW',), r"\b(NOW)\s*\(\s*\)", HINT),
    # MySQL
    (("mysql",), "DATE_FORMAT()", ('DATE_FORMAT', 'STR_TO_DATE'), r"\b(DATE_FORMAT|STR_TO_DATE)\s*\(", FOREIGN),
    (("mysql",), "DATE_SUB(x, INTERVAL ...)", ('INTERVAL',), r"\b(DATE_SUB|DATE_ADD)\s*\((?:[^()]|\([^()]*\))*,\s*INTERVAL\b", FOREIGN),
    (("mysql",), "CURDATE()", ('CURDATE', 'UNIX_TIMESTAMP', 'FROM_UNIXTIME'), r"\b(CURDATE|UNIX_TIMESTAMP|FROM_UNIXTIME)\s*\(", FOREIGN),
    # ClickHouse has DAYOFWEEK too, numbered from Monday: the same call means another day number there
    (("mysql",), "DAYOFWEEK()", ('DAYOFWEEK',), r"\b(DAYOFWEEK)\s*\(", FOREIGN),
    (("mysql",), "GROUP_CONCAT()", ('GROUP_CONCAT',), r"\b(GROUP_CONCAT)\s*\(", FOREIGN),
    (("mysql",), "DATEDIFF(a, b)", ('DATEDIFF',), r"\b(DATEDIFF)\s*\((?:[^(),]|\([^()]*\))*,(?:[^(),]|\([^()]*\))*\)", FOREIGN),
    (("mysql",), "SUBSTRING_INDEX()", ('SUBSTRING_INDEX', 'LOCATE', 'INSTR'), r"\b(SUBSTRING_INDEX|LOCATE|INSTR)\s*\(", HINT),  # ClickHouse has these too
    (("mysql",), "LIMIT offset, count", ('LIMIT',), r"\b(LIMIT)\s+\d+\s*,\s*\d+", HINT),
    (("mysql",), "`backticks`", ('`',), r"(`[^`.\s]+`)", HINT),
    (("mysql",), "IFNULL()", ('IFNULL',), r"\b(IFNULL)\s*\(", HINT),
    # Snowflake
    (("snowflake",), "LISTAGG()", ('LISTAGG',), r"\b(LISTAGG)\s*\(", FOREIGN),
    (("snowflake",), "IFF()", ('IFF',), r"\b(IFF)\s*\(", FOREIGN),
    (("snowflake",), "QUALIFY", ('QUALIFY',), r"\b(QUALIFY)\b", HINT),
    (("snowflake",), "ZEROIFNULL()", ('ZEROIFNULL', 'DIV0', 'NVL', 'NVL2', 'TO_VARCHAR', 'TRY_TO_NUMBER', 'ARRAY_SIZE', 'CONVERT_TIMEZONE'), r"\b(ZEROIFNULL|DIV0|NVL|NVL2|TO_VARCHAR|TRY_TO_NUMBER|ARRAY_SIZE|CONVERT_TIMEZONE)\s*\(", FOREIGN),
    (("snowflake",), "FLATTEN()", ('FLATTEN',), r"\b(FLATTEN)\s*\(", FOREIGN),
    (("snowflake",), "LATERAL FLATTEN(input => ...)", ('LATERAL', 'INPUT'), r"\b(LATERAL\s+FLATTEN|input\s*=>)", FOREIGN),
    (("snowflake",), "PARSE_JSON()", ('PARSE_JSON', 'TRY_PARSE_JSON', 'TO_TIMESTAMP_NTZ', 'TO_TIMESTAMP_LTZ', 'TO_TIMESTAMP_TZ'), r"\b(PARSE_JSON|TRY_PARSE_JSON|TO_TIMESTAMP_NTZ|TO_TIMESTAMP_LTZ|TO_TIMESTAMP_TZ)\s*\(", FOREIGN),
    # ClickHouse's toDate(x, 'tz') reads a second argument as a time zone, not a format
    (("snowflake", "postgres", "oracle"), "TO_DATE(x, 'format')", ('TO_DATE', 'TO_TIMESTAMP'), r"\b(TO_DATE|TO_TIMESTAMP)\s*\((?:[^(),]|\([^()]*\))*,\s*'", FOREIGN),
    (("snowflake", "postgres", "trino"), "SPLIT_PART()", ('SPLIT_PART',), r"\b(SPLIT_PART)\s*\(", FOREIGN),
    (("snowflake",), "TRY_TO_DATE()", ('TRY_TO_DATE', 'TRY_TO_TIMESTAMP', 'TRY_TO_TIMESTAMP_NTZ'), r"\b(TRY_TO_DATE|TRY_TO_TIMESTAMP|TRY_TO_TIMESTAMP_NTZ)\s*\(", FOREIGN),
    (("snowflake",), "DAYOFWEEKISO()", ('DAYOFWEEKISO',), r"\b(DAYOFWEEKISO)\s*\(", FOREIGN),
    (("snowflake",), "REGEXP_LIKE(x, p, flags)", ('REGEXP_LIKE', 'RLIKE'), r"\b(REGEXP_LIKE|RLIKE)\s*\(", FOREIGN),
    # Snowflake functions of the Spider2 corpus that fixups rewrite (issue #11, sf)
    (("snowflake",), "TO_DECIMAL()", ('TO_DECIMAL', 'TO_NUMERIC', 'TRY_TO_DECIMAL', 'TRY_TO_NUMERIC', 'TO_BOOLEAN', 'TRY_TO_BOOLEAN', 'TO_VARIANT'),
     r"\b(TO_DECIMAL|TO_NUMERIC|TRY_TO_DECIMAL|TRY_TO_NUMERIC|TO_BOOLEAN|TRY_TO_BOOLEAN|TO_VARIANT)\s*\(", FOREIGN),
    (("snowflake",), "DATE_FROM_PARTS()", ('DATE_FROM_PARTS', 'TIMESTAMP_FROM_PARTS', 'TIMESTAMP_NTZ_FROM_PARTS', 'TIMESTAMP_LTZ_FROM_PARTS',
                                           'TIMESTAMP_TZ_FROM_PARTS', 'TIME_SLICE', 'BOOLXOR_AGG', 'ARRAY_GENERATE_RANGE'),
     r"\b(DATE_FROM_PARTS|TIMESTAMP_FROM_PARTS|TIMESTAMP_NTZ_FROM_PARTS|TIMESTAMP_LTZ_FROM_PARTS|TIMESTAMP_TZ_FROM_PARTS"
     r"|TIME_SLICE|BOOLXOR_AGG|ARRAY_GENERATE_RANGE)\s*\(", FOREIGN),
    (("snowflake",), "TABLE(GENERATOR(...))", ('GENERATOR', 'SEQ1', 'SEQ2', 'SEQ4', 'SEQ8', 'SPLIT_TO_TABLE', 'BASE64_DECODE_STRING', 'BASE64_DECODE_BINARY'),
     r"\b(GENERATOR|SEQ1|SEQ2|SEQ4|SEQ8|SPLIT_TO_TABLE|BASE64_DECODE_STRING|BASE64_DECODE_BINARY)\s*\(", FOREIGN),
    (("snowflake", "oracle"), "TO_NUMBER()", ('TO_NUMBER',), r"\b(TO_NUMBER)\s*\(", FOREIGN),
    # Geography (sql/geography.py): GEOGRAPHY constructors only these warehouses name so (PostGIS's
    # ST_MakePoint / ST_Distance are planar geometry and no evidence)
    (("bigquery",), "ST_GEOGPOINT()", ('ST_GEOGPOINT', 'ST_GEOGFROMTEXT', 'ST_GEOGFROMGEOJSON'), r"\b(ST_GEOGPOINT|ST_GEOGFROMTEXT|ST_GEOGFROMGEOJSON)\s*\(", FOREIGN),
    (("bigquery", "snowflake"), "ST_GEOGFROMWKB()", ('ST_GEOGFROMWKB',), r"\b(ST_GEOGFROMWKB)\s*\(", FOREIGN),
    (("snowflake",), "TO_GEOGRAPHY()", ('TO_GEOGRAPHY', 'TRY_TO_GEOGRAPHY', 'ST_GEOGRAPHYFROMWKB'), r"\b(TO_GEOGRAPHY|TRY_TO_GEOGRAPHY|ST_GEOGRAPHYFROMWKB)\s*\(", FOREIGN),
    # SQLite
    (("sqlite",), "strftime('%...', x)", ('STRFTIME',), r"\b(strftime)\s*\(\s*'", FOREIGN),
    (("sqlite",), "julianday()", ('JULIANDAY',), r"\b(julianday)\s*\(", FOREIGN),
    (("sqlite",), "CAST(x AS REAL)", ('REAL',), r"\bAS\s+(REAL)\b", HINT),
    # DuckDB
    (("duckdb",), "list_ functions", ('LIST_VALUE', 'LIST_AGGREGATE', 'LIST_CONTAINS', 'LIST_TRANSFORM', 'LIST_FILTER', 'STRUCT_PACK'), r"\b(list_value|list_aggregate|list_contains|list_transform|list_filter|struct_pack)\s*\(", FOREIGN),
    (("duckdb",), "EXCLUDE (...)", ('EXCLUDE',), r"\*\s*(EXCLUDE)\s*\(", HINT),
    # Trino / Presto / Athena
    (("trino",), "approx_distinct()", ('APPROX_DISTINCT', 'APPROX_PERCENTILE', 'CARDINALITY', 'DATE_PARSE', 'FROM_ISO8601_TIMESTAMP', 'ELEMENT_AT'), r"\b(approx_distinct|approx_percentile|cardinality|date_parse|from_iso8601_timestamp|element_at)\s*\(", FOREIGN),
    (("trino",), "CROSS JOIN UNNEST(...) AS t(x)", ('UNNEST',), r"\b(CROSS\s+JOIN\s+UNNEST)\s*\(", HINT),
    # Spark / Hive / Databricks
    (("spark",), "LATERAL VIEW explode()", ('LATERAL', 'EXPLODE', 'POSEXPLODE'), r"\b(LATERAL\s+VIEW|explode|posexplode)\b", FOREIGN),
    (("spark",), "collect_list()", ('COLLECT_LIST', 'COLLECT_SET', 'SIZE'), r"\b(collect_list|collect_set|size)\s*\(", FOREIGN),
    # Oracle
    (("oracle",), "FROM DUAL", ('DUAL',), r"\bFROM\s+(DUAL)\b", FOREIGN),
    (("oracle",), "ROWNUM", ('ROWNUM', 'SYSDATE'), r"\b(ROWNUM|SYSDATE)\b", FOREIGN),
]

# Foreign markers whose construct ClickHouse itself reads with the same meaning (``INTERVAL '7 days'``,
# ``x::Int32``, ``DATEADD(day, 1, d)``, `` `db.table` ``, its own ``flatten(arr)``). They stay evidence when
# a query is also foreign in other ways, but a query whose only foreign evidence is of this kind and which
# ClickHouse's own parser accepts, naming only functions and types it has, is ClickHouse
# (``sql.native``).
NATIVE_WHEN_PARSED = frozenset({
    "INTERVAL '7 days'", "::type cast", "::TYPE cast", "`project.dataset.table`", "FLATTEN()",
    "DATEADD(unit, ...)", "DATEDIFF(unit, ...)", "generate_series()", "CURDATE()", "DATE_SUB(x, INTERVAL ...)",
})
# ... and, when the query does not even parse in the dialect the markers point to, these too: ``[x]`` is a
# T-SQL name only if T-SQL can read the query; otherwise it is ClickHouse's one-element array.
NATIVE_WHEN_SOURCE_FAILS = NATIVE_WHEN_PARSED | {"[bracketed] name"}

_CASE_SENSITIVE = frozenset({"::type cast", "::TYPE cast", "COUNTIF()"})
_COMPILED = [(dialects, label, re.compile(pattern, 0 if label in _CASE_SENSITIVE else re.IGNORECASE), standing)
             for dialects, label, keys, pattern, standing in MARKERS]
_SYMBOL_KEYS = ("[", "`", "::", "N'", "..")
_WORD = re.compile(r"[A-Z_][A-Z0-9_]*")


def _index_keys() -> dict[str, list[int]]:
    """key -> indexes of the markers it unlocks."""
    by_key: dict[str, list[int]] = {}
    for i, (_, label, keys, _, _) in enumerate(MARKERS):
        for key in keys:
            assert key in _SYMBOL_KEYS or _WORD.fullmatch(key), f"{label}: key {key!r} is neither a word nor a symbol key"
            by_key.setdefault(key, []).append(i)
    return by_key


_MARKERS_BY_KEY = _index_keys()
_WORD_KEYS = frozenset(k for k in _MARKERS_BY_KEY if k not in _SYMBOL_KEYS)

# Priority when two dialects score the same (the more common source of analytics SQL first)
_TIE_ORDER = ("tsql", "bigquery", "postgres", "snowflake", "mysql", "sqlite", "spark", "trino", "duckdb", "oracle")

# string literals ('...' with '' or \' escapes, "..." is an identifier so it stays) and comments
_MASK = re.compile(r"'(?:[^'\\]|\\.|'')*'|--[^\n]*|/\*.*?\*/|#[^\n]*(?=\n|$)", re.DOTALL)


def _masked(sql: str) -> str:
    """``sql`` with string contents and comments replaced by spaces; quotes and positions kept."""
    def blank(m: re.Match) -> str:
        s = m.group()
        if s.startswith("'"):
            return "'" + " " * (len(s) - 2) + "'"
        return " " * len(s)

    return _MASK.sub(blank, sql)


@dataclass(frozen=True)
class Evidence:
    label: str
    line: int
    column: int
    standing: str
    dialects: tuple[str, ...]

    def render(self) -> str:
        return f"{self.label} at {self.line}:{self.column}"


@dataclass(frozen=True)
class Detection:
    dialect: str  # sqlglot name of the most likely dialect; "clickhouse" when nothing points elsewhere
    evidence: tuple[Evidence, ...]  # only the evidence for ``dialect``

    @property
    def foreign(self) -> bool:
        return any(e.standing == FOREIGN for e in self.evidence)

    @property
    def noncanonical(self) -> bool:
        return any(e.standing == NONCANONICAL for e in self.evidence)

    def describe(self) -> str:
        """E.g. ``T-SQL: TOP at 1:8, GETDATE() at 1:40``."""
        shown = [e for e in self.evidence if e.standing != HINT] or list(self.evidence)
        return f"{DISPLAY[self.dialect]}: " + ", ".join(e.render() for e in shown)


def _position(sql: str, offset: int) -> tuple[int, int]:
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return line, column


def scan(sql: str) -> list[Evidence]:
    """Every marker found in ``sql``, in order of position."""
    text = _masked(sql)
    upper = text.upper()
    present = set(_WORD_KEYS.intersection(_WORD.findall(upper)))
    present.update(k for k in _SYMBOL_KEYS if k in upper)
    found: list[tuple[int, Evidence]] = []
    for index in sorted({i for k in present for i in _MARKERS_BY_KEY[k]}):
        dialects, label, rx, standing = _COMPILED[index]
        for m in rx.finditer(text):
            offset = m.start(1) if m.re.groups else m.start()
            line, col = _position(sql, offset)
            found.append((offset, Evidence(label, line, col, standing, dialects)))
    found.sort(key=lambda f: f[0])
    return [e for _, e in found]


def detect(sql: str) -> Detection:
    """The most likely dialect of ``sql`` and the evidence for it.

    Only foreign and non-canonical markers can move a query away from ClickHouse; hints alone never do
    (``ILIKE`` is as much ClickHouse as Postgres), but they break ties between foreign candidates.
    """
    evidence = scan(sql)
    if not any(e.standing != HINT for e in evidence):
        return Detection("clickhouse", ())
    scores: dict[str, int] = {}
    for e in evidence:
        for d in e.dialects:
            scores[d] = scores.get(d, 0) + _WEIGHT[e.standing]
    best = max(scores, key=lambda d: (scores[d], -_TIE_ORDER.index(d)))
    return Detection(best, tuple(e for e in evidence if best in e.dialects))


class UnknownDialect(SqlcurateError, ValueError):
    code = "SQL_UNKNOWN_DIALECT"


def normalize_dialect(name: str) -> str:
    """A sqlglot dialect name for a user's spelling (``T-SQL``, ``postgresql``, ``sqlite3``...);
    UnknownDialect (a SqlcurateError and a ValueError) if unknown."""
    key = name.strip().lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key not in DISPLAY:
        raise UnknownDialect(None, f"unknown dialect {name!r}; expected one of: {', '.join(DISPLAY)}")
    return key
