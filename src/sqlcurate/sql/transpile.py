"""Parse a query once and derive everything else from that one parse: dialect, canonical ClickHouse text,
the ClickHouse AST (for grounding), and findings.

``analyze(sql, source)`` is the one entry point; it is cached by (sql, source) so the SQL check, the
grounding check and the engine check of one run share a single parse per distinct query.
"""

from __future__ import annotations

import atexit
import gc
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter

from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError
from sqlglot.tokens import Token, TokenType

from sqlcurate.sql.dialects import DISPLAY, Detection, detect, normalize_dialect
from sqlcurate.sql.fingerprint import dialect_of, fingerprint, fingerprint_tokens, tokenize
from sqlcurate.sql.fixups import Untranspilable, apply
from sqlcurate.sql.script import Script

TARGET = "clickhouse"


class TranspileError(ValueError):
    """A statement that cannot be turned into faithful ClickHouse; ``code`` is the reason code
    (``SQL_PARSE_ERROR``, ``SQL_UNTRANSPILABLE``, ``SQL_TOO_DEEP`` or ``SQL_INTERNAL_ERROR``), the message says why."""

    def __init__(self, message: str, code: str = "SQL_UNTRANSPILABLE", errors: list[dict] | None = None):
        super().__init__(message)
        self.code = code
        self.errors = errors or []  # a parse error's positions, as sqlglot's ParseError.errors gives them


def _internal(e: BaseException, sql: str) -> str:
    """The message of a fault inside sqlglot or a rewrite: the statement's text, never a traceback."""
    flat = " ".join(sql.split())
    return f"internal error ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}) on: {flat[:200]}"


@dataclass
class Analysis:
    """One query, parsed once.

    ``source``: the dialect it was read as (given, or detected). ``statements``: the ClickHouse ASTs, one
    per statement, after our fixups (use these for grounding; do not modify them). ``clickhouse``: the
    canonical ClickHouse text per statement, or None when the query is already ClickHouse and is kept
    as written. ``parse_error`` / ``untranspilable``: why there is no AST / no ClickHouse text.
    """

    sql: str
    source: str
    detection: Detection
    declared: bool  # the source dialect came from the caller, not from detection
    statements: list[exp.Expression] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list, repr=False)  # the parse's tokens (source dialect)
    clickhouse: list[str] | None = None
    parse_error: str | None = None
    untranspilable: str | None = None
    too_deep: str | None = None  # nested past MAX_NESTING: not parsed (SQL_TOO_DEEP)
    internal_error: str | None = None  # a fault inside sqlglot or a rewrite (SQL_INTERNAL_ERROR), with the query
    notes: list[str] = field(default_factory=list)  # what the rewrite dropped on purpose (query hints)

    @property
    def fingerprint(self) -> str:
        """``fingerprint.fingerprint(sql, source)`` from the parse's own tokens (no second tokenize)."""
        return fingerprint_tokens(self.tokens) if self.tokens else fingerprint(self.sql, self.source)

    @property
    def ok(self) -> bool:
        return (self.parse_error is None and self.untranspilable is None and self.too_deep is None
                and self.internal_error is None)

    def rewritten(self) -> str | None:
        """The whole query as canonical ClickHouse (statements joined as written), or None if unchanged."""
        if self.clickhouse is None:
            return None
        sep = ";\n" if "\n" in self.sql else "; "
        text = sep.join(self.clickhouse)
        return text + ";" if self.sql.rstrip().endswith(";") else text


# One parser per dialect (per thread), as with the tokenizers: ``Parser.parse`` resets its state first,
# and building one costs more than a small query's parse of a few tokens does.
_local = threading.local()


def _parser(dialect: str):
    cache = _local.__dict__.setdefault("parsers", {})
    parser = cache.get(dialect)
    if parser is None:
        parser = cache[dialect] = dialect_of(dialect).parser(error_level=ErrorLevel.RAISE)
    return parser


def _parse_tokens(sql: str, dialect: str, tokens: list[Token]) -> list[exp.Expression]:
    trees = _parser(dialect).parse(tokens, sql)
    # a comment after the last ';' comes back as a Semicolon "statement" of its own: nothing to write
    return [t for t in trees if t is not None and not isinstance(t, exp.Semicolon)]


_TOKEN_REPR = re.compile(r"<Token token_type: [\w.]+, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>")


def _first_error(e: Exception) -> str:
    if isinstance(e, ParseError) and e.errors:
        err = e.errors[0]
        description = _TOKEN_REPR.sub(lambda m: repr(m.group(1)), err.get("description") or "parse error")
        return f"{description} at {err.get('line')}:{err.get('col')}"
    return str(e).splitlines()[0]


