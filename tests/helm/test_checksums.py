"""Checksum annotations roll the pods when their configuration changes, and only then: the
fluent-bit config and Lua filter, and ClickHouse's users."""

import pytest

import chart


@pytest.fixture(scope="module")
def umbrella(tmp_path_factory):
    """A copy of the chart whose files the tests change (and put back)."""
    return chart.copy(tmp_path_factory.mktemp("checksums"))


def checksum(directory, kind, name, key, *args):
    """The annotation `key` of that object's pod template, rendered from the chart at `directory`."""
    doc = chart.find(chart.documents(chart.template(*args, chart=directory)), kind, name=name)
    return doc["spec"]["template"]["metadata"]["annotations"][key]


def fluent_bit(directory, key):
    return checksum(directory, "DaemonSet", "logdemo-fluent-bit", key)


def test_fluent_bit_config_checksum_is_stable(umbrella):
    assert fluent_bit(umbrella, "checksum/config") == fluent_bit(umbrella, "checksum/config"), \
        "the fluent-bit checksum differs between two renders of the same chart"


def test_clickhouse_auth_checksum_is_stable(umbrella):
    assert fluent_bit(umbrella, "checksum/clickhouse-auth") == fluent_bit(umbrella, "checksum/clickhouse-auth"), \
        "generated passwords change the auth checksum on every render (pods would roll on each upgrade)"


@pytest.mark.parametrize("file", ["otel-logs.lua", "fluent-bit.yaml"])
def test_fluent_bit_pods_roll_when_a_file_changes(umbrella, file):
    before = fluent_bit(umbrella, "checksum/config")
    path = umbrella / "charts" / "fluent-bit" / "files" / file
    original = path.read_text()
    path.write_text(original + "\n# changed\n")
    try:
        after = fluent_bit(umbrella, "checksum/config")
    finally:
        path.write_text(original)
    assert after != before, f"changing {file} leaves the fluent-bit pods' checksum as it was"


def test_clickhouse_rolls_when_a_user_is_renamed(umbrella):
    args = ("StatefulSet", "logdemo-clickhouse", "checksum/config")
    before = checksum(umbrella, *args)
    after = checksum(umbrella, *args, "--set", "global.clickhouse.users.reader=viewer")
    assert after != before, "renaming a ClickHouse user leaves the server's checksum as it was"
