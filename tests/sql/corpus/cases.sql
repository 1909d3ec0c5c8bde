-- The transpile corpus: realistic analytics queries in five dialects over the tables of schema.sql,
-- each with a ClickHouse version written by hand (independently where a different idiom exists, so the
-- comparison checks meaning, not just our own spelling). Format: a block starts with "-- case: NAME"
-- and "-- from: DIALECT"; the source query follows; "-- clickhouse:" starts the hand-written version.

-- case: tsql_top_revenue_countries
-- from: tsql
SELECT TOP 5 country, SUM(revenue) AS total
FROM webstats.events
WHERE event_type = 'purchase'
GROUP BY country
ORDER BY total DESC, country
-- clickhouse:
SELECT country, sum(revenue) AS total FROM webstats.events WHERE event_type = 'purchase'
GROUP BY country ORDER BY total DESC, country LIMIT 5

-- case: tsql_isnull_referrer
-- from: tsql
SELECT ISNULL(referrer, 'direct') AS source, COUNT(*) AS users
FROM webstats.users GROUP BY ISNULL(referrer, 'direct') ORDER BY users DESC, source
-- clickhouse:
SELECT ifNull(referrer, 'direct') AS source, count() AS users FROM webstats.users GROUP BY source ORDER BY users DESC, source

-- case: tsql_dateadd_active_users
-- from: tsql
SELECT COUNT(DISTINCT user_id) AS active
FROM webstats.events
WHERE event_time >= DATEADD(day, -30, CAST('2024-03-31' AS DATETIME))
-- clickhouse:
SELECT uniqExact(user_id) AS active FROM webstats.events WHERE event_time >= toDateTime('2024-03-01 00:00:00')

-- case: tsql_datediff_days_to_purchase
-- from: tsql
SELECT u.user_id, DATEDIFF(day, u.signup_date, MIN(e.event_date)) AS days_to_purchase
FROM webstats.users u
JOIN webstats.events e ON e.user_id = u.user_id
WHERE e.event_type = 'purchase'
GROUP BY u.user_id, u.signup_date
ORDER BY u.user_id
-- clickhouse:
SELECT u.user_id, min(e.event_date) - u.signup_date AS days_to_purchase
FROM webstats.users AS u INNER JOIN webstats.events AS e ON e.user_id = u.user_id
WHERE e.event_type = 'purchase' GROUP BY u.user_id, u.signup_date ORDER BY u.user_id

-- case: tsql_convert_120_day
-- from: tsql
SELECT CONVERT(VARCHAR(10), event_time, 120) AS day, COUNT(*) AS n
FROM webstats.events
GROUP BY CONVERT(VARCHAR(10), event_time, 120)
ORDER BY day
-- clickhouse:
SELECT toString(toDate(event_time)) AS day, count() AS n FROM webstats.events GROUP BY day ORDER BY day

-- case: tsql_convert_120_full
-- from: tsql
SELECT TOP 5 event_id, CONVERT(VARCHAR(19), event_time, 120) AS ts FROM webstats.events ORDER BY event_id
-- clickhouse:
SELECT event_id, toString(event_time) AS ts FROM webstats.events ORDER BY event_id LIMIT 5

-- case: tsql_convert_120_month
-- from: tsql
SELECT CONVERT(VARCHAR(7), event_time, 120) AS month, SUM(revenue) AS revenue
FROM webstats.events GROUP BY CONVERT(VARCHAR(7), event_time, 120) ORDER BY month
-- clickhouse:
SELECT substring(toString(event_time), 1, 7) AS month, sum(revenue) AS revenue FROM webstats.events GROUP BY month ORDER BY month

-- case: tsql_string_agg_ordered
-- from: tsql
SELECT country, STRING_AGG(email, ', ') WITHIN GROUP (ORDER BY email) AS emails
FROM webstats.users WHERE plan = 'team' GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, arrayStringConcat(arraySort(groupArray(email)), ', ') AS emails
FROM webstats.users WHERE plan = 'team' GROUP BY country ORDER BY country

-- case: tsql_string_agg_by_other_key
-- from: tsql
SELECT plan, STRING_AGG(email, ';') WITHIN GROUP (ORDER BY signup_date DESC) AS newest_first
FROM webstats.users WHERE country = 'US' GROUP BY plan ORDER BY plan
-- clickhouse:
SELECT plan, arrayStringConcat(arrayMap(p -> p.2, arrayReverseSort(p -> p.1, groupArray((signup_date, email)))), ';') AS newest_first
FROM webstats.users WHERE country = 'US' GROUP BY plan ORDER BY plan

-- case: tsql_datepart_hour
-- from: tsql
SELECT DATEPART(hour, event_time) AS hour, COUNT(*) AS n
FROM webstats.events GROUP BY DATEPART(hour, event_time) ORDER BY hour
-- clickhouse:
SELECT toHour(event_time) AS hour, count() AS n FROM webstats.events GROUP BY hour ORDER BY hour

-- case: tsql_offset_fetch
-- from: tsql
SELECT user_id, email FROM webstats.users ORDER BY signup_date DESC, user_id OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY
-- clickhouse:
SELECT user_id, email FROM webstats.users ORDER BY signup_date DESC, user_id LIMIT 5 OFFSET 5

-- case: tsql_iif_purchases
-- from: tsql
SELECT device, SUM(IIF(event_type = 'purchase', 1, 0)) AS purchases, COUNT(*) AS events
FROM webstats.events GROUP BY device ORDER BY device
-- clickhouse:
SELECT device, countIf(event_type = 'purchase') AS purchases, count() AS events FROM webstats.events GROUP BY device ORDER BY device

-- case: tsql_brackets_dbo
-- from: tsql
SELECT TOP 3 [trader], SUM([amount_usd]) AS [volume]
FROM dexlog.dbo.trades GROUP BY [trader] ORDER BY [volume] DESC, [trader]
-- clickhouse:
SELECT trader, sum(amount_usd) AS volume FROM dexlog.trades GROUP BY trader ORDER BY volume DESC, trader LIMIT 3

-- case: tsql_charindex_domain
-- from: tsql
SELECT SUBSTRING(email, CHARINDEX('@', email) + 1, LEN(email)) AS domain, COUNT(*) AS n
FROM webstats.users
GROUP BY SUBSTRING(email, CHARINDEX('@', email) + 1, LEN(email))
ORDER BY n DESC, domain
-- clickhouse:
SELECT splitByChar('@', email)[2] AS domain, count() AS n FROM webstats.users GROUP BY domain ORDER BY n DESC, domain

-- case: tsql_getdate_past
-- from: tsql
SELECT COUNT(*) AS n FROM webstats.events WHERE event_time < GETDATE()
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_time < now()

-- case: tsql_row_number
-- from: tsql
SELECT user_id, event_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY event_time, event_id) AS rn
FROM webstats.events WHERE user_id <= 3 ORDER BY user_id, rn
-- clickhouse:
SELECT user_id, event_id, row_number() OVER (PARTITION BY user_id ORDER BY event_time, event_id) AS rn
FROM webstats.events WHERE user_id <= 3 ORDER BY user_id, rn

