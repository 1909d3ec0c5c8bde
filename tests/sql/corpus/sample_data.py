"""Deterministic rows for the corpus tables (seeded), as ClickHouse INSERT statements.

Small on purpose (a few hundred rows): enough that GROUP BY, joins, windows and quantiles give
non-trivial answers, fast enough to load once per test session."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

COUNTRIES = ["US", "DE", "FR", "BR", "IN", "JP", "GB", "NG"]
PLANS = ["free", "pro", "team"]
DEVICES = ["desktop", "mobile", "tablet"]
EVENT_TYPES = ["page_view", "signup", "click", "purchase", "logout"]
PAGES = ["/", "/pricing", "/docs", "/blog/launch", "/checkout", "/account"]
REFERRERS = ["google", "twitter", "newsletter", None]
CHAINS = ["ethereum", "solana", "base"]
TOKENS = [("WETH", 18), ("USDC", 6), ("SOL", 9), ("BONK", 5), ("DAI", 18), ("ARB", 18)]
POOLS = ["uniswap_v3", "raydium", "aerodrome", "curve"]
START = datetime(2024, 1, 1, 0, 0, 0)


def _q(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(v, datetime):
        return f"'{v:%Y-%m-%d %H:%M:%S}'"
    if isinstance(v, date):
        return f"'{v:%Y-%m-%d}'"
    if isinstance(v, list):
        return "[" + ", ".join(_q(x) for x in v) + "]"
    return repr(v)


def _insert(table: str, rows: list[tuple]) -> str:
    return f"INSERT INTO {table} VALUES " + ", ".join("(" + ", ".join(_q(v) for v in r) + ")" for r in rows)


def inserts(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    users = []
    for uid in range(1, 41):
        signup = (START + timedelta(days=rng.randrange(0, 60))).date()
        users.append((uid, f"user{uid}@example.com", signup, rng.choice(COUNTRIES), rng.choice(PLANS), rng.choice(REFERRERS)))
    events = []
    for eid in range(1, 401):
        u = rng.choice(users)
        t = START + timedelta(seconds=rng.randrange(0, 90 * 86400))
        kind = rng.choice(EVENT_TYPES)
        revenue = round(rng.uniform(5, 300), 2) if kind == "purchase" else 0.0
        tags = rng.sample(["new", "returning", "promo", "ab_test", "vip"], rng.randrange(0, 3))
        events.append((eid, u[0], f"s{u[0]}_{rng.randrange(0, 6)}", kind, rng.choice(PAGES), u[3], rng.choice(DEVICES),
                       revenue, t, t.date(), tags))
    trades = []
    for i in range(1, 301):
        t = START + timedelta(seconds=rng.randrange(0, 60 * 86400))
        a, b = rng.sample([s for s, _ in TOKENS], 2)
        amount = round(rng.lognormvariate(6, 1.5), 2)
        trades.append((f"0x{i:064x}", t, t.date(), f"trader{rng.randrange(1, 25)}", a, b, amount,
                       round(amount * 0.003, 4), rng.choice(POOLS), rng.choice(CHAINS)))
    tokens = []
    for chain in CHAINS:
        for sym, dec in TOKENS:
            tokens.append((sym, f"{chain[:3]}_{sym.lower()}_addr", chain, dec, (START - timedelta(days=rng.randrange(10, 900))).date()))
    # one table per day for BigQuery's wildcard tables (daily_*, _TABLE_SUFFIX), as date-sharded exports are
    daily = [f"CREATE TABLE webstats.daily_{d:%Y%m%d} ENGINE = MergeTree ORDER BY event_id AS "
             f"SELECT * FROM webstats.events WHERE event_date = '{d:%Y-%m-%d}'"
             for d in (START.date() + timedelta(days=i) for i in range(3))]
    return [_insert("webstats.users", users), _insert("webstats.events", events),
            _insert("dexlog.trades", trades), _insert("dexlog.tokens", tokens), *daily]
