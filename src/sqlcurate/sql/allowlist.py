"""The statement allow-list for SQL we did not write, decided on ClickHouse's own parse.

The sandbox child (``sqlcurate.sql.sandbox_child``) asks the engine twice before it runs anything:
``formatQuery`` turns the text into one canonical statement (comments gone, escapes in names resolved,
several statements refused), then ``EXPLAIN AST SELECT * FROM (<canonical>)`` parses it as a subquery,
which only a plain ``SELECT``/``WITH``/``UNION`` can be: ``INSERT``, DDL, ``SET``, ``SYSTEM``, ``INTO
OUTFILE`` and ``FORMAT`` are syntax errors there. ``screen`` then walks that AST (ClickHouse's tree, not
our text) against the small tables below. Layers behind it (``readonly = 1`` on the engine, the child
process's OS limits) still hold when an entry here is missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlcurate.sql.native import AstNode, explain_ast_nodes

# Table functions that only generate rows in memory.
TABLE_FUNCTIONS = frozenset({"numbers", "numbers_mt", "zeros", "zeros_mt", "values", "generateSeries",
                             "generate_series", "generateRandom", "null", "view"})
# Scalar functions that read files, models, dictionaries, other tables or server secrets.
# Compared lower-cased: ClickHouse resolves some names case-insensitively.
DENIED_FUNCTIONS = frozenset({"file", "catboostevaluate", "showcertificate", "joinget", "joingetornull",
                              "getserversetting", "getmacro", "getclienthttpheader", "filesystemavailable",
                              "filesystemcapacity", "filesystemunreserved", "addresstoline",
                              "addresstolinewithinlines", "addresstosymbol", "demangle", "input", "url", "s3"})
DENIED_FUNCTION_PREFIXES = ("dictget", "dicthas", "dictisin")
# Settings that change what a query means, not what it may cost or touch: a query may carry them at its
# top level (our own transpiler writes `SETTINGS join_use_nulls = 1` for anti-joins). The sandbox runs such
# a query on a connection opened with those values, so under readonly = 1 the engine itself still refuses
# any setting the query would change beyond them.
SEMANTIC_SETTINGS = frozenset({"join_use_nulls", "group_by_use_nulls", "aggregate_functions_null_for_empty",
                               "cast_keep_nullable", "enable_positional_arguments", "join_default_strictness",
                               "union_default_mode"})
# Functions whose second argument may name a table (``x IN db.t``).
IN_FUNCTIONS = frozenset({"in", "notIn", "globalIn", "globalNotIn", "nullIn", "notNullIn", "globalNullIn",
                          "globalNotNullIn"})

CODES = {
    "EXEC_REFUSED_STATEMENT": "not one plain SELECT/WITH query (INSERT, DDL, SET, SYSTEM, INTO OUTFILE, FORMAT, several statements)",
    "EXEC_REFUSED_SETTINGS": "the query sets something other than a few semantic settings at its top level (limits are the sandbox's)",
    "EXEC_REFUSED_TABLE_FUNCTION": "a table function outside the allow-list (file, url, s3, remote, mysql, ...)",
    "EXEC_REFUSED_FUNCTION": "a function that reads files, dictionaries, other tables or server data",
    "EXEC_REFUSED_DATABASE": "a table outside the run's own databases (system.*, logs, ...)",
}

@dataclass(frozen=True)
class Refusal:
    code: str  # one of CODES
    message: str


def _table_name(name: str, databases: frozenset[str]) -> Refusal | None:
    """A refusal for a qualified table name outside ``databases``; bare names resolve in the current one."""
    if "." not in name:
        return None
    if name.count(".") > 1:  # a dot inside a quoted part: the printed name is ambiguous, so refuse it
        return Refusal("EXEC_REFUSED_DATABASE", f"table name {name!r} is ambiguous")
    database = name.split(".", 1)[0]
    if database not in databases:
        return Refusal("EXEC_REFUSED_DATABASE", f"table {name!r} is outside the run's databases")
    return None


def settings_of(canonical: str) -> dict[str, str] | Refusal:
    """The top-level SETTINGS of the engine's canonical text (the one SETTINGS clause ``screen`` let
    through), when each is a semantic one set to a literal; else the refusal."""
    from sqlglot import exp

    from sqlcurate.sql.transpile import TranspileError, guarded_parse_one

    try:
        tree = guarded_parse_one(canonical, "clickhouse")
    except TranspileError:  # ClickHouse reads up to 1,000 levels; sqlglot recurses out of stack before
        return Refusal("EXEC_REFUSED_SETTINGS", "SETTINGS clause not readable")
    out: dict[str, str] = {}
    for item in tree.args.get("settings") or []:
        if not (isinstance(item, exp.EQ) and isinstance(item.expression, (exp.Literal, exp.Boolean))):
            return Refusal("EXEC_REFUSED_SETTINGS", f"setting {item.sql('clickhouse')!r} is refused")
        name = item.this.name
        if name not in SEMANTIC_SETTINGS:
            return Refusal("EXEC_REFUSED_SETTINGS", f"setting {name} is refused")
        out[name] = item.expression.sql("clickhouse").strip("'")
    if not out:  # the clause is in a sub-select, where the connection's values cannot follow it
        return Refusal("EXEC_REFUSED_SETTINGS", "SETTINGS inside a sub-select are refused")
    return out


def screen(ast_text: str, canonical: str, databases: frozenset[str] | set[str],
           table_functions: frozenset[str] = frozenset()) -> Refusal | dict[str, str]:
    """The first refusal for the ``EXPLAIN AST`` text of ``SELECT * FROM (<canonical>)``, else the semantic
    settings the query carries (``{}`` for none), which it runs with. ``table_functions``: the engine's own
    (``system.table_functions``): the right side of ``IN`` is a table only when it names one of them
    (``x IN array(1, 2)`` is an array)."""
    nodes = explain_ast_nodes(ast_text)
    refusal = _refusal(nodes, frozenset(databases), table_functions)
    if refusal is not None:
        return refusal
    return settings_of(canonical) if any(node.kind == "Set" for node in nodes) else {}


def _refusal(nodes: list[AstNode], databases: frozenset[str], table_functions: frozenset[str]) -> Refusal | None:
    if sum(node.kind == "Set" for node in nodes) > 1:
        return Refusal("EXEC_REFUSED_SETTINGS", "more than one SETTINGS clause")
    for node in nodes:
        parent = node.parent.kind if node.parent is not None else ""
        if node.kind == "TableIdentifier":
            if refusal := _table_name(node.name, databases):
                return refusal
        elif node.kind == "Function":
            name = node.name
            if parent == "TableExpression":
                if name not in TABLE_FUNCTIONS:
                    return Refusal("EXEC_REFUSED_TABLE_FUNCTION", f"table function {name}() is refused")
            elif name.lower() in DENIED_FUNCTIONS or name.lower().startswith(DENIED_FUNCTION_PREFIXES):
                return Refusal("EXEC_REFUSED_FUNCTION", f"function {name}() is refused")
            elif name in IN_FUNCTIONS and node.children and len(node.children[0].children) == 2:
                right = node.children[0].children[1]  # `x IN db.t` and `x IN remote(...)` name tables
                if right.kind == "Identifier" and (refusal := _table_name(right.name, databases)):
                    return refusal
                if right.kind == "Function" and right.name in table_functions and right.name not in TABLE_FUNCTIONS:
                    return Refusal("EXEC_REFUSED_TABLE_FUNCTION", f"table function {right.name}() is refused")
    return None
