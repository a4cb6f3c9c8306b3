"""The LuaJIT harness behaves as fluent-bit's filter_lua, so the other tests can trust it."""

import json

import fluentbit as fb

FIXTURES = fb.HERE / "fixtures"
TIME_NS = 1_763_719_205_123_456_789


def test_return_codes_and_split_records():
    wants = ["drop", "keep", "retime", "split", "other"]
    events = [fb.Event(tag="t", time_ns=TIME_NS, record={"want": w, "n": [1, 2]}) for w in wants]
    outputs = fb.run_filter(events, lua_filter=FIXTURES / "codes.lua", entry="cb")
    got = [(o.index, o.code, json.loads(o.json) if o.json else None) for o in outputs]
    assert got == [
        (0, "-1", None),  # dropped: no row
        (1, "0", {"want": "keep", "n": [1, 2]}),  # kept as it came
        (2, "1", {"v": "retimed"}),
        (3, "2", {"v": "a"}), (3, "2", {"v": "b"}),  # an array of records: one row each
        (4, "2", {"v": "modified", "empty": {}}),  # an empty new table is a map
    ]
    assert fb.json_each_row(outputs).count(b"\n") == 5


def test_records_arrive_as_fluent_bit_builds_them():
    """Arrays and maps keep their kind (also when empty), nulls are gone, bytes are kept."""
    record = {"arr": [], "map": {}, "nested": [{"x": None, "y": 1.5}], "bytes": "a\udcffb", "null": None}
    [out] = fb.run_filter([fb.Event(tag="t", time_ns=TIME_NS, record=record | {"want": "keep"})],
                          lua_filter=FIXTURES / "codes.lua", entry="cb")
    assert out.code == "0"
    assert json.loads(out.json.decode("utf-8", "surrogateescape")) == {
        "arr": [], "map": {}, "nested": [{"y": 1.5}], "bytes": "a\udcffb", "want": "keep"}


def test_fault_injection_really_raises_inside_the_filter():
    """The harness fault is a real error: a filter that does not catch it reports it."""
    outputs = fb.run_filter(
        [fb.Event(tag="t", time_ns=TIME_NS, record={"log": "x"}, fault="")],
        lua_filter=FIXTURES / "raises.lua", entry="cb")
    assert [o.code for o in outputs] == ["error"]
    assert b"injected fault" in outputs[0].json
