"""The contract, end to end: the real emitter's lines, as containerd (CRI) and docker
(json-file) log records with Kubernetes metadata, through the chart's Lua filter, into the
chart's schema on ClickHouse 25.8 (chdb), proved by the chart's own pipeline-check.sql."""

import collections
import json

import pytest

import emitter
import fluentbit as fb

# Not the emitter's defaults, so the parameters visibly reach the check.
MIN, MAX, WORDS = 3, 60, 6
PROCESSES = [  # (runtime log format, seed, ticks)
    ("cri", 42, 20_000),
    ("docker", 7, 10_000),
]
RUNTIME_DELAY_NS = 50_000  # the runtime stamps a line a little after the program did
BATCH_ROWS = 5_000  # rows per INSERT, like a fluent-bit chunk
TICK_LEVEL = ("INFO", 9)
RESOURCE_KEYS = {
    "service.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.container.name",
    "k8s.node.name", "k8s.deployment.name", "container.id", "container.image.name",
    "k8s.pod.label.app.kubernetes.io/instance",
}


class Process:
    """One emitter run as one container: its stdout lines and the pod it ran in."""

    def __init__(self, binary, index, fmt, seed, ticks):
        self.fmt = fmt
        self.pod = fb.emitter_pod(
            suffix=f"p{index:04d}", uid=f"00000000-0000-4000-8000-{index:012d}",
            container_id=f"{index:02d}" * 32)
        self.lines = emitter.run(binary, ticks, seed, MIN, MAX, WORDS)
        self.docs = [json.loads(line) for line in self.lines]
        self.ticks = [d for d in self.docs if d["message"] == "tick"]
        assert len(self.ticks) == ticks, "the emitter printed a different number of ticks"

    def events(self, lines=None):
        return [fb.event(self.fmt, fb.rfc3339_ns(json.loads(line)["timestamp"]) + RUNTIME_DELAY_NS,
                         "stdout", line, self.pod)
                for line in (self.lines if lines is None else lines)]

    def words(self):
        """The word list the emitter says it draws from (its `starting` line)."""
        starting = next(d for d in self.docs if d["message"] == "starting")
        return starting["words"].split(",")


@pytest.fixture(scope="module")
def processes(emitter_binary):
    return [Process(emitter_binary, i, fmt, seed, ticks) for i, (fmt, seed, ticks) in enumerate(PROCESSES)]


@pytest.fixture(scope="module")
def words(processes):
    lists = {tuple(p.words()) for p in processes}
    assert len(lists) == 1 and len(next(iter(lists))) == WORDS
    return list(next(iter(lists)))


@pytest.fixture(scope="module")
def outputs(processes):
    """Lua outputs per process, each with exactly one row per line."""
    result = []
    for p in processes:
        out = fb.run_filter(p.events())
        assert [(o.index, o.code) for o in out] == [(i, "2") for i in range(len(p.lines))]
        result.append(out)
    return result


def insert_in_batches(table, rows):
    for start in range(0, len(rows), BATCH_ROWS):
        table.insert(fb.json_each_row(rows[start : start + BATCH_ROWS]))


@pytest.fixture(scope="module")
def table(chdb_session, outputs):
    from conftest import Table

    t = Table(chdb_session, "otel_contract")
    for out in outputs:
        insert_in_batches(t, out)
    return t


def test_every_line_becomes_exactly_one_row(table, processes):
    assert table.scalar("SELECT count() FROM {table}") == sum(len(p.lines) for p in processes)


def test_pipeline_check_passes(table, words):
    report = table.check("emitter", MIN, MAX, words)
    assert [r[1] for r in report] == ["ok"] * len(report)
    assert {r[0] for r in report} == {"rows_arrived", "severity_mapped", "count_present",
                                      "number_in_range", "word_in_set", "starts_at_one", "no_gap",
                                      "no_duplicate", "shutdown_logged", "ends_at_total"}