-- case: tsql_cte_top_days
-- from: tsql
WITH daily AS (
    SELECT block_date, SUM(amount_usd) AS vol FROM dexlog.trades GROUP BY block_date
)
SELECT TOP 5 block_date, vol FROM daily ORDER BY vol DESC, block_date
-- clickhouse:
SELECT block_date, sum(amount_usd) AS vol FROM dexlog.trades GROUP BY block_date ORDER BY vol DESC, block_date LIMIT 5

-- case: bigquery_unnest_tags
-- from: bigquery
SELECT tag, COUNT(*) AS n
FROM `myproject.webstats.events`, UNNEST(tags) AS tag
GROUP BY tag ORDER BY n DESC, tag
-- clickhouse:
SELECT tag, count() AS n FROM webstats.events ARRAY JOIN tags AS tag GROUP BY tag ORDER BY n DESC, tag

-- case: bigquery_cross_join_unnest
-- from: bigquery
SELECT e.device, tag, COUNT(DISTINCT e.user_id) AS users
FROM webstats.events AS e CROSS JOIN UNNEST(e.tags) AS tag
WHERE e.event_type = 'purchase'
GROUP BY e.device, tag ORDER BY e.device, tag
-- clickhouse:
SELECT device, tag, uniqExact(user_id) AS users FROM webstats.events ARRAY JOIN tags AS tag
WHERE event_type = 'purchase' GROUP BY device, tag ORDER BY device, tag

-- case: bigquery_timestamp_diff_sessions
-- from: bigquery
SELECT session_id, TIMESTAMP_DIFF(MAX(event_time), MIN(event_time), SECOND) AS seconds
FROM webstats.events GROUP BY session_id ORDER BY seconds DESC, session_id LIMIT 10
-- clickhouse:
SELECT session_id, toUnixTimestamp(max(event_time)) - toUnixTimestamp(min(event_time)) AS seconds
FROM webstats.events GROUP BY session_id ORDER BY seconds DESC, session_id LIMIT 10

-- case: bigquery_timestamp_diff_hours
-- from: bigquery
SELECT trader, TIMESTAMP_DIFF(MAX(block_time), MIN(block_time), HOUR) AS active_hours
FROM dexlog.trades GROUP BY trader ORDER BY trader LIMIT 5
-- clickhouse:
SELECT trader, dateDiff('hour', min(block_time), max(block_time)) AS active_hours FROM dexlog.trades GROUP BY trader ORDER BY trader LIMIT 5

-- case: bigquery_extract_dayofweek
-- from: bigquery
SELECT EXTRACT(DAYOFWEEK FROM event_date) AS dow, COUNT(*) AS n
FROM webstats.events GROUP BY dow ORDER BY dow
-- clickhouse:
SELECT toDayOfWeek(event_date) % 7 + 1 AS dow, count() AS n FROM webstats.events GROUP BY dow ORDER BY dow

-- case: bigquery_percentile_cont_window
-- from: bigquery
SELECT DISTINCT chain, PERCENTILE_CONT(amount_usd, 0.5) OVER (PARTITION BY chain) AS median_usd
FROM dexlog.trades ORDER BY chain
-- clickhouse:
SELECT chain, if(k % 2 = 1, s[intDiv(k, 2) + 1], (s[intDiv(k, 2)] + s[intDiv(k, 2) + 1]) / 2) AS median_usd
FROM (SELECT chain, arraySort(groupArray(amount_usd)) AS s, length(s) AS k FROM dexlog.trades GROUP BY chain)
ORDER BY chain

-- case: bigquery_approx_quantiles
-- from: bigquery
SELECT chain, APPROX_QUANTILES(amount_usd, 4) AS quartiles FROM dexlog.trades GROUP BY chain ORDER BY chain
-- clickhouse:
SELECT chain, quantilesExactLow(0, 0.25, 0.5, 0.75, 1)(amount_usd) AS quartiles FROM dexlog.trades GROUP BY chain ORDER BY chain

-- case: bigquery_approx_quantiles_offset
-- from: bigquery
SELECT pool, APPROX_QUANTILES(fee_usd, 2)[OFFSET(1)] AS median_fee FROM dexlog.trades GROUP BY pool ORDER BY pool
-- clickhouse:
SELECT pool, quantileExactLow(0.5)(fee_usd) AS median_fee FROM dexlog.trades GROUP BY pool ORDER BY pool

-- case: bigquery_struct
-- from: bigquery
SELECT STRUCT(user_id AS id, country AS country) AS u FROM webstats.users WHERE user_id <= 3 ORDER BY user_id
-- clickhouse:
SELECT (user_id, country) AS u FROM webstats.users WHERE user_id <= 3 ORDER BY user_id

-- case: bigquery_parse_date
-- from: bigquery
SELECT COUNT(*) AS n FROM webstats.events WHERE event_date >= PARSE_DATE('%Y%m%d', '20240301')
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_date >= toDate('2024-03-01')

-- case: bigquery_safe_divide_arpu
-- from: bigquery
SELECT DATE_TRUNC(event_date, MONTH) AS month,
       SAFE_DIVIDE(SUM(revenue), COUNT(DISTINCT user_id)) AS arpu
FROM `myproject.webstats.events`
GROUP BY month ORDER BY month
-- clickhouse:
SELECT toStartOfMonth(event_date) AS month, sum(revenue) / uniqExact(user_id) AS arpu
FROM webstats.events GROUP BY month ORDER BY month

-- case: bigquery_format_date
-- from: bigquery
SELECT FORMAT_DATE('%Y-%m', block_date) AS month, COUNT(*) AS trades FROM dexlog.trades GROUP BY month ORDER BY month
-- clickhouse:
SELECT substring(toString(block_date), 1, 7) AS month, count() AS trades FROM dexlog.trades GROUP BY month ORDER BY month

-- case: bigquery_countif
-- from: bigquery
SELECT device, COUNTIF(event_type = 'purchase') AS purchases FROM webstats.events GROUP BY device ORDER BY device
-- clickhouse:
SELECT device, countIf(event_type = 'purchase') AS purchases FROM webstats.events GROUP BY device ORDER BY device

-- case: bigquery_date_diff_age
-- from: bigquery
SELECT user_id, DATE_DIFF(DATE '2024-04-01', signup_date, DAY) AS age_days FROM webstats.users ORDER BY user_id LIMIT 5
-- clickhouse:
SELECT user_id, toDate('2024-04-01') - signup_date AS age_days FROM webstats.users ORDER BY user_id LIMIT 5

-- case: bigquery_qualify_biggest_trade
-- from: bigquery
SELECT trader, tx_hash, amount_usd FROM dexlog.trades WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY trader ORDER BY amount_usd DESC, tx_hash) = 1
ORDER BY trader
-- clickhouse:
SELECT trader, tx_hash, amount_usd FROM dexlog.trades ORDER BY trader, amount_usd DESC, tx_hash LIMIT 1 BY trader

