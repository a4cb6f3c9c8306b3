-- Proves the pipeline end to end on the rows themselves: run by `helm test` as the reader
-- user, and by the repository's data-path tests against the same rows the real emitter
-- and Lua filter produce.
--
-- Query parameters (clickhouse client --param_<name>=...):
--   database, logs_table  Identifier     where the rows are
--   service               String         ServiceName of the emitter's rows
--   namespace             String         the release's namespace (k8s.namespace.name)
--   instance              String         the release (k8s.pod.label.app.kubernetes.io/instance)
--   running               UInt32         how many emitter processes may still run (the replicas)
--   min, max              Int64          the emitter's configured number range
--   words                 Array(String)  the emitter's configured words, e.g. ['alpha','beta']
--   ttl_days              UInt32         the table's retention (schema.sql's ttl_days)
--
-- One statement: it prints one row per check (check, status, detail) when every check
-- passes, and otherwise fails with that same report, naming the failed checks, so the
-- client exits non-zero. No rows yet is a failure (the helm test retries).
--
-- Only this release's emitter counts: ServiceName, namespace and instance together, since
-- another release (here or in another namespace) may ship its emitter into the same table.
-- Ticks are counted per emitter process, a container: (k8s.pod.uid, container.id).
-- `count` starts at 1 and rises by 1 per tick, so within a process a smallest stored value
-- above 1 means its first lines were lost (fluent-bit drops a batch ClickHouse refuses with
-- a 4xx, e.g. 404 before the table exists), any missing value between the smallest and
-- largest stored is a lost line, and any repeat a duplicate. The TTL drops whole days of
-- rows, so a process whose first stored tick is within a day of its own expiry may have
-- lost earlier ticks to the retention: its start is not checked.
--
-- A lost tail (the last ticks, or the `shutdown` line) leaves no gap, so processes that
-- have ended are checked at their end too: an ended process must have its `shutdown` row,
-- and its largest stored count must be the `total` that row carries. A process has ended
-- when it logged `shutdown`, or when it is not among the `running` processes that started
-- last (by first stored row): those may still be running, and keep only the checks above.

WITH
    (
        -- ifNull: with no rows at all, sums over Nullable columns are NULL, not 0.
        SELECT tuple(
            ifNull(sum(ticks), 0),
            count(),
            ifNull(sum(bad_severity), 0),
            ifNull(sum(bad_count), 0),
            ifNull(sum(bad_number), 0),
            ifNull(sum(bad_word), 0),
            ifNull(sum(missing), 0),
            ifNull(sum(duplicated), 0),
            ifNull(sum(rows), 0),
            ifNull(sum(late_start), 0),
            countIf(ended AND shutdowns = 0),
            countIf(shutdowns > 0 AND (total IS NULL OR ifNull(last_seq, 0) != total)),
            countIf(ended))
        FROM
        (
            SELECT
                *,
                -- the `running` processes that started last may still be running
                shutdowns > 0 OR row_number() OVER (ORDER BY first_row DESC, pod_uid, container_id)
                    > {running:UInt32} AS ended
            FROM
            (
                SELECT
                    pod_uid,
                    container_id,
                    min(Timestamp) AS first_row,
                    countIf(Body = 'shutdown') AS shutdowns,
                    toUInt64OrNull(anyIf(LogAttributes['total'], Body = 'shutdown')) AS total,
                    maxIf(seq, is_tick) AS last_seq,
                    countIf(is_tick) AS ticks,
                    count() AS rows,
                    countIf(SeverityNumber = 0
                        OR SeverityNumber != transform(SeverityText,
                            ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'],
                            [1, 5, 9, 13, 17, 21], 0)) AS bad_severity,
                    countIf(is_tick AND seq IS NULL) AS bad_count,
                    countIf(is_tick AND (num IS NULL OR num < {min:Int64} OR num > {max:Int64})) AS bad_number,
                    countIf(is_tick AND NOT has({words:Array(String)}, LogAttributes['word'])) AS bad_word,
                    if(ticks = 0, 0, toInt64(maxIf(seq, is_tick)) - toInt64(minIf(seq, is_tick)) + 1
                        - toInt64(uniqExactIf(seq, is_tick AND seq IS NOT NULL))) AS missing,
                    countIf(is_tick AND seq IS NOT NULL) - uniqExactIf(seq, is_tick AND seq IS NOT NULL) AS duplicated,
                    -- minIf skips NULL counts (count_present reports them); no counts at all is NULL, not late.
                    toUInt8(minIf(seq, is_tick) != 1
                        AND minIf(toDateTime(Timestamp), is_tick) + toIntervalDay({ttl_days:UInt32})
                            >= now() + toIntervalDay(1)) AS late_start
                FROM
                (
                    SELECT
                        ResourceAttributes['k8s.pod.uid'] AS pod_uid,
                        ResourceAttributes['container.id'] AS container_id,
                        Timestamp,
                        SeverityText,
                        SeverityNumber,
                        LogAttributes,
                        Body,
                        Body = 'tick' AS is_tick,
                        toUInt64OrNull(LogAttributes['count']) AS seq,
                        toInt64OrNull(LogAttributes['number']) AS num
                    FROM {database:Identifier}.{logs_table:Identifier}
                    WHERE ServiceName = {service:String}
                        AND ResourceAttributes['k8s.namespace.name'] = {namespace:String}
                        AND ResourceAttributes['k8s.pod.label.app.kubernetes.io/instance'] = {instance:String}
                )
                GROUP BY pod_uid, container_id
            )
        )
    ) AS r,
    [
        ('rows_arrived', r.1 > 0,
            concat(toString(r.1), ' ticks from ', toString(r.2), ' processes of ', {namespace:String}, '/', {instance:String})),
        ('severity_mapped', r.3 = 0,
            concat(toString(r.3), ' of ', toString(r.9), ' rows with a severity number not matching the text')),
        ('count_present', r.4 = 0,
            concat(toString(r.4), ' ticks without an integer count')),
        ('number_in_range', r.5 = 0,
            concat(toString(r.5), ' ticks with number outside [', toString({min:Int64}), ', ', toString({max:Int64}), ']')),
        ('word_in_set', r.6 = 0,
            concat(toString(r.6), ' ticks with a word outside ', toString({words:Array(String)}))),
        ('starts_at_one', r.10 = 0,
            concat(toString(r.10), ' of ', toString(r.2), ' processes whose smallest stored count is not 1')),
        ('no_gap', r.7 = 0,
            concat(toString(r.7), ' count values missing')),
        ('no_duplicate', r.8 = 0,
            concat(toString(r.8), ' count values stored more than once')),
        ('shutdown_logged', r.11 = 0,
            concat(toString(r.11), ' of ', toString(r.13), ' ended processes without their shutdown row')),
        ('ends_at_total', r.12 = 0,
            concat(toString(r.12), ' of ', toString(r.13), ' ended processes whose largest stored count is not the total they logged'))
    ] AS checks,
    arrayFilter(c -> NOT c.2, checks) AS failed,
    arrayStringConcat(arrayMap(c -> concat(c.1, ': ', if(c.2, 'ok', 'FAILED'), ' (', c.3, ')'), checks), '; ') AS report
SELECT
    c.1 AS check,
    if(c.2, 'ok', 'FAILED') AS status,
    c.3 AS detail
FROM system.one
ARRAY JOIN checks AS c
WHERE throwIf(length(failed) > 0,
    concat('pipeline check failed: ', arrayStringConcat(arrayMap(c -> c.1, failed), ', '), '. Report: ', report)) = 0;
