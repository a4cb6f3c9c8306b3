"""The rendered HyperDX reconcile Job (node, files/reconcile.mjs) against a stand-in of HyperDX
2.36.0's API (stand_in_hyperdx.py) whose ClickHouse proxy queries chdb: it registers or logs
in, creates or updates the connection, the source, the saved search and the dashboard, checks
what HyperDX kept and that a query through HyperDX returns rows, and fails with a clear
message otherwise. Passwords with quotes, backslashes, $(...) and newlines arrive intact."""

import json

import pytest

import chart
import chart_files
import sqlfile
import standin
from stand_in_hyperdx import HyperDX

SCRIPT = chart.CHART / "charts" / "hyperdx" / "files" / "reconcile.mjs"
FILES = {"/reconcile/reconcile.mjs": SCRIPT}
EMAIL = "demo@logdemo.local"
# Characters a string-built JSON body or a shell would break on.
DEMO_PASSWORD = 'De"mo\\pa$(ss)-Aa1 \'{}\nü'
READER_PASSWORD = 'r"e\\ad$(er)\'{x}%&=\nü'


def job(*helm_args):
    """The reconcile Job's pod spec as the chart renders it with these helm arguments."""
    docs = chart.documents(chart.template(*helm_args))
    return chart.pod_spec(chart.find(docs, "Job", prefix="logdemo-hyperdx-reconcile-"))


def desired(pod):
    return json.loads(chart.env(pod["containers"][0])["DESIRED"])


@pytest.fixture(scope="module")
def chdb_session(tmp_path_factory):
    """ClickHouse behind the stand-in's proxy: otel.otel_logs with the rendered release's emitter
    rows (number 10 twice for alpha, once for beta), the empty table empty.otel_logs, and
    others.otel_logs with the same rows of another release's emitter only (what a fluent-bit
    with collect: node ships)."""
    import chdb.session

    session = chdb.session.Session(str(tmp_path_factory.mktemp("chdb")))
    for database in ("otel", "empty", "others"):
        sqlfile.run(session, chart_files.SCHEMA_SQL, {"database": database, "logs_table": "otel_logs", "ttl_days": 30})
    rows = [("alpha", 10), ("alpha", 10), ("beta", 10), ("beta", 100), ("gamma", 7)]
    for database, namespace in (("otel", "default"), ("others", "elsewhere")):
        session.query(f"INSERT INTO {database}.otel_logs FORMAT JSONEachRow\n" + "\n".join(
            json.dumps({"Timestamp": f"2026-11-21 10:00:0{i}.000000000", "ServiceName": "emitter", "Body": "tick",
                        "ResourceAttributes": {"k8s.namespace.name": namespace,
                                               "k8s.pod.label.app.kubernetes.io/instance": chart.RELEASE},
                        "LogAttributes": {"count": str(i + 1), "number": str(n), "word": w}})
            for i, (w, n) in enumerate(rows)))
    yield session
    session.close()


@pytest.fixture
def hyperdx(chdb_session):
    started = []

    def start(**kwargs):
        started.append(HyperDX(chdb_session, READER_PASSWORD, **kwargs))
        return started[-1]

    yield start
    for h in started:
        h.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    return standin.Cluster(tmp_path_factory.mktemp("cluster"))


def reconcile(cluster, api, pod=None, **overrides):
    env = dict(API_URL=api.url, WAIT_SECONDS="3", RETRY_MS="50", EMAIL=EMAIL, PASSWORD=DEMO_PASSWORD,
               CLICKHOUSE_PASSWORD=READER_PASSWORD)
    env.update(overrides)
    return cluster.run(pod or job(), FILES, **env)


def test_job_is_not_a_hook_and_runs_anew_each_revision():
    docs = chart.documents(chart.template())
    found = chart.find(docs, "Job", prefix="logdemo-hyperdx-reconcile-")
    assert found["metadata"]["name"] == "logdemo-hyperdx-reconcile-1", found["metadata"]["name"]
    assert "helm.sh/hook" not in (found["metadata"].get("annotations") or {}), \
        "the reconcile Job is a helm hook: helm install would wait for it up to --timeout and fail the release"


