"""Bad input: every line becomes exactly one row, and ClickHouse accepts the whole batch.

Each case is a line a container could write (or a record fluent-bit could hand over),
sent through the chart's Lua filter in both the CRI and the docker json-file shape, with
what the row must say about it.
"""

import json
import math

import pytest

import fluentbit as fb

RECORD_TIME_NS = 1_763_719_205_123_456_789  # 2025-11-21 10:00:05.123456789 UTC
RECORD_TIME = "2025-11-21 10:00:05.123456789"
BIG = "x" * (256 * 1024)


def ok_text(expected):
    return lambda row: row["Body"] == expected


CASES = []


def case(name, line, expect, stream="stdout", pod=True, cri_expect=None):
    """A line and what its row must say; `cri_expect`, if given, replaces `expect` for the
    CRI file (where the runtime's framing, not the line, decides a detail)."""
    CASES.append(pytest.param(line, expect, stream, pod, cri_expect or expect, id=name))


def attrs(row):
    return row["LogAttributes"]


# --- lines that are not JSON maps: kept whole in Body, INFO --------------------------
case("plain text", "hello world",
     lambda r: r["Body"] == "hello world" and r["SeverityText"] == "INFO" and r["SeverityNumber"] == 9
     and attrs(r) == {"log.iostream": "stdout"} and r["Timestamp"] == RECORD_TIME)
case("json array", "[1,2,{\"a\":3}]", ok_text("[1,2,{\"a\":3}]"))
case("json number", "42", ok_text("42"))
case("json string", "\"just a string\"", ok_text("\"just a string\""))
case("json null", "null", ok_text("null"))
case("json true", "true", ok_text("true"))
case("broken json", "{\"message\": \"unterminated", ok_text("{\"message\": \"unterminated"))
case("empty line", "", lambda r: r["Body"] == "" and r["SeverityNumber"] == 9)
# tail cuts a \r that ends a physical line of the file (observed on fluent-bit 5.1.1):
# in a CRI file it goes, in docker's the \r sits inside the JSON string and stays.
case("carriage return", "windows line\r", ok_text("windows line\r"), cri_expect=ok_text("windows line"))
case("carriage return inside", "a\rb", ok_text("a\rb"))
case("256 KiB plain line", BIG, ok_text(BIG))
case("stderr plain line", "panic: oh no",
     lambda r: r["Body"] == "panic: oh no" and attrs(r)["log.iostream"] == "stderr", stream="stderr")

# --- JSON maps with awkward fields --------------------------------------------------
NESTED = {"a": {"b": [1, "two", {"c": True}], "d": {}}, "e": []}
case("nested objects and arrays",
     json.dumps({"message": "m", "obj": NESTED, "arr": [1, "x", False], "empty_obj": {}, "empty_arr": []}),
     lambda r: json.loads(attrs(r)["obj"]) == NESTED and json.loads(attrs(r)["arr"]) == [1, "x", False]
     and attrs(r)["empty_obj"] == "{}" and attrs(r)["empty_arr"] == "[]")
case("floats and huge numbers",
     "{\"message\":\"m\",\"f\":1.5,\"g\":0.1,\"e\":1e300,\"tiny\":-2.5e-7,"
     "\"big\":123456789012345678901234567890,\"neg\":-42,\"zero\":0}",
     lambda r: attrs(r)["f"] == "1.5" and attrs(r)["g"] == "0.1" and float(attrs(r)["e"]) == 1e300
     and float(attrs(r)["tiny"]) == -2.5e-7 and attrs(r)["neg"] == "-42" and attrs(r)["zero"] == "0"
     and math.isclose(float(attrs(r)["big"]), 1.2345678901234568e29, rel_tol=1e-15))
case("booleans and nulls", "{\"message\":\"m\",\"t\":true,\"f\":false,\"n\":null}",
     # fluent-bit hands a null to Lua as nil: the key is gone, or "null" with flb_null.
     lambda r: attrs(r)["t"] == "true" and attrs(r)["f"] == "false" and attrs(r).get("n", "null") == "null")