-- case: bigquery_timestamp_trunc_hour
-- from: bigquery
SELECT TIMESTAMP_TRUNC(block_time, HOUR) AS hour, COUNT(*) AS n
FROM dexlog.trades WHERE block_date = '2024-01-15' GROUP BY hour ORDER BY hour
-- clickhouse:
SELECT toStartOfHour(block_time) AS hour, count() AS n FROM dexlog.trades WHERE block_date = '2024-01-15' GROUP BY hour ORDER BY hour

-- case: bigquery_array_agg_length
-- from: bigquery
SELECT user_id, ARRAY_LENGTH(ARRAY_AGG(DISTINCT page_url)) AS pages
FROM webstats.events GROUP BY user_id ORDER BY pages DESC, user_id LIMIT 5
-- clickhouse:
SELECT user_id, uniqExact(page_url) AS pages FROM webstats.events GROUP BY user_id ORDER BY pages DESC, user_id LIMIT 5

-- case: snowflake_listagg
-- from: snowflake
SELECT country, LISTAGG(email, ';') WITHIN GROUP (ORDER BY email) AS emails
FROM webstats.users WHERE plan = 'pro' GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, arrayStringConcat(arraySort(groupArray(email)), ';') AS emails
FROM webstats.users WHERE plan = 'pro' GROUP BY country ORDER BY country

-- case: snowflake_listagg_desc
-- from: snowflake
SELECT chain, LISTAGG(symbol, ',') WITHIN GROUP (ORDER BY symbol DESC) AS symbols
FROM dexlog.tokens GROUP BY chain ORDER BY chain
-- clickhouse:
SELECT chain, arrayStringConcat(arrayReverseSort(groupArray(symbol)), ',') AS symbols FROM dexlog.tokens GROUP BY chain ORDER BY chain

-- case: snowflake_iff_bucket
-- from: snowflake
SELECT IFF(revenue > 100, 'big', 'small') AS bucket, COUNT(*) AS n
FROM webstats.events WHERE event_type = 'purchase' GROUP BY bucket ORDER BY bucket
-- clickhouse:
SELECT if(revenue > 100, 'big', 'small') AS bucket, count() AS n FROM webstats.events WHERE event_type = 'purchase' GROUP BY bucket ORDER BY bucket

-- case: snowflake_qualify_last_event
-- from: snowflake
SELECT user_id, event_time, page_url FROM webstats.events
QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY event_time DESC, event_id DESC) = 1
ORDER BY user_id
-- clickhouse:
SELECT user_id, max(event_time) AS last_time, argMax(page_url, (event_time, event_id)) AS last_page
FROM webstats.events GROUP BY user_id ORDER BY user_id

-- case: snowflake_dateadd_last_week
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.events
WHERE event_date BETWEEN DATEADD(day, -6, '2024-03-31'::DATE) AND '2024-03-31'::DATE
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_date BETWEEN toDate('2024-03-25') AND toDate('2024-03-31')

-- case: snowflake_date_trunc_week
-- from: snowflake
SELECT DATE_TRUNC('WEEK', block_date) AS week, SUM(amount_usd) AS volume FROM dexlog.trades GROUP BY week ORDER BY week
-- clickhouse:
SELECT toMonday(block_date) AS week, sum(amount_usd) AS volume FROM dexlog.trades GROUP BY week ORDER BY week

-- case: snowflake_div0_fee_rate
-- from: snowflake
SELECT pool, DIV0(SUM(fee_usd), SUM(amount_usd)) AS fee_rate FROM dexlog.trades GROUP BY pool ORDER BY pool
-- clickhouse:
SELECT pool, sum(fee_usd) / sum(amount_usd) AS fee_rate FROM dexlog.trades GROUP BY pool ORDER BY pool

-- case: snowflake_zeroifnull
-- from: snowflake
SELECT u.plan, ZEROIFNULL(SUM(e.revenue)) AS revenue
FROM webstats.users u JOIN webstats.events e ON e.user_id = u.user_id
GROUP BY u.plan ORDER BY u.plan
-- clickhouse:
SELECT u.plan, sum(e.revenue) AS revenue FROM webstats.users AS u INNER JOIN webstats.events AS e ON e.user_id = u.user_id
GROUP BY u.plan ORDER BY u.plan

-- case: snowflake_casts
-- from: snowflake
SELECT block_date::VARCHAR AS day, COUNT(*)::INT AS n FROM dexlog.trades GROUP BY day ORDER BY day LIMIT 5
-- clickhouse:
SELECT toString(block_date) AS day, count() AS n FROM dexlog.trades GROUP BY day ORDER BY day LIMIT 5

-- case: snowflake_nvl
-- from: snowflake
SELECT NVL(referrer, 'none') AS ref, COUNT(*) AS n FROM webstats.users GROUP BY ref ORDER BY n DESC, ref
-- clickhouse:
SELECT ifNull(referrer, 'none') AS ref, count() AS n FROM webstats.users GROUP BY ref ORDER BY n DESC, ref

-- case: snowflake_to_char_month
-- from: snowflake
SELECT TO_CHAR(event_date, 'YYYY-MM') AS month, COUNT(DISTINCT user_id) AS mau
FROM webstats.events GROUP BY month ORDER BY month
-- clickhouse:
SELECT substring(toString(event_date), 1, 7) AS month, uniqExact(user_id) AS mau FROM webstats.events GROUP BY month ORDER BY month

-- case: snowflake_ilike
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.events WHERE page_url ILIKE '/BLOG%'
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE lower(page_url) LIKE '/blog%'

-- case: snowflake_share_window
-- from: snowflake
WITH v AS (SELECT chain, SUM(amount_usd) AS vol FROM dexlog.trades GROUP BY chain)
SELECT chain, vol, ROUND(100 * vol / SUM(vol) OVER (), 2) AS share FROM v ORDER BY chain
-- clickhouse:
SELECT chain, vol, round(100 * vol / (SELECT sum(amount_usd) FROM dexlog.trades), 2) AS share
FROM (SELECT chain, sum(amount_usd) AS vol FROM dexlog.trades GROUP BY chain) ORDER BY chain

-- case: snowflake_array_size
-- from: snowflake
SELECT ARRAY_SIZE(tags) AS n_tags, COUNT(*) AS n FROM webstats.events GROUP BY n_tags ORDER BY n_tags
-- clickhouse:
SELECT length(tags) AS n_tags, count() AS n FROM webstats.events GROUP BY n_tags ORDER BY n_tags

-- case: snowflake_datediff_active_days
-- from: snowflake
SELECT trader, DATEDIFF(day, MIN(block_date), MAX(block_date)) AS active_days
FROM dexlog.trades GROUP BY trader ORDER BY trader LIMIT 5
-- clickhouse:
SELECT trader, max(block_date) - min(block_date) AS active_days FROM dexlog.trades GROUP BY trader ORDER BY trader LIMIT 5

