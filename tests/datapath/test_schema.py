"""The chart's schema.sql: parameters honoured, idempotent, the table the design contracts describe (docs/data-path.md, ClickHouse)."""

import pytest

import fluentbit
import sqlfile
from conftest import Table


def create_statement(table):
    return table.scalar(f"SELECT create_table_query FROM system.tables"
                        f" WHERE database = '{table.database}' AND name = '{table.name}'")


def test_parameters_name_the_database_and_table(chdb_session):
    t = Table(chdb_session, "logs_elsewhere", "custom_logs")
    assert t.scalar("SELECT count() FROM {table}") == 0
    assert "logs_elsewhere.custom_logs" in create_statement(t)


def test_applying_twice_changes_nothing(chdb_session):
    t = Table(chdb_session, "otel_twice")
    before = create_statement(t)
    again = Table(chdb_session, "otel_twice")
    assert create_statement(again) == before


def test_a_new_ttl_reaches_the_existing_table(chdb_session):
    t = Table(chdb_session, "otel_ttl")
    assert "toIntervalDay(30)" in create_statement(t).replace("_CAST(30, 'UInt32')", "30")
    sqlfile.run(chdb_session, fluentbit.SCHEMA_SQL, {**t.params, "ttl_days": 7})
    assert "toIntervalDay(7)" in create_statement(t).replace("_CAST(7, 'UInt32')", "7")


def test_table_shape(chdb_session):
    t = Table(chdb_session, "otel_shape")
    [[engine, partition, sorting]] = t.query(
        "SELECT engine, partition_key, sorting_key FROM system.tables"
        f" WHERE database = '{t.database}' AND name = '{t.name}'")
    assert engine == "MergeTree"
    assert partition == "toDate(Timestamp)"
    assert sorting == "toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp"
    statement = create_statement(t)
    for setting in ("ttl_only_drop_parts = 1", "non_replicated_deduplication_window = 1000"):
        assert setting in statement
    indexes = {name for [name] in t.query(
        f"SELECT name FROM system.data_skipping_indices WHERE database = '{t.database}'")}
    assert {"idx_trace_id", "idx_log_attr_key", "idx_log_attr_value", "idx_lower_body"} <= indexes
    columns = {name for [name] in t.query(
        f"SELECT name FROM system.columns WHERE database = '{t.database}' AND table = '{t.name}'")}
    assert {"Timestamp", "TraceId", "SpanId", "TraceFlags", "SeverityText", "SeverityNumber",
            "ServiceName", "Body", "ResourceSchemaUrl", "ResourceAttributes", "ScopeSchemaUrl",
            "ScopeName", "ScopeVersion", "ScopeAttributes", "LogAttributes"} <= columns
    assert {c for c in columns if c.startswith("__hdx_materialized_k8s.")} == {
        f"__hdx_materialized_k8s.{k}" for k in
        ("cluster.name", "container.name", "deployment.name", "namespace.name", "node.name",
         "pod.name", "pod.uid")}


def test_engine_follows_default_table_engine(chdb_session):
    """The schema pins no engine, so the Job can ask for ReplicatedMergeTree on a cluster.
    (chdb has no Keeper, so a stand-in engine shows the mechanism.)"""
    chdb_session.query("SET default_table_engine = 'ReplacingMergeTree'")
    try:
        t = Table(chdb_session, "otel_engine")
    finally:
        chdb_session.query("SET default_table_engine = 'MergeTree'")
    assert t.scalar("SELECT engine FROM system.tables"
                    f" WHERE database = '{t.database}' AND name = '{t.name}'") == "ReplacingMergeTree"


def test_statement_splitter_respects_quotes_and_comments():
    text = "SELECT ';' AS a; -- a comment; not a statement\nSELECT `x;y` /* ; */ FROM t;\n"
    assert sqlfile.statements(text) == ["SELECT ';' AS a", "SELECT `x;y`  FROM t"]


@pytest.mark.parametrize("value,text", [
    ("otel", "otel"), (30, "30"), (-5, "-5"), (["a", "b'c"], "['a','b\\'c']"),
])
def test_parameter_text_forms(value, text):
    assert sqlfile.param_text(value) == text
