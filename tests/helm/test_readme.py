"""README.md's "Run it" section, command by command: every command in it is either run here
(`helm install` is rendered by `helm template` with the same arguments, under each Helm
major) or checked against what it names (the emitter image against the chart and the
Dockerfile, the Nix attribute against flake.nix, the Job, Service, port and Secret against the
render, the versions against the pins). A command the suite does not know fails the test, so
none can be added unchecked."""

import base64
import json
import re
import shlex
import pytest
import yaml

import chart
from test_manifests import KUBERNETES_VERSION

README = chart.ROOT / "README.md"


def section(text, title):
    """The text of a `## title` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def commands(text):
    """The commands of the indented code blocks, each split into words as a shell would, with
    its trailing comment (two spaces, then #) dropped; `a && b` gives two commands."""
    found = []
    for line in text.splitlines():
        if not line.startswith("    ") or not line.strip():
            continue
        line = re.sub(r"\s{2,}#.*$", "", line.strip())
        for part in line.split(" && "):
            found.append(shlex.split(part, comments=False))
    return found


RUN_IT = section(README.read_text(), "Run it")
COMMANDS = commands(RUN_IT)


def with_prefix(*words):
    """The commands that start with these words."""
    return [c for c in COMMANDS if c[:len(words)] == list(words)]


def the_one(*words):
    found = with_prefix(*words)
    assert len(found) == 1, f"README 'Run it' has {len(found)} `{' '.join(words)}` commands, expected one"
    return found[0]


# Every command prefix this module checks, with the test that does.
CHECKED = [
    ("minikube", "start"), ("kind", "create", "cluster"),
    ("docker", "build"), ("nix", "build"), ("docker", "load"),
    ("minikube", "image", "load"), ("kind", "load", "docker-image"),
    ("helm", "install"), ("helm", "test"),
    ("kubectl", "logs"), ("kubectl", "port-forward"), ("kubectl", "get", "secret"),
]


def test_every_command_is_checked():
    assert COMMANDS, "README 'Run it' has no indented commands"
    unchecked = [" ".join(c) for c in COMMANDS if not any(c[:len(p)] == list(p) for p in CHECKED)]
    assert not unchecked, f"README 'Run it' has commands no test checks: {unchecked}"


def emitter_image():
    """The emitter image the chart's default render runs."""
    deployment = chart.find(chart.manifests("default"), "Deployment", name=f"{chart.RELEASE}-emitter")
    return chart.pod_spec(deployment)["containers"][0]["image"]


def test_the_image_built_and_loaded_is_the_one_the_chart_runs():
    image = emitter_image()
    build = the_one("docker", "build")
    tag = build[build.index("-t") + 1]
    assert tag == image, f"README builds {tag}, the chart runs {image}"
    context = chart.ROOT / build[-1]
    assert (context / "Dockerfile").is_file(), f"docker build's context {build[-1]} has no Dockerfile"
    for words in [("minikube", "image", "load"), ("kind", "load", "docker-image")]:
        loaded = the_one(*words)[-1]
        assert loaded == image, f"`{' '.join(words)}` loads {loaded}, the chart runs {image}"


def test_the_nix_image_is_a_flake_package_named_as_the_chart_runs_it():
    build = the_one("nix", "build")
    attribute = build[-1].removeprefix(".#")
    flake = (chart.ROOT / "flake.nix").read_text()
    assert re.search(rf"^\s*{re.escape(attribute)} = ", flake, re.M), \
        f"flake.nix defines no package {attribute}"
    assert ["docker", "load", "<", "result"] in COMMANDS, \
        "README builds the Nix image without `docker load < result`, which puts it where the cluster loads it from"
    # The Nix image is named from values-nix.json (nix/project.nix), the default chart runs
    # values.yaml's: they must be the same image for `docker load` to feed the default install.
    nix = json.loads((chart.CHART / "values-nix.json").read_text())["emitter"]["image"]
    assert f"{nix['repository']}:{nix['tag']}" == emitter_image(), \
        f"the Nix image is {nix['repository']}:{nix['tag']}, the default chart runs {emitter_image()}"


def install_arguments():
    install = the_one("helm", "install")
    release, chart_path, *args = install[2:]
    return release, chart_path, args


@pytest.mark.parametrize("helm", chart.HELMS)
def test_helm_install_renders(helm):
    release, chart_path, args = install_arguments()
    chart.succeeds(helm, "template", release, chart.ROOT / chart_path, *args)


def test_helm_test_names_the_installed_release():
    release, _, _ = install_arguments()
    test = the_one("helm", "test")
    assert test[2] == release, f"README tests release {test[2]}, installs {release}"


def test_the_job_followed_is_the_reconcile_job_within_its_budget():
    follow = the_one("kubectl", "logs")
    kind, name = follow[-1].split("/")
    assert kind == "job", f"README follows {follow[-1]}, not a Job"
    job = chart.find(chart.manifests("default"), "Job", name=name)
    assert job["metadata"]["labels"]["app.kubernetes.io/name"] == "hyperdx-reconcile", \
        f"Job {name} is not HyperDX's reconcile Job"
    values = yaml.safe_load((chart.CHART / "charts" / "hyperdx" / "values.yaml").read_text())
    wait = values["reconcile"]["waitSeconds"]
    assert f"--pod-running-timeout={wait}s" in follow, \
        f"README waits for the Job's pod otherwise than its budget hyperdx.reconcile.waitSeconds ({wait} s): {follow}"


def test_port_forward_reaches_the_hyperdx_ui_at_its_url():
    forward = the_one("kubectl", "port-forward")
    kind, name = forward[2].split("/")
    local, remote = map(int, forward[3].split(":"))
    docs = chart.manifests("default")
    service = chart.find(docs, "Service", name=name)
    assert kind == "svc" and remote in [p["port"] for p in service["spec"]["ports"]], \
        f"Service {name} has no port {remote}"
    values = yaml.safe_load((chart.CHART / "charts" / "hyperdx" / "values.yaml").read_text())
    assert remote == values["appPort"], f"port {remote} is not HyperDX's UI port {values['appPort']}"
    url = values["frontendUrl"]
    assert url == f"http://localhost:{local}", f"the forward listens on {local}, hyperdx.frontendUrl is {url}"
    assert url in RUN_IT, f"README does not tell to open {url}"


def test_the_login_is_the_demo_users():
    get = the_one("kubectl", "get", "secret")
    name, key = get[3], re.fullmatch(r"\{\.data\.([a-z-]+)\}", get[get.index("-o") + 1].removeprefix("jsonpath="))
    assert key, f"cannot read the key from {get}"
    secret = chart.find(chart.manifests("default"), "Secret", name=name)
    assert key.group(1) in secret["data"], f"Secret {name} has no {key.group(1)}"
    email = base64.b64decode(secret["data"]["email"]).decode()
    assert f"`{email}`" in RUN_IT, f"README does not name the demo login {email}"


def test_the_cluster_runs_the_kubernetes_version_the_chart_is_validated_for():
    minikube = the_one("minikube", "start")
    assert f"--kubernetes-version=v{KUBERNETES_VERSION}" in minikube, \
        f"`minikube start` does not ask for Kubernetes {KUBERNETES_VERSION}: {minikube}"
    kind = the_one("kind", "create", "cluster")
    assert kind[kind.index("--image") + 1] == f"kindest/node:v{KUBERNETES_VERSION}", \
        f"`kind create cluster` does not run Kubernetes {KUBERNETES_VERSION}: {kind}"
    series = KUBERNETES_VERSION.rsplit(".", 1)[0]
    assert f"Kubernetes {series}" in RUN_IT




def test_the_helm_versions_named_are_the_tested_ones():
    pins = chart.tool_versions()
    for major in ("3", "4"):
        version = pins[f"HELM{major}_VERSION"]
        assert version in RUN_IT, f"README does not name the tested Helm {version}"
        minor = ".".join(version.lstrip("v").split(".")[:2])
        assert f"{minor} or later {major}.x" in RUN_IT, \
            f"README does not give Helm {minor} as the oldest {major}.x it supports"


def test_the_memory_figure_is_the_charts():
    # The long-running pods' requests (Deployments, StatefulSets, DaemonSets: one node).
    total = 0.0
    for doc in chart.manifests("default"):
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            replicas = doc["spec"].get("replicas", 1)
            for container in chart.pod_spec(doc)["containers"]:
                total += replicas * mebibytes(container["resources"]["requests"]["memory"])
    match = re.search(r"request about ([0-9.]+) GiB of memory", RUN_IT)
    assert match, "README does not say how much memory the pods request"
    assert abs(float(match.group(1)) - total / 1024) < 0.05, \
        f"README says {match.group(1)} GiB, the pods request {total / 1024:.2f} GiB"
    limits = re.search(r"ClickHouse and HyperDX may each grow to ([0-9]+) GiB", RUN_IT)
    assert limits, "README does not say how far ClickHouse and HyperDX may grow"
    for name in ("clickhouse", "hyperdx"):
        workload = chart.find(chart.manifests("default"), "StatefulSet" if name == "clickhouse" else "Deployment",
                              name=f"{chart.RELEASE}-{name}")
        limit = mebibytes(chart.pod_spec(workload)["containers"][0]["resources"]["limits"]["memory"])
        assert limit == int(limits.group(1)) * 1024, f"{name}'s memory limit is {limit} MiB, README says {limits.group(1)} GiB"


def mebibytes(quantity):
    number, unit = re.fullmatch(r"([0-9.]+)(Mi|Gi)", str(quantity)).groups()
    return float(number) * (1024 if unit == "Gi" else 1)


def test_the_toolchains_named_for_the_test_command_are_the_pinned_minimums():
    test = section(README.read_text(), "Test")
    pins = chart.tool_versions()
    for name, key in (("Rust", "RUST_MIN_VERSION"), ("Go", "GO_MIN_VERSION")):
        version = pins[key].removesuffix(".0") if name == "Rust" else pins[key]
        assert re.search(rf"{name}\s+{re.escape(version)} or later", test), \
            f"README's Test section does not give {name} {version} ({key}) as the oldest it needs"