def test_first_install_registers_creates_everything_and_verifies(cluster, hyperdx):
    api = hyperdx(register_codes=[503])
    result = reconcile(cluster, api)
    assert result.returncode == 0, f"the reconcile Job failed on a fresh HyperDX:\n{chart.report(result)}"
    for line in (f"registered the demo user {EMAIL}", 'created connection "logdemo ClickHouse"', 'created source "Logs"',
                 'created dashboard "Logs with number 10, per word"', "verified:", "HyperDX reads 5 rows of emitter of release default/logdemo",
                 '"Logs with number 10, per word" so far: alpha 2, beta 1'):
        assert line in result.stdout, f"missing {line!r}:\n{chart.report(result)}"
    want = desired(job())
    [connection] = api.listed("connections")
    [source] = api.listed("sources")
    [saved] = api.listed("saved-search")
    [board] = api.listed("dashboards")
    assert connection["password"] == READER_PASSWORD, f"the reader password arrived as {connection['password']!r}"
    assert api.users == {EMAIL: DEMO_PASSWORD}, f"the demo user registered as {api.users!r}"
    assert {k: connection[k] for k in ("name", "host", "username")} == want["connection"]
    assert source == dict(want["source"], connection=connection["id"], id=source["id"])
    assert saved["source"] == source["id"] and saved["where"] == 'ServiceName:"emitter" LogAttributes.number:"10"'
    assert board["tiles"][0]["config"] == dict(want["dashboard"]["tiles"][0]["config"], source=source["id"])


def test_upgrade_updates_what_changed_and_creates_no_duplicates(cluster, hyperdx):
    # HyperDX's pod rolls during the upgrade: one 503 on the way is waited out.
    stale_conn_path = f"/connections/{1:024x}"  # the first id the stand-in hands out
    api = hyperdx(team=(EMAIL, DEMO_PASSWORD), unavailable_once=[("PUT", stale_conn_path)])
    stale_conn = {"id": api.new_id(), "name": "logdemo ClickHouse", "host": "http://old:8123", "username": "old",
                  "password": "old"}
    api.store["connections"][stale_conn["id"]] = stale_conn
    stale_src = dict(desired(job())["source"], id=api.new_id(), connection=stale_conn["id"],
                     **{"from": {"databaseName": "old", "tableName": "old"}})
    api.store["sources"][stale_src["id"]] = stale_src
    result = reconcile(cluster, api)
    assert result.returncode == 0 and "HyperDX already has a team: logging in" in result.stdout \
        and 'updated connection "logdemo ClickHouse"' in result.stdout and 'updated source "Logs"' in result.stdout, \
        f"the reconcile Job did not update the stale connection and source:\n{chart.report(result)}"
    puts = [r for r in api.requests if r[:2] == ("PUT", stale_conn_path)]
    assert len(puts) == 2, f"the connection was PUT {len(puts)} times, expected a retry after the 503"
    [connection] = api.listed("connections")
    [source] = api.listed("sources")
    assert (connection["host"], connection["username"], connection["password"]) == \
        ("http://logdemo-clickhouse:8123", "reader", READER_PASSWORD), connection
    assert source["from"] == {"databaseName": "otel", "tableName": "otel_logs"}, source
    again = reconcile(cluster, api)
    assert again.returncode == 0 and len(api.listed("dashboards")) == 1 and len(api.listed("saved-search")) == 1, \
        f"a second run duplicated or failed:\n{chart.report(again)}"


def test_a_hyperdx_rolling_between_register_and_login_is_waited_out(cluster, hyperdx):
    api = hyperdx(team=(EMAIL, DEMO_PASSWORD), unavailable_once=[("POST", "/login/password")])
    result = reconcile(cluster, api)
    assert result.returncode == 0 and f"logged in as {EMAIL}" in result.stdout, \
        f"a 503 from a rolling HyperDX at login failed the Job:\n{chart.report(result)}"
    logins = [r for r in api.requests if r[:2] == ("POST", "/login/password")]
    assert len(logins) == 2, f"logged in {len(logins)} times, expected a retry after the 503"


