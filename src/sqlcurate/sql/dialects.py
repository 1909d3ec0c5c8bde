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

# sqlglot dialect name -> how users call it in messages
DISPLAY = {
    "clickhouse": "ClickHouse",
    "tsql": "T-SQL",
    "bigquery": "BigQuery",
    "snowflake": "Snowflake",
    "postgres": "Postgres",
    "mysql": "MySQL",
}
SOURCE_DIALECTS = tuple(d for d in DISPLAY if d != "clickhouse")
# Accepted spellings of --from values
ALIASES = {
    "t-sql": "tsql", "mssql": "tsql", "sqlserver": "tsql", "sql-server": "tsql",
    "bq": "bigquery", "googlesql": "bigquery",
    "postgresql": "postgres", "pg": "postgres", "psql": "postgres",
    "mariadb": "mysql", "ch": "clickhouse",
}

FOREIGN, NONCANONICAL, HINT = "foreign", "noncanonical", "hint"
_WEIGHT = {FOREIGN: 2, NONCANONICAL: 2, HINT: 1}

I = re.IGNORECASE
_TSQL_UNITS = r"(?:year|yy|yyyy|quarter|qq|month|mm|m|week|wk|ww|day|dd|d|hour|hh|minute|mi|n|second|ss|s)"
_BQ_PARTS = r"(?:MICROSECOND|MILLISECOND|SECOND|MINUTE|HOUR|DAY|DAYOFWEEK|WEEK|ISOWEEK|MONTH|QUARTER|YEAR)"