-- case: postgres_date_trunc_month
-- from: postgres
SELECT DATE_TRUNC('month', event_time) AS month, COUNT(*)::int AS events
FROM webstats.events GROUP BY 1 ORDER BY 1
-- clickhouse:
SELECT toStartOfMonth(event_time) AS month, count() AS events FROM webstats.events GROUP BY month ORDER BY month

-- case: postgres_filter
-- from: postgres
SELECT country, COUNT(*) FILTER (WHERE event_type = 'purchase') AS purchases, COUNT(*) AS events
FROM webstats.events GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, countIf(event_type = 'purchase') AS purchases, count() AS events FROM webstats.events GROUP BY country ORDER BY country

-- case: postgres_filter_sum
-- from: postgres
SELECT device, SUM(revenue) FILTER (WHERE country = 'US') AS us_revenue FROM webstats.events GROUP BY device ORDER BY device
-- clickhouse:
SELECT device, sumIf(revenue, country = 'US') AS us_revenue FROM webstats.events GROUP BY device ORDER BY device

-- case: postgres_distinct_on
-- from: postgres
SELECT DISTINCT ON (user_id) user_id, event_time, event_type
FROM webstats.events ORDER BY user_id, event_time DESC, event_id DESC
-- clickhouse:
SELECT user_id, max(event_time) AS last_time, argMax(event_type, (event_time, event_id)) AS last_type
FROM webstats.events GROUP BY user_id ORDER BY user_id

-- case: postgres_interval_literal
-- from: postgres
SELECT COUNT(*) AS n FROM webstats.events WHERE event_time >= TIMESTAMP '2024-03-31 00:00:00' - INTERVAL '7 days'
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_time >= toDateTime('2024-03-24 00:00:00')

-- case: postgres_percentile_cont
-- from: postgres
SELECT pool, PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY amount_usd) AS p90 FROM dexlog.trades GROUP BY pool ORDER BY pool
-- clickhouse:
SELECT pool, quantileExactInclusive(0.9)(amount_usd) AS p90 FROM dexlog.trades GROUP BY pool ORDER BY pool

-- case: postgres_string_agg_order
-- from: postgres
SELECT chain, STRING_AGG(symbol, ',' ORDER BY symbol) AS symbols FROM dexlog.tokens GROUP BY chain ORDER BY chain
-- clickhouse:
SELECT chain, arrayStringConcat(arraySort(groupArray(symbol)), ',') AS symbols FROM dexlog.tokens GROUP BY chain ORDER BY chain

-- case: postgres_extract_dow
-- from: postgres
SELECT EXTRACT(DOW FROM block_date) AS dow, COUNT(*) AS n FROM dexlog.trades GROUP BY 1 ORDER BY 1
-- clickhouse:
SELECT toDayOfWeek(block_date) % 7 AS dow, count() AS n FROM dexlog.trades GROUP BY dow ORDER BY dow

-- case: postgres_cast_date_ilike
-- from: postgres
SELECT event_time::date AS day, COUNT(*) AS n FROM webstats.events WHERE page_url ILIKE '%DOCS%' GROUP BY 1 ORDER BY 1 LIMIT 5
-- clickhouse:
SELECT toDate(event_time) AS day, count() AS n FROM webstats.events WHERE positionCaseInsensitive(page_url, 'docs') > 0
GROUP BY day ORDER BY day LIMIT 5

-- case: postgres_now_interval
-- from: postgres
SELECT COUNT(*) AS n FROM dexlog.trades WHERE block_time > NOW() - INTERVAL '30 days'
-- clickhouse:
SELECT count() AS n FROM dexlog.trades WHERE block_time > now() - INTERVAL 30 DAY

-- case: postgres_join_using_coalesce
-- from: postgres
SELECT u.plan, COALESCE(SUM(e.revenue), 0) AS revenue, COUNT(DISTINCT e.session_id) AS sessions
FROM webstats.users u JOIN webstats.events e USING (user_id)
GROUP BY u.plan ORDER BY u.plan
-- clickhouse:
SELECT u.plan, sum(e.revenue) AS revenue, uniqExact(e.session_id) AS sessions
FROM webstats.users AS u INNER JOIN webstats.events AS e ON e.user_id = u.user_id GROUP BY u.plan ORDER BY u.plan

-- case: postgres_cte_ranked
-- from: postgres
WITH vol AS (
    SELECT trader, SUM(amount_usd) AS usd FROM dexlog.trades GROUP BY trader
)
SELECT trader, usd, RANK() OVER (ORDER BY usd DESC) AS rnk FROM vol ORDER BY rnk, trader LIMIT 5
-- clickhouse:
SELECT trader, usd, rank() OVER (ORDER BY usd DESC) AS rnk
FROM (SELECT trader, sum(amount_usd) AS usd FROM dexlog.trades GROUP BY trader) ORDER BY rnk, trader LIMIT 5

-- case: postgres_generate_free_having
-- from: postgres
SELECT token_in, COUNT(*) AS n FROM dexlog.trades GROUP BY token_in HAVING COUNT(*) > 40 ORDER BY n DESC, token_in
-- clickhouse:
SELECT token_in, count() AS n FROM dexlog.trades GROUP BY token_in HAVING n > 40 ORDER BY n DESC, token_in

-- case: mysql_date_format_minutes
-- from: mysql
SELECT DATE_FORMAT(event_time, '%Y-%m-%d %H:%i') AS minute, event_type FROM webstats.events ORDER BY event_id LIMIT 5
-- clickhouse:
SELECT substring(toString(event_time), 1, 16) AS minute, event_type FROM webstats.events ORDER BY event_id LIMIT 5

-- case: mysql_date_format_month_name
-- from: mysql
SELECT DATE_FORMAT(block_date, '%M %Y') AS month, COUNT(*) AS n FROM dexlog.trades GROUP BY month ORDER BY n DESC, month
-- clickhouse:
SELECT concat(monthName(block_date), ' ', toString(toYear(block_date))) AS month, count() AS n FROM dexlog.trades GROUP BY month ORDER BY n DESC, month

-- case: mysql_group_concat
-- from: mysql
SELECT country, GROUP_CONCAT(email ORDER BY email SEPARATOR ';') AS emails
FROM webstats.users WHERE plan = 'free' GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, arrayStringConcat(arraySort(groupArray(email)), ';') AS emails FROM webstats.users WHERE plan = 'free' GROUP BY country ORDER BY country

-- case: mysql_ifnull_backticks
-- from: mysql
SELECT IFNULL(`referrer`, 'direct') AS `source`, COUNT(*) AS `n`
FROM `webstats`.`users` GROUP BY `source` ORDER BY `n` DESC, `source`
-- clickhouse:
SELECT ifNull(referrer, 'direct') AS source, count() AS n FROM webstats.users GROUP BY source ORDER BY n DESC, source

