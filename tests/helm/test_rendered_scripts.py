"""The rendered schema Job, fluent-bit's wait for ClickHouse and helm test pods, run as rendered
against a stand-in `clickhouse` (chdb) and stand-in HTTP servers (see standin.py). HyperDX's
reconcile Job has its own module, test_hyperdx_reconcile.py.

The module's fixtures follow one cluster's life: fluent-bit's wait fails while there is no
table, the schema Job runs, the wait passes without writing a row, the pipeline test finds
the table empty, the emitter's ticks arrive, the pipeline test passes."""

import itertools
import json

import pytest

import chart
import chart_files
import standin

SCHEMA_FILES = {"/schema/schema.sql": chart_files.SCHEMA_SQL}
CHECK_FILES = {"/sql/pipeline-check.sql": chart_files.CHECK_SQL}
WORDS = "['alpha','beta','gamma','delta','epsilon','zeta','eta','theta','iota','kappa']"


def pod(kind, prefix):
    return chart.pod_spec(chart.find(chart.manifests("default"), kind, prefix=prefix))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    return standin.Cluster(tmp_path_factory.mktemp("cluster"))


def fluent_bit_wait(cluster):
    """fluent-bit's init container, with a short budget."""
    return cluster.run(pod("DaemonSet", "logdemo-fluent-bit"), container="wait-for-clickhouse", WAIT_SECONDS="1")


@pytest.fixture(scope="module")
def wait_before_schema(cluster):
    return fluent_bit_wait(cluster)


def test_fluent_bit_waits_while_the_table_is_missing(wait_before_schema):
    result = wait_before_schema
    assert result.returncode != 0 and "FAILED: ingest can insert into otel.otel_logs" in result.stderr, \
        f"fluent-bit's wait did not fail, naming what it waits for, before the table exists:\n{chart.report(result)}"


@pytest.fixture(scope="module")
def schema_run(cluster, wait_before_schema):
    """The schema Job's first run, and the stand-in call that applied schema.sql."""
    result = cluster.run(pod("Job", "logdemo-clickhouse-schema-"), SCHEMA_FILES)
    with_params = [c for c in cluster.calls() if c["params"]]
    return result, with_params[-1] if with_params else None


def test_schema_job_creates_the_logs_table(schema_run):
    result, _ = schema_run
    assert result.returncode == 0 and "schema applied: otel.otel_logs (MergeTree, TTL 30 days)" in result.stdout, \
        f"the schema Job did not create otel.otel_logs:\n{chart.report(result)}"


def test_schema_job_applies_schema_as_the_admin_with_its_parameters(schema_run):
    result, call = schema_run
    expected = {"user": "admin", "password": "secret:admin-password",
                "params": {"database": "otel", "logs_table": "otel_logs", "ttl_days": "30"},
                "settings": {"default_table_engine": "MergeTree"}}
    assert call is not None and {k: call[k] for k in expected} == expected, \
        f"schema.sql ran as {call}, expected {expected}:\n{chart.report(result)}"


def test_schema_job_runs_again(cluster, schema_run):
    again = cluster.run(pod("Job", "logdemo-clickhouse-schema-"), SCHEMA_FILES)
    assert again.returncode == 0, f"the schema Job is not idempotent:\n{chart.report(again)}"


@pytest.fixture(scope="module")
def wait_after_schema(cluster, schema_run):
    """fluent-bit's wait once the table exists, its stand-in call and the rows it left."""
    result = fluent_bit_wait(cluster)
    call = cluster.calls()[-1]
    rows = cluster.clickhouse("client", "--query", "SELECT count() FROM otel.otel_logs")
    return result, call, rows.stdout.strip()


def test_fluent_bit_starts_once_the_ingest_user_can_insert(wait_after_schema):
    result, call, rows = wait_after_schema
    assert result.returncode == 0 and "ingest can insert into otel.otel_logs: starting fluent-bit" in result.stdout, \
        f"fluent-bit's wait did not pass once the table exists:\n{chart.report(result)}"
    expected = {"user": "ingest", "password": "secret:ingest-password"}
    assert {k: call[k] for k in expected} == expected, f"the wait inserted as {call}, expected {expected}"
    assert rows == "0", f"the wait's insert left {rows} rows, expected none"


def pipeline_test(cluster, **overrides):
    return cluster.run(pod("Pod", "logdemo-test-pipeline"), CHECK_FILES, WAIT_SECONDS="1", **overrides)


