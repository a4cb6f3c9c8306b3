"""The queries HyperDX runs still work on the stored rows, and the skip indexes the storage
benchmark counts (docs/data-path.md, Storage) still skip granules."""

import json

import pytest

ROWS = 200_000
START = "2026-11-20 00:00:00"


@pytest.fixture(scope="module")
def table(chdb_session):
    from conftest import Table

    t = Table(chdb_session, "otel_storage_queries")
    # Ten pods ticking in turn, 0.5 s apart: rows shaped like the emitter's, made in SQL
    # because only the row count matters here, not how the rows got in.
    t.session.query(
        f"INSERT INTO {t.qualified} (Timestamp, SeverityText, SeverityNumber, ServiceName, Body,"
        " ResourceAttributes, ScopeName, LogAttributes)"
        f" SELECT toDateTime64('{START}', 9) + toIntervalMillisecond(number * 500), 'INFO', 9, 'emitter',"
        " 'tick', map('service.name', 'emitter', 'k8s.pod.name', concat('logdemo-emitter-', toString(number % 10))),"
        " 'emitter', map('count', toString(number), 'number', toString(number % 101),"
        " 'word', ['alpha', 'beta', 'gamma'][number % 3 + 1], 'log.iostream', 'stdout')"
        f" FROM numbers({ROWS})")
    t.session.query(f"OPTIMIZE TABLE {t.qualified} FINAL")
    return t


def skip_index_granules(table, where):
    """(initial, selected) granules of each skip index for a query with this filter."""
    plan = json.loads(table.scalar(f"EXPLAIN json = 1, indexes = 1 SELECT count() FROM {{table}} WHERE {where}"))

    found = {}

    def walk(node):
        if isinstance(node, dict):
            for index in node.get("Indexes", []):
                if index.get("Type") == "Skip":
                    found[index["Name"]] = (index["Initial Granules"], index["Selected Granules"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(plan)
    return found


def test_attribute_lookup_finds_the_row_and_skips_granules(table):
    where = "LogAttributes['count'] = '123456'"
    assert table.scalar(f"SELECT count() FROM {{table}} WHERE {where}") == 1
    initial, selected = skip_index_granules(table, where)["idx_log_attr_value"]
    assert initial > 10 and selected <= 2, (initial, selected)


def test_hyperdx_style_filters(table):
    """A search on the materialized pod column, an attribute, the body token, a time range."""
    assert table.scalar("SELECT count() FROM {table} WHERE `__hdx_materialized_k8s.pod.name` = 'logdemo-emitter-3'"
                        " AND LogAttributes['word'] = 'beta'") == len(
        [n for n in range(ROWS) if n % 10 == 3 and n % 3 == 1])
    assert table.scalar(f"SELECT count() FROM {{table}} WHERE hasToken(lower(Body), 'tick')"
                        f" AND Timestamp >= toDateTime64('{START}', 9) + toIntervalMinute(10)"
                        f" AND Timestamp < toDateTime64('{START}', 9) + toIntervalMinute(20)") == 1200
    assert table.scalar("SELECT count() FROM {table} WHERE hasToken(lower(Body), 'tock')") == 0
    assert skip_index_granules(table, "hasToken(lower(Body), 'tock')")["idx_lower_body"][1] == 0


def test_applying_the_schema_again_gives_an_older_table_the_current_codec(chdb_session):
    from conftest import Table

    def codec(t):
        return t.scalar(f"SELECT compression_codec FROM system.columns WHERE database = '{t.database}'"
                        f" AND table = '{t.name}' AND name = 'LogAttributes'")

    t = Table(chdb_session, "otel_codec_upgrade")
    current = codec(t)
    # An install from before the codec changed: ClickStack's own codec.
    t.session.query(f"ALTER TABLE {t.qualified} MODIFY COLUMN LogAttributes CODEC(ZSTD(1))")
    assert codec(t) == "CODEC(ZSTD(1))" != current
    again = Table(chdb_session, "otel_codec_upgrade")
    assert codec(again) == current
    assert again.scalar("SELECT count() FROM system.mutations"
                        f" WHERE database = '{t.database}' AND table = '{t.name}'") == 0