def test_number_ten_per_word_matches_the_emitter(table, processes):
    expected = collections.Counter(t["word"] for p in processes for t in p.ticks if t["number"] == 10)
    assert sum(expected.values()) > 0
    got = dict(table.query(
        "SELECT LogAttributes['word'], count() FROM {table}"
        " WHERE ServiceName = 'emitter' AND LogAttributes['number'] = '10' GROUP BY 1"))
    assert got == dict(expected)


def test_every_row_carries_its_line(table, processes):
    expected = sorted(
        (p.pod.uid, fb.rfc3339_ns(d["timestamp"]), d["message"], str(d.get("count", "")),
         str(d.get("number", "")), d.get("word", ""))
        for p in processes for d in p.docs)
    got = sorted(tuple(r) for r in table.query(
        "SELECT ResourceAttributes['k8s.pod.uid'], toString(toUnixTimestamp64Nano(Timestamp)), Body,"
        " LogAttributes['count'], LogAttributes['number'], LogAttributes['word'] FROM {table}"))
    assert [(u, int(t), b, c, n, w) for u, t, b, c, n, w in got] == expected


def test_mapping_of_a_tick(table, processes):
    p = processes[0]
    line = p.ticks[0]
    row = dict(zip(
        ["ts", "sev", "num", "service", "body", "scope", "attrs", "res", "trace", "span", "flags"],
        table.query(
            "SELECT toString(Timestamp), SeverityText, SeverityNumber, ServiceName, Body, ScopeName,"
            " LogAttributes, ResourceAttributes, TraceId, SpanId, TraceFlags FROM {table}"
            f" WHERE ResourceAttributes['k8s.pod.uid'] = '{p.pod.uid}' AND LogAttributes['count'] = '1'")[0]))
    assert row["ts"] == line["timestamp"].replace("T", " ").rstrip("Z")
    assert (row["sev"], row["num"]) == TICK_LEVEL
    assert (row["service"], row["body"], row["scope"]) == ("emitter", "tick", line["target"])
    assert row["attrs"] == {"count": "1", "number": str(line["number"]), "word": line["word"],
                            "target": line["target"], "log.iostream": "stdout"}
    assert set(row["res"]) == RESOURCE_KEYS
    assert row["res"]["k8s.deployment.name"] == "logdemo-emitter"
    assert row["res"]["container.id"] == p.pod.container_id
    assert row["res"]["k8s.namespace.name"] == fb.RELEASE_NAMESPACE
    assert row["res"]["k8s.pod.label.app.kubernetes.io/instance"] == fb.RELEASE
    assert (row["trace"], row["span"], row["flags"]) == ("", "", 0)


def test_lifecycle_lines_keep_their_fields(table, processes):
    p = processes[0]
    [[attrs]] = table.query(
        "SELECT LogAttributes FROM {table}"
        f" WHERE Body = 'starting' AND ResourceAttributes['k8s.pod.uid'] = '{p.pod.uid}'")
    starting = next(d for d in p.docs if d["message"] == "starting")
    for key, value in starting.items():
        if key not in ("timestamp", "level", "message"):
            assert attrs[key] == str(value), key


def test_columns_have_the_designed_types(table):
    types = dict((name, kind) for name, kind, *_ in table.query("DESCRIBE TABLE {table}"))
    assert types["Timestamp"] == "DateTime64(9)"
    assert types["SeverityNumber"] == "UInt8" and types["TraceFlags"] == "UInt8"
    for column in ("LogAttributes", "ResourceAttributes", "ScopeAttributes"):
        assert types[column] == "Map(LowCardinality(String), String)"
    assert types["__hdx_materialized_k8s.pod.uid"] == "LowCardinality(String)"
    pods = table.scalar("SELECT uniqExact(`__hdx_materialized_k8s.pod.uid`) FROM {table}")
    assert pods == len(PROCESSES)


# --- the check can fail: each fault breaks exactly the check made for it ----------------

def _tamper(line, **changes):
    doc = json.loads(line)
    doc.update(changes)
    return json.dumps(doc, separators=(",", ":"))


