"""helmfile lint, helmfile template renders what helm template renders with the same values,
with each Helm major, and `helmfile template` as a user types it leaves the tree as it was
and prints no warning."""

import hashlib
import shutil

import pytest

import chart

HELMFILE = chart.ROOT / "helmfile.yaml"
# Generated passwords are random in each render: their values are left out of the comparison.
GENERATED = "<generated>"


@pytest.mark.parametrize("helm", chart.HELMS)
def test_helmfile_lints(helm):
    chart.succeeds("helmfile", "--file", HELMFILE, "--helm-binary", helm, "lint")


def comparable(text):
    """The objects of a render, sorted by kind and name, with generated secrets masked."""
    docs = chart.documents(text)
    for d in docs:
        if d["kind"] == "Secret":
            d["data"] = {k: GENERATED if k.endswith("password") or k == "session-secret" else v
                         for k, v in d.get("data", {}).items()}
    return sorted(docs, key=lambda d: (d["kind"], d["metadata"]["name"]))


@pytest.mark.parametrize("helm", chart.HELMS)
@pytest.mark.parametrize("environment", ["default", "nix"])
def test_helmfile_template_is_helm_template(environment, helm):
    helmfile = comparable(chart.succeeds("helmfile", "--file", HELMFILE, "--helm-binary", helm,
                                         "--environment", environment, "template"))
    rendered = comparable(chart.rendered(environment, helm))
    assert helmfile == rendered, \
        f"helmfile template ({environment}, {helm}) differs from helm template in {differing(rendered, helmfile)}"


def differing(a, b):
    """The (kind, name) of the objects that differ between two sorted renders."""
    def by_name(docs):
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}
    a, b = by_name(a), by_name(b)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def tree(directory):
    """Every file under a directory with a digest of its content."""
    return {p.relative_to(directory): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("helm", chart.HELMS)
def test_helmfile_template_leaves_the_tree_clean_and_says_nothing_more(helm, tmp_path):
    # A copy of what helmfile reads, so that a file it writes cannot dirty the repository.
    shutil.copy(HELMFILE, tmp_path / "helmfile.yaml")
    shutil.copytree(chart.CHART, tmp_path / "charts" / "logdemo")
    before = tree(tmp_path)
    proc = chart.run("helmfile", "--file", tmp_path / "helmfile.yaml", "--helm-binary", helm, "template")
    assert proc.returncode == 0, f"helmfile template exited {proc.returncode}:\n{chart.output(proc)}"
    after = tree(tmp_path)
    changed = sorted(str(p) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert not changed, f"helmfile template ({helm}) changed the tree: {changed}"
    # Its one progress line is all it may say: without skipDeps helmfile runs `helm dependency
    # build`, which writes Chart.lock and says for each subchart "Dependency ... did not
    # declare a repository".
    said = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("Templating release=")]
    assert not said, f"helmfile template ({helm}) says more than its progress:\n" + "\n".join(said)