_CLICKHOUSE = dialect_of(TARGET)


def generate(tree: exp.Expression, pretty: bool = False) -> str:
    """ClickHouse text of an AST already passed through ``fixups.apply``; UnsupportedError if sqlglot
    knows it would lose meaning. The tree is not copied first (as in ``sqlglot.transpile``): callers
    pass trees they own, and the generator's own rewrites keep them ClickHouse trees."""
    cache = _local.__dict__.setdefault("generators", {})
    generator = cache.get(pretty)
    if generator is None:  # reused: a generator keeps no state between calls but its unsupported list
        generator = cache[pretty] = _CLICKHOUSE.generator(unsupported_level=ErrorLevel.RAISE, pretty=pretty)
    return generator.generate(tree, copy=False)


def convert(tree: exp.Expression, source: str, pretty: bool = False,
            nullable_columns: frozenset[str] = frozenset(), notes: list[str] | None = None,
            script: Script | None = None, catalog=None) -> tuple[exp.Expression, str] | None:
    """(ClickHouse AST, ClickHouse text) for one parsed statement, or None for a script declaration
    (``DECLARE``, ``CREATE TEMP FUNCTION``) that ``script`` takes in and writes into the later
    statements; TranspileError if not faithful (code SQL_INTERNAL_ERROR if a rewrite or sqlglot itself
    fails). ``notes`` collects what was dropped or carried. ``script``: the state of the statements
    before this one in the same text (a fresh one if not given). ``catalog``: the column types some
    rewrites need (``fixups.apply``)."""
    notes = notes if notes is not None else []
    script = script if script is not None else Script(source)
    try:
        if script.take(tree, notes):
            return None
        fixed = apply(script.expand(tree, notes), source, nullable_columns, notes, catalog)
        return fixed, generate(fixed, pretty=pretty)
    except (Untranspilable, UnsupportedError) as e:
        raise TranspileError(str(e).splitlines()[0]) from None
    except RecursionError:  # nesting the depth measure lets through but a rewrite cannot follow
        raise TranspileError(f"nested deeper than the rewrite of {DISPLAY[source]} can follow", "SQL_TOO_DEEP") from None
    except Exception as e:  # a fault in a rewrite or in sqlglot: one refused statement, never a traceback
        raise TranspileError(_internal(e, _source_text(tree, source)), "SQL_INTERNAL_ERROR") from None


def _source_text(tree: exp.Expression, source: str) -> str:
    """The statement as written in ``source``, for an internal-error message (the tree may be the broken
    part, so this must not fail in turn). No ``repr`` fallback: on a tree nested 1,000 deep it ran for
    minutes (measured), which turned a hostile query's RecursionError into a hang."""
    try:
        return tree.sql(source)
    except Exception:
        return f"<a {type(tree).__name__} statement sqlglot cannot print>"


# Parentheses nested deeper than this are refused before sqlglot parses them (SQL_TOO_DEEP): its recursive
# parser and our rewrites hit Python's recursion limit from about 300 levels (measured: IN-subqueries read
# as T-SQL at 300, nested subqueries at 400, plain parentheses at 600), and ClickHouse's own parser
# stops at max_parser_depth = 1000. No query a person writes comes near 256.
MAX_NESTING = 256


def _nesting(tokens: list[Token]) -> int:
    depth = deepest = 0
    for tok in tokens:
        if tok.token_type is TokenType.L_PAREN:
            depth += 1
            deepest = max(deepest, depth)
        elif tok.token_type is TokenType.R_PAREN:
            depth -= 1
    return deepest


# A tree deeper than this (in sqlglot nodes) is refused after parsing (SQL_TOO_DEEP). sqlglot parses an
# operator chain without parentheses (`1 + 1 + ... + 1`, `a AND b AND ...`, `x || x || ...`) iteratively
# into a left-deep tree one node per operator, so MAX_NESTING never sees it, but recursive walks over the
# tree do: the T-SQL rewrite of a `+` chain hit Python's recursion limit at 498 terms (measured), and
# ClickHouse refuses a `+` chain from 499 terms (TOO_DEEP_AST: two AST levels per operator, max_ast_depth
# 1000). 400 leaves headroom for callers' own stack; the deepest query of the transpile corpus is far below.
MAX_DEPTH = 400

