"""SQL pipeline throughput: conversations/s through extract + detect + parse + transpile + grounding,
against bare ``sqlglot.transpile`` on the same queries; the fingerprint's cost on top; and the engine
check's distinct queries/s.

The query set (>= 1,000, several dialects) is built from the transpile corpus (tests/sql/corpus): every
corpus query with its literals varied, plus queries generated from per-dialect templates over the same
schema (dimensions, measures, filters, date buckets and row limits combined), so most have distinct
templates. Each is wrapped in a conversation the way curated data looks (question, prose, fenced or bare
SQL). One process, one core: the figures are per core.

    python benchmarks/sql_pipeline.py            # prints a table, writes benchmarks/results/sql_pipeline.json
"""

from __future__ import annotations

import gc
import json
import platform
import random
import re
import sys
import time
from pathlib import Path

import sqlglot

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "sql" / "corpus"))

from loader import load_cases  # noqa: E402

from sqlcurate.checks.base import CheckRunner, Item  # noqa: E402
from sqlcurate.checks.engine import EngineCheck  # noqa: E402
from sqlcurate.checks.sql import SqlCheck  # noqa: E402
from sqlcurate.conversation import Conversation, Message  # noqa: E402
from sqlcurate.sql import fixups  # noqa: E402
from sqlcurate.sql.catalog import load_catalog  # noqa: E402
from sqlcurate.sql.dialects import detect  # noqa: E402
from sqlcurate.sql.extract import extract_from_conversation  # noqa: E402
from sqlcurate.sql.fingerprint import tokenize  # noqa: E402
from sqlcurate.sql.grounding import ground  # noqa: E402
from sqlcurate.sql.transpile import _analyze, _parse_tokens, analyze, generate, tune_gc  # noqa: E402

SEED = 20261125
COUNTRIES = ["US", "DE", "FR", "BR", "IN", "JP", "GB", "NG"]
EVENT_TYPES = ["page_view", "signup", "click", "purchase", "logout"]

# ---------------------------------------------------------------- query set

TABLES = {
    "webstats.events": {
        "dims": ["country", "device", "event_type", "page_url"],
        "measures": [("SUM", "revenue"), ("COUNT", "*"), ("AVG", "revenue"), ("MAX", "revenue"), ("COUNT_DISTINCT", "user_id")],
        "filters": [("country", COUNTRIES), ("event_type", EVENT_TYPES), ("device", ["desktop", "mobile", "tablet"])],
        "time": "event_time",
    },
    "dexlog.trades": {
        "dims": ["chain", "pool", "token_in", "token_out", "trader"],
        "measures": [("SUM", "amount_usd"), ("COUNT", "*"), ("AVG", "fee_usd"), ("MAX", "amount_usd"), ("COUNT_DISTINCT", "trader")],
        "filters": [("chain", ["ethereum", "solana", "base"]), ("pool", ["uniswap_v3", "raydium", "aerodrome", "curve"])],
        "time": "block_time",
    },
}

# dialect -> how a month bucket, a null default, a row limit and a table name are written there
IDIOMS = {
    "tsql": {"bucket": "CONVERT(VARCHAR(7), {t}, 120)", "limit": ("SELECT TOP {n} ", ""), "table": "{db}.dbo.{t}",
             "since": "{t} >= DATEADD(day, -{d}, GETDATE())"},
    "bigquery": {"bucket": "DATE_TRUNC(DATE({t}), MONTH)", "limit": ("SELECT ", " LIMIT {n}"), "table": "`proj.{db}.{t}`",
                 "since": "{t} >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {d} DAY)"},
    "snowflake": {"bucket": "DATE_TRUNC('MONTH', {t})", "limit": ("SELECT ", " LIMIT {n}"), "table": "{db}.{t}",
                  "since": "{t} >= DATEADD(day, -{d}, CURRENT_TIMESTAMP())"},
    "postgres": {"bucket": "DATE_TRUNC('month', {t})::date", "limit": ("SELECT ", " LIMIT {n}"), "table": "{db}.{t}",
                 "since": "{t} >= NOW() - INTERVAL '{d} days'"},
    "mysql": {"bucket": "DATE_FORMAT({t}, '%Y-%m')", "limit": ("SELECT ", " LIMIT {n}"), "table": "`{db}`.`{t}`",
              "since": "{t} >= DATE_SUB(NOW(), INTERVAL {d} DAY)"},
    "clickhouse": {"bucket": "toStartOfMonth({t})", "limit": ("SELECT ", " LIMIT {n}"), "table": "{db}.{t}",
                   "since": "{t} >= now() - INTERVAL {d} DAY"},
}


