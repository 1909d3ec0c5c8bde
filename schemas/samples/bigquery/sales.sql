-- Sample BigQuery catalog (the shape `sqlcurate pull` writes: one file per dataset).
CREATE TABLE `acme-prod.sales.orders`
(
  order_id STRING NOT NULL OPTIONS(description="order id"),
  amount NUMERIC(10, 2),
  items ARRAY<STRUCT<sku STRING, qty INT64, meta STRUCT<color STRING, size STRING>>>,
  customer STRUCT<id INT64, email STRING>,
  created_at TIMESTAMP
)
PARTITION BY DATE(created_at)
CLUSTER BY order_id
OPTIONS(description="Orders, one row per order");

CREATE TABLE `acme-prod.sales.customers`
(
  customer_id INT64,
  name STRING,
  region STRING
);