# (dialects it points to, label shown as evidence, pattern (group 1 locates it), standing in ClickHouse)
MARKERS: list[tuple[tuple[str, ...], str, str, str]] = [
    # T-SQL
    (("tsql",), "TOP", r"\bSELECT\s+(?:DISTINCT\s+)?(TOP)\b", NONCANONICAL),
    (("tsql",), "GETDATE()", r"\b(GETDATE|GETUTCDATE|SYSDATETIME)\s*\(", FOREIGN),
    (("tsql",), "ISNULL(x, y)", r"\b(ISNULL)\s*\((?:[^()]|\([^()]*\))*,", FOREIGN),
    (("tsql",), "[bracketed] name", r"(?<![\w\])'\"])(\[[A-Za-z_][\w ]*\])", FOREIGN),
    (("tsql",), "CONVERT(type, ...)", r"\b(CONVERT)\s*\(\s*(?:N?VARCHAR|N?CHAR|DATE|DATETIME2?|INT|BIGINT|DECIMAL|FLOAT)\b", FOREIGN),
    (("tsql", "snowflake"), "DATEADD(unit, ...)", rf"\b(DATEADD)\s*\(\s*{_TSQL_UNITS}\s*,", FOREIGN),
    (("tsql", "snowflake"), "DATEDIFF(unit, ...)", rf"\b(DATEDIFF)\s*\(\s*{_TSQL_UNITS}\s*,", FOREIGN),
    (("tsql",), "DATEPART()", r"\b(DATEPART|DATENAME)\s*\(", FOREIGN),
    (("tsql",), "LEN()", r"\b(LEN|CHARINDEX)\s*\(", FOREIGN),
    (("tsql",), "WITH (NOLOCK)", r"\bWITH\s*\(\s*(NOLOCK)\s*\)", FOREIGN),
    (("tsql",), "OFFSET ... FETCH", r"\bROWS\s+(FETCH)\s+(?:NEXT|FIRST)\b", FOREIGN),
    (("tsql",), "N'...' string", r"(?<![\w'])(N)'", FOREIGN),
    (("tsql",), "IIF()", r"\b(IIF)\s*\(", FOREIGN),
    (("tsql", "postgres"), "STRING_AGG()", r"\b(STRING_AGG)\s*\(", FOREIGN),
    (("postgres",), "STRING_AGG(x, sep ORDER BY ...)", r"\b(STRING_AGG)\s*\([^()]*\bORDER\s+BY\b", FOREIGN),
    # BigQuery
    (("bigquery",), "`project.dataset.table`", r"(`[^`\s]+\.[^`\s]+`)", FOREIGN),
    (("bigquery",), "SAFE_DIVIDE()", r"\b(SAFE_DIVIDE|SAFE_CAST|SAFE\.\w+)\s*\(", FOREIGN),
    (("bigquery",), "STRUCT()", r"\b(STRUCT)\s*\(", FOREIGN),
    (("bigquery",), "UNNEST()", r"\b(UNNEST)\s*\(", FOREIGN),
    (("bigquery",), "TIMESTAMP_DIFF()", r"\b(TIMESTAMP_DIFF|DATETIME_DIFF|TIMESTAMP_TRUNC|TIMESTAMP_SUB|TIMESTAMP_ADD)\s*\(", FOREIGN),
    (("bigquery",), "DATE_DIFF(a, b, PART)", rf"\b(DATE_DIFF|DATE_SUB|DATE_ADD)\s*\([^()]*(?:\([^()]*\))?[^()]*,\s*(?:INTERVAL\s+\S+\s+)?{_BQ_PARTS}\s*\)", FOREIGN),
    (("bigquery",), "DATE_TRUNC(x, PART)", rf"\b(DATE_TRUNC)\s*\([^'()]*(?:\([^()]*\))?\s*,\s*{_BQ_PARTS}\s*\)", FOREIGN),
    (("bigquery",), "EXTRACT(DAYOFWEEK ...)", r"\bEXTRACT\s*\(\s*(DAYOFWEEK|DAYOFYEAR|ISOWEEK)\b", FOREIGN),
    (("bigquery",), "FORMAT_DATE()", r"\b(FORMAT_DATE|FORMAT_TIMESTAMP|PARSE_DATE|PARSE_TIMESTAMP)\s*\(", FOREIGN),
    (("bigquery",), "APPROX_QUANTILES()", r"\b(APPROX_QUANTILES|APPROX_COUNT_DISTINCT|APPROX_TOP_COUNT)\s*\(", FOREIGN),
    (("bigquery",), "COUNTIF()", r"\b(COUNTIF)\s*\(", FOREIGN),
    (("bigquery",), "PERCENTILE_CONT(x, p) OVER", r"\b(PERCENTILE_CONT|PERCENTILE_DISC)\s*\([^()]*,[^()]*\)\s*OVER\b", FOREIGN),
    (("bigquery",), "ARRAY_LENGTH()", r"\b(ARRAY_LENGTH|ARRAY_TO_STRING|GENERATE_DATE_ARRAY|UNIX_SECONDS|UNIX_MILLIS)\s*\(", FOREIGN),
    (("bigquery",), "CURRENT_DATE()", r"\b(CURRENT_DATE|CURRENT_TIMESTAMP)\s*\(\s*\)", HINT),
    # Postgres
    # lower-case type names after :: are the Postgres habit, upper-case ones Snowflake's (ClickHouse's
    # own casts name CamelCase types: ::Date, ::UInt64)
    (("postgres",), "::type cast", r"(::)\s*(?:int|integer|bigint|smallint|text|numeric|date|timestamp|timestamptz|varchar|float8?|boolean|interval|jsonb?)\b", FOREIGN),
    (("snowflake",), "::TYPE cast", r"(::)\s*(?:INT|INTEGER|NUMBER|NUMERIC|VARCHAR|STRING|TEXT|DATE|TIMESTAMP|TIMESTAMP_NTZ|TIMESTAMP_TZ|FLOAT|BOOLEAN|VARIANT)\b", FOREIGN),
    (("postgres", "snowflake", "tsql"), "PERCENTILE_CONT() WITHIN GROUP", r"\b(PERCENTILE_CONT|PERCENTILE_DISC)\s*\([^()]*\)\s*WITHIN\s+GROUP\b", FOREIGN),
    (("postgres",), "generate_series()", r"\b(generate_series)\s*\(", FOREIGN),
    (("postgres",), "INTERVAL '7 days'", r"\b(INTERVAL)\s+'", FOREIGN),
    (("postgres",), "EXTRACT(EPOCH ...)", r"\bEXTRACT\s*\(\s*(EPOCH)\b", FOREIGN),
    (("postgres",), "DISTINCT ON", r"\bDISTINCT\s+(ON)\s*\(", FOREIGN),
    (("postgres",), "FILTER (WHERE ...)", r"\)\s*(FILTER)\s*\(\s*WHERE\b", FOREIGN),
    (("postgres", "snowflake"), "TO_CHAR()", r"\b(TO_CHAR)\s*\(", FOREIGN),
    (("postgres", "snowflake"), "ILIKE", r"\b(ILIKE)\b", HINT),
    (("postgres", "snowflake"), "DATE_TRUNC('unit', x)", r"\b(DATE_TRUNC)\s*\(\s*'", HINT),
    (("postgres",), "NOW()", r"\b(NOW)\s*\(\s*\)", HINT),
    # MySQL
    (("mysql",), "DATE_FORMAT()", r"\b(DATE_FORMAT|STR_TO_DATE)\s*\(", FOREIGN),
    (("mysql",), "DATE_SUB(x, INTERVAL ...)", r"\b(DATE_SUB|DATE_ADD)\s*\((?:[^()]|\([^()]*\))*,\s*INTERVAL\b", FOREIGN),
    (("mysql",), "CURDATE()", r"\b(CURDATE|UNIX_TIMESTAMP|FROM_UNIXTIME)\s*\(", FOREIGN),
    (("mysql",), "GROUP_CONCAT()", r"\b(GROUP_CONCAT)\s*\(", FOREIGN),
    (("mysql",), "DATEDIFF(a, b)", r"\b(DATEDIFF)\s*\((?:[^(),]|\([^()]*\))*,(?:[^(),]|\([^()]*\))*\)", FOREIGN),
    (("mysql",), "SUBSTRING_INDEX()", r"\b(SUBSTRING_INDEX|LOCATE|INSTR)\s*\(", FOREIGN),
    (("mysql",), "LIMIT offset, count", r"\b(LIMIT)\s+\d+\s*,\s*\d+", HINT),
    (("mysql",), "`backticks`", r"(`[^`.\s]+`)", HINT),
    (("mysql",), "IFNULL()", r"\b(IFNULL)\s*\(", HINT),
    # Snowflake
    (("snowflake",), "LISTAGG()", r"\b(LISTAGG)\s*\(", FOREIGN),
    (("snowflake",), "IFF()", r"\b(IFF)\s*\(", FOREIGN),
    (("snowflake",), "QUALIFY", r"\b(QUALIFY)\b", HINT),
    (("snowflake",), "ZEROIFNULL()", r"\b(ZEROIFNULL|DIV0|NVL|NVL2|TO_VARCHAR|TRY_TO_NUMBER|ARRAY_SIZE|CONVERT_TIMEZONE)\s*\(", FOREIGN),
    (("snowflake",), "FLATTEN()", r"\b(FLATTEN)\s*\(", FOREIGN),
    # ClickHouse: evidence *for* the target, so a ClickHouse query with ILIKE is not called Postgres
    (("clickhouse",), "ClickHouse function", r"\b(toDate|toDateTime|toStartOf\w+|toYYYYMM\w*|arrayJoin|groupArray|uniqExact|uniq|countIf|sumIf|avgIf|formatDateTime|dateDiff|quantile\w*|toString|toUInt\d+|toInt\d+|toFloat64|multiIf|splitByChar|has|argMax|argMin|topK)\s*\(", HINT),
    (("clickhouse",), "ClickHouse clause", r"\b(SETTINGS|ARRAY\s+JOIN|FINAL|PREWHERE|LIMIT\s+\d+\s+BY)\b", HINT),
]

