"""ClickHouse's own parser as the authority on ClickHouse text, and its function list as the authority on
which functions exist.

A statement reaches the process's embedded engine (``sql.engine_conn``) only as a string constant:
``SELECT formatQuery('<statement>')`` makes ClickHouse parse it (exactly one statement, or a syntax
error) and print it back in its own formatting, and nothing is executed. Only that formatted single
statement is then asked for its syntax tree, ``EXPLAIN AST <formatted>``, which parses and prints and
executes nothing either. (The raw text never follows ``EXPLAIN AST`` directly: chdb runs every statement
of a multi-statement text, so ``SELECT 1; DROP TABLE x`` would run the DROP.) The tree names every function, table function and cast type the statement uses; each must exist in
``system.functions`` (with ``-If``/``-OrNull``... combinators of the aggregates), ``system.table_functions``
and ``system.data_type_families``. Verdicts are cached by key (the caller's fingerprint), so a file of
10,000 statements costs one call per distinct template.
"""

from __future__ import annotations

import atexit
import gc
import json
import re
from dataclasses import dataclass

# Names the parser puts into the tree that are syntax rather than functions (a lambda, EXISTS (...),
# COUNT(DISTINCT x)), so system.functions does not list them.
SYNTAX_FUNCTIONS = frozenset({"lambda", "exists", "countDistinct", "grouping"})
# Cast target types are checked through their outer family after these wrappers are taken off.
_TYPE_WRAPPERS = ("Nullable", "LowCardinality", "Array")

# One EXPLAIN AST line: indentation, node kind, an optional name, an optional "(alias x)" / "(children n)".
_AST_LINE = re.compile(r"^( *)(\w+)(?: (.*?))?(?: \((?:alias|children) [^)]*\))*$")
_TYPE_LITERAL = re.compile(r"^\\?'(.*?)\\?'$")


@dataclass
class AstNode:
    """One node of ClickHouse's ``EXPLAIN AST`` text: its kind (``Function``, ``TableExpression``, ...), its
    name (a function's or a table's, a literal's text), and where it sits."""

    depth: int
    kind: str
    name: str
    parent: AstNode | None
    children: list[AstNode]

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def explain_ast_nodes(ast_text: str) -> list[AstNode]:
    """The nodes of an ``EXPLAIN AST`` text in document order, linked to their parents and children (the
    text's indentation is the tree). The one reader of that text: the SQL check's function proof and the
    sandbox's allow-list both walk it."""
    nodes: list[AstNode] = []
    stack: list[AstNode] = []
    for line in ast_text.splitlines():
        if not line.strip():
            continue
        m = _AST_LINE.match(line)
        depth = len(line) - len(line.lstrip(" "))
        kind, name = (m.group(2), (m.group(3) or "")) if m else (line.strip().split(" ", 1)[0], "")
        while stack and stack[-1].depth >= depth:
            stack.pop()
        node = AstNode(depth, kind, name.strip(), stack[-1] if stack else None, [])
        if node.parent is not None:
            node.parent.children.append(node)
        nodes.append(node)
        stack.append(node)
    return nodes


@dataclass(frozen=True)
class NativeVerdict:
    """``error``: ClickHouse's own message when it does not parse the statement or the statement names a
    function or type ClickHouse lacks; None when it is ClickHouse."""

    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def engine_message(e: Exception) -> str:
    """ClickHouse's text of a chdb exception, without the ``Code: N. DB::Exception:`` frame."""
    from sqlcurate.sql.engine import parse_engine_error  # the one reader of ClickHouse's error text

    failure = parse_engine_error(str(e))
    if failure.name == "ENGINE_ERROR":  # not ClickHouse's text (a driver's own failure): kept short
        return failure.message[:300]
    return f"{failure.message} ({failure.name})"


def engine_available() -> bool:
    """True if the embedded engine (chdb, the ``[clickhouse]`` extra) is installed. Looked up without
    importing it: chdb imported before ``transpile.tune_gc`` freezes the heap crashes the interpreter at
    exit (measured: SIGSEGV in teardown), so it is imported only when a connection is opened."""
    from importlib.util import find_spec

    return find_spec("chdb") is not None and find_spec("clickhouse_connect") is not None


# At most this many statements, and characters of them, per batch of ``NativeParser.check_many``: the
# batch's queries hold them all, and ClickHouse refuses a query past max_query_size (256 KiB); a batch
# query that fails anyway has its statements checked one by one.
BATCH_STATEMENTS = 64
BATCH_CHARS = 100_000


def _batches(keys: list[str], size) -> list[list[str]]:
    out: list[list[str]] = [[]]
    chars = 0
    for key in keys:
        if out[-1] and (len(out[-1]) == BATCH_STATEMENTS or chars + size(key) > BATCH_CHARS):
            out.append([])
            chars = 0
        out[-1].append(key)
        chars += size(key)
    return [batch for batch in out if batch]


