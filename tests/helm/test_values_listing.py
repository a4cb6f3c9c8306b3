"""The commonly changed subchart values that the umbrella's values.yaml lists as comments
(what `helm show values charts/logdemo` prints): each exists in its subchart with the default
shown, uncommenting the listing gives values the chart accepts, and the chart README's
values table names each."""

import re

import pytest
import yaml

import chart

UMBRELLA_VALUES = chart.CHART / "values.yaml"
MARKER = "(uncomment to change):"


def listing(subchart):
    """The commented values under `subchart:` in the umbrella's values.yaml: the comment lines
    after the marker line, uncommented, parsed as YAML."""
    block = re.search(rf"^{re.escape(subchart)}:\n(.*?)(?=^\S|\Z)", UMBRELLA_VALUES.read_text(), re.S | re.M)
    assert block, f"values.yaml has no {subchart}: section"
    lines = block.group(1).splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith("#") and line.rstrip().endswith(MARKER)]
    assert starts, f"values.yaml lists no commonly changed values under {subchart}: (a comment ending {MARKER!r})"
    listed = []
    for line in lines[starts[0] + 1:]:
        if not line.startswith("  # "):
            break
        listed.append(line[4:])
    values = yaml.safe_load("\n".join(listed))
    assert isinstance(values, dict) and values, f"the listing under {subchart}: is not YAML values"
    return values


def leaves(values, prefix=()):
    """(dotted path, value) of every value that is not a mapping."""
    for key, value in values.items():
        if isinstance(value, dict):
            yield from leaves(value, prefix + (key,))
        else:
            yield ".".join(prefix + (key,)), value


def lookup(values, dotted):
    for key in dotted.split("."):
        assert isinstance(values, dict) and key in values, f"no {dotted}"
        values = values[key]
    return values


@pytest.mark.parametrize("subchart", chart.SUBCHARTS)
def test_listed_defaults_are_the_subcharts(subchart):
    defaults = yaml.safe_load((chart.CHART / "charts" / subchart / "values.yaml").read_text())
    for path, value in leaves(listing(subchart)):
        assert path in dict(leaves(defaults)), \
            f"values.yaml lists {subchart}.{path}, which charts/{subchart}/values.yaml does not have"
        assert lookup(defaults, path) == value, \
            f"values.yaml lists {subchart}.{path}: {value!r}, its default is {lookup(defaults, path)!r}"


@pytest.mark.parametrize("helm", chart.HELMS)
def test_show_values_prints_the_listings(helm):
    shown = chart.succeeds(helm, "show", "values", chart.CHART)
    for subchart in chart.SUBCHARTS:
        assert f"  # {next(iter(listing(subchart)))}:" in shown, \
            f"`{helm} show values` does not print the listing of {subchart}"


def test_uncommented_listings_render(tmp_path):
    values = tmp_path / "listed.yaml"
    values.write_text(yaml.safe_dump({s: listing(s) for s in chart.SUBCHARTS}))
    chart.template("--values", values)


def test_chart_readme_names_every_listed_value():
    readme = (chart.CHART / "README.md").read_text()
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `"))
    missing = []
    for subchart in chart.SUBCHARTS:
        for path, _ in leaves(listing(subchart)):
            # The table groups values as `a.b` / `c` / `d`: each leaf name must appear in a row
            # that names its subchart.
            name = path.rsplit(".", 1)[-1]
            rows = [row for row in table.splitlines() if f"`{subchart}." in row]
            if not any(re.search(rf"`({re.escape(subchart)}\.)?([\w.*-]+\.)?{re.escape(name)}`", row) for row in rows):
                missing.append(f"{subchart}.{path}")
    assert not missing, f"charts/logdemo/README.md's values table does not name {missing}"
