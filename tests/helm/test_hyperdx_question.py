"""The demo's question as the chart provisions it in HyperDX ("Logs with number 10, per word"),
run on chdb against the chart's schema.sql and rows the real emitter printed, through the real
Lua filter: the SQL form the NOTES print and the reconcile Job runs, and the Lucene form the
dashboard and saved search store, rendered to SQL as HyperDX 2.36.0 renders it
(packages/common-utils/src/queryParser.ts: a quoted field term goes to eq(), `Field = 'v'`; an
unquoted one to fieldSearch(), `Field ILIKE '%v%'` for a String; a Map key `M.k` becomes
`` `M`['k'] `` with `indexHint(mapContains(`M`, 'k'))`; terms side by side are ANDed).
Both count exactly the emitter's ticks with number 10, per word; unquoted, 10 also counts 100."""

import collections
import dataclasses
import json

import pytest

import chart
import chart_files
import emitter
import fluentbit as fb
import sqlfile

TICKS, SEED = 6000, 10
MAPS = ("LogAttributes", "ResourceAttributes")


def lucene_as_hyperdx_renders(query):
    """The SQL HyperDX 2.36.0 renders for a Lucene query of `Field:"v"` / `Map.key:v` terms."""
    parts = []
    for term in query.split():
        field, _, value = term.partition(":")
        quoted = len(value) > 1 and value[0] == value[-1] == '"'
        value = value.strip('"')
        head, _, key = field.partition(".")
        if head in MAPS and key:
            column, hint = f"`{head}`['{key}']", f" AND indexHint(mapContains(`{head}`, '{key}'))"
        else:
            column, hint = f"`{field}`", ""
        parts.append(f"({column} = '{value}'{hint})" if quoted else f"({column} ILIKE '%{value}%'{hint})")
    return "(" + " AND ".join(parts) + ")"


@pytest.fixture(scope="module")
def desired():
    docs = chart.manifests("default")
    job = chart.find(docs, "Job", prefix="logdemo-hyperdx-reconcile-")
    return json.loads(chart.env(chart.pod_spec(job)["containers"][0])["DESIRED"])


@pytest.fixture(scope="module")
def emitted():
    """The real emitter's stdout lines for TICKS ticks with the chart's defaults (0..100, 10 words)."""
    try:
        binary = emitter.build()
    except RuntimeError as err:
        pytest.fail(str(err))
    return emitter.run(binary, TICKS, SEED)


@pytest.fixture(scope="module")
def table(tmp_path_factory, emitted):
    """otel.otel_logs from schema.sql with the emitter's lines and, from another pod, a line that
    carries number 10 too (the ServiceName term must leave it out)."""
    import chdb.session

    session = chdb.session.Session(str(tmp_path_factory.mktemp("chdb")))
    sqlfile.run(session, chart_files.SCHEMA_SQL, {"database": "otel", "logs_table": "otel_logs", "ttl_days": 30})
    pod = fb.emitter_pod()
    other = dataclasses.replace(pod, name="logdemo-other-0", container="other",
                                labels={"app.kubernetes.io/name": "other"})
    stamp = fb.rfc3339_ns(json.loads(emitted[0])["timestamp"])
    events = [fb.event("cri", fb.rfc3339_ns(json.loads(line)["timestamp"]), "stdout", line, pod) for line in emitted]
    events.append(fb.event("cri", stamp, "stdout", json.dumps({"message": "x", "number": 10, "word": "alpha"}), other))
    outputs = fb.run_filter(events)
    assert len(outputs) == len(events), "the Lua filter dropped lines"
    session.query("SYSTEM STOP TTL MERGES otel.otel_logs")
    session.query("INSERT INTO otel.otel_logs FORMAT JSONEachRow\n" + fb.json_each_row(outputs).decode())
    yield session
    session.close()


def per_word(session, where, group_by):
    result = session.query(f"SELECT {group_by} AS word, count() AS logs FROM otel.otel_logs WHERE {where} "
                           "GROUP BY word ORDER BY word", "JSONCompact")
    return {w: int(n) for w, n in json.loads(result.bytes())["data"]}


def expected(emitted, number):
    ticks = [json.loads(line) for line in emitted]
    return dict(sorted(collections.Counter(t["word"] for t in ticks
                                           if t.get("message") == "tick" and t["number"] == number).items()))


def test_the_sql_form_counts_the_emitters_ticks_with_number_10_per_word(desired, table, emitted):
    want = expected(emitted, 10)
    assert sum(want.values()) > 20, f"too few ticks with 10 to prove anything: {want}"
    got = per_word(table, desired["check"]["where"], desired["check"]["groupBy"])
    assert got == want, f"the SQL form {desired['check']['where']!r} counted {got}, the emitter printed {want}"


def test_the_stored_lucene_form_renders_to_the_same_answer(desired, table, emitted):
    tile = desired["dashboard"]["tiles"][0]["config"]
    assert tile["whereLanguage"] == "lucene" and desired["savedSearch"]["where"] == tile["where"]
    got = per_word(table, lucene_as_hyperdx_renders(tile["where"]), tile["groupBy"])
    assert got == expected(emitted, 10), f"the dashboard's Lucene {tile['where']!r} counts {got}"


def test_unquoted_10_is_a_substring_search_that_counts_100_too(desired, table, emitted):
    unquoted = desired["dashboard"]["tiles"][0]["config"]["where"].replace('number:"10"', "number:10")
    got = per_word(table, lucene_as_hyperdx_renders(unquoted), "LogAttributes['word']")
    with_100 = collections.Counter(expected(emitted, 10)) + collections.Counter(expected(emitted, 100))
    assert got == dict(sorted(with_100.items())) and got != expected(emitted, 10), \
        f"unquoted {unquoted!r} counted {got}; 10 and 100 together are {dict(with_100)}"


def test_the_readmes_print_the_question_the_chart_provisions(desired):
    tile = desired["dashboard"]["tiles"][0]["config"]
    for readme in (chart.ROOT / "README.md", chart.CHART / "README.md"):
        text = readme.read_text()
        for form in (tile["where"], desired["check"]["where"], tile["groupBy"], desired["dashboard"]["name"]):
            assert form in text, f"{readme.relative_to(chart.ROOT)} does not give {form!r} as the chart provisions it"
