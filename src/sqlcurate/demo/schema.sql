-- The demo warehouse: on-chain DEX trading analytics (one database, `dex`).
-- Amounts are in token units already divided by 10^decimals; USD values use the day's price.

CREATE DATABASE IF NOT EXISTS dex;

CREATE TABLE dex.tokens
(
    token_address String COMMENT 'Contract address, lowercase hex with 0x prefix',
    chain LowCardinality(String) COMMENT 'Chain name: ethereum, arbitrum or base',
    symbol LowCardinality(String) COMMENT 'Ticker symbol, e.g. WETH',
    name String COMMENT 'Full token name',
    decimals UInt8 COMMENT 'On-chain decimals of the token',
    is_stablecoin UInt8 COMMENT '1 for USD stablecoins (USDC, USDT, DAI)',
    listed_at DateTime COMMENT 'When the token was first seen in a pool'
)
ENGINE = MergeTree
ORDER BY (chain, token_address)
COMMENT 'One row per token contract per chain';

CREATE TABLE dex.pools
(
    pool_address String COMMENT 'Pool contract address',
    chain LowCardinality(String) COMMENT 'Chain name: ethereum, arbitrum or base',
    protocol LowCardinality(String) COMMENT 'DEX protocol: uniswap_v3, uniswap_v2, curve or balancer',
    token0 String COMMENT 'Address of the first token of the pair (see dex.tokens)',
    token1 String COMMENT 'Address of the second token of the pair (see dex.tokens)',
    fee_bps UInt16 COMMENT 'Swap fee in basis points (30 = 0.30%)',
    created_at DateTime COMMENT 'Pool creation time'
)
ENGINE = MergeTree
ORDER BY (chain, pool_address)
COMMENT 'Liquidity pools: one row per pool contract';

CREATE TABLE dex.wallets
(
    wallet String COMMENT 'Trader wallet address',
    label LowCardinality(String) COMMENT 'Segment: retail, whale, bot or market_maker',
    first_seen DateTime COMMENT 'First swap of the wallet on any chain',
    is_contract UInt8 COMMENT '1 when the address is a smart contract (aggregators, bots)'
)
ENGINE = MergeTree
ORDER BY wallet
COMMENT 'Known trader wallets with their segment label';

CREATE TABLE dex.swaps
(
    block_time DateTime COMMENT 'Block timestamp (UTC)',
    block_number UInt64 COMMENT 'Block height on its chain',
    chain LowCardinality(String) COMMENT 'Chain name: ethereum, arbitrum or base',
    tx_hash String COMMENT 'Transaction hash',
    log_index UInt32 COMMENT 'Position of the swap event in the transaction',
    pool_address String COMMENT 'Pool that executed the swap (see dex.pools)',
    wallet String COMMENT 'Trader wallet (see dex.wallets)',
    token_in String COMMENT 'Address of the token sold',
    token_out String COMMENT 'Address of the token bought',
    amount_in Float64 COMMENT 'Amount sold, in token units',
    amount_out Float64 COMMENT 'Amount bought, in token units',
    amount_usd Float64 COMMENT 'Trade value in USD at the day price',
    gas_used UInt64 COMMENT 'Gas used by the swap transaction',
    gas_price_gwei Float64 COMMENT 'Effective gas price in gwei'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(block_time)
ORDER BY (chain, pool_address, block_time)
COMMENT 'Swap events: one row per swap (tx_hash, log_index)';

CREATE TABLE dex.token_prices
(
    day Date COMMENT 'UTC day',
    chain LowCardinality(String) COMMENT 'Chain name',
    token_address String COMMENT 'Token contract address (see dex.tokens)',
    price_usd Float64 COMMENT 'Volume-weighted mean price in USD over the day'
)
ENGINE = MergeTree
ORDER BY (chain, token_address, day)
COMMENT 'Daily USD price per token';

CREATE TABLE dex.pool_daily
(
    day Date COMMENT 'UTC day',
    chain LowCardinality(String) COMMENT 'Chain name',
    pool_address String COMMENT 'Pool contract address (see dex.pools)',
    swap_count UInt64 COMMENT 'Number of swaps that day',
    volume_usd Float64 COMMENT 'Traded volume in USD',
    fees_usd Float64 COMMENT 'Fees earned by liquidity providers in USD (volume_usd * fee_bps / 10000)',
    unique_traders UInt64 COMMENT 'Distinct wallets that swapped in the pool that day'
)
ENGINE = MergeTree
ORDER BY (chain, pool_address, day)
COMMENT 'Daily aggregates per pool, rebuilt from dex.swaps each night';
