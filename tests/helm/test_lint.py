"""helm lint --strict and the chart's helm-unittest suites, with each Helm major."""

import shutil

import pytest
import yaml

import chart


@pytest.mark.parametrize("helm", chart.HELMS)
@pytest.mark.parametrize("value_set", chart.VALUE_SETS)
def test_umbrella_lints_strictly(value_set, helm):
    chart.succeeds(helm, "lint", "--strict", chart.CHART, *chart.VALUE_SETS[value_set])


@pytest.fixture(scope="module")
def umbrella(tmp_path_factory):
    return chart.copy(tmp_path_factory.mktemp("lint"))


@pytest.fixture(scope="module")
def global_values(tmp_path_factory):
    """The umbrella's global values, which a subchart gets inside the umbrella."""
    path = tmp_path_factory.mktemp("globals") / "globals.yaml"
    values = yaml.safe_load((chart.CHART / "values.yaml").read_text())
    path.write_text(yaml.safe_dump({"global": values["global"]}))
    return path


@pytest.mark.parametrize("helm", chart.HELMS)
@pytest.mark.parametrize("subchart", chart.SUBCHARTS)
def test_subchart_lints_strictly_on_its_own(subchart, helm, umbrella, global_values):
    # On its own a subchart still needs the shared library chart, its dependency.
    directory = umbrella / "charts" / subchart
    library = directory / "charts" / "common"
    if not library.exists():
        library.parent.mkdir(exist_ok=True)
        shutil.copytree(umbrella / "charts" / "common", library)
    chart.succeeds(helm, "lint", "--strict", directory, "--values", global_values)


# helm-unittest renders with the Helm 3 library it is built with (helm.sh/helm/v3 in its
# go.mod), whichever helm runs it: under Helm 4 this proves the plugin loads and runs there
# (Helm 4 reads its legacy plugin.yaml, internal/plugin/metadata_legacy.go), while Helm 4's
# own rendering is checked by the lint, template and schema tests.
@pytest.mark.parametrize("helm", chart.HELMS)
def test_helm_unittest_suites_pass(helm, capsys):
    report = chart.succeeds(helm, "unittest", chart.CHART)
    # Its per-suite summary belongs in the suite's log, as when it ran on its own.
    with capsys.disabled():
        print("\n" + report)