def _measure(fn: str, col: str, alias: str) -> str:
    if fn == "COUNT_DISTINCT":
        return f"COUNT(DISTINCT {col}) AS {alias}"
    return f"{fn}({col}) AS {alias}"


def generated_query(rng: random.Random, dialect: str) -> str:
    table = rng.choice(list(TABLES))
    spec = TABLES[table]
    idiom = IDIOMS[dialect]
    db, name = table.split(".")
    dims = rng.sample(spec["dims"], rng.randint(1, 2))
    if rng.random() < 0.4:
        dims = [idiom["bucket"].format(t=spec["time"])] + dims[:1]
    dim_aliases = [d if re.fullmatch(r"\w+", d) else "month" for d in dims]
    measures = rng.sample(spec["measures"], rng.randint(1, 3))
    m_aliases = [f"{fn.lower()}_{col.replace('*', 'rows')}" for fn, col in measures]
    select = ", ".join([f"{d} AS {a}" if d != a else d for d, a in zip(dims, dim_aliases, strict=True)]
                       + [_measure(fn, col, a) for (fn, col), a in zip(measures, m_aliases, strict=True)])
    where = []
    for col, values in rng.sample(spec["filters"], rng.randint(0, 2)):
        picked = rng.sample(values, rng.randint(1, 3))
        where.append(f"{col} = '{picked[0]}'" if len(picked) == 1 else f"{col} IN ({', '.join(repr(v) for v in picked)})")
    if rng.random() < 0.5:
        where.append(idiom["since"].format(t=spec["time"], d=rng.choice([7, 14, 30, 90])))
    n = rng.choice([5, 10, 20, 50, 100])
    head, tail = idiom["limit"]
    sql = head.format(n=n) + select + f" FROM {idiom['table'].format(db=db, t=name)}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    group = ", ".join(dims) if dialect in ("tsql",) else ", ".join(dim_aliases)
    sql += f" GROUP BY {group} ORDER BY {m_aliases[0]} DESC" + tail.format(n=n)
    return sql


_INT = re.compile(r"(\b(?:LIMIT|TOP)\s+|[<>]=?\s*)(\d{1,4})\b(?![.'])")
_COUNTRY = re.compile(r"'(US|DE|FR|BR|IN|JP|GB|NG)'")


def literal_variant(rng: random.Random, sql: str) -> str:
    """The same query with other literals (limits, thresholds, country codes)."""
    sql = _INT.sub(lambda m: m.group(1) + str(max(1, int(m.group(2)) + rng.randint(0, 9))), sql)
    return _COUNTRY.sub(lambda m: f"'{rng.choice(COUNTRIES)}'", sql)


def query_set(n_generated: int = 900, variants_per_case: int = 4) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    out = []
    for case in load_cases():
        out.append((case.dialect, case.source))
        out.append(("clickhouse", case.clickhouse))
        for _ in range(variants_per_case - 2):
            out.append((case.dialect, literal_variant(rng, case.source)))
    dialects = list(IDIOMS)
    for i in range(n_generated):
        d = dialects[i % len(dialects)]
        out.append((d, generated_query(rng, d)))
    return out


QUESTIONS = ["How do I get {x}?", "Write a query for {x}.", "Can you show me {x} per group?", "I need {x} from our warehouse."]


def conversations(queries: list[tuple[str, str]]) -> list[Conversation]:
    rng = random.Random(SEED + 1)
    convs = []
    for i, (_, sql) in enumerate(queries):
        q = rng.choice(QUESTIONS).format(x=f"metric {i}")
        if i % 5 == 0:
            answer = sql  # a bare query answer
        else:
            answer = f"Here is the query:\n\n```sql\n{sql}\n```\n\nIt groups the rows and keeps the top ones."
        convs.append(Conversation(messages=[Message(role="user", content=q), Message(role="assistant", content=answer)]))
    return convs


# ---------------------------------------------------------------- measurements

def _clear_caches() -> None:
    _analyze.cache_clear()


def _timed(fn) -> tuple[float, float]:
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def run_pipeline(convs: list[Conversation], catalog) -> None:
    """What validate does per conversation without the engine: the SQL check (extract, detect, parse,
    transpile), then grounding on the same parse."""
    check = SqlCheck()
    for conv in convs:
        item = Item(conversation=conv, source="bench", line=1)
        check.findings(item)
        for span in extract_from_conversation(item.conversation):
            a = analyze(span.sql)  # cached: the parse SqlCheck just made
            if a.ok:
                ground(a.statements, catalog)


