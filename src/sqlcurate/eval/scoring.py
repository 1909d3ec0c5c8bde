"""Score one answer text against one eval item, with no model involved.

Each answer gets every verdict, measured independently (so totals say "82 % parse, 40 % grounded"), plus
one ``outcome``: the first gate it fails, in the order a user fixes things:

    EVAL_NO_SQL -> EVAL_DIALECT -> EVAL_PARSE_ERROR -> EVAL_UNGROUNDED -> EXEC_REFUSED_*
    -> EVAL_ENGINE_REJECTED -> EXEC_TIMEOUT / EXEC_MEMORY / EXEC_TOO_MANY_ROWS / EVAL_EXEC_ERROR
    -> EVAL_WRONG_RESULT -> EVAL_CORRECT

A query the SQL sandbox refuses (it reads files, reaches the network, carries SETTINGS...; see
``sqlcurate.sql.sandbox``) keeps the refusal's reason code among its findings whatever its outcome.

The engine is the final judge: a query sqlglot cannot parse is still run, and one that uses ``TOP`` still
gets its execution verdict; the outcome only names the first problem. The SQL helpers are the project's
own (extraction, dialect markers, grounding); this module only orders and records their answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sqlcurate.eval.compare import compare_results
from sqlcurate.eval.items import EvalItem
from sqlcurate.eval.runner import Execution, QueryRunner
from sqlcurate.findings import Finding
from sqlcurate.sql import dialects
from sqlcurate.sql.catalog import Catalog
from sqlcurate.sql.extract import extract_sql
from sqlcurate.sql.grounding import ground
from sqlcurate.sql.sandbox import CODES as SANDBOX_CODES
from sqlcurate.sql.transpile import analyze

CODES = {
    "EVAL_CORRECT": "executed and returned the gold result",
    "EVAL_UNVERIFIED": "passed every static check; no sample data to execute it on",
    "EVAL_NO_SQL": "the answer holds no SQL",
    "EVAL_PARSE_ERROR": "the SQL does not parse as ClickHouse (sqlglot)",
    "EVAL_DIALECT": "the SQL uses another dialect's syntax or functions (TOP, ISNULL, GETDATE, [names], ...)",
    "EVAL_UNGROUNDED": "the SQL names a table or column that the catalog does not have",
    "EVAL_ENGINE_REJECTED": "the ClickHouse engine rejects the query (EXPLAIN)",
    "EVAL_WRONG_RESULT": "executed, but the result differs from the gold result",
    "EVAL_GOLD_FAILED": "the gold query itself failed on the sample data (fix the eval set)",
}

REFUSALS = tuple(c for c in SANDBOX_CODES if c.startswith("EXEC_REFUSED_"))

# The order in which an outcome is chosen: the first verdict that failed names it.
# Dialect comes before parsing because foreign syntax (``TOP``, ``[names]``) is usually why a query
# does not parse as ClickHouse, and it is the more useful thing to tell.
OUTCOME_ORDER = ("EVAL_NO_SQL", "EVAL_DIALECT", "EVAL_PARSE_ERROR", "EVAL_UNGROUNDED", *REFUSALS,
                 "EVAL_ENGINE_REJECTED", "EXEC_TIMEOUT", "EXEC_MEMORY", "EXEC_TOO_MANY_ROWS", "EXEC_CRASHED",
                 "EVAL_EXEC_ERROR", "EVAL_GOLD_FAILED", "EVAL_WRONG_RESULT")

# An engine check: SQL text -> findings (empty = the engine accepts the query; None = it could not ask).
EngineCheckFn = Callable[[str], list[Finding] | None]


@dataclass
class Verdict:
    item_id: str
    answer: str
    sql: str | None = None
    has_sql: bool = False
    parses: bool = False
    dialect_clean: bool = False
    grounded: bool = False
    engine_ok: bool | None = None  # None: no engine to ask
    executed: bool | None = None  # None: no sample data
    exec_match: bool | None = None
    outcome: str = "EVAL_NO_SQL"
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0  # execution time of the generated query
    gold_rows: int | None = None  # rows of the gold result (an empty gold result proves little)

    def to_json(self) -> dict:
        out = asdict(self)
        out["findings"] = [{"code": f.code, "message": f.message, "severity": f.severity} for f in self.findings]
        return out


class Scorer:
    """Holds what scoring needs across items: the catalog, the engine check, the query runner (and the
    gold results it already computed, so comparing two checkpoints runs each gold query once)."""

    def __init__(self, catalog: Catalog, engine_check: EngineCheckFn | None = None, runner: QueryRunner | None = None):
        self.catalog = catalog
        self.engine_check = engine_check
        self.runner = runner
        self._gold: dict[str, Execution] = {}

    def gold_result(self, item: EvalItem) -> Execution | None:
        if self.runner is None:
            return None
        if item.gold_sql not in self._gold:
            self._gold[item.gold_sql] = self.runner.run(item.gold_sql)
        return self._gold[item.gold_sql]

    def score(self, item: EvalItem, answer: str) -> Verdict:
        v = Verdict(item_id=item.id, answer=answer)
        spans = extract_sql(answer)
        if not spans:
            v.findings.append(Finding("EVAL_NO_SQL", "no SQL in the answer (no ```sql fence, no bare query)"))
            # every rate counts all items: no query is neither accepted nor correct (where measured)
            v.engine_ok = False if self.engine_check is not None else None
            if self.runner is not None:
                v.executed = v.exec_match = False
            return v
        # One question, one query: the first SQL span is the answer; later ones are usually variations.
        sql = v.sql = spans[0].sql
        v.has_sql = True
        failed: set[str] = set()

        try:
            parsed = analyze(sql, "clickhouse")  # as written: the answer must be ClickHouse, not become it
            # nested too deep, or sqlglot failed: no tree to ground either, so it counts as not parsed
            parse_error = parsed.parse_error or parsed.too_deep or parsed.internal_error
        except RecursionError:  # a hostile answer nested past the parser's recursion
            parsed, parse_error = None, "nested too deeply for the parser"
        v.parses = parse_error is None
        if not v.parses:
            failed.add("EVAL_PARSE_ERROR")
            v.findings.append(Finding("EVAL_PARSE_ERROR", parse_error))

        violations = [e for e in dialects.scan(sql) if e.standing != dialects.HINT]
        v.dialect_clean = not violations
        for e in violations:
            failed.add("EVAL_DIALECT")
            where = "/".join(dialects.DISPLAY[d] for d in e.dialects)
            v.findings.append(Finding("EVAL_DIALECT", f"{where} {e.render()} ({e.standing} in ClickHouse)"))

        grounding = ground(parsed.statements, self.catalog) if v.parses else None
        v.grounded = grounding is not None and not any(f.severity == "error" for f in grounding)
        if grounding:
            v.findings.extend(grounding)
        if not v.grounded and v.parses:
            failed.add("EVAL_UNGROUNDED")

        if self.engine_check is not None:
            rejected = self.engine_check(sql)
            v.engine_ok = None if rejected is None else not rejected  # None: the check could not ask
            if rejected:
                failed.update(f.code for f in rejected)  # EVAL_ENGINE_REJECTED, or the sandbox's reason
                v.findings.extend(rejected)

        gold = self.gold_result(item)
        if gold is not None:
            self._execute(item, v, sql, gold, failed)
        v.outcome = next((c for c in OUTCOME_ORDER if c in failed), "EVAL_CORRECT" if v.exec_match else "EVAL_UNVERIFIED")
        return v

    def _execute(self, item: EvalItem, v: Verdict, sql: str, gold: Execution, failed: set[str]) -> None:
        if not gold.ok:
            failed.add("EVAL_GOLD_FAILED")
            v.findings.append(Finding("EVAL_GOLD_FAILED", f"{gold.engine_error or gold.code}: {gold.message}"))
            return
        v.gold_rows = len(gold.rows)
        got = self.runner.run(sql)
        v.seconds = got.seconds
        v.executed = got.ok
        if not got.ok:
            failed.add(got.code)
            v.exec_match = False
            v.findings.append(Finding(got.code, f"{got.engine_error}: {got.message}" if got.engine_error else got.message))
            if self.engine_check is None and got.code == "EVAL_EXEC_ERROR":
                v.engine_ok = False  # without a separate EXPLAIN, the failed run is the engine's rejection
            return
        if self.engine_check is None:
            v.engine_ok = True
        cmp = compare_results(gold.rows, got.rows, ordered=item.gold_ordered)
        v.exec_match = cmp.match
        if not cmp.match:
            failed.add("EVAL_WRONG_RESULT")
            v.findings.append(Finding(cmp.code, cmp.detail))

