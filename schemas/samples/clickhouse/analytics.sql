-- Sample ClickHouse catalog (the shape `sqlcurate pull` writes: one file per database).
CREATE TABLE analytics.events
(
    `event_id` UUID COMMENT 'unique event id',
    `ts` DateTime64(3, 'UTC') COMMENT 'when the event happened',
    `user_id` UInt64,
    `event_type` LowCardinality(String),
    `country` FixedString(2),
    `props` Map(String, String) COMMENT 'free-form properties',
    `tags` Array(String),
    `device` Tuple(os String, version String),
    `items` Nested(sku String, qty UInt32),
    `revenue` Decimal(18, 4)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (user_id, ts)
SETTINGS index_granularity = 8192
COMMENT 'Product events, one row per event';

CREATE TABLE analytics.users
(
    `user_id` UInt64,
    `email` String COMMENT 'login email',
    `signup_date` Date,
    `country` FixedString(2),
    `plan` Enum8('free' = 1, 'pro' = 2, 'team' = 3),
    `version` UInt32
)
ENGINE = ReplacingMergeTree(version)
ORDER BY user_id
COMMENT 'One row per user';

CREATE TABLE analytics.orders
(
    `order_id` UInt64,
    `user_id` UInt64,
    `created_at` DateTime,
    `amount` Decimal(12, 2),
    `status` LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY (created_at, order_id);
