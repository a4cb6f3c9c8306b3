"""helmfile lint, and helmfile template renders what helm template renders with the same values."""

import pytest

import chart

HELMFILE = chart.ROOT / "helmfile.yaml"
# Generated passwords are random in each render: their values are left out of the comparison.
GENERATED = "<generated>"


def test_helmfile_lints():
    chart.succeeds("helmfile", "--file", HELMFILE, "lint", "--skip-deps")


def comparable(text):
    """The objects of a render, sorted by kind and name, with generated secrets masked."""
    docs = chart.documents(text)
    for d in docs:
        if d["kind"] == "Secret":
            d["data"] = {k: GENERATED if k.endswith("password") or k == "session-secret" else v
                         for k, v in d.get("data", {}).items()}
    return sorted(docs, key=lambda d: (d["kind"], d["metadata"]["name"]))


@pytest.mark.parametrize("environment", ["default", "nix"])
def test_helmfile_template_is_helm_template(environment):
    helmfile = comparable(chart.succeeds("helmfile", "--file", HELMFILE, "--environment", environment,
                                         "template", "--skip-deps"))
    helm = comparable(chart.rendered(environment))
    assert helmfile == helm, \
        f"helmfile template ({environment}) differs from helm template in {differing(helm, helmfile)}"


def differing(a, b):
    """The (kind, name) of the objects that differ between two sorted renders."""
    def by_name(docs):
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}
    a, b = by_name(a), by_name(b)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