-- case: mysql_date_sub
-- from: mysql
SELECT COUNT(*) AS n FROM webstats.events WHERE event_date >= DATE_SUB(DATE('2024-03-31'), INTERVAL 7 DAY)
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_date >= toDate('2024-03-24')

-- case: mysql_limit_offset
-- from: mysql
SELECT user_id, email FROM webstats.users ORDER BY user_id LIMIT 10, 5
-- clickhouse:
SELECT user_id, email FROM webstats.users ORDER BY user_id LIMIT 5 OFFSET 10

-- case: mysql_curdate
-- from: mysql
SELECT COUNT(*) AS n FROM webstats.users WHERE signup_date <= CURDATE()
-- clickhouse:
SELECT count() AS n FROM webstats.users WHERE signup_date <= today()

-- case: mysql_unix_timestamp
-- from: mysql
SELECT tx_hash, UNIX_TIMESTAMP(block_time) AS ts FROM dexlog.trades ORDER BY block_time, tx_hash LIMIT 3
-- clickhouse:
SELECT tx_hash, toUnixTimestamp(block_time) AS ts FROM dexlog.trades ORDER BY block_time, tx_hash LIMIT 3

-- case: mysql_year_month
-- from: mysql
SELECT YEAR(block_date) AS y, MONTH(block_date) AS m, COUNT(*) AS n FROM dexlog.trades GROUP BY y, m ORDER BY y, m
-- clickhouse:
SELECT toYear(block_date) AS y, toMonth(block_date) AS m, count() AS n FROM dexlog.trades GROUP BY y, m ORDER BY y, m

-- case: mysql_datediff
-- from: mysql
SELECT user_id, DATEDIFF('2024-04-01', signup_date) AS age FROM webstats.users ORDER BY user_id LIMIT 5
-- clickhouse:
SELECT user_id, toDate('2024-04-01') - signup_date AS age FROM webstats.users ORDER BY user_id LIMIT 5

-- case: mysql_if_whales
-- from: mysql
SELECT IF(amount_usd >= 1000, 'whale', 'retail') AS kind, COUNT(*) AS n FROM dexlog.trades GROUP BY kind ORDER BY kind
-- clickhouse:
SELECT multiIf(amount_usd >= 1000, 'whale', 'retail') AS kind, count() AS n FROM dexlog.trades GROUP BY kind ORDER BY kind

-- case: mysql_str_to_date
-- from: mysql
SELECT COUNT(*) AS n FROM dexlog.trades WHERE block_date >= STR_TO_DATE('01/02/2024', '%d/%m/%Y')
-- clickhouse:
SELECT count() AS n FROM dexlog.trades WHERE block_date >= toDate('2024-02-01')

-- case: mysql_substring_index
-- from: mysql
SELECT SUBSTRING_INDEX(email, '@', -1) AS domain, COUNT(*) AS n FROM webstats.users GROUP BY domain ORDER BY n DESC, domain
-- clickhouse:
SELECT splitByChar('@', email)[-1] AS domain, count() AS n FROM webstats.users GROUP BY domain ORDER BY n DESC, domain

-- case: bigquery_datetime_diff_minutes
-- from: bigquery
SELECT session_id, DATETIME_DIFF(MAX(event_time), MIN(event_time), MINUTE) AS minutes
FROM webstats.events GROUP BY session_id ORDER BY minutes DESC, session_id LIMIT 5
-- clickhouse:
SELECT session_id, dateDiff('minute', min(event_time), max(event_time)) AS minutes
FROM webstats.events GROUP BY session_id ORDER BY minutes DESC, session_id LIMIT 5

-- case: bigquery_parse_timestamp
-- from: bigquery
SELECT COUNT(*) AS n FROM dexlog.trades WHERE block_time >= PARSE_TIMESTAMP('%Y-%m-%d %H:%M', '2024-02-15 12:30')
-- clickhouse:
SELECT count() AS n FROM dexlog.trades WHERE block_time >= toDateTime('2024-02-15 12:30:00')

-- case: bigquery_unix_seconds
-- from: bigquery
SELECT tx_hash, UNIX_SECONDS(block_time) AS ts FROM dexlog.trades ORDER BY block_time DESC, tx_hash LIMIT 3
-- clickhouse:
SELECT tx_hash, toUnixTimestamp(block_time) AS ts FROM dexlog.trades ORDER BY block_time DESC, tx_hash LIMIT 3

-- case: mysql_str_to_date_time
-- from: mysql
SELECT COUNT(*) AS n FROM webstats.events WHERE event_time < STR_TO_DATE('2024-01-10 08:15', '%Y-%m-%d %H:%i')
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_time < toDateTime('2024-01-10 08:15:00')

-- case: bigquery_left_join_unnest
-- from: bigquery
SELECT tag, COUNT(*) AS events
FROM webstats.events LEFT JOIN UNNEST(tags) AS tag
GROUP BY tag ORDER BY events DESC, tag
-- clickhouse:
SELECT tag, count() AS events
FROM webstats.events ARRAY JOIN if(empty(tags), [NULL], CAST(tags, 'Array(Nullable(String))')) AS tag
GROUP BY tag ORDER BY events DESC, tag

-- case: postgres_left_join_anti
-- from: postgres
SELECT u.user_id, u.email
FROM webstats.users u
LEFT JOIN webstats.events e ON e.user_id = u.user_id AND e.event_type = 'purchase'
WHERE e.event_id IS NULL
ORDER BY u.user_id
-- clickhouse:
SELECT user_id, email FROM webstats.users
WHERE user_id NOT IN (SELECT user_id FROM webstats.events WHERE event_type = 'purchase')
ORDER BY user_id

-- case: tsql_left_join_isnull_default
-- from: tsql
SELECT TOP 10 u.user_id, ISNULL(SUM(e.revenue), -1) AS revenue
FROM webstats.users u
LEFT JOIN webstats.events e ON e.user_id = u.user_id AND e.event_type = 'purchase'
GROUP BY u.user_id
ORDER BY revenue, u.user_id
-- clickhouse:
SELECT u.user_id, if(countIf(e.event_id != 0) = 0, -1, sum(e.revenue)) AS revenue
FROM webstats.users AS u
LEFT JOIN (SELECT * FROM webstats.events WHERE event_type = 'purchase') AS e ON e.user_id = u.user_id
GROUP BY u.user_id
ORDER BY revenue, u.user_id
LIMIT 10

-- case: postgres_integer_division
-- from: postgres
SELECT country, 100 * COUNT(*) / (SELECT COUNT(*) FROM webstats.users) AS pct_users
FROM webstats.users GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, toInt64(floor(100 * count() / (SELECT count() FROM webstats.users))) AS pct_users
FROM webstats.users GROUP BY country ORDER BY country

-- case: tsql_string_concat_plus
-- from: tsql
SELECT TOP 5 'user-' + CAST(user_id AS VARCHAR(10)) + ':' + country AS label
FROM webstats.users ORDER BY user_id
-- clickhouse:
SELECT concat('user-', toString(user_id), ':', country) AS label FROM webstats.users ORDER BY user_id LIMIT 5

