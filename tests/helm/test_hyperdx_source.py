"""HyperDX's Logs source, as the reconcile Job sets it, against the table the chart's schema.sql
creates, in chdb (the ClickHouse engine the chart runs): ClickHouse resolves every expression,
not a regex."""

import json

import pytest

import chart
import chart_files
import sqlfile

# The value sets that run HyperDX.
WITH_HYPERDX = ["default", "external-clickhouse", "nix"]


@pytest.fixture(scope="module")
def chdb_session(tmp_path_factory):
    import chdb.session

    session = chdb.session.Session(str(tmp_path_factory.mktemp("chdb")))
    yield session
    session.close()


class Provisioned:
    """What a value set provisions HyperDX with, and the table its schema Job creates."""

    def __init__(self, value_set):
        docs = chart.manifests(value_set)
        job = chart.find(docs, "Job", prefix="logdemo-hyperdx-reconcile-")
        desired = json.loads(chart.env(chart.pod_spec(job)["containers"][0])["DESIRED"])
        self.connection = desired["connection"]
        self.sources = [desired["source"]]
        assert self.sources, f"value set {value_set} provisions no HyperDX source"
        schema_job = chart.find(docs, "Job", prefix="logdemo-clickhouse-schema-")
        job_env = chart.env(chart.pod_spec(schema_job)["containers"][0])
        self.database, self.table = job_env["DATABASE"], job_env["LOGS_TABLE"]


@pytest.fixture(scope="module")
def table_columns(chdb_session):
    """columns(database, table): name -> type of the table schema.sql creates (once per table)."""
    created = {}

    def columns(database, table):
        if (database, table) not in created:
            sqlfile.run(chdb_session, chart_files.SCHEMA_SQL, {"database": database, "logs_table": table, "ttl_days": 30})
            result = chdb_session.query(
                f"SELECT name, type FROM system.columns WHERE database = '{database}' AND table = '{table}'", "JSONCompact")
            created[(database, table)] = dict(json.loads(result.bytes())["data"])
        return created[(database, table)]

    return columns


with_hyperdx = pytest.mark.parametrize("value_set", WITH_HYPERDX)


@with_hyperdx
def test_the_connection_reaches_the_clickhouse_the_schema_job_uses(value_set):
    p = Provisioned(value_set)
    docs = chart.manifests(value_set)
    schema_env = chart.env(chart.pod_spec(chart.find(docs, "Job", prefix="logdemo-clickhouse-schema-"))["containers"][0])
    assert f"://{schema_env['CLICKHOUSE_HOST']}:" in p.connection["host"], \
        f"HyperDX's connection {p.connection['host']} is not the ClickHouse host {schema_env['CLICKHOUSE_HOST']}"


@with_hyperdx
def test_sources_read_the_table_the_schema_job_creates(value_set):
    p = Provisioned(value_set)
    wrong = [f"source {s['name']} reads {s['from']}" for s in p.sources
             if s["from"] != {"databaseName": p.database, "tableName": p.table}]
    assert not wrong, f"the schema Job creates {p.database}.{p.table}; {wrong}"


@with_hyperdx
def test_source_timestamp_is_a_datetime_column(value_set, table_columns):
    p = Provisioned(value_set)
    columns = table_columns(p.database, p.table)
    wrong = [f"source {s['name']}: timestampValueExpression {s['timestampValueExpression']} is {columns.get(s['timestampValueExpression'])}"
             for s in p.sources if not columns.get(s["timestampValueExpression"], "").startswith("DateTime")]
    assert not wrong, f"not a DateTime column of {p.database}.{p.table}: {wrong}"


@with_hyperdx
def test_source_expressions_resolve_on_the_table(value_set, table_columns, chdb_session):
    p = Provisioned(value_set)
    table_columns(p.database, p.table)
    wrong = []
    for source in p.sources:
        for key, expr in source.items():
            if key.endswith("Expression"):
                try:
                    chdb_session.query(f"SELECT {expr} FROM `{p.database}`.`{p.table}` WHERE 0")
                except Exception as err:
                    wrong.append(f"source {source['name']}: {key} {expr!r}: {err}")
    assert not wrong, "expressions that do not resolve on the table:\n" + "\n".join(wrong)
