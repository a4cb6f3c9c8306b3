"""The Helm binaries scripts/install-tools builds behave as the released ones: each reports its
pinned version, `helm` is Helm 3, and the Kubernetes version a render assumes when no
cluster is asked (.Capabilities.KubeVersion, which `helm lint` also checks deprecated APIs
against) is not older than the one the chart is validated for. A Helm 3 built without its
Makefile's -X flags reports v3.19 and assumes Kubernetes 1.20."""

import re

import pytest

import chart
from test_manifests import KUBERNETES_VERSION

PINS = chart.tool_versions()


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """A chart rendering the versions Helm gives templates."""
    directory = tmp_path_factory.mktemp("probe")
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (directory / "templates").mkdir()
    (directory / "templates" / "versions.yaml").write_text(
        "helm: {{ .Capabilities.HelmVersion.Version }}\nkube: {{ .Capabilities.KubeVersion.Version }}\n")
    return directory


@pytest.mark.parametrize("helm", chart.HELMS)
def test_helm_is_the_pinned_release(helm, probe):
    pinned = PINS[f"{helm.upper()}_VERSION"]
    reported = chart.succeeds(helm, "version", "--template", "{{.Version}}").strip()
    assert reported == pinned, f"{helm} reports {reported}, the pin is {pinned}"
    rendered = dict(re.findall(r"^(helm|kube): (\S+)$", chart.succeeds(helm, "template", probe), re.M))
    assert rendered["helm"] == pinned, f"{helm} gives templates HelmVersion {rendered['helm']}"
    kube = tuple(map(int, rendered["kube"].lstrip("v").split(".")[:2]))
    wanted = tuple(map(int, KUBERNETES_VERSION.split(".")[:2]))
    assert kube >= wanted, \
        f"{helm} assumes Kubernetes {rendered['kube']}, older than the {KUBERNETES_VERSION} the chart is validated for"


def test_plain_helm_is_helm_3():
    reported = chart.succeeds("helm", "version", "--template", "{{.Version}}").strip()
    assert reported == PINS["HELM3_VERSION"], f"`helm` is {reported}, the suites expect Helm 3 there"


@pytest.mark.parametrize("helm", chart.HELMS)
def test_helm_unittest_runs_as_a_plugin(helm):
    listed = chart.succeeds(helm, "plugin", "list")
    version = PINS["HELM_UNITTEST_VERSION"].lstrip("v")
    assert re.search(rf"^unittest\s+{re.escape(version)}\b", listed, re.M), \
        f"{helm} plugin list does not show unittest {version}:\n{listed}"