_CASE_SENSITIVE = frozenset({"::type cast", "::TYPE cast", "ClickHouse function"})
_COMPILED = [(dialects, label, re.compile(pattern, 0 if label in _CASE_SENSITIVE else I), standing)
             for dialects, label, pattern, standing in MARKERS]

# Priority when two dialects score the same (the more common source of analytics SQL first)
_TIE_ORDER = ("clickhouse", "tsql", "bigquery", "postgres", "snowflake", "mysql")

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
    found: list[tuple[int, Evidence]] = []
    for dialects, label, rx, standing in _COMPILED:
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
        return Detection("clickhouse", tuple(e for e in evidence if "clickhouse" in e.dialects))
    scores: dict[str, int] = {}
    for e in evidence:
        if "clickhouse" in e.dialects:
            continue
        for d in e.dialects:
            scores[d] = scores.get(d, 0) + _WEIGHT[e.standing]
    best = max(scores, key=lambda d: (scores[d], -_TIE_ORDER.index(d)))
    return Detection(best, tuple(e for e in evidence if best in e.dialects))


def normalize_dialect(name: str) -> str:
    """A sqlglot dialect name for a user's spelling (``T-SQL``, ``postgresql``...); ValueError if unknown."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in DISPLAY:
        raise ValueError(f"unknown dialect {name!r}; expected one of: {', '.join(DISPLAY)}")
    return key