case("message not a string", "{\"message\":{\"k\":[1,2]},\"level\":\"info\"}",
     lambda r: json.loads(r["Body"]) == {"k": [1, 2]})
case("numeric message", "{\"message\":5}", ok_text("5"))
case("no message", "{\"level\":\"WARN\",\"count\":3}",
     lambda r: json.loads(r["Body"]) == {"level": "WARN", "count": 3} and r["SeverityNumber"] == 13)
case("keys named like record keys",
     "{\"message\":\"m\",\"stream\":\"mine\",\"log\":\"inner\",\"kubernetes\":\"k\",\"time\":\"t\"}",
     lambda r: attrs(r)["stream"] == "mine" and attrs(r)["log"] == "inner" and attrs(r)["kubernetes"] == "k"
     and attrs(r)["log.iostream"] == "stdout" and r["ServiceName"] == "emitter")
case("trailing newline in a value", "{\"message\":\"two lines\\nend\\n\",\"k\":\"v\\r\\n\"}",
     lambda r: r["Body"] == "two lines\nend\n" and attrs(r)["k"] == "v\r\n")
case("two json objects on one line", "{\"a\":1} {\"b\":2}", ok_text("{\"a\":1} {\"b\":2}"))
case("control characters", "{\"message\":\"nul\\u0000 tab\\t esc\\u001b bell\\u0007\"}",
     ok_text("nul\x00 tab\t esc\x1b bell\x07"))
case("256 KiB json message", json.dumps({"message": BIG, "level": "DEBUG"}),
     lambda r: r["Body"] == BIG and r["SeverityText"] == "DEBUG" and r["SeverityNumber"] == 5)
case("stderr json line", "{\"level\":\"ERROR\",\"message\":\"failed\"}",
     lambda r: r["SeverityNumber"] == 17 and attrs(r)["log.iostream"] == "stderr", stream="stderr")

# --- what fluent-bit 5.1.1's JSON reader does (run against the real binary) ------------
# `{}` merges into no key at all, and the reader stops after a first value, so text after
# an object would be lost: with keep_log on the filter sees the line and keeps it whole.
case("empty object", "{}", lambda r: r["Body"] == "{}" and attrs(r) == {"log.iostream": "stdout"})
case("empty object with a space", "{ }", ok_text("{ }"))
case("object then text", "{\"message\":\"m\",\"k\":1} and then text",
     lambda r: r["Body"] == "{\"message\":\"m\",\"k\":1} and then text" and "k" not in attrs(r))
case("object then blanks", "{\"message\":\"m\"}  \t", ok_text("m"))
# NaN and numbers beyond a double are not JSON to the reader: the line stays text.
case("NaN literal", "{\"message\":\"m\",\"x\":NaN}", ok_text("{\"message\":\"m\",\"x\":NaN}"))
case("number beyond a double", "{\"message\":\"m\",\"x\":1e400}", ok_text("{\"message\":\"m\",\"x\":1e400}"))
# A known loss in fluent-bit's msgpack -> Lua conversion (an unsigned 64-bit integer
# pushed as a signed one): integers from 2^63 to 2^64 - 1 arrive as -2^63.
case("integers from 2^63", "{\"message\":\"m\",\"x\":18446744073709551615,\"y\":9223372036854775808}",
     lambda r: attrs(r)["x"] == attrs(r)["y"] == "-9223372036854775808")
case("lone surrogate escape", "{\"message\":\"a\\ud800b\"}", ok_text("a\ufffdb"))
case("one byte past the runtime's split", "z" * (16 * 1024 + 1), ok_text("z" * (16 * 1024 + 1)))