-- case: tsql_hints_dropped
-- from: tsql
SELECT TOP 3 country, COUNT(*) AS n FROM webstats.events WITH (NOLOCK)
GROUP BY country ORDER BY n DESC, country OPTION (LABEL = 'q01', MAXDOP 1)
-- clickhouse:
SELECT country, count() AS n FROM webstats.events GROUP BY country ORDER BY n DESC, country LIMIT 3

-- case: mysql_dayofweek_sunday_first
-- from: mysql
SELECT DAYOFWEEK(event_date) AS dow, COUNT(*) AS n FROM webstats.events GROUP BY DAYOFWEEK(event_date) ORDER BY dow
-- clickhouse:
SELECT toDayOfWeek(event_date) % 7 + 1 AS dow, count() AS n FROM webstats.events GROUP BY dow ORDER BY dow

-- case: postgres_interval_cast
-- from: postgres
SELECT COUNT(*) AS n FROM webstats.events WHERE event_date < CAST('2024-01-01' AS DATE) + '1 month'::interval
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_date < toDate('2024-02-01')

-- case: snowflake_octet_length
-- from: snowflake
SELECT page_url, OCTET_LENGTH(page_url) AS bytes FROM webstats.events GROUP BY page_url ORDER BY page_url
-- clickhouse:
SELECT page_url, lengthUTF8(page_url) AS bytes FROM webstats.events GROUP BY page_url ORDER BY page_url

-- case: snowflake_regexp_like_flags_and_anchoring
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.events WHERE REGEXP_LIKE(page_url, '/DOCS', 'i')
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE page_url = '/docs'

-- case: snowflake_dayofweekiso
-- from: snowflake
SELECT DAYOFWEEKISO(event_date) AS d, COUNT(*) AS n FROM webstats.events GROUP BY d ORDER BY d
-- clickhouse:
SELECT (toDayOfWeek(event_date, 2) + 6) % 7 + 1 AS d, count() AS n FROM webstats.events GROUP BY d ORDER BY d

-- case: snowflake_lateral_flatten
-- from: snowflake
SELECT f.value AS tag, COUNT(*) AS n FROM webstats.events e, LATERAL FLATTEN(input => e.tags) f
GROUP BY f.value ORDER BY n DESC, tag
-- clickhouse:
SELECT arrayJoin(tags) AS tag, count() AS n FROM webstats.events GROUP BY tag ORDER BY n DESC, tag

-- case: bigquery_array_agg_latest
-- from: bigquery
SELECT user_id, ARRAY_AGG(page_url IGNORE NULLS ORDER BY event_id DESC LIMIT 1)[SAFE_OFFSET(0)] AS last_page
FROM webstats.events GROUP BY user_id ORDER BY user_id
-- clickhouse:
SELECT user_id, argMax(page_url, event_id) AS last_page FROM webstats.events GROUP BY user_id ORDER BY user_id

-- case: bigquery_from_unnest
-- from: bigquery
SELECT x * 2 AS y FROM UNNEST([1, 2, 3]) AS x ORDER BY y
-- clickhouse:
SELECT arrayJoin([2, 4, 6]) AS y ORDER BY y

-- case: bigquery_wildcard_table_suffix
-- from: bigquery
SELECT _TABLE_SUFFIX AS day, COUNT(*) AS n FROM `proj.webstats.daily_*`
WHERE _TABLE_SUFFIX BETWEEN '20240101' AND '20240102' GROUP BY day ORDER BY day
-- clickhouse:
SELECT formatDateTime(event_date, '%Y%m%d') AS day, count() AS n FROM webstats.events
WHERE event_date IN ('2024-01-01', '2024-01-02') GROUP BY day ORDER BY day

-- case: snowflake_parse_json_path
-- from: snowflake
SELECT PARSE_JSON('{"plan": "pro", "seats": 3}'):plan::string AS plan, COUNT(*) AS n FROM webstats.users GROUP BY 1
-- clickhouse:
SELECT 'pro' AS plan, count() AS n FROM webstats.users

-- case: snowflake_to_timestamp_epoch
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.events WHERE event_time >= TO_TIMESTAMP_NTZ(1706745600)
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_time >= toDateTime('2024-02-01 00:00:00', 'UTC')

-- case: snowflake_to_date_with_format
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.events WHERE event_date >= TO_DATE('20240301', 'YYYYMMDD')
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_date >= '2024-03-01'

-- case: snowflake_try_to_timestamp
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.events WHERE event_time >= TRY_TO_TIMESTAMP('2024-02-01 00:00:00')
-- clickhouse:
SELECT count() AS n FROM webstats.events WHERE event_time >= toDateTime('2024-02-01 00:00:00', 'UTC')

-- case: snowflake_split_part_domain
-- from: snowflake
SELECT SPLIT_PART(email, '@', 2) AS domain, COUNT(*) AS n FROM webstats.users GROUP BY domain
-- clickhouse:
SELECT substring(email, position(email, '@') + 1) AS domain, count() AS n FROM webstats.users GROUP BY domain

-- case: bigquery_unix_micros
-- from: bigquery
SELECT event_id, UNIX_MICROS(event_time) AS us, UNIX_MILLIS(event_time) AS ms FROM webstats.events ORDER BY event_id LIMIT 3
-- clickhouse:
SELECT event_id, toUnixTimestamp(event_time) * 1000000 AS us, toUnixTimestamp(event_time) * 1000 AS ms FROM webstats.events ORDER BY event_id LIMIT 3

-- case: sqlite_julianday_days_since_signup
-- from: sqlite
SELECT user_id, julianday('2024-04-01') - julianday(signup_date) AS days FROM webstats.users ORDER BY user_id LIMIT 5
-- clickhouse:
SELECT user_id, dateDiff('day', signup_date, toDate('2024-04-01')) AS days FROM webstats.users ORDER BY user_id LIMIT 5

-- case: snowflake_listagg_distinct_ordered
-- from: snowflake
SELECT device, LISTAGG(DISTINCT country, ', ') WITHIN GROUP (ORDER BY country) AS countries
FROM webstats.events GROUP BY device ORDER BY device
-- clickhouse:
SELECT device, arrayStringConcat(arraySort(arrayDistinct(groupArray(country))), ', ') AS countries
FROM webstats.events GROUP BY device ORDER BY device

-- case: bigquery_unnest_with_offset
-- from: bigquery
SELECT event_id, tag, pos FROM webstats.events, UNNEST(tags) AS tag WITH OFFSET AS pos
WHERE pos >= 1 ORDER BY event_id, pos LIMIT 20
-- clickhouse:
SELECT event_id, tags[2] AS tag, 1 AS pos FROM webstats.events WHERE length(tags) >= 2 ORDER BY event_id, pos LIMIT 20

