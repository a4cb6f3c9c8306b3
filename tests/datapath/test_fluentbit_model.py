"""The model's records are the ones fluent-bit 5.1.1 handed to the Lua filter.

Each expected record below was read from the real fluent-bit (tail with `multiline.parser
docker, cri`, the kubernetes filter with the chart's settings, a stand-in API server),
printed before the Lua filter; docs/data-path.md says how it was run. The model
(fluentbit.py) must give the same record for the same line.
"""

import fluentbit as fb

TIME_NS = 1_763_719_205_123_456_789
STAMP = "2025-11-21T10:00:05.123456789Z"


def record(fmt, line, pod=None):
    return fb.kubernetes_filter(fb.tail_record(fmt, TIME_NS, "stdout", line), pod)


def test_tail_cuts_a_carriage_return_ending_a_cri_line_only():
    assert record("cri", "windows line\r")["log"] == "windows line"
    assert record("cri", "a\rb")["log"] == "a\rb"
    assert record("docker", "windows line\r")["log"] == "windows line\r\n"


def test_a_rejoined_cri_line_keeps_its_first_parts_flag():
    assert record("cri", "x" * (256 * 1024))["_p"] == "P"
    assert record("cri", "x" * 16)["_p"] == "F"


def test_json_line_is_merged_beside_the_raw_line():
    line = "{\"message\":\"m\",\"n\":1}"
    assert record("cri", line) == {"time": STAMP, "stream": "stdout", "_p": "F", "log": line,
                                   "log_processed": {"message": "m", "n": 1}}


def test_reader_quirks():
    # An empty map adds no key; text after a first object is ignored by the reader;
    # two values, NaN and numbers beyond a double are not merged.
    assert "log_processed" not in record("cri", "{}")
    assert record("cri", "{\"message\":\"m\"} trailing")["log_processed"] == {"message": "m"}
    for line in ("{\"a\":1} {\"b\":2}", "{\"x\":NaN}", "{\"x\":1e400}", "[1]"):
        assert "log_processed" not in record("cri", line), line
    big = record("cri", "{\"x\":18446744073709551615,\"y\":123456789012345678901234567890}")["log_processed"]
    assert big["x"] == -(2**63) and big["y"] == 123456789012345678901234567890
    assert record("cri", "{\"m\":\"a\\ud800b\"}")["log_processed"] == {"m": "a\ufffdb"}


def test_kubernetes_map_has_the_real_keys_in_order():
    meta = record("cri", "x", fb.emitter_pod())["kubernetes"]
    assert list(meta) == ["pod_name", "namespace_name", "pod_id", "labels", "host", "pod_ip",
                          "container_name", "docker_id", "container_hash", "container_image"]