@pytest.fixture(scope="module")
def empty_table_check(cluster, wait_after_schema):
    return pipeline_test(cluster)


def test_pipeline_test_fails_on_an_empty_table_naming_the_check(empty_table_check):
    result = empty_table_check
    assert result.returncode != 0 and "FAILED: the pipeline check" in result.stderr and "rows_arrived" in result.stderr, \
        f"the pipeline test did not fail on rows_arrived:\n{chart.report(result)}"


@pytest.fixture(scope="module")
def ticks_inserted(cluster, empty_table_check):
    """Five emitter ticks as fluent-bit inserts them, after the empty-table check."""
    ticks = [{"Timestamp": f"2026-11-21 10:00:0{n}.000000000", "SeverityText": "INFO", "SeverityNumber": 9,
              "ServiceName": "emitter", "Body": "tick",
              # the release `helm template` renders: logdemo in namespace default
              "ResourceAttributes": {"k8s.pod.uid": "pod-1", "container.id": "container-1",
                                     "k8s.namespace.name": "default",
                                     "k8s.pod.label.app.kubernetes.io/instance": "logdemo"},
              "LogAttributes": {"count": str(n), "number": str(10 * n), "word": ["alpha", "beta", "kappa"][n % 3]}}
             for n in range(1, 6)]
    return cluster.clickhouse("client", "--query", "INSERT INTO otel.otel_logs FORMAT JSONEachRow\n"
                              + "\n".join(json.dumps(t) for t in ticks))


def test_ticks_are_inserted(ticks_inserted):
    assert ticks_inserted.returncode == 0, f"inserting five ticks failed:\n{chart.report(ticks_inserted)}"


@pytest.fixture(scope="module")
def good_rows_check(cluster, ticks_inserted):
    """The pipeline test on good rows, and the stand-in call that ran the check."""
    result = pipeline_test(cluster)
    reader = [c for c in cluster.calls() if "service" in c["params"]]
    return result, reader[-1] if reader else None


def test_pipeline_test_passes_on_good_rows_with_its_report(good_rows_check):
    result, _ = good_rows_check
    assert result.returncode == 0 and "pipeline check passed" in result.stdout and "no_duplicate" in result.stdout, \
        f"the pipeline test did not pass with its report:\n{chart.report(result)}"


def test_pipeline_test_queries_as_the_reader_with_the_emitters_range_and_words(good_rows_check):
    result, call = good_rows_check
    expected = {"user": "reader", "password": "secret:reader-password",
                "params": {"database": "otel", "logs_table": "otel_logs", "service": "emitter",
                           "namespace": "default", "instance": "logdemo", "running": "1",
                           "min": "0", "max": "100", "words": WORDS, "ttl_days": "30"}}
    assert call is not None and {k: call[k] for k in expected} == expected, \
        f"the check ran as {call}, expected {expected}:\n{chart.report(result)}"


def test_pipeline_test_fails_when_numbers_leave_the_range(cluster, good_rows_check):
    narrow = pipeline_test(cluster, MAX="20")
    assert narrow.returncode != 0 and "number_in_range" in narrow.stderr, \
        f"the pipeline test did not fail on number_in_range with MAX=20:\n{chart.report(narrow)}"


def test_pipeline_test_counts_only_its_own_release(cluster, good_rows_check):
    other = pipeline_test(cluster, INSTANCE="logdemo2")
    assert other.returncode != 0 and "rows_arrived" in other.stderr, \
        f"the pipeline test of another release found this release's rows:\n{chart.report(other)}"


@pytest.fixture
def server():
    """server(codes): a stand-in HTTP server answering with the statuses of `codes`."""
    started = []

    def start(codes):
        started.append(standin.Server(iter(codes)))
        return started[-1]

    yield start
    for s in started:
        s.close()


@pytest.mark.parametrize("status", [200, 503])
def test_health_test_passes_only_on_2xx(cluster, server, status):
    url = server(itertools.repeat(status)).url + "/ping"
    result = cluster.run(pod("Pod", "logdemo-test-clickhouse-health"), URL=url, WAIT_SECONDS="1")
    if status == 200:
        assert result.returncode == 0 and f"healthy: {url}" in result.stdout, \
            f"the health test did not pass on HTTP 200:\n{chart.report(result)}"
    else:
        assert result.returncode != 0 and f"FAILED: GET {url} answers 2xx" in result.stderr, \
            f"the health test did not fail on HTTP {status}:\n{chart.report(result)}"