-- case: postgres_aggregates_over_no_rows_are_null
-- from: postgres
SELECT SUM(revenue) AS total, AVG(revenue) AS mean, MIN(country) AS first_country, MAX(revenue) AS top,
       STDDEV(revenue) AS sd, STDDEV_SAMP(revenue) AS sd_samp, STDDEV_POP(revenue) AS sd_pop,
       VARIANCE(revenue) AS var, VAR_POP(revenue) AS var_pop, COUNT(*) AS n
FROM webstats.events WHERE event_type = 'no such event'
-- clickhouse:
SELECT sum(revenue), avg(revenue), min(country), max(revenue), stddevSamp(revenue), stddevSamp(revenue),
       stddevPop(revenue), varSamp(revenue), varPop(revenue), count()
FROM webstats.events WHERE event_type = 'no such event' SETTINGS aggregate_functions_null_for_empty = 1

-- case: postgres_filtered_sum_of_a_group_without_matches_is_null
-- from: postgres
SELECT country, SUM(revenue) FILTER (WHERE event_type = 'no such event') AS missing, SUM(revenue) AS total
FROM webstats.events GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, if(countIf(event_type = 'no such event') = 0, NULL, sumIf(revenue, event_type = 'no such event')), sum(revenue)
FROM webstats.events GROUP BY country ORDER BY country

-- case: postgres_decimal_literal_arithmetic_is_exact
-- from: postgres
SELECT COUNT(*) AS n FROM webstats.events
WHERE 0.07 + revenue * 0 BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND 0.1 * 3 = 0.3
-- clickhouse:
SELECT count() FROM webstats.events WHERE toDecimal64(0.05, 2) BETWEEN toDecimal64(0.06, 2) - toDecimal64(0.01, 2) AND toDecimal64(0.07, 2)

-- case: postgres_rollup_total_row_has_null_key
-- from: postgres
SELECT country, event_type, SUM(revenue) AS total
FROM webstats.events GROUP BY ROLLUP (country, event_type)
-- clickhouse:
SELECT country, event_type, sum(revenue) FROM webstats.events GROUP BY country, event_type
UNION ALL SELECT country, NULL, sum(revenue) FROM webstats.events GROUP BY country
UNION ALL SELECT NULL, NULL, sum(revenue) FROM webstats.events

-- case: postgres_cube_over_no_rows_keeps_the_grand_total
-- from: postgres
SELECT country, COUNT(*) AS n, MAX(revenue) AS top
FROM webstats.events WHERE event_type = 'no such event' GROUP BY CUBE (country)
-- clickhouse:
SELECT CAST(NULL AS Nullable(String)), toUInt64(0), CAST(NULL AS Nullable(Float64))

