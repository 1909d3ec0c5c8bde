"""Generated rows for the demo warehouse: deterministic (one seed), a few thousand swaps, built in well
under a second. Prices follow a random walk around realistic levels so aggregates look plausible."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

CHAINS = ("ethereum", "arbitrum", "base")
# symbol -> (name, decimals, is_stablecoin, starting USD price, chains it trades on)
TOKENS = {
    "WETH": ("Wrapped Ether", 18, 0, 2450.0, CHAINS),
    "USDC": ("USD Coin", 6, 1, 1.0, CHAINS),
    "USDT": ("Tether USD", 6, 1, 1.0, ("ethereum", "arbitrum")),
    "DAI": ("Dai Stablecoin", 18, 1, 1.0, ("ethereum", "base")),
    "WBTC": ("Wrapped BTC", 8, 0, 67000.0, ("ethereum", "arbitrum")),
    "UNI": ("Uniswap", 18, 0, 7.2, ("ethereum", "arbitrum")),
    "LINK": ("ChainLink Token", 18, 0, 11.5, ("ethereum", "arbitrum", "base")),
    "ARB": ("Arbitrum", 18, 0, 0.55, ("arbitrum",)),
    "PEPE": ("Pepe", 18, 0, 0.0000085, ("ethereum",)),
    "AERO": ("Aerodrome", 18, 0, 0.9, ("base",)),
}
PROTOCOLS = {"uniswap_v3": (5, 30, 100), "uniswap_v2": (30,), "curve": (4,), "balancer": (20,)}
WALLET_LABELS = (("retail", 0.78), ("whale", 0.04), ("bot", 0.12), ("market_maker", 0.06))
START = date(2026, 10, 1)
DAYS = 30


def _address(rng: random.Random) -> str:
    return f"0x{rng.getrandbits(160):040x}"


def generate(seed: int = 7, swaps: int = 4000) -> dict[str, tuple[list[str], list[tuple]]]:
    """Table name -> (column names, rows), for client.insert."""
    rng = random.Random(seed)
    tokens, addr = [], {}
    for symbol, (name, decimals, stable, _, chains) in TOKENS.items():
        for chain in chains:
            addr[(chain, symbol)] = _address(rng)
            listed = datetime(2021, 1, 1) + timedelta(days=rng.randrange(1200))
            tokens.append((addr[(chain, symbol)], chain, symbol, name, decimals, stable, listed))

    prices: dict[tuple[str, str, date], float] = {}
    price_rows = []
    for symbol, (_, _, stable, start_price, chains) in TOKENS.items():
        price = start_price
        for d in range(DAYS):
            day = START + timedelta(days=d)
            price = 1.0 + rng.gauss(0, 0.0008) if stable else price * (1 + rng.gauss(0.001, 0.035))
            for chain in chains:
                prices[(chain, symbol, day)] = price
                price_rows.append((day, chain, addr[(chain, symbol)], round(price, 10)))

    pools = []
    for chain in CHAINS:
        symbols = [s for s, spec in TOKENS.items() if chain in spec[4]]
        pairs = [(a, b) for i, a in enumerate(symbols) for b in symbols[i + 1:]]
        rng.shuffle(pairs)
        for a, b in pairs[:12]:
            protocol = "curve" if TOKENS[a][2] and TOKENS[b][2] else rng.choice(["uniswap_v3", "uniswap_v3", "uniswap_v2", "balancer"])
            fee = rng.choice(PROTOCOLS[protocol])
            created = datetime(2022, 1, 1) + timedelta(days=rng.randrange(900))
            pools.append((_address(rng), chain, protocol, addr[(chain, a)], addr[(chain, b)], fee, created, a, b))

    wallets = []
    labels, weights = zip(*WALLET_LABELS, strict=True)
    for _ in range(300):
        label = rng.choices(labels, weights)[0]
        first = datetime(2023, 1, 1) + timedelta(days=rng.randrange(1000))
        wallets.append((_address(rng), label, first, int(label in ("bot", "market_maker"))))
    size_by_label = {"retail": 800.0, "whale": 250_000.0, "bot": 4_000.0, "market_maker": 60_000.0}

    swap_rows = []
    block = {"ethereum": 21_000_000, "arbitrum": 270_000_000, "base": 21_500_000}
    t0 = datetime.combine(START, datetime.min.time())
    times = sorted(t0 + timedelta(seconds=rng.randrange(DAYS * 86400)) for _ in range(swaps))
    pool_weights = [rng.paretovariate(1.2) for _ in pools]
    for ts in times:
        pool = rng.choices(pools, pool_weights)[0]
        address, chain, _, t0_addr, t1_addr, _, _, sym0, sym1 = pool
        wallet, label, *_ = rng.choice(wallets)
        usd = round(rng.lognormvariate(0, 1.1) * size_by_label[label], 2)
        (sym_in, a_in), (sym_out, a_out) = ((sym0, t0_addr), (sym1, t1_addr)) if rng.random() < 0.5 else ((sym1, t1_addr), (sym0, t0_addr))
        day = ts.date()
        amount_in = usd / prices[(chain, sym_in, day)]
        amount_out = usd / prices[(chain, sym_out, day)] * (1 - rng.uniform(0.0005, 0.006))
        block[chain] += rng.randrange(1, 40)
        gas_price = round(rng.lognormvariate(2.5, 0.5) if chain == "ethereum" else rng.uniform(0.005, 0.1), 4)
        swap_rows.append((ts, block[chain], chain, f"0x{rng.getrandbits(256):064x}", rng.randrange(0, 6), address, wallet,
                          a_in, a_out, amount_in, amount_out, usd, rng.randrange(90_000, 260_000), gas_price))

    return {
        "dex.tokens": (["token_address", "chain", "symbol", "name", "decimals", "is_stablecoin", "listed_at"], tokens),
        "dex.pools": (["pool_address", "chain", "protocol", "token0", "token1", "fee_bps", "created_at"], [p[:7] for p in pools]),
        "dex.wallets": (["wallet", "label", "first_seen", "is_contract"], wallets),
        "dex.token_prices": (["day", "chain", "token_address", "price_usd"], price_rows),
        "dex.swaps": (["block_time", "block_number", "chain", "tx_hash", "log_index", "pool_address", "wallet", "token_in",
                       "token_out", "amount_in", "amount_out", "amount_usd", "gas_used", "gas_price_gwei"], swap_rows),
    }


# Built on the server from the generated swaps, as the nightly job would.
POOL_DAILY_SQL = """
INSERT INTO dex.pool_daily
SELECT toDate(s.block_time) AS day, s.chain, s.pool_address, count() AS swap_count, sum(s.amount_usd) AS volume_usd,
       sum(s.amount_usd * p.fee_bps / 10000) AS fees_usd, uniqExact(s.wallet) AS unique_traders
FROM dex.swaps AS s
INNER JOIN dex.pools AS p ON p.pool_address = s.pool_address AND p.chain = s.chain
GROUP BY day, s.chain, s.pool_address
"""