# Operators whose chain counts as one level: ClickHouse's parser reads `a OR b OR c` as one or(a, b, c)
# (likewise and(), and `||` as one concat()), so it accepts chains of thousands of terms (measured: 5,000
# `a = n` terms under OR and AND, 20,000 under ||), and long OR chains are how generated SQL spells an
# IN list. `+`, `-` and `*` stay one level per operator: ClickHouse nests those (plus(plus(a, b), c)) and
# refuses them past about 500 terms itself. Everything we run over such a chain walks it iteratively
# (sqlglot's parser, generator, copy and walk; our fixups, grounding, fingerprint and redaction), measured
# on 5,000 terms in tests/sql/test_deep_nesting.py.
CHAIN_OPERATORS = frozenset({exp.And, exp.Or, exp.DPipe})
# At most this many terms in one chain: ClickHouse refuses a query past max_ast_elements = 50,000 nodes
# (about 12,000 `a = n` terms) and max_query_size = 256 KiB, so longer chains could not run there anyway.
MAX_CHAIN_TERMS = 10_000


class _TooDeep(Exception):
    pass


def _chain_operands(node: exp.Expression) -> list[exp.Expression]:
    """The operands of the chain of ``node``'s operator that ``node`` heads (``a OR b OR c`` -> a, b, c),
    without recursion; _TooDeep past MAX_CHAIN_TERMS."""
    cls, operands, stack = type(node), [], [node]
    while stack:
        for child in stack.pop().iter_expressions():
            (stack if type(child) is cls else operands).append(child)
    if len(operands) > MAX_CHAIN_TERMS:
        raise _TooDeep(f"a chain of {len(operands)} {cls.key.upper()} terms (at most {MAX_CHAIN_TERMS} are accepted)")
    return operands


def _depth(tree: exp.Expression) -> int:
    """Depth of ``tree`` in nodes, one level at a time (no recursion: the point is to measure trees too
    deep to recurse over), a chain of one of CHAIN_OPERATORS counting as one level; stops counting past
    MAX_DEPTH. Level lists cost about half the time of a stack of (node, depth) pairs (measured on the
    benchmark's query set: 14 vs 25 us per query)."""
    level, depth = [tree], 0
    while level and depth <= MAX_DEPTH:
        depth += 1
        level = [child for node in level for child in
                 (_chain_operands(node) if type(node) in CHAIN_OPERATORS else node.iter_expressions())]
    return depth if not level else depth + 1


def _parse_safely(sql: str, dialect: str, tokens: list[Token] | None = None) -> tuple[list[Token], list[exp.Expression]]:
    """(tokens, trees); TranspileError with SQL_PARSE_ERROR, SQL_TOO_DEEP (parentheses past MAX_NESTING,
    a tree past MAX_DEPTH, a chain past MAX_CHAIN_TERMS, or nesting without parentheses that sqlglot's
    recursive parser cannot follow: `NOT NOT ... x`, nested CASE), or SQL_INTERNAL_ERROR when sqlglot
    itself fails (an AttributeError in a dialect's parser)."""
    try:
        tokens = tokens if tokens is not None else tokenize(sql, dialect)
        # every L_PAREN token is a "(" of the statement's text: few of those, no deep nesting (this skips
        # the walk over the tokens for nearly every query)
        if tokens and sql.count("(", tokens[0].start, tokens[-1].end + 1) > MAX_NESTING and _nesting(tokens) > MAX_NESTING:
            raise TranspileError(f"parentheses nested {_nesting(tokens)} deep (at most {MAX_NESTING} are parsed)",
                                 "SQL_TOO_DEEP")
        trees = _parse_tokens(sql, dialect, tokens)
        for tree in trees:
            if _depth(tree) > MAX_DEPTH:
                raise TranspileError(f"expression tree deeper than {MAX_DEPTH} levels (nesting this deep, or a chain of + - * operators this long, is refused)",
                                     "SQL_TOO_DEEP")
        return tokens, trees
    except TranspileError:
        raise
    except _TooDeep as e:
        raise TranspileError(str(e), "SQL_TOO_DEEP") from None
    except RecursionError:
        raise TranspileError(f"nested deeper than the {DISPLAY[dialect]} parser can follow", "SQL_TOO_DEEP") from None
    except (ParseError, TokenError) as e:
        raise TranspileError(f"{DISPLAY[dialect]} parse error: {_first_error(e)}", "SQL_PARSE_ERROR",
                             getattr(e, "errors", None)) from None
    except Exception as e:
        raise TranspileError(_internal(e, sql), "SQL_INTERNAL_ERROR") from None


