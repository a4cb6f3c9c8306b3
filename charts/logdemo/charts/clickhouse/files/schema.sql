-- The logs table fluent-bit writes and HyperDX reads, in the shape HyperDX/ClickStack uses
-- for ClickHouse 25.x. Idempotent: the schema Job runs it on every install and upgrade.
--
-- Query parameters (clickhouse client --param_<name>=...):
--   database    Identifier  e.g. otel
--   logs_table  Identifier  e.g. otel_logs
--   ttl_days    UInt32      days a row is kept
--
-- The table names no ENGINE, so it gets the `default_table_engine` setting: MergeTree
-- (ClickHouse's default) on the bundled single server. A plain MergeTree stays local
-- even inside a Replicated database (only its definition is replicated), so for an
-- external cluster run this file with --default_table_engine=ReplicatedMergeTree in a
-- Replicated database: every replica then holds the same rows.

CREATE DATABASE IF NOT EXISTS {database:Identifier};

CREATE TABLE IF NOT EXISTS {database:Identifier}.{logs_table:Identifier}
(
    `Timestamp` DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    `TraceId` String CODEC(ZSTD(1)),
    `SpanId` String CODEC(ZSTD(1)),
    `TraceFlags` UInt8,
    `SeverityText` LowCardinality(String) CODEC(ZSTD(1)),
    `SeverityNumber` UInt8,
    `ServiceName` LowCardinality(String) CODEC(ZSTD(1)),
    `Body` String CODEC(ZSTD(1)),
    `ResourceSchemaUrl` LowCardinality(String) CODEC(ZSTD(1)),
    `ResourceAttributes` Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    `ScopeSchemaUrl` LowCardinality(String) CODEC(ZSTD(1)),
    `ScopeName` String CODEC(ZSTD(1)),
    `ScopeVersion` LowCardinality(String) CODEC(ZSTD(1)),
    `ScopeAttributes` Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    -- ZSTD(6), not ClickStack's ZSTD(1): the largest column of a log row compresses about a
    -- fifth better for about 5% more merge time, and reads as fast (docs/data-path.md, Storage).
    -- The ALTER at the end gives a table created before the same codec.
    `LogAttributes` Map(LowCardinality(String), String) CODEC(ZSTD(6)),
    -- HyperDX filters Kubernetes fields through these columns instead of the map.
    `__hdx_materialized_k8s.cluster.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.cluster.name'] CODEC(ZSTD(1)),
    `__hdx_materialized_k8s.container.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.container.name'] CODEC(ZSTD(1)),
    `__hdx_materialized_k8s.deployment.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.deployment.name'] CODEC(ZSTD(1)),
    `__hdx_materialized_k8s.namespace.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.namespace.name'] CODEC(ZSTD(1)),
    `__hdx_materialized_k8s.node.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.node.name'] CODEC(ZSTD(1)),
    `__hdx_materialized_k8s.pod.name` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.pod.name'] CODEC(ZSTD(1)),
    `__hdx_materialized_k8s.pod.uid` LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.pod.uid'] CODEC(ZSTD(1)),
    `__hdx_materialized_deployment.environment.name` LowCardinality(String) MATERIALIZED ResourceAttributes['deployment.environment.name'] CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_lower_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay({ttl_days:UInt32})
SETTINGS
    index_granularity = 8192,
    -- Whole expired day partitions are dropped instead of rewritten row by row.
    ttl_only_drop_parts = 1,
    -- fluent-bit delivers at least once: a retried batch arrives as an identical block,
    -- and ClickHouse drops a block whose hash is among the last N it stored.
    -- (Replicated engines deduplicate by replicated_deduplication_window instead.)
    non_replicated_deduplication_window = 1000;

-- An upgrade with a new ttl_days changes the existing table too. Only new and merged parts
-- take the new TTL; rewriting every old part on each upgrade is not worth it for logs.
SET materialize_ttl_after_modify = 0;
ALTER TABLE {database:Identifier}.{logs_table:Identifier}
    MODIFY TTL toDateTime(Timestamp) + toIntervalDay({ttl_days:UInt32});

-- A table created with ClickStack's ZSTD(1) takes the codec above too. Only the metadata
-- changes: new and merged parts use it, nothing is rewritten now.
ALTER TABLE {database:Identifier}.{logs_table:Identifier}
    MODIFY COLUMN `LogAttributes` CODEC(ZSTD(6));