def _faulty_rows(processes, outputs, fault):
    """All rows, with one fault injected into the first process's ticks."""
    p, out = processes[0], list(outputs[0])
    tick_at = [i for i, d in enumerate(p.docs) if d["message"] == "tick"]
    victim = tick_at[len(tick_at) // 2]
    extra = []
    if fault == "gap":  # a line fluent-bit never read
        del out[victim]
    elif fault == "first":  # the first two ticks, refused before the table existed
        first_two = set(tick_at[:2])
        out = [o for i, o in enumerate(out) if i not in first_two]
    elif fault in ("tail", "shutdown", "tail and shutdown"):  # the end of an ended process
        last_tick, shutdown = tick_at[-1], len(p.docs) - 1
        assert p.docs[shutdown]["message"] == "shutdown"
        lost = {"tail": {last_tick}, "shutdown": {shutdown}, "tail and shutdown": {last_tick, shutdown}}[fault]
        out = [o for i, o in enumerate(out) if i not in lost]
    elif fault == "duplicate":  # a line delivered twice, in a later batch
        extra = [out[victim]]
    elif fault in ("number", "word"):
        change = {"number": MAX + 1} if fault == "number" else {"word": "omega"}
        [out[victim]] = fb.run_filter(p.events([_tamper(p.lines[victim], **change)]))
    elif fault == "severity":  # a row whose number disagrees with its text
        row = out[victim].row()
        row["SeverityNumber"] = 13
        out[victim] = fb.Output(victim, "2", json.dumps(row).encode())
    return out + [o for rows in outputs[1:] for o in rows], extra


# The first process started first, so it has ended even without its `shutdown` row: the
# second, newer one is the one that may still be running (one replica).
@pytest.mark.parametrize("fault,check", [
    ("gap", "no_gap"), ("first", "starts_at_one"), ("duplicate", "no_duplicate"), ("number", "number_in_range"),
    ("word", "word_in_set"), ("severity", "severity_mapped"), ("nothing", "rows_arrived"),
    ("tail", "ends_at_total"), ("shutdown", "shutdown_logged"), ("tail and shutdown", "shutdown_logged"),
])
def test_pipeline_check_fails_on(fault, check, new_table, processes, outputs, words):
    t = new_table()
    if fault != "nothing":
        rows, extra = _faulty_rows(processes, outputs, fault)
        insert_in_batches(t, rows)
        if extra:
            t.insert(fb.json_each_row(extra))
    assert _failed_checks(t, words) == [check]


def _failed_checks(table, words, **params):
    with pytest.raises(RuntimeError) as failure:
        table.check("emitter", MIN, MAX, words, **params)
    message = str(failure.value)
    return message.split("pipeline check failed: ", 1)[1].split(".", 1)[0].split(", ")


def test_pipeline_check_fails_on_a_lost_tail_once_more_processes_ran_than_may_still_run(
        new_table, processes, outputs, words):
    # Without its shutdown row the first process may still be running while two may run
    # (a rolling update: the old pod and the new one); once only one may, it has ended.
    t = new_table()
    rows, _ = _faulty_rows(processes, outputs, "tail and shutdown")
    insert_in_batches(t, rows)
    report = t.check("emitter", MIN, MAX, words, running=2)
    assert ["shutdown_logged", "ok"] in [r[:2] for r in report], report
    assert _failed_checks(t, words, running=1) == ["shutdown_logged"]
    assert _failed_checks(t, words, running=0) == ["shutdown_logged"]


def test_pipeline_check_leaves_the_newest_process_running(new_table, processes, outputs, words):
    # The newest process has logged neither its last ticks nor `shutdown` yet: it is running.
    t = new_table()
    newest = list(outputs[1])
    insert_in_batches(t, outputs[0] + newest[:-5])
    report = t.check("emitter", MIN, MAX, words)
    assert [r[1] for r in report] == ["ok"] * len(report), report
    # With none allowed to run, it has ended without its shutdown row.
    assert _failed_checks(t, words, running=0) == ["shutdown_logged"]


def _foreign(process, output_index, release, namespace):
    """The same lines as `process`, logged by an emitter pod of another release."""
    pod = fb.emitter_pod(suffix=f"f{output_index:04d}", uid=f"00000000-0000-4000-9000-{output_index:012d}",
                         container_id=f"f{output_index}" * 32, release=release, namespace=namespace)
    return fb.run_filter([fb.event(process.fmt, e.time_ns, "stdout", line, pod)
                          for e, line in zip(process.events(), process.lines)])


@pytest.mark.parametrize("release,namespace", [
    ("logdemo", "logdemo2"),   # the same release name in another namespace
    ("logdemo2", "logdemo"),   # another release in the same namespace
])
def test_pipeline_check_counts_only_its_own_release(new_table, processes, outputs, words, release, namespace):
    t = new_table()
    insert_in_batches(t, [o for rows in outputs for o in rows])
    # The other release's emitter lost a line in the middle and its end.
    foreign = _foreign(processes[0], 1, release, namespace)
    del foreign[len(foreign) // 2]
    del foreign[-2:]
    insert_in_batches(t, foreign)
    report = {r[0]: r for r in t.check("emitter", MIN, MAX, words)}
    assert all(r[1] == "ok" for r in report.values()), report
    assert report["rows_arrived"][2].startswith(f"{sum(len(p.ticks) for p in processes)} ticks from 2 processes")
    # The other release's own check finds its losses (its one process has ended).
    assert _failed_checks(t, words, namespace=namespace, instance=release, running=0) == [
        "no_gap", "shutdown_logged"]


def test_pipeline_check_leaves_a_start_the_retention_may_have_dropped(new_table, processes, outputs, words):
    # A one-day retention: the ticks are a day from expiry, so earlier ones may be gone by TTL.
    t = new_table()
    rows, _ = _faulty_rows(processes, outputs, "first")
    insert_in_batches(t, rows)
    report = t.check("emitter", MIN, MAX, words, ttl_days=1)
    assert ["starts_at_one", "ok"] in [r[:2] for r in report], report


# --- at-least-once delivery: a retried batch is stored once -----------------------------

def test_same_block_inserted_twice_is_stored_once(new_table, outputs, words):
    t = new_table()
    first, second = outputs[0][:3000], outputs[0][3000:6000]
    t.insert(fb.json_each_row(first))
    t.insert(fb.json_each_row(first))  # fluent-bit retrying a batch that had landed
    assert t.scalar("SELECT count() FROM {table}") == len(first)
    t.insert(fb.json_each_row(second))  # a new batch is not mistaken for a retry
    assert t.scalar("SELECT count() FROM {table}") == len(first) + len(second)
    t.insert(fb.json_each_row(first))  # an old batch retried late, still in the window
    assert t.scalar("SELECT count() FROM {table}") == len(first) + len(second)
    t.check("emitter", MIN, MAX, words)


def test_instance_attribute_comes_only_from_the_pods_label(processes):
    p = processes[0]
    line = p.lines[1]
    time_ns = fb.rfc3339_ns(json.loads(line)["timestamp"])
    unlabelled = fb.emitter_pod()
    del unlabelled.labels["app.kubernetes.io/instance"]
    events = [fb.event("cri", time_ns, "stdout", line, pod) for pod in (fb.emitter_pod(release="r2"), unlabelled)]
    events.append(fb.event("cri", time_ns, "stdout", line, None))  # no metadata: the file name only
    labelled, without_label, without_metadata = (o.row()["ResourceAttributes"] for o in fb.run_filter(events))
    assert labelled["k8s.pod.label.app.kubernetes.io/instance"] == "r2"
    assert "k8s.pod.label.app.kubernetes.io/instance" not in without_label
    assert "k8s.pod.label.app.kubernetes.io/instance" not in without_metadata