def analyze(sql: str, source: str | None = None) -> Analysis:
    """Parse ``sql`` once (as ``source``, or as the detected dialect) and derive the rest.

    ClickHouse queries with no non-canonical marker are parsed only (for grounding) and kept as written:
    regenerating them would only reformat the author's text. Cached by (sql, source): every check of a
    run shares one analysis per distinct query. Treat the result as read-only.
    """
    return _analyze(sql, source)


# The Analysis field that keeps a TranspileError of these codes; any other code goes to the field the
# stage names (a parse error when parsing, untranspilable when converting).
_ERROR_FIELDS = {"SQL_TOO_DEEP": "too_deep", "SQL_INTERNAL_ERROR": "internal_error"}


def _keep_error(result: Analysis, error: TranspileError, stage_field: str) -> None:
    setattr(result, _ERROR_FIELDS.get(error.code, stage_field), str(error))


# Small on purpose: the cache only has to bridge the checks that look at one conversation (and repeats
# of a query nearby); a large one would keep thousands of ASTs alive for the cyclic GC to walk.
@lru_cache(maxsize=256)
def _analyze(sql: str, source: str | None) -> Analysis:
    detection = detect(sql)
    declared = source is not None
    dialect = normalize_dialect(source) if declared else detection.dialect
    result = Analysis(sql=sql, source=dialect, detection=detection, declared=declared)
    try:
        result.tokens, trees = _parse_safely(sql, dialect)
    except TranspileError as e:
        _keep_error(result, e, "parse_error")
        return result
    if dialect == "clickhouse":
        result.statements = trees
        return result
    pretty = "\n" in sql.strip()
    out_trees, out_text = [], []
    script = Script(dialect)
    for tree in trees:
        try:
            converted = convert(tree, dialect, pretty=pretty, notes=result.notes, script=script)
        except TranspileError as e:
            # no ClickHouse AST either: fixups may have stopped half-way
            _keep_error(result, e, "untranspilable")
            return result
        if converted is None:
            continue
        fixed, text = converted
        out_trees.append(fixed)
        out_text.append(text)
    if not out_text:
        result.untranspilable = "only script declarations (DECLARE, SET, CREATE TEMP FUNCTION): no query to run"
        return result
    result.statements = out_trees
    result.clickhouse = out_text
    return result


# Cyclic-GC setting for processes that analyse many queries (validate, build), applied once by the SQL
# and grounding checks when they are built. sqlglot trees are cyclic (parent links), and the analysis
# cache keeps each tree alive across the checks of a conversation, so trees are promoted out of the
# young generation and the older ones, full of the process's long-lived objects (modules, dialect
# tables, the catalog), are walked again and again. Measured (benchmarks/sql_pipeline.py, bare sqlglot in
# the same process as the control):
# - freezing what exists when the checks start takes it out of every later collection: pipeline +8-10 %;
# - a generation-1 threshold of 50 instead of 10 (a gen-1 collection every 50 gen-0 ones): the promoted
#   trees are mostly dead by the time gen 1 is walked, and gen 2 is walked 5x less often: another +2-10 %;
# - neither changes bare sqlglot's speed. A larger gen-0 threshold (20,000-50,000) gained the pipeline
#   nothing more and slowed bare sqlglot by up to 20 % (garbage trees wait longer, in more memory), so
#   gen 0 stays as it is.
# Costs: cycles among frozen objects are never collected; dead cycles promoted to gen 1 wait longer.
GEN1_THRESHOLD = 50
_gc_tuned = False


def tune_gc() -> None:
    """Apply the pipeline's GC setting to this process (once; later calls do nothing)."""
    global _gc_tuned
    if _gc_tuned:
        return
    gc.collect()
    gc.freeze()
    gen0, _, gen2 = gc.get_threshold()
    gc.set_threshold(gen0, GEN1_THRESHOLD, gen2)
    # chdb objects still frozen when the interpreter tears down crash it (SIGSEGV, see native._release)
    atexit.register(gc.unfreeze)
    _gc_tuned = True


def parse_tokens(sql: str, source: str, tokens: list[Token] | None = None) -> tuple[list[Token], list[exp.Expression]]:
    """The tokens and sqlglot trees of ``sql`` read as ``source`` (``tokens``: already made, positioned
    in ``sql``); TranspileError (SQL_PARSE_ERROR, SQL_TOO_DEEP or SQL_INTERNAL_ERROR) if it cannot be parsed."""
    return _parse_safely(sql, normalize_dialect(source), tokens)