def run_fingerprints(convs: list[Conversation]) -> None:
    for conv in convs:
        for span in extract_from_conversation(conv):
            _ = analyze(span.sql).fingerprint  # from the parse's tokens


def run_bare(queries: list[tuple[str, str]]) -> None:
    for dialect, sql in queries:
        try:
            sqlglot.transpile(sql, read=dialect, write="clickhouse")
        except sqlglot.errors.SqlglotError:
            pass


def stage_costs(queries: list[tuple[str, str]], catalog) -> dict[str, float]:
    """CPU microseconds per query of each stage of ``analyze`` plus grounding, timed one stage at a time
    over the whole set (so the sum is close to, not exactly, the pipeline's cost)."""
    texts = [sql for _, sql in queries]
    detected = [detect(sql).dialect for sql in texts]
    out: dict[str, float] = {}

    def timed(name, fn):
        gc.collect()
        t0 = time.process_time()
        result = fn()
        out[name] = round((time.process_time() - t0) / len(texts) * 1e6, 1)
        return result

    timed("detect", lambda: [detect(sql) for sql in texts])
    tokens = timed("tokenize", lambda: [tokenize(sql, d) for d, sql in zip(detected, texts, strict=True)])
    trees = timed("parse", lambda: [_parse_tokens(sql, d, t) for d, sql, t in zip(detected, texts, tokens, strict=True)])

    def fix_and_generate():
        for d, ts in zip(detected, trees, strict=True):
            if d == "clickhouse":
                continue
            for tree in ts:
                try:
                    generate(fixups.apply(tree, d))
                except Exception:  # untranspilable ones: the check reports them, the cost still counts
                    pass

    timed("fixups+generate", fix_and_generate)
    timed("grounding", lambda: [ground(ts, catalog) for ts in trees])
    return out


def engine_statements(queries: list[tuple[str, str]]) -> list[tuple[object, str]]:
    """(ClickHouse AST, fingerprint) of every query with a distinct fingerprint (so the engine check's
    cache never hits), parsed and transpiled beforehand: the timing is the engine check's own work."""
    seen, out = set(), []
    for dialect, sql in queries:
        a = analyze(sql, dialect)
        if not a.ok or a.fingerprint in seen:
            continue
        seen.add(a.fingerprint)
        out.append((a.statements[0], a.fingerprint))
    return out


ENGINE_BATCH = 64


