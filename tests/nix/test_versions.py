"""The versions the flake builds agree with the ones the chart runs."""

import pytest
import yaml

import flake

CHARTS = flake.ROOT / "charts" / "logdemo"


def load(path):
    with open(path) as f:
        return yaml.safe_load(f) or {}


def merge(a, b):
    for k, v in b.items():
        a[k] = merge(a.get(k, {}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return a


def chart_value(subchart, *path):
    """A subchart's effective value: its own values.yaml overridden by the umbrella's section
    (subchart "global": the umbrella's global values)."""
    own = CHARTS / "charts" / subchart / "values.yaml"
    values = merge(load(own) if own.exists() else {}, load(CHARTS / "values.yaml").get(subchart) or {})
    for key in path:
        assert isinstance(values, dict) and key in values, \
            f"the chart has no {subchart}.{'.'.join(path)} (docs/interfaces.md: per-image repository/tag values)"
        values = values[key]
    return str(values)


# name: (the chart's tag, the flake's version from the project, are they the same release)
AGREEMENTS = {
    # The chart's stock image is upstream fluent-bit; the flake's upstream pin is that release.
    "fluent-bit": (lambda: chart_value("fluent-bit", "image", "tag"), lambda p: p["fluentBit"]["version"],
                   lambda chart, nix: chart.lstrip("v") == nix),
    "HyperDX": (lambda: chart_value("hyperdx", "image", "tag"), lambda p: p["hyperdxVersion"],
                lambda chart, nix: chart == nix),
    "MongoDB": (lambda: chart_value("hyperdx", "mongodb", "image", "tag"), lambda p: p["mongodbTag"],
                lambda chart, nix: chart == nix),
    "ClickHouse": (lambda: chart_value("global", "clickhouse", "image", "tag"), lambda p: p["clickhouse"]["series"],
                   lambda chart, nix: chart == nix or chart.startswith(nix + ".")),
}


@pytest.mark.parametrize("name", AGREEMENTS)
def test_flake_builds_the_release_the_chart_runs(project, name):
    chart_tag, nix_version, same = AGREEMENTS[name]
    chart, nix = chart_tag(), nix_version(project)
    assert same(chart, nix), f"{name}: chart runs {chart}, nix/pins.json builds {nix}"