def guarded_parse_one(sql: str, source: str) -> exp.Expression:
    """``sqlglot.parse_one(sql, read=source)`` behind ``parse_tokens``'s guards: how SQL we did not write is
    parsed outside ``analyze`` (a query log's queries, eval's gold queries, catalog DDL), so that nesting
    too deep for sqlglot is a TranspileError (SQL_TOO_DEEP) there too, never a RecursionError. One tree,
    or an ``exp.Block`` of several statements, as sqlglot gives them; SQL_PARSE_ERROR when there is none."""
    trees = parse_tokens(sql, source)[1]
    if not trees:
        raise TranspileError(f"{DISPLAY[normalize_dialect(source)]} parse error: no statement", "SQL_PARSE_ERROR")
    return trees[0] if len(trees) == 1 else exp.Block(expressions=trees)


def to_clickhouse(sql: str, source: str, pretty: bool = False,
                  nullable_columns: frozenset[str] = frozenset(), notes: list[str] | None = None,
                  script: Script | None = None) -> list[str]:
    """Each statement of ``sql`` (written in ``source``) as canonical ClickHouse; TranspileError if one
    cannot be parsed or transpiled faithfully (the message names the statement, ``code`` the reason).
    A script declaration writes no statement (see ``convert``).

    ``nullable_columns``: sort keys known to be Nullable; only for those is the source dialect's NULL
    placement spelled out (``NULLS FIRST``), elsewhere it is noise. ``notes`` collects what was dropped
    on purpose (query hints). ``script``: the declarations of earlier statements of the same text, for a
    caller that passes the statements one at a time."""
    dialect = normalize_dialect(source)
    trees = _parse_safely(sql, dialect)[1]
    notes = notes if notes is not None else []
    script = script if script is not None else Script(dialect)
    out = []
    for i, tree in enumerate(trees, 1):
        try:
            converted = convert(tree, dialect, pretty=pretty, nullable_columns=nullable_columns, notes=notes, script=script)
            if converted is not None:
                out.append(converted[1])
        except TranspileError as e:
            raise TranspileError(f"statement {i}: {e}" if len(trees) > 1 else str(e), e.code) from None
    return out


def parses_somewhere(sql: str) -> bool:
    """True if ``sql`` parses in its detected dialect (used to tell unlabelled SQL fences and bare
    answers from prose). Goes through ``analyze``, so the SQL check reuses this parse."""
    a = analyze(sql)
    if a.parse_error is not None:
        return False
    trees = a.statements
    # prose such as "Select the rows you need" parses as SELECT of a column alias; real queries have a
    # FROM, a function call, or a literal
    return bool(trees) and all(
        not isinstance(t, exp.Select) or t.args.get("from_") is not None or t.find(exp.Func, exp.Literal) is not None
        for t in trees
    )


@dataclass(frozen=True)
class Statement:
    line: int  # 1-based line of its first token in the input
    sql: str
    # its tokens, positioned in ``text`` (the whole input): parsing them skips a second tokenize
    tokens: tuple[Token, ...] = field(default=(), repr=False, compare=False)
    text: str = field(default="", repr=False, compare=False)


def split_statements(text: str, dialect: str) -> list[Statement]:
    """The statements of ``text`` (split at top-level semicolons by the dialect's tokenizer, so a ``;``
    inside a string or comment does not split), each with the line it starts on. TranspileError
    (SQL_PARSE_ERROR) if the text cannot be tokenized."""
    dialect = normalize_dialect(dialect)
    try:
        # a tokenizer of its own: the reused one (``fingerprint.tokenize``) would keep the whole file's
        # tokens alive, as its last result, until its next query
        tokens = dialect_of(dialect).tokenize(text)
    except TokenError as e:
        raise TranspileError(f"{DISPLAY[dialect]} text cannot be tokenized: {e}", "SQL_PARSE_ERROR") from None
    except Exception as e:
        raise TranspileError(_internal(e, text), "SQL_INTERNAL_ERROR") from None
    # the semicolons' places found by list.index over the token types (a C loop): a Python loop over
    # every token of a 10,000-statement file cost a tenth of the whole transpile (measured)
    types = list(map(_TOKEN_TYPE, tokens))
    ends, at = [], -1
    while True:
        try:
            at = types.index(TokenType.SEMICOLON, at + 1)
        except ValueError:
            break
        ends.append(at)
    out: list[Statement] = []
    first = 0  # index of the current statement's first token
    for end in [*ends, len(tokens)]:
        if end > first:  # not an empty statement (`;;`)
            start = tokens[first]
            stop = tokens[end].start if end < len(tokens) else len(text)
            out.append(Statement(start.line, text[start.start:stop].strip(), tuple(tokens[first:end]), text))
        first = end + 1
    return out


_TOKEN_TYPE = attrgetter("token_type")