-- BigQuery (issue #11, helper bq): FORMAT, WEEK(<weekday>)

-- case: bigquery_format_printf
-- from: bigquery
SELECT FORMAT('%d-%s', user_id, country) AS label FROM `myproject.webstats.users` ORDER BY user_id LIMIT 5
-- clickhouse:
SELECT concat(toString(user_id), '-', country) AS label FROM webstats.users ORDER BY user_id LIMIT 5

-- case: bigquery_date_trunc_week_tuesday
-- from: bigquery
SELECT DATE_TRUNC(event_date, WEEK(TUESDAY)) AS week, COUNT(*) AS n FROM webstats.events GROUP BY week ORDER BY week
-- clickhouse:
SELECT toMonday(event_date - 1) + 1 AS week, count() AS n FROM webstats.events GROUP BY week ORDER BY week

-- case: bigquery_last_day_of_periods
-- from: bigquery
SELECT user_id, LAST_DAY(signup_date, WEEK(MONDAY)) AS week_end, LAST_DAY(signup_date, QUARTER) AS quarter_end,
       LAST_DAY(signup_date, YEAR) AS year_end
FROM `myproject.webstats.users` ORDER BY user_id LIMIT 8
-- clickhouse:
SELECT user_id, toMonday(signup_date) + 6, toLastDayOfMonth(toStartOfQuarter(signup_date) + INTERVAL 2 MONTH),
       toDate(concat(toString(toYear(signup_date)), '-12-31'))
FROM webstats.users ORDER BY user_id LIMIT 8

-- case: bigquery_translate_deletes_extra_characters
-- from: bigquery
SELECT TRANSLATE(country, 'AEIOU', 'aei') AS t FROM `myproject.webstats.users` ORDER BY user_id LIMIT 8
-- clickhouse:
SELECT replaceRegexpAll(replaceAll(replaceAll(replaceAll(country, 'A', 'a'), 'E', 'e'), 'I', 'i'), '[OU]', '')
FROM webstats.users ORDER BY user_id LIMIT 8

-- case: bigquery_generate_uuid_calls_differ
-- from: bigquery
SELECT LENGTH(GENERATE_UUID()) AS n, GENERATE_UUID() = GENERATE_UUID() AS same FROM `myproject.webstats.users` LIMIT 1
-- clickhouse:
SELECT 36, false

-- case: bigquery_bitwise_operators
-- from: bigquery
SELECT user_id, user_id & 6 AS a, user_id | 8 AS o, user_id ^ 5 AS x, ~CAST(user_id AS INT64) AS n
FROM `myproject.webstats.users` ORDER BY user_id LIMIT 8
-- clickhouse:
SELECT user_id, user_id % 8 - user_id % 2, if(intDiv(user_id, 8) % 2 = 1, user_id, user_id + 8),
       user_id + if(user_id % 2 = 1, -1, 1) + if(intDiv(user_id, 4) % 2 = 1, -4, 4), -1 - toInt64(user_id)
FROM webstats.users ORDER BY user_id LIMIT 8

-- case: bigquery_generate_date_array_weeks
-- from: bigquery
SELECT user_id, ARRAY_LENGTH(GENERATE_DATE_ARRAY(signup_date, DATE '2024-03-31', INTERVAL 1 WEEK)) AS weeks
FROM `myproject.webstats.users` ORDER BY user_id
-- clickhouse:
SELECT user_id, if(signup_date <= toDate('2024-03-31'), intDiv(toDate('2024-03-31') - signup_date, 7) + 1, 0)
FROM webstats.users ORDER BY user_id

-- case: bigquery_generate_timestamp_array_half_hours
-- from: bigquery
SELECT event_id, ARRAY_LENGTH(GENERATE_TIMESTAMP_ARRAY(event_time, event_time + INTERVAL 100 MINUTE, INTERVAL 30 MINUTE)) AS n
FROM `myproject.webstats.events` ORDER BY event_id LIMIT 5
-- clickhouse:
SELECT event_id, 4 FROM webstats.events ORDER BY event_id LIMIT 5

-- Snowflake (issue #11, helper sf)

-- case: snowflake_to_number_rounds
-- from: snowflake
SELECT user_id, TO_NUMBER(revenue) AS whole FROM (SELECT user_id, SUM(revenue) AS revenue FROM webstats.events GROUP BY user_id) ORDER BY user_id
-- clickhouse:
SELECT user_id, round(toDecimal64(sum(revenue), 6), 0) AS whole FROM webstats.events GROUP BY user_id ORDER BY user_id

-- case: snowflake_date_from_parts_month_start
-- from: snowflake
SELECT DATE_FROM_PARTS(YEAR(event_date), MONTH(event_date) + 1, 0) AS month_end, COUNT(*) AS n FROM webstats.events GROUP BY 1 ORDER BY 1
-- clickhouse:
SELECT toLastDayOfMonth(event_date) AS month_end, count() AS n FROM webstats.events GROUP BY month_end ORDER BY month_end

-- case: snowflake_array_sort_tags
-- from: snowflake
SELECT event_id, ARRAY_SORT(tags) AS sorted, ARRAY_SIZE(tags) AS n FROM webstats.events ORDER BY event_id LIMIT 5
-- clickhouse:
SELECT event_id, arraySort(x -> x, tags) AS sorted, length(tags) AS n FROM webstats.events ORDER BY event_id LIMIT 5

-- case: snowflake_array_generate_range
-- from: snowflake
SELECT user_id, ARRAY_GENERATE_RANGE(0, user_id) AS r FROM webstats.users ORDER BY user_id LIMIT 4
-- clickhouse:
SELECT user_id, arrayMap(i -> i - 1, arrayEnumerate(arrayResize(CAST([] AS Array(UInt8)), user_id))) AS r FROM webstats.users ORDER BY user_id LIMIT 4

-- case: snowflake_last_day_week
-- from: snowflake
SELECT LAST_DAY(event_date, week) AS week_end, ZEROIFNULL(COUNT(*)) AS n FROM webstats.events GROUP BY 1 ORDER BY 1
-- clickhouse:
SELECT toMonday(event_date) + 6 AS week_end, count() AS n FROM webstats.events GROUP BY week_end ORDER BY week_end

-- case: snowflake_array_contains_to_variant
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.events WHERE ARRAY_CONTAINS(TO_VARIANT('promo'), tags)
-- clickhouse:
SELECT countIf(indexOf(tags, 'promo') > 0) AS n FROM webstats.events

-- case: snowflake_to_boolean_paid_plan
-- from: snowflake
SELECT COUNT(*) AS n FROM webstats.users WHERE TO_BOOLEAN(IFF(plan = 'free', 'no', 'YES'))
-- clickhouse:
SELECT countIf(plan != 'free') AS n FROM webstats.users

-- case: snowflake_next_day_monday
-- from: snowflake
SELECT NEXT_DAY(event_date, 'monday') AS next_monday, ZEROIFNULL(COUNT(*)) AS n FROM webstats.events GROUP BY 1 ORDER BY 1
-- clickhouse:
SELECT toMonday(event_date) + 7 AS next_monday, count() AS n FROM webstats.events GROUP BY next_monday ORDER BY next_monday

-- case: snowflake_add_months_keeps_month_end
-- from: snowflake
SELECT signup_date, ADD_MONTHS(LAST_DAY(signup_date), 1) AS next_end, IFF(plan = 'free', 0, 1) AS paid FROM webstats.users ORDER BY signup_date, user_id LIMIT 5
-- clickhouse:
SELECT signup_date, toLastDayOfMonth(toStartOfMonth(signup_date) + INTERVAL 1 MONTH) AS next_end, plan != 'free' AS paid FROM webstats.users ORDER BY signup_date, user_id LIMIT 5

-- case: snowflake_boolxor_agg
-- from: snowflake
SELECT country, BOOLXOR_AGG(revenue > 0) AS one_paid FROM webstats.events GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, countIf(revenue > 0) = 1 AS one_paid FROM webstats.events GROUP BY country ORDER BY country

-- case: snowflake_timestamp_from_parts
-- from: snowflake
SELECT event_id, TIMESTAMP_FROM_PARTS(YEAR(event_date), MONTH(event_date), DAY(event_date), 12, 0, 0) AS noon,
  TIMESTAMP_LTZ_FROM_PARTS(2024, 1, 2, 3, 4, 5) AS ltz, TIMESTAMP_TZ_FROM_PARTS(2024, 1, 2, 3, 4, 5, 0, 'UTC') AS tz
FROM webstats.events ORDER BY event_id LIMIT 5
-- clickhouse:
SELECT event_id, toDateTime64(event_date, 6, 'UTC') + INTERVAL 12 HOUR AS noon, toDateTime64('2024-01-02 03:04:05', 6) AS ltz,
  toDateTime64('2024-01-02 03:04:05', 6, 'UTC') AS tz
FROM webstats.events ORDER BY event_id LIMIT 5

-- case: snowflake_time_slice_hour_end
-- from: snowflake
SELECT TIME_SLICE(event_time, 1, 'HOUR', 'END') AS hour_end, COUNT(*) AS n FROM webstats.events GROUP BY 1 ORDER BY 1
-- clickhouse:
SELECT toStartOfHour(event_time) + 3600 AS hour_end, count() AS n FROM webstats.events GROUP BY hour_end ORDER BY hour_end

-- case: snowflake_base64_decode
-- from: snowflake
SELECT country, BASE64_DECODE_STRING(BASE64_ENCODE(country)) AS same, BASE64_DECODE_BINARY('aGk=') AS hi FROM webstats.users GROUP BY country ORDER BY country
-- clickhouse:
SELECT country, country AS same, 'hi' AS hi FROM webstats.users GROUP BY country ORDER BY country

-- case: snowflake_generator_seq
-- from: snowflake
SELECT SEQ1() AS a, SEQ2() AS b, SEQ4() AS c, SEQ8() AS d FROM TABLE(GENERATOR(ROWCOUNT => 3)) ORDER BY c
-- clickhouse:
SELECT arrayJoin([0, 1, 2]) AS a, a AS b, a AS c, a AS d ORDER BY c

-- Geography (sql/geography.py): sqlglot's own ST_DISTANCE / ST_POINT nodes. The hand-written side uses
-- the spherical law of cosines on the same sphere (R = 6371008.8 m), a different formula from ours.

-- case: bigquery_st_distance_paris_london
-- from: bigquery
SELECT ROUND(ST_DISTANCE(ST_GEOGPOINT(2.3522, 48.8566), ST_GEOGPOINT(-0.1278, 51.5074)) / 1000, 3) AS km
-- clickhouse:
SELECT round(6371008.8 * acos(sin(radians(48.8566)) * sin(radians(51.5074))
    + cos(radians(48.8566)) * cos(radians(51.5074)) * cos(radians(-0.1278 - 2.3522))) / 1000, 3) AS km

-- case: snowflake_st_makepoint_distance_tokyo_new_york
-- from: snowflake
SELECT ROUND(ST_DISTANCE(ST_MAKEPOINT(139.6917, 35.6895), TO_GEOGRAPHY('POINT(-74.006 40.7128)')) / 1000, 3) AS km
-- clickhouse:
SELECT round(6371008.8 * acos(sin(radians(35.6895)) * sin(radians(40.7128))
    + cos(radians(35.6895)) * cos(radians(40.7128)) * cos(radians(-74.006 - 139.6917))) / 1000, 3) AS km