def test_changed_values_reach_hyperdx(cluster, hyperdx):
    api = hyperdx()
    pod = job("--set", "global.clickhouse.database=empty", "--set", "global.clickhouse.users.reader=viewer")
    result = reconcile(cluster, api, pod)
    [connection] = api.listed("connections")
    [source] = api.listed("sources")
    assert connection["username"] == "viewer" and source["from"]["databaseName"] == "empty", (connection, source)
    assert result.returncode != 0 and "found no rows of ServiceName 'emitter'" in result.stderr \
        and "helm test shows which part fails" in result.stderr, \
        f"an empty table did not fail the check with its message:\n{chart.report(result)}"


def test_only_the_releases_own_emitter_rows_pass_the_check(cluster, hyperdx):
    result = reconcile(cluster, hyperdx(), job("--set", "global.clickhouse.database=others"))
    assert result.returncode != 0 and "found no rows of ServiceName 'emitter' of release default/logdemo" in result.stderr, \
        f"another release's emitter rows passed the check:\n{chart.report(result)}"


def test_a_hyperdx_that_does_not_keep_an_update_fails_the_check(cluster, hyperdx):
    api = hyperdx(team=(EMAIL, DEMO_PASSWORD), ignore_updates=True)
    stale = {"id": api.new_id(), "name": "logdemo ClickHouse", "host": "http://old:8123", "username": "reader",
             "password": READER_PASSWORD}
    api.store["connections"][stale["id"]] = stale
    result = reconcile(cluster, api)
    assert result.returncode != 0 and "FAILED: HyperDX did not keep what was sent" in result.stderr \
        and 'connection "logdemo ClickHouse" host: HyperDX holds "http://old:8123"' in result.stderr, \
        f"a stale connection passed the check:\n{chart.report(result)}"


def test_a_wrong_clickhouse_password_fails_naming_the_fix(cluster, hyperdx):
    result = reconcile(cluster, hyperdx(), CLICKHOUSE_PASSWORD="not the reader's")
    assert result.returncode != 0 and "AUTHENTICATION_FAILED" in result.stderr \
        and "Check global.clickhouse (host, ports, users) and the reader password" in result.stderr, \
        f"a connection ClickHouse refuses did not fail with the fix:\n{chart.report(result)}"


def test_a_team_without_the_demo_login_fails_naming_the_email_value_the_secret_and_the_claim(cluster, hyperdx):
    result = reconcile(cluster, hyperdx(team=(EMAIL, "an earlier install's")))
    assert result.returncode != 0 and f"FAILED: logging in as {EMAIL}" in result.stderr \
        and "Secret logdemo-hyperdx-demo-user" in result.stderr and "hyperdx.demoUser.email changed" in result.stderr \
        and "claim logdemo-mongodb" in result.stderr, \
        f"a login refused did not name the email value, the Secret and the MongoDB claim:\n{chart.report(result)}"


def test_a_refused_registration_fails_at_once(cluster, hyperdx):
    api = hyperdx(register_codes=[400])
    result = reconcile(cluster, api)
    assert result.returncode != 0 and f"FAILED: registering {EMAIL}" in result.stderr and "HTTP 400" in result.stderr, \
        f"a refused registration did not fail with HyperDX's answer:\n{chart.report(result)}"
    assert len(api.requests) == 1, f"a refused registration was retried: {api.requests}"


def test_an_api_that_never_answers_fails_after_the_budget(cluster, tmp_path):
    result = reconcile(cluster, type("Down", (), {"url": "http://127.0.0.1:9"})(), WAIT_SECONDS="1")
    assert result.returncode != 0 and "FAILED: registering" in result.stderr and "waited 1s" in result.stderr, \
        f"an API that never answers did not fail after the budget:\n{chart.report(result)}"


def test_a_hyperdx_error_fails_pointing_at_hyperdxs_log(cluster, hyperdx):
    api = hyperdx(team=(EMAIL, DEMO_PASSWORD), broken=[("PUT", "/connections/")])
    api.store["connections"]["c" * 24] = {"id": "c" * 24, "name": "logdemo ClickHouse", "host": "http://x:8123",
                                         "username": "reader", "password": ""}
    result = reconcile(cluster, api, API_URL=api.url.replace("127.0.0.1", "localhost"))
    assert result.returncode != 0 and "answered HTTP 500" in result.stderr \
        and "kubectl logs deploy/localhost" in result.stderr, \
        f"a HyperDX error did not fail pointing at HyperDX's log:\n{chart.report(result)}"