def _subtree(root: AstNode) -> list[AstNode]:
    """``root`` and every node below it, in document order."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def _statement_text(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class NativeParser:
    """Parse-only verdicts from the process's embedded ClickHouse, cached per key."""

    def __init__(self, conn=None):
        from sqlcurate.sql.engine_conn import engine_connection

        self.conn = conn if conn is not None else engine_connection()
        self.functions, self.aggregates, self.folded = set(SYNTAX_FUNCTIONS), set(), set()
        for name, aggregate, insensitive in self._rows("SELECT name, is_aggregate, case_insensitive FROM system.functions"):
            self.functions.add(name)
            if aggregate == "1":
                self.aggregates.add(name)
            if insensitive == "1":
                self.folded.add(name.lower())
        self.combinators = sorted((r[0] for r in self._rows("SELECT name FROM system.aggregate_function_combinators")),
                                  key=len, reverse=True)
        self.table_functions = {r[0] for r in self._rows("SELECT name FROM system.table_functions")}
        self.types, self.folded_types = set(), set()
        for name, insensitive in self._rows("SELECT name, case_insensitive FROM system.data_type_families"):
            self.types.add(name)
            if insensitive == "1":
                self.folded_types.add(name.lower())
        self.cache: dict[str, NativeVerdict] = {}
        self.calls = 0  # statements sent to the engine

    def _rows(self, sql: str) -> list[list[str]]:
        text = self.conn.query(sql, "TabSeparated").bytes().decode()
        return [line.split("\t") for line in text.splitlines() if line]

    def check(self, sql: str, key: str | None = None) -> NativeVerdict:
        """The verdict on one statement (a trailing ``;`` is allowed), cached under ``key`` (default: the
        text itself)."""
        key = sql if key is None else key
        verdict = self.cache.get(key)
        if verdict is None:
            verdict = self.cache[key] = self._check(sql)
        return verdict

    def check_many(self, statements: list[tuple[str, str]]) -> list[NativeVerdict]:
        """``check`` of each (statement, key), with the same verdicts in fewer engine queries: a query
        costs chdb about 0.7 ms however small it is, and two per statement were half of ``transpile``'s
        proof cost (measured, benchmarks/sql_real_world.py). The statements not cached yet are formatted
        together (one query of ``formatQueryOrNull`` calls per batch), and the formatted SELECTs read
        together by one ``EXPLAIN AST`` of a query with each as a subquery of its FROM, whose tree holds
        each one's own tree. A statement a batch cannot do (it does not format: ClickHouse's message is
        wanted; not a SELECT; a batch query that fails) is checked alone, as ``check`` does."""
        todo: dict[str, str] = {}  # key -> statement text, not cached yet
        for sql, key in statements:
            if key not in self.cache and key not in todo:
                todo[key] = _statement_text(sql)
        for batch in _batches(list(todo), lambda key: len(todo[key])):
            texts = [todo[key] for key in batch]
            formatted = self._format_many(texts)
            selects = [i for i, f in enumerate(formatted) if f is not None and f.split(None, 1)[0] in ("SELECT", "WITH")]
            trees = dict(zip(selects, self._explain_together([formatted[i] for i in selects]) or [], strict=False))
            for i, key in enumerate(batch):
                if i in trees:
                    self.calls += 1
                    unknown = self._unknown(trees[i])
                    self.cache[key] = NativeVerdict("; ".join(unknown) if unknown else None)
                else:
                    self.cache[key] = self._check(texts[i], formatted[i])
        return [self.cache[key] for _, key in statements]

    def _format_many(self, texts: list[str]) -> list[str | None]:
        """ClickHouse's formatting of each statement text, None where it does not parse (or is empty); all
        None when the batch query itself fails: each is then checked alone."""
        literals = [_literal(text) for text in texts if text]
        if len(literals) < 2:
            return [None] * len(texts)
        try:
            row = self.conn.query(f"SELECT {', '.join(f'formatQueryOrNull({lit})' for lit in literals)} "
                                  "SETTINGS implicit_select = 0", "JSONCompactEachRow").bytes().decode()
            formatted = iter(json.loads(row))
        except Exception:  # the batch as a whole: its statements are checked one by one instead
            return [None] * len(texts)
        return [next(formatted) if text else None for text in texts]

    def _explain_together(self, formatted: list[str]) -> list[list[AstNode]] | None:
        """The ``EXPLAIN AST`` nodes of each formatted SELECT (each list in document order, its root's
        parent cut off), from one EXPLAIN of ``SELECT 1 FROM (q1), (q2), ...``; None when that fails or
        its tree is not one subquery per statement. Each is ClickHouse's formatting of exactly one
        statement, so it closes every parenthesis it opens and the text holds one query."""
        if len(formatted) < 2:
            return None
        try:
            text = self.conn.query("EXPLAIN AST SELECT 1 FROM " + ", ".join(f"({f})" for f in formatted),
                                   "TabSeparatedRaw").bytes().decode()
        except Exception:
            return None
        tables = next((n for n in explain_ast_nodes(text) if n.kind == "TablesInSelectQuery"), None)
        if tables is None or len(tables.children) != len(formatted):
            return None
        out = []
        for element in tables.children:
            expression = element.children[0] if element.children else None
            subquery = expression.children[0] if expression is not None and expression.children else None
            if subquery is None or subquery.kind != "Subquery" or len(subquery.children) != 1:
                return None
            root = subquery.children[0]
            root.parent = None  # the statement's tree alone: the wrapper's TableExpression is not its ancestor
            out.append(_subtree(root))
        return out

    def _check(self, sql: str, formatted: str | None = None) -> NativeVerdict:
        """The verdict on one statement; ``formatted``: its formatting by the engine, when a batch made it."""
        text = _statement_text(sql)
        if not text:
            return NativeVerdict("empty statement")
        self.calls += 1
        try:
            if formatted is None:
                # implicit_select is on in chdb (as in clickhouse-local): "SELEC FROM WHERE" would read as
                # SELECT SELEC FROM WHERE; a query must be one in ClickHouse's server dialect
                formatted = self.conn.query(f"SELECT formatQuery({_literal(text)}) SETTINGS implicit_select = 0",
                                            "TabSeparatedRaw").bytes().decode().rstrip("\n")
            tree = self.conn.query(f"EXPLAIN AST {formatted}", "TabSeparatedRaw").bytes().decode()
        except Exception as e:  # chdb raises its own error type carrying ClickHouse's message
            return NativeVerdict(engine_message(e))
        unknown = self.unknown_names(tree)
        if unknown:
            return NativeVerdict("; ".join(unknown))
        return NativeVerdict(None)

    def known_function(self, name: str) -> bool:
        if name in self.functions or name.lower() in self.folded:
            return True
        return self._aggregate_with_combinators(name)

    def _aggregate_with_combinators(self, name: str) -> bool:
        """``sumIfOrNull``: an aggregate followed by combinator suffixes."""
        if name in self.aggregates or name.lower() in self.folded and name.lower() in {a.lower() for a in self.aggregates}:
            return True
        return any(name.endswith(c) and len(name) > len(c) and self._aggregate_with_combinators(name[: -len(c)])
                   for c in self.combinators)

    def known_type(self, type_text: str) -> bool:
        inner = type_text.strip()
        while True:
            family = inner.split("(", 1)[0].strip()
            if family in _TYPE_WRAPPERS and inner.endswith(")"):
                inner = inner[len(family) + 1:-1]
                continue
            return family in self.types or family.lower() in self.folded_types

    def unknown_names(self, ast_text: str) -> list[str]:
        """The functions, table functions and cast types of an ``EXPLAIN AST`` tree that ClickHouse lacks,
        as messages."""
        return self._unknown(explain_ast_nodes(ast_text))

    def _unknown(self, nodes: list[AstNode]) -> list[str]:
        out: list[str] = []
        for node in nodes:
            if node.kind != "Function":
                continue
            name = node.name.split()[0] if node.name else ""
            if node.parent is not None and node.parent.kind == "TableExpression":
                if name not in self.table_functions:
                    out.append(f"Unknown table function {name}")
            elif any(a.kind == "TableExpression" for a in node.ancestors()) and name in self.table_functions:
                pass  # a table function given to another one: remote('h', numbers(10)), view(...)
            elif not self.known_function(name):
                out.append(f"Unknown function {name}")
            elif name in ("CAST", "_CAST") and node.children:
                args = node.children[0].children[:2]  # Function -> ExpressionList -> its arguments
                m = _TYPE_LITERAL.match(args[1].name) if len(args) == 2 and args[1].kind == "Literal" else None
                if m and not self.known_type(m.group(1)):
                    out.append(f"Unknown data type {m.group(1)}")
        return list(dict.fromkeys(out))


_shared: NativeParser | None = None


def shared_parser() -> NativeParser | None:
    """The process's parser (opened on first use), or None when the engine is not installed."""
    global _shared
    if _shared is None and engine_available():
        _shared = NativeParser()
        atexit.register(_release)
    return _shared


def _release() -> None:
    """Drop the parser, and unfreeze the heap ``transpile.tune_gc`` froze, before the interpreter tears
    its modules down: chdb objects still alive (or frozen) at that point crash the process at exit
    (SIGSEGV, measured with the parser opened before and after the freeze)."""
    global _shared
    _shared = None
    gc.unfreeze()
