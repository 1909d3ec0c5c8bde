"""The analysts' query history of the demo warehouse: what they meant to ask and the SQL they ran.

As in a real warehouse, only a minority of templates carry the analyst's words: the dashboard and
notebook queries whose tool tags them (``log_comment``; every template run more than once is one of
those) and a few with a leading SQL comment. Most ad-hoc queries carry nothing, so ``build`` has to
describe them and hold them for review (or ask a question model). ``meant`` keeps what each analyst had in
mind, for tests and the docs' examples; it never reaches the log unless ``tagged``. ``variants`` re-runs a query with other literals, as analysts do, so the log has
templates seen more than once. A few statements that do not belong in training data (a failing query,
an insert, a system-table peek) are run too: the pull must skip them with counts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    analyst: str
    meant: str  # the question the analyst had in mind ("" when it is a comment in the SQL)
    sql: str
    variants: tuple[dict[str, str], ...] = ({},)
    tagged: bool = True  # whether their tool sent ``meant`` along as ``log_comment``

    @property
    def question(self) -> str:
        """What the query log records as the analyst's question (``log_comment``): "" when untagged."""
        return self.meant if self.tagged else ""


HISTORY: tuple[Entry, ...] = (
    Entry("alice", "How many swaps happened on {chain} in total?",
          "SELECT count() FROM dex.swaps WHERE chain = '{chain}'",
          ({"chain": "ethereum"}, {"chain": "arbitrum"}, {"chain": "base"})),
    Entry("alice", "What was the daily USD swap volume on each chain?",
          "SELECT toDate(block_time) AS day, chain, round(sum(amount_usd), 2) AS volume_usd\nFROM dex.swaps\nGROUP BY day, chain\nORDER BY day, chain"),
    Entry("alice", "Top 10 pools by USD volume over the whole period",
          "SELECT pool_address, chain, round(sum(amount_usd), 2) AS volume_usd\nFROM dex.swaps\nGROUP BY pool_address, chain\nORDER BY volume_usd DESC\nLIMIT 10", tagged=False),
    Entry("alice", "Which {n} wallets traded the most USD volume?",
          "SELECT wallet, round(sum(amount_usd), 2) AS volume_usd, count() AS swaps\nFROM dex.swaps\nGROUP BY wallet\nORDER BY volume_usd DESC\nLIMIT {n}",
          ({"n": "20"}, {"n": "5"})),
    Entry("bob", "How many distinct wallets swapped each day?",
          "SELECT toDate(block_time) AS day, uniqExact(wallet) AS traders\nFROM dex.swaps\nGROUP BY day\nORDER BY day", tagged=False),
    Entry("bob", "What is the median and 95th percentile trade size in USD per chain?",
          "SELECT chain, quantile(0.5)(amount_usd) AS median_usd, quantile(0.95)(amount_usd) AS p95_usd\nFROM dex.swaps\nGROUP BY chain\nORDER BY chain"),
    Entry("bob", "Volume by wallet segment (retail, whale, bot, market maker)",
          "SELECT w.label, count() AS swaps, round(sum(s.amount_usd), 2) AS volume_usd\nFROM dex.swaps AS s\nINNER JOIN dex.wallets AS w ON w.wallet = s.wallet\nGROUP BY w.label\nORDER BY volume_usd DESC"),
    Entry("bob", "What share of volume comes from whales?",
          "SELECT round(sumIf(s.amount_usd, w.label = 'whale') / sum(s.amount_usd), 4) AS whale_share\nFROM dex.swaps AS s\nINNER JOIN dex.wallets AS w ON w.wallet = s.wallet"),
    Entry("carol", "Which protocol earned the most LP fees?",
          "SELECT p.protocol, round(sum(d.fees_usd), 2) AS fees_usd\nFROM dex.pool_daily AS d\nINNER JOIN dex.pools AS p ON p.pool_address = d.pool_address AND p.chain = d.chain\nGROUP BY p.protocol\nORDER BY fees_usd DESC"),
    Entry("carol", "Daily fees on {chain} pools",
          "SELECT day, round(sum(fees_usd), 2) AS fees_usd\nFROM dex.pool_daily\nWHERE chain = '{chain}'\nGROUP BY day\nORDER BY day",
          ({"chain": "ethereum"}, {"chain": "base"})),
    Entry("carol", "How many pools does each protocol have per chain?",
          "SELECT chain, protocol, count() AS pools\nFROM dex.pools\nGROUP BY chain, protocol\nORDER BY chain, pools DESC", tagged=False),
    Entry("carol", "List the pools with a fee of 1% or more",
          "SELECT pool_address, chain, protocol, fee_bps\nFROM dex.pools\nWHERE fee_bps >= 100\nORDER BY chain", tagged=False),
    Entry("carol", "What are the trading pairs of the top 5 pools by volume, with token symbols?",
          "SELECT p.pool_address, t0.symbol AS symbol0, t1.symbol AS symbol1, round(sum(d.volume_usd), 2) AS volume_usd\n"
          "FROM dex.pool_daily AS d\nINNER JOIN dex.pools AS p ON p.pool_address = d.pool_address AND p.chain = d.chain\n"
          "INNER JOIN dex.tokens AS t0 ON t0.token_address = p.token0 AND t0.chain = p.chain\n"
          "INNER JOIN dex.tokens AS t1 ON t1.token_address = p.token1 AND t1.chain = p.chain\n"
          "GROUP BY p.pool_address, symbol0, symbol1\nORDER BY volume_usd DESC\nLIMIT 5", tagged=False),
    Entry("dave", "Which tokens were bought the most by USD value?",
          "SELECT t.symbol, round(sum(s.amount_usd), 2) AS bought_usd\nFROM dex.swaps AS s\nINNER JOIN dex.tokens AS t ON t.token_address = s.token_out AND t.chain = s.chain\nGROUP BY t.symbol\nORDER BY bought_usd DESC\nLIMIT 10", tagged=False),
    Entry("dave", "Net flow of {symbol}: bought minus sold in USD per day",
          "SELECT toDate(s.block_time) AS day,\n       round(sumIf(s.amount_usd, t.token_address = s.token_out) - sumIf(s.amount_usd, t.token_address = s.token_in), 2) AS net_usd\n"
          "FROM dex.swaps AS s\nINNER JOIN dex.tokens AS t ON t.chain = s.chain AND (t.token_address = s.token_in OR t.token_address = s.token_out)\n"
          "WHERE t.symbol = '{symbol}'\nGROUP BY day\nORDER BY day",
          ({"symbol": "WETH"}, {"symbol": "LINK"})),
    Entry("dave", "What was the price of WETH on ethereum each day?",
          "SELECT p.day, p.price_usd\nFROM dex.token_prices AS p\nINNER JOIN dex.tokens AS t ON t.token_address = p.token_address AND t.chain = p.chain\nWHERE t.symbol = 'WETH' AND p.chain = 'ethereum'\nORDER BY p.day", tagged=False),
    Entry("dave", "Which token had the biggest price change over the month?",
          "SELECT t.symbol, argMin(p.price_usd, p.day) AS first_price, argMax(p.price_usd, p.day) AS last_price,\n       round(last_price / first_price - 1, 4) AS change\n"
          "FROM dex.token_prices AS p\nINNER JOIN dex.tokens AS t ON t.token_address = p.token_address AND t.chain = p.chain\n"
          "WHERE p.chain = 'ethereum'\nGROUP BY t.symbol\nORDER BY abs(change) DESC\nLIMIT 5", tagged=False),
    Entry("dave", "Which stablecoins are listed on each chain?",
          "SELECT chain, groupArray(symbol) AS stablecoins\nFROM dex.tokens\nWHERE is_stablecoin = 1\nGROUP BY chain\nORDER BY chain", tagged=False),
    Entry("erin", "What is the average gas price in gwei per hour on ethereum?",
          "SELECT toStartOfHour(block_time) AS hour, round(avg(gas_price_gwei), 3) AS avg_gwei\nFROM dex.swaps\nWHERE chain = 'ethereum'\nGROUP BY hour\nORDER BY hour", tagged=False),
    Entry("erin", "How much did traders spend on gas in ETH on ethereum?",
          "SELECT round(sum(gas_used * gas_price_gwei) / 1e9, 4) AS gas_eth\nFROM dex.swaps\nWHERE chain = 'ethereum'", tagged=False),
    Entry("erin", "Which hour of the day has the most swaps?",
          "SELECT toHour(block_time) AS hour_of_day, count() AS swaps\nFROM dex.swaps\nGROUP BY hour_of_day\nORDER BY swaps DESC\nLIMIT 24", tagged=False),
    Entry("erin", "Weekly volume on each chain",
          "SELECT toMonday(block_time) AS week, chain, round(sum(amount_usd), 2) AS volume_usd\nFROM dex.swaps\nGROUP BY week, chain\nORDER BY week, chain", tagged=False),
    Entry("erin", "How many new wallets made their first swap in October 2026?",
          "SELECT count() AS new_wallets\nFROM\n(\n    SELECT wallet, min(block_time) AS first_swap\n    FROM dex.swaps\n    GROUP BY wallet\n)\nWHERE first_swap >= '2026-10-01' AND first_swap < '2026-11-01'", tagged=False),
    Entry("frank", "Which bot wallets made more than {n} swaps?",
          "SELECT s.wallet, count() AS swaps\nFROM dex.swaps AS s\nINNER JOIN dex.wallets AS w ON w.wallet = s.wallet\nWHERE w.label = 'bot'\nGROUP BY s.wallet\nHAVING swaps > {n}\nORDER BY swaps DESC",
          ({"n": "15"}, {"n": "25"})),
    Entry("frank", "What is the average number of swaps per transaction?",
          "SELECT round(count() / uniqExact(tx_hash), 3) AS swaps_per_tx\nFROM dex.swaps", tagged=False),
    Entry("frank", "How many swaps were larger than 100k USD per chain?",
          "SELECT chain, countIf(amount_usd > 100000) AS large_swaps, count() AS all_swaps\nFROM dex.swaps\nGROUP BY chain\nORDER BY large_swaps DESC", tagged=False),
    Entry("frank", "Show the 20 largest swaps with their pool protocol",
          "SELECT s.block_time, s.chain, p.protocol, s.wallet, s.amount_usd\nFROM dex.swaps AS s\nINNER JOIN dex.pools AS p ON p.pool_address = s.pool_address AND p.chain = s.chain\nORDER BY s.amount_usd DESC\nLIMIT 20", tagged=False),
    Entry("frank", "Cumulative USD volume per day on arbitrum",
          "WITH daily AS\n(\n    SELECT day, sum(volume_usd) AS volume_usd\n    FROM dex.pool_daily\n    WHERE chain = 'arbitrum'\n    GROUP BY day\n)\nSELECT day, round(volume_usd, 2) AS volume_usd, round(sum(volume_usd) OVER (ORDER BY day), 2) AS cumulative_usd\nFROM daily\nORDER BY day"),
    Entry("grace", "Which pools had no swaps at all?",
          "SELECT p.pool_address, p.chain, p.protocol\nFROM dex.pools AS p\nLEFT JOIN dex.pool_daily AS d ON d.pool_address = p.pool_address AND d.chain = p.chain\nWHERE d.pool_address = ''\nORDER BY p.chain"),
    Entry("grace", "Average daily unique traders per pool, top 10",
          "SELECT pool_address, chain, round(avg(unique_traders), 2) AS avg_traders\nFROM dex.pool_daily\nGROUP BY pool_address, chain\nORDER BY avg_traders DESC\nLIMIT 10", tagged=False),
    Entry("grace", "Day-over-day change of total volume",
          "SELECT day, volume_usd, round(volume_usd / lagInFrame(volume_usd) OVER (ORDER BY day) - 1, 4) AS change\n"
          "FROM\n(\n    SELECT day, sum(volume_usd) AS volume_usd\n    FROM dex.pool_daily\n    GROUP BY day\n)\nORDER BY day", tagged=False),
    Entry("grace", "How many swaps did each wallet segment make on base?",
          "SELECT w.label, count() AS swaps\nFROM dex.swaps AS s\nINNER JOIN dex.wallets AS w ON w.wallet = s.wallet\nWHERE s.chain = 'base'\nGROUP BY w.label\nORDER BY swaps DESC", tagged=False),
    Entry("grace", "What fraction of wallets are contracts?",
          "SELECT round(avg(is_contract), 4) AS contract_share, count() AS wallets\nFROM dex.wallets", tagged=False),
    Entry("heidi", "Stablecoin-to-stablecoin volume per chain",
          "SELECT s.chain, round(sum(s.amount_usd), 2) AS volume_usd\nFROM dex.swaps AS s\n"
          "INNER JOIN dex.tokens AS ti ON ti.token_address = s.token_in AND ti.chain = s.chain\n"
          "INNER JOIN dex.tokens AS tout ON tout.token_address = s.token_out AND tout.chain = s.chain\n"
          "WHERE ti.is_stablecoin = 1 AND tout.is_stablecoin = 1\nGROUP BY s.chain\nORDER BY volume_usd DESC", tagged=False),
    Entry("heidi", "Number of swaps per block on arbitrum, top blocks",
          "SELECT block_number, count() AS swaps\nFROM dex.swaps\nWHERE chain = 'arbitrum'\nGROUP BY block_number\nORDER BY swaps DESC, block_number\nLIMIT 10", tagged=False),
    Entry("heidi", "Which wallets traded on all three chains?",
          "SELECT wallet, uniqExact(chain) AS chains\nFROM dex.swaps\nGROUP BY wallet\nHAVING chains = 3\nORDER BY wallet", tagged=False),
    Entry("heidi", "The realized swap price of WETH in USDC per day on ethereum",
          "SELECT toDate(s.block_time) AS day, round(sum(s.amount_out) / sum(s.amount_in), 2) AS usdc_per_weth\n"
          "FROM dex.swaps AS s\nINNER JOIN dex.tokens AS ti ON ti.token_address = s.token_in AND ti.chain = s.chain\n"
          "INNER JOIN dex.tokens AS tout ON tout.token_address = s.token_out AND tout.chain = s.chain\n"
          "WHERE s.chain = 'ethereum' AND ti.symbol = 'WETH' AND tout.symbol = 'USDC'\nGROUP BY day\nORDER BY day", tagged=False),
    Entry("ivan", "",
          "-- How many tokens are listed per chain?\nSELECT chain, count() AS tokens\nFROM dex.tokens\nGROUP BY chain\nORDER BY tokens DESC"),
    Entry("ivan", "",
          "-- Pools created in 2024 by protocol\nSELECT protocol, count() AS pools\nFROM dex.pools\nWHERE toYear(created_at) = 2024\nGROUP BY protocol\nORDER BY pools DESC"),
    Entry("ivan", "",
          "/* Average swap size in USD by protocol */\nSELECT p.protocol, round(avg(s.amount_usd), 2) AS avg_usd\nFROM dex.swaps AS s\nINNER JOIN dex.pools AS p ON p.pool_address = s.pool_address AND p.chain = s.chain\nGROUP BY p.protocol\nORDER BY avg_usd DESC"),
    Entry("ivan", "What is the latest block we have for each chain?",
          "SELECT chain, max(block_number) AS last_block\nFROM dex.swaps\nGROUP BY chain\nORDER BY chain", tagged=False),
    Entry("ivan", "How many wallets are in each segment?",
          "SELECT label, count() AS wallets\nFROM dex.wallets\nGROUP BY label\nORDER BY wallets DESC", tagged=False),
    Entry("judy", "Busiest day by number of swaps",
          "SELECT toDate(block_time) AS day, count() AS swaps\nFROM dex.swaps\nGROUP BY day\nORDER BY swaps DESC\nLIMIT 1", tagged=False),
    Entry("judy", "Share of swaps per protocol in percent",
          "SELECT p.protocol, round(100 * count() / sum(count()) OVER (), 2) AS pct\nFROM dex.swaps AS s\nINNER JOIN dex.pools AS p ON p.pool_address = s.pool_address AND p.chain = s.chain\nGROUP BY p.protocol\nORDER BY pct DESC", tagged=False),
    Entry("judy", "Fee revenue per pool in October with its fee tier",
          "SELECT d.pool_address, p.fee_bps, round(sum(d.fees_usd), 2) AS fees_usd\nFROM dex.pool_daily AS d\nINNER JOIN dex.pools AS p ON p.pool_address = d.pool_address AND p.chain = d.chain\nWHERE d.day >= '2026-10-01' AND d.day < '2026-11-01'\nGROUP BY d.pool_address, p.fee_bps\nORDER BY fees_usd DESC\nLIMIT 10", tagged=False),
)

# Statements that are in a real query log but must never become training data.
NOISE: tuple[tuple[str, str], ...] = (
    ("alice", "SELECT amount FROM dex.swaps LIMIT 5"),  # fails: no such column
    ("ivan", "SELECT name, value FROM system.settings WHERE changed"),  # a system-table peek
    ("ivan", "SELECT 1"),  # a client's health check
    ("bob", "CREATE TEMPORARY TABLE scratch (x UInt8) ENGINE = Memory"),  # not a SELECT
)
