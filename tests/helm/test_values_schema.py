"""values.schema.json rejects bad values with a message naming the value."""

import pytest

import chart

BAD_VALUES = [
    ("emitter.max=lots", "at '/max': got string, want integer"),
    ("clickhouse.replica=3", "additional properties 'replica' not allowed"),
    # The ClickHouse image's old place: its one home is global.clickhouse.image now.
    ("clickhouse.image.tag=25.8.9.1", "additional properties 'image' not allowed"),
    ("global.clickhouse.image.uid=0", "at '/global/clickhouse/image/uid': minimum: got 0, want 1"),
    ("fluent-bit.waitForClickHouse.seconds=0", "at '/waitForClickHouse/seconds': minimum: got 0, want 1"),
    ("global.clickhouse.httpPort=http", "at '/global/clickhouse/httpPort': got string, want integer"),
    ("global.clickhouse.httpPort=70000", "at '/global/clickhouse/httpPort': maximum: got 70,000, want 65,535"),
    ("hyperdx.frontendUrl=localhost:3000", "at '/frontendUrl': 'localhost:3000' does not match pattern"),
    ("clickhouse.persistence.enabled=yes", "at '/persistence/enabled': got string, want boolean"),
    ("fluent-bit.collect=cluster", "at '/collect': value must be one of 'namespace', 'node'"),
    ("fluent-bit.lingerSeconds=-1", "at '/lingerSeconds': minimum: got -1, want 0"),
    # Contradictions, refused by templates/validate.yaml with the value to set.
    ("clickhouse.enabled=false,global.clickhouse.host=clickhouse.example.internal",
     "clickhouse.enabled=false needs global.clickhouse.auth.existingSecret"),
    ("clickhouse.enabled=false", "clickhouse.enabled=false needs global.clickhouse.host"),
    # The emitter's values typed as users type them (--set), refused naming the fix.
    ("emitter.logLevel=warn", "emitter.logLevel=warn hides the tick lines"),
    ("emitter.logLevel=error", "set emitter.logLevel to info, debug or trace"),
    ("emitter.rate=0", "at '/rate': minimum: got 0, want 1"),
    ("emitter.interval=5", "at '/interval': value must be 0"),
    ("emitter.words=3,emitter.wordList={a,b}", "emitter.words is 3 but emitter.wordList holds 2 words"),
]


@pytest.mark.parametrize("helm", chart.HELMS)
@pytest.mark.parametrize("setting,message", BAD_VALUES)
def test_bad_value_is_rejected_by_name(setting, message, helm):
    proc = chart.run(helm, "template", chart.RELEASE, chart.CHART, "--set", setting)
    assert proc.returncode != 0, f"{helm} template accepted --set {setting}"
    assert message in chart.output(proc), \
        f"--set {setting} was rejected without naming it ({message}):\n{chart.output(proc)}"