def main() -> None:
    catalog = load_catalog(REPO / "tests" / "sql" / "corpus" / "schema.sql")
    # the GC setting the SQL and grounding checks apply in validate/build once the catalog is loaded, on
    # for every measurement here (the bare sqlglot baseline included): the figures are those of such a
    # process. The conversations come after it, as validate streams its input after building the checks.
    tune_gc()
    queries = query_set()
    convs = conversations(queries)
    dialect_counts: dict[str, int] = {}
    for d, _ in queries:
        dialect_counts[d] = dialect_counts.get(d, 0) + 1

    warm = [convs[i] for i in range(0, len(convs), 25)]  # every dialect: sqlglot loads them lazily
    run_pipeline(warm, catalog)
    run_bare(queries[::25])
    # alternate the two so that load from other users of the shared machine hits both alike
    pipe_runs, bare_runs = [], []
    for _ in range(5):
        _clear_caches()
        pipe_runs.append(_timed(lambda: run_pipeline(convs, catalog)))
        bare_runs.append(_timed(lambda: run_bare(queries)))
    pipe_wall, pipe_cpu = min(pipe_runs, key=lambda r: r[1])
    bare_wall, bare_cpu = min(bare_runs, key=lambda r: r[1])
    run_pipeline(convs[-200:], catalog)  # the analyses of these are cached now: time fingerprints alone
    _, fp_cpu = min(_timed(lambda: run_fingerprints(convs[-200:])) for _ in range(3))

    stages = stage_costs(queries, catalog)
    statements = engine_statements(queries)
    check = EngineCheck(catalog)

    def one_at_a_time():  # what validate does: the queries of one conversation per call
        for tree, key in statements:
            check.check_statement(tree, key)

    def batched():  # a caller that hands the check many distinct queries at once: planned side by side
        for i in range(0, len(statements), ENGINE_BATCH):
            check.check_statements(statements[i:i + ENGINE_BATCH])

    runner = CheckRunner([SqlCheck(fix=True), check])

    def windows():  # what validate --fix and build do: conversations in windows, the SQL check first
        items = [Item(conversation=c, source="bench", line=n) for n, c in enumerate(convs, 1)]
        for i in range(0, len(items), runner.WINDOW):
            runner.run_window(items[i:i + runner.WINDOW])

    engine_runs: dict[str, list[tuple[float, float]]] = {"one": [], "batched": [], "windows": []}
    for _ in range(3):  # the first pass also warms the engine (table metadata, function lookups)
        for name, fn in (("one", one_at_a_time), ("batched", batched), ("windows", windows)):
            check.cache.clear()
            check.planned = 0
            if name == "windows":  # (wall, the engine check's own time: prepare + findings, as validate reports it)
                runner.stats["engine"].seconds = 0.0
                engine_runs[name].append((_timed(fn)[0], runner.stats["engine"].seconds))
            else:
                engine_runs[name].append(_timed(fn))
            if name == "batched":
                rejected = sum(1 for v in check.cache.values() if v is not None)
                planned = check.planned
    # the windows see every statement of each conversation, keyed per statement: count theirs apart
    planned_in_windows = check.planned
    eng_wall, eng_cpu = min(engine_runs["one"], key=lambda r: r[0])
    par_wall, par_cpu = min(engine_runs["batched"], key=lambda r: r[0])
    _, win_engine = min(engine_runs["windows"], key=lambda r: r[1])
    workers = check.schema.workers
    check.close()

    n = len(convs)
    result = {
        "machine": f"2-core x86_64 dev box (shared), Python {platform.python_version()}",
        "sqlglot": sqlglot.__version__,
        "queries": len(queries),
        "dialects": dialect_counts,
        "pipeline_conversations_per_s_wall": round(n / pipe_wall),
        "pipeline_conversations_per_s_cpu": round(n / pipe_cpu),
        "bare_sqlglot_transpile_per_s_cpu": round(n / bare_cpu),
        "ratio_pipeline_to_bare_cpu": round(pipe_cpu / bare_cpu, 2),
        "fingerprint_us_per_query_cpu": round(fp_cpu / 200 * 1e6, 1),
        "stage_us_per_query_cpu": stages,
        "engine_distinct_queries": planned,
        "engine_rejected": rejected,
        "engine_distinct_queries_per_s_wall": round(planned / eng_wall),
        "engine_distinct_queries_per_s_cpu": round(planned / eng_cpu),
        "engine_connections": workers,
        "engine_batched_distinct_queries_per_s_wall": round(planned / par_wall),
        "engine_batched_cpu_us_per_query": round(par_cpu / planned * 1e6),
        "engine_runner_window": runner.WINDOW,
        "engine_runner_windows_distinct_queries": planned_in_windows,
        "engine_runner_windows_distinct_queries_per_s_check_time": round(planned_in_windows / win_engine),
    }
    rows = [
        ("queries / conversations", f"{len(queries)} ({', '.join(f'{k} {v}' for k, v in dialect_counts.items())})"),
        ("pipeline: extract+detect+parse+transpile+grounding", f"{result['pipeline_conversations_per_s_cpu']:,} conv/s CPU, {result['pipeline_conversations_per_s_wall']:,} wall"),
        ("bare sqlglot.transpile, same queries", f"{result['bare_sqlglot_transpile_per_s_cpu']:,} queries/s CPU"),
        ("ratio pipeline / bare (CPU time)", f"{result['ratio_pipeline_to_bare_cpu']}"),
        ("stages, us/query CPU", ", ".join(f"{k} {v}" for k, v in stages.items())),
        ("fingerprint from the parse's tokens", f"{result['fingerprint_us_per_query_cpu']} us/query CPU"),
        ("engine check (EXPLAIN PLAN), distinct queries", f"{planned} ({rejected} rejected)"),
        ("engine check, one query per call", f"{result['engine_distinct_queries_per_s_cpu']:,} q/s CPU, {result['engine_distinct_queries_per_s_wall']:,} wall"),
        (f"engine check, batches of {ENGINE_BATCH} over {workers} connections", f"{result['engine_batched_distinct_queries_per_s_wall']:,} q/s wall ({result['engine_batched_cpu_us_per_query']:,} us CPU/query, all threads)"),
        (f"engine check in CheckRunner.run_window ({runner.WINDOW} conversations, after SqlCheck --fix)", f"{result['engine_runner_windows_distinct_queries_per_s_check_time']:,} q/s of the check's time ({planned_in_windows} distinct)"),
    ]
    width = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    out = REPO / "benchmarks" / "results" / "sql_pipeline.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
