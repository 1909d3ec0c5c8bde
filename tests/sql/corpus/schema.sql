-- Sample tables for the transpile corpus: web analytics (webstats) and DEX trades (dexlog), ClickHouse DDL.
-- Database names are unusual on purpose: the test session shares one engine with other suites.
CREATE DATABASE IF NOT EXISTS webstats;
CREATE DATABASE IF NOT EXISTS dexlog;
CREATE TABLE webstats.users (
    user_id UInt64,
    email String,
    signup_date Date,
    country String,
    plan String,
    referrer Nullable(String)
) ENGINE = MergeTree ORDER BY user_id;
CREATE TABLE webstats.events (
    event_id UInt64,
    user_id UInt64,
    session_id String,
    event_type String,
    page_url String,
    country String,
    device String,
    revenue Float64,
    event_time DateTime,
    event_date Date,
    tags Array(String)
) ENGINE = MergeTree ORDER BY (event_date, event_id);
CREATE TABLE dexlog.trades (
    tx_hash String,
    block_time DateTime,
    block_date Date,
    trader String,
    token_in String,
    token_out String,
    amount_usd Float64,
    fee_usd Float64,
    pool String,
    chain String
) ENGINE = MergeTree ORDER BY (block_date, tx_hash);
CREATE TABLE dexlog.tokens (
    symbol String,
    address String,
    chain String,
    decimals UInt8,
    listed_at Date
) ENGINE = MergeTree ORDER BY (chain, symbol);