# --- timestamps -----------------------------------------------------------------------
case("missing timestamp", "{\"message\":\"m\"}", lambda r: r["Timestamp"] == RECORD_TIME)
for name, value in [("words", "yesterday"), ("month 13", "2026-13-01T00:00:00Z"),
                    ("february 30", "2026-02-30T00:00:00Z"), ("number", 1763719205),
                    ("bad zone", "2026-11-21T10:00:05Z+99"), ("year 9999", "9999-01-01T00:00:00Z"),
                    ("empty", "")]:
    case(f"malformed timestamp ({name})", json.dumps({"message": "m", "timestamp": value}),
         lambda r: r["Timestamp"] == RECORD_TIME)
case("timestamp with offset", "{\"message\":\"m\",\"timestamp\":\"2026-11-21T12:00:05.5+02:00\"}",
     lambda r: r["Timestamp"] == "2026-11-21 10:00:05.500000000")
case("timestamp in microseconds", "{\"message\":\"m\",\"timestamp\":\"2026-11-21T10:00:05.123456Z\"}",
     lambda r: r["Timestamp"] == "2026-11-21 10:00:05.123456000")
case("timestamp beyond nanoseconds", "{\"message\":\"m\",\"timestamp\":\"2026-11-21T10:00:05.1234567891Z\"}",
     lambda r: r["Timestamp"] == "2026-11-21 10:00:05.123456789")
for stamp, expected in [("2026-11-30T23:59:59.999999999Z", "2026-11-30 23:59:59.999999999"),
                        ("2028-02-29T00:00:00Z", "2028-02-29 00:00:00.000000000"),
                        ("2026-02-29T00:00:00Z", RECORD_TIME),
                        ("2026-11-21T10:00:05.Z", RECORD_TIME),
                        ("2026-11-21T10:00:05123Z", RECORD_TIME),
                        ("2026-11-21T24:00:00Z", RECORD_TIME),
                        ("2026-11-21T10:00:05.12a4Z", RECORD_TIME),
                        ("2026-11-21 10:00:05.25", "2026-11-21 10:00:05.250000000")]:
    case(f"timestamp {stamp}", json.dumps({"message": "m", "timestamp": stamp}),
         lambda r, e=expected: r["Timestamp"] == e)
case("timestamp before 1970", "{\"message\":\"m\",\"timestamp\":\"1969-12-31T23:59:59.25Z\"}",
     lambda r: r["Timestamp"] == "1969-12-31 23:59:59.250000000")

# --- levels ---------------------------------------------------------------------------
for level, text, number in [("info", "INFO", 9), ("Warning", "WARN", 13), ("error", "ERROR", 17),
                            ("trace", "TRACE", 1), ("fatal", "FATAL", 21), ("verbose", "verbose", 0),
                            (3, "3", 0), ("", "", 0)]:
    case(f"level {level!r}", json.dumps({"message": "m", "level": level}),
         lambda r, t=text, n=number: r["SeverityText"] == t and r["SeverityNumber"] == n)

# --- text encodings ---------------------------------------------------------------------
UNICODE = "héllo 世界 🎉 \u2028"
case("unicode", json.dumps({"message": UNICODE, "wörd": "ü"}, ensure_ascii=False),
     lambda r: r["Body"] == UNICODE and attrs(r)["wörd"] == "ü")
case("invalid utf-8 plain line", "bad \udcff\udcfe bytes \udce2\udc82",
     lambda r: r["Body"] == "bad \ufffd\ufffd bytes \ufffd\ufffd")
case("invalid utf-8 in json", "{\"message\":\"m\udcc3\",\"k\udcff\":\"v\udced\udca0\udc80\"}",
     lambda r: r["Body"] == "m\ufffd" and attrs(r)["k\ufffd"] == "v\ufffd\ufffd\ufffd")

# --- trace context ----------------------------------------------------------------------
case("trace context",
     json.dumps({"message": "m", "trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736",
                 "span_id": "00f067aa0ba902b7", "trace_flags": 1}),
     lambda r: r["TraceId"] == "4bf92f3577b34da6a3ce929d0e0e4736" and r["SpanId"] == "00f067aa0ba902b7"
     and r["TraceFlags"] == 1 and "trace_id" not in attrs(r))
