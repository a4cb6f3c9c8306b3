"""Every rendered pod and container, in every value set: security context, resources, probes,
pinned images; the Nix value set runs the Nix-built images. Each test names every offender."""

import pytest

import chart

# Documented exceptions (charts/logdemo/README.md, Security): fluent-bit reads root's log
# files as root without capabilities; HyperDX's image writes under /app at start.
ROOT_ALLOWED = {"fluent-bit"}
WRITABLE_ROOT_ALLOWED = {"hyperdx"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
WITH_PODS = LONG_RUNNING | {"Job", "Pod"}


def pods(value_set):
    """(where, kind, pod spec) of every object that runs a pod."""
    for doc in chart.manifests(value_set):
        if doc["kind"] in WITH_PODS:
            yield f"{value_set}: {doc['kind']} {doc['metadata']['name']}", doc["kind"], chart.pod_spec(doc)


def containers(value_set):
    """(where, kind, pod spec, container) of every container, init containers included."""
    found = [(f"{where} container {c['name']}", kind, pod, c)
             for where, kind, pod in pods(value_set)
             for c in pod.get("initContainers", []) + pod["containers"]]
    assert found, f"value set {value_set} renders no containers"
    return found


def offenders(value_set, bad):
    """'<where>: <problem>' of each container for which bad(kind, pod, container) returns a problem."""
    return [f"{where}: {problem}" for where, kind, pod, c in containers(value_set)
            if (problem := bad(kind, pod, c))]


value_sets = pytest.mark.parametrize("value_set", chart.VALUE_SETS)


def security(c):
    return c.get("securityContext", {})


@value_sets
def test_pods_use_the_runtime_default_seccomp_profile(value_set):
    wrong = [where for where, _, pod in pods(value_set)
             if pod.get("securityContext", {}).get("seccompProfile", {}).get("type") != "RuntimeDefault"]
    assert not wrong, f"pod seccompProfile is not RuntimeDefault: {wrong}"


@value_sets
def test_containers_drop_all_capabilities(value_set):
    wrong = offenders(value_set, lambda kind, pod, c:
                      "capabilities are not dropped (drop: [ALL])"
                      if security(c).get("capabilities", {}).get("drop") != ["ALL"] else None)
    assert not wrong, "\n".join(wrong)


@value_sets
def test_containers_forbid_privilege_escalation(value_set):
    wrong = offenders(value_set, lambda kind, pod, c:
                      "allowPrivilegeEscalation is not false"
                      if security(c).get("allowPrivilegeEscalation") is not False else None)
    assert not wrong, "\n".join(wrong)


@value_sets
def test_containers_use_the_runtime_default_seccomp_profile(value_set):
    wrong = offenders(value_set, lambda kind, pod, c:
                      "seccompProfile is not RuntimeDefault"
                      if security(c).get("seccompProfile", {}).get("type") != "RuntimeDefault" else None)
    assert not wrong, "\n".join(wrong)


@value_sets
def test_root_filesystems_are_read_only(value_set):
    wrong = offenders(value_set, lambda kind, pod, c:
                      "root filesystem is writable"
                      if security(c).get("readOnlyRootFilesystem") is not True
                      and c["name"] not in WRITABLE_ROOT_ALLOWED else None)
    assert not wrong, "\n".join(wrong)


@value_sets
def test_containers_run_as_non_root(value_set):
    def may_run_as_root(kind, pod, c):
        non_root = security(c).get("runAsNonRoot", pod.get("securityContext", {}).get("runAsNonRoot"))
        if non_root is not True and c["name"] not in ROOT_ALLOWED:
            return "may run as root (runAsNonRoot is not true)"
        return None
    wrong = offenders(value_set, may_run_as_root)
    assert not wrong, "\n".join(wrong)


@value_sets
def test_containers_request_cpu_and_limit_memory(value_set):
    def unbounded(kind, pod, c):
        res = c.get("resources", {})
        if not res.get("requests", {}).get("cpu") or not res.get("limits", {}).get("memory"):
            return "needs resources.requests.cpu and resources.limits.memory"
        return None
    wrong = offenders(value_set, unbounded)
    assert not wrong, "\n".join(wrong)


def image_parts(c):
    repository, _, tag = c["image"].rpartition(":")
    return repository, tag


@value_sets
def test_images_are_pinned_to_an_exact_tag(value_set):
    def unpinned(kind, pod, c):
        repository, tag = image_parts(c)
        if not repository or "/" in tag or tag in ("", "latest"):
            return f"image {c['image']} is not pinned to an exact tag"
        return None
    wrong = offenders(value_set, unpinned)
    assert not wrong, "\n".join(wrong)


def long_running(kind, pod, c):
    """A container of a long-running controller's pod; init containers run to completion
    first (Kubernetes takes no probes on them)."""
    return kind in LONG_RUNNING and c in pod["containers"]


@value_sets
def test_long_running_containers_have_a_liveness_probe(value_set):
    wrong = offenders(value_set, lambda kind, pod, c:
                      "long-running container without a livenessProbe"
                      if long_running(kind, pod, c) and "livenessProbe" not in c else None)
    assert not wrong, "\n".join(wrong)


@value_sets
def test_long_running_containers_with_ports_have_a_readiness_probe(value_set):
    wrong = offenders(value_set, lambda kind, pod, c:
                      "serves ports without a readinessProbe"
                      if long_running(kind, pod, c) and c.get("ports") and "readinessProbe" not in c else None)
    assert not wrong, "\n".join(wrong)


def test_nix_value_set_runs_the_workspace_images():
    version = chart.workspace_version()
    def other_image(kind, pod, c):
        repository, tag = image_parts(c)
        if not repository.startswith("logdemo/") or tag != version:
            return f"the Nix value set runs {c['image']}, not logdemo/<component>:{version}"
        return None
    wrong = offenders("nix", other_image)
    assert not wrong, "\n".join(wrong)


def test_nix_value_set_never_pulls():
    wrong = offenders("nix", lambda kind, pod, c:
                      f"the Nix value set pulls ({c.get('imagePullPolicy')}), not Never"
                      if c.get("imagePullPolicy") != "Never" else None)
    assert not wrong, "\n".join(wrong)


@value_sets
def test_every_clickhouse_container_runs_the_one_clickhouse_image(value_set):
    # global.clickhouse.image: the server, the schema Job, fluent-bit's wait and the test pods.
    runs_clickhouse = {(where, c["image"]) for where, kind, pod, c in containers(value_set)
                       if "clickhouse " in " ".join(c.get("command", []))}
    images = {image for _, image in runs_clickhouse}
    wheres = " ".join(where for where, _ in runs_clickhouse)
    assert len(images) == 1, f"ClickHouse runs from more than one image: {sorted(runs_clickhouse)}"
    assert all(part in wheres for part in ("Job", "container wait-for-clickhouse", "Pod")), \
        f"not every part that runs ClickHouse was found: {sorted(runs_clickhouse)}"