case("bad trace context", json.dumps({"message": "m", "trace_id": "xyz", "span_id": 7, "trace_flags": 999}),
     lambda r: r["TraceId"] == "" and r["SpanId"] == "" and r["TraceFlags"] == 0)

# --- metadata ---------------------------------------------------------------------------
case("no kubernetes metadata", "{\"message\":\"m\"}",
     lambda r: r["ServiceName"] == "app" and r["ResourceAttributes"]["k8s.namespace.name"] == "default",
     pod=False)


def _assert_clickhouse_safe(row):
    assert isinstance(row["Timestamp"], str)
    for column in ("Body", "SeverityText", "ServiceName", "ScopeName", "TraceId", "SpanId"):
        assert isinstance(row[column], str), column
    for column in ("SeverityNumber", "TraceFlags"):
        assert isinstance(row[column], int) and 0 <= row[column] <= 255, column
    for column in ("LogAttributes", "ResourceAttributes"):
        assert isinstance(row[column], dict), column
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in row[column].items()), column


def _events(line, stream, pod):
    k8s = fb.emitter_pod() if pod else None
    return [fb.event(fmt, RECORD_TIME_NS, stream, line, k8s) for fmt in ("cri", "docker")]


@pytest.mark.parametrize("line,expect,stream,pod,cri_expect", CASES)
def test_each_bad_line_becomes_one_expected_row(line, expect, stream, pod, cri_expect):
    events = _events(line, stream, pod)
    outputs = fb.run_filter(events)
    assert [(o.index, o.code) for o in outputs] == [(0, "2"), (1, "2")]
    for out, check in zip(outputs, (cri_expect, expect)):  # _events: CRI first, then docker
        row = out.row()  # strict UTF-8 JSON
        _assert_clickhouse_safe(row)
        assert check(row), json.dumps(row, ensure_ascii=False)[:2000]


def test_whole_corpus_is_one_batch_clickhouse_accepts(new_table):
    events = [e for p in CASES for e in _events(p.values[0], p.values[2], p.values[3])]
    outputs = fb.run_filter(events)
    assert sorted(o.index for o in outputs) == list(range(len(events)))
    table = new_table()
    table.insert(fb.json_each_row(outputs))
    assert table.scalar("SELECT count() FROM {table}") == len(events)
    invalid = table.scalar(
        "SELECT countIf(NOT (isValidUTF8(Body) AND isValidUTF8(ServiceName)"
        " AND arrayAll(x -> isValidUTF8(x), mapValues(LogAttributes))"
        " AND arrayAll(x -> isValidUTF8(x), mapKeys(LogAttributes)))) FROM {table}")
    assert invalid == 0
    longest = table.scalar("SELECT max(length(Body)) FROM {table}")
    assert longest == len(BIG)


def test_runtime_error_in_filter_keeps_the_line():
    """A Lua error inside the filter (injected: reading pod metadata raises) still gives a
    row carrying the raw line, so neither the line nor the batch is lost."""
    line = "{\"message\":\"m\",\"count\":7}"
    plain = "plain text line"
    events = []
    for text in (line, plain):
        for fmt in ("cri", "docker"):
            ev = fb.event(fmt, RECORD_TIME_NS, "stdout", text, fb.emitter_pod())
            ev.fault = "kubernetes"
            events.append(ev)
    outputs = fb.run_filter(events)
    assert [(o.index, o.code) for o in outputs] == [(i, "2") for i in range(4)]
    rows = [o.row() for o in outputs]
    for row in rows:
        _assert_clickhouse_safe(row)
        assert "injected fault" in row["LogAttributes"]["logdemo.filter.error"]
        assert row["Timestamp"] == RECORD_TIME
        assert row["ServiceName"] == "emitter"  # from the tag: the file name names the container
    # keep_log on: the raw line is in the record, so even a JSON line arrives as logged.
    assert rows[0]["Body"] == line and rows[1]["Body"] == line + "\n"
    assert rows[2]["Body"] == plain and rows[3]["Body"] == plain + "\n"
