"""What helm template renders: valid Kubernetes objects for every value set and with each
part switched off (with Helm 3 and Helm 4, which render the same objects), each YAML mapping
with its keys once, each keyed list with its keys once (server-side apply), and the files the
objects carry."""

import re
import xml.etree.ElementTree as ET

import pytest
import yaml

import chart
import chart_files

KUBERNETES_VERSION = "1.34.0"
# The parts a user can switch off, one at a time.
PARTS = ["emitter", "fluent-bit", "hyperdx", "clickhouse.schema"]


def assert_valid_kubernetes(text, tmp_path, what):
    manifests = tmp_path / "manifests.yaml"
    manifests.write_text(text)
    proc = chart.run("kubernetes-validate", "--kubernetes-version", KUBERNETES_VERSION,
                     "--strict", "--quiet", manifests)
    assert proc.returncode == 0, \
        f"{what} renders manifests Kubernetes {KUBERNETES_VERSION} rejects:\n{chart.output(proc)}"
    assert chart.documents(text), f"{what} renders no objects"


@pytest.mark.parametrize("helm", chart.HELMS)
@pytest.mark.parametrize("value_set", chart.VALUE_SETS)
def test_value_set_renders_valid_kubernetes(value_set, helm, tmp_path):
    assert_valid_kubernetes(chart.rendered(value_set, helm), tmp_path, f"value set {value_set} ({helm})")


@pytest.mark.parametrize("helm", chart.HELMS)
@pytest.mark.parametrize("part", PARTS)
def test_part_switched_off_renders_valid_kubernetes(part, helm, tmp_path):
    text = chart.template("--set", f"{part}.enabled=false", helm=helm)
    assert_valid_kubernetes(text, tmp_path, f"{part}.enabled=false ({helm})")


class StrictLoader(yaml.SafeLoader):
    """Refuses a mapping with a key twice, which YAML parsers (and so the schemas) silently
    reduce to its last value."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        twice = {k for k in keys if keys.count(k) > 1}
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"keys {sorted(map(str, twice))} twice", node.start_mark)
        return super().construct_mapping(node, deep)


@pytest.mark.parametrize("helm", chart.HELMS)
@pytest.mark.parametrize("value_set", chart.VALUE_SETS)
def test_no_mapping_has_a_key_twice(value_set, helm):
    try:
        list(yaml.load_all(chart.rendered(value_set, helm), Loader=StrictLoader))
    except yaml.constructor.ConstructorError as err:
        pytest.fail(f"value set {value_set} renders a mapping with a key twice: {err}")


def test_fluent_bit_gets_every_variable_its_config_reads():
    daemonset = chart.find(chart.manifests("default"), "DaemonSet")
    env = chart.env(chart.pod_spec(daemonset)["containers"][0])
    config = chart_files.FLUENT_BIT_CONFIG
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)\}", config.read_text()))
    assert wanted, f"found no ${{VARIABLE}} in {config}"
    assert not wanted - env.keys(), \
        f"fluent-bit.yaml reads {sorted(wanted - env.keys())}, which the DaemonSet does not set"


def clickhouse_overrides():
    config = chart.find(chart.manifests("default"), "ConfigMap", name="logdemo-clickhouse")
    return config["data"].items()


@pytest.mark.parametrize("name,text", clickhouse_overrides())
def test_clickhouse_override_is_well_formed_xml(name, text):
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        pytest.fail(f"{name} is not well-formed XML: {err}")
    assert root.tag == "clickhouse", f"{name} has root <{root.tag}>, ClickHouse reads <clickhouse>"


def test_emitter_words_are_the_first_ten_builtin_words():
    chart_words = yaml.safe_load((chart.CHART / "charts" / "emitter" / "values.yaml").read_text())["wordList"]
    source = (chart.ROOT / "emitter-core" / "src" / "words.rs").read_text()
    declaration = re.search(r"BUILTIN_WORDS[^=]*=\s*\[(.*?)\];", source, re.S)
    assert declaration, "emitter-core/src/words.rs declares no BUILTIN_WORDS"
    builtin = re.findall(r'"([a-z]+)"', declaration.group(1))
    assert len(chart_words) == 10 and chart_words == builtin[:10], \
        f"emitter.wordList {chart_words} is not the first ten of BUILTIN_WORDS {builtin}"


def test_chart_version_is_the_workspace_version():
    version = chart.workspace_version()
    meta = yaml.safe_load((chart.CHART / "Chart.yaml").read_text())
    assert (meta["version"], meta["appVersion"]) == (version, version), \
        f"Chart.yaml version {meta['version']} / appVersion {meta['appVersion']} differ from the workspace version {version}"


# Options of fluent-bit 5.1.1's kubernetes filter (plugins/filter_kubernetes/kubernetes.c, all off
# by default) that make it ask for more than GET /api/v1/namespaces/<ns>/pods/<name>
# (kube_meta.c), and the grant each would need beyond the fluent-bit Role's.
KUBERNETES_FILTER_NEEDS = {
    "namespace_labels": "get namespaces",
    "namespace_annotations": "get namespaces",
    "use_kubelet": "the kubelet's pods endpoint (nodes/proxy)",
    "aws_use_pod_association": "get configmaps in kube-system",
    "use_pod_association": "get configmaps in kube-system",
}
PODS_GET_ONLY = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]


@pytest.mark.parametrize("collect, kind", [("namespace", "Role"), ("node", "ClusterRole")])
def test_fluent_bit_may_get_pods_and_its_filter_asks_nothing_more(collect, kind):
    config = yaml.safe_load(chart_files.FLUENT_BIT_CONFIG.read_text())
    (kube,) = [f for f in config["pipeline"]["filters"] if f["name"] == "kubernetes"]
    asks_more = {o: need for o, need in KUBERNETES_FILTER_NEEDS.items()
                 if str(kube.get(o, "off")).lower() not in ("off", "false")}
    assert not asks_more, f"the kubernetes filter now needs {asks_more}: grant it in rbac.yaml"
    docs = chart.documents(chart.template("--set", f"fluent-bit.collect={collect}"))
    roles = [(d["kind"], d["rules"]) for d in docs if d["kind"] in ("Role", "ClusterRole")]
    assert roles == [(kind, PODS_GET_ONLY)]


@pytest.mark.parametrize("helm", chart.HELMS)
def test_a_cluster_without_the_prestop_sleep_action_is_refused_by_name(helm):
    # fluent-bit's preStop sleep is on by default from Kubernetes 1.30 (PodLifecycleSleepAction
    # beta); the README's upgrade guarantee rests on it.
    daemonset = chart.find(chart.documents(chart.template("--kube-version", "1.30.0", helm=helm)),
                           "DaemonSet", prefix=chart.RELEASE)
    assert "sleep" in chart.pod_spec(daemonset)["containers"][0]["lifecycle"]["preStop"]
    proc = chart.run(helm, "template", chart.RELEASE, chart.CHART, "--kube-version", "1.29.0")
    assert proc.returncode != 0 and "requires kubeVersion: >=1.30.0-0" in proc.stderr, \
        f"Kubernetes 1.29 was not refused by the chart's kubeVersion:\n{chart.output(proc)}"


# The privilege each kind of statement in schema.sql needs (ClickHouse's access types,
# src/Access/Common/AccessType.h); a statement of any other kind fails the test below until
# it is named here, so the admin grant is decided again whenever the schema changes.
SCHEMA_PRIVILEGES = [
    (r"CREATE DATABASE IF NOT EXISTS ", "CREATE DATABASE"),
    (r"CREATE TABLE IF NOT EXISTS ", "CREATE TABLE"),
    (r"ALTER TABLE \S+\s+MODIFY TTL ", "ALTER TTL"),
    (r"ALTER TABLE \S+\s+MODIFY COLUMN ", "ALTER MODIFY COLUMN"),
    (r"SET materialize_ttl_after_modify ", None),  # a setting: the admin's profile is writable
]


def test_admin_has_exactly_the_grants_schema_sql_needs():
    import sqlfile

    needed = set()
    for statement in sqlfile.statements(chart_files.SCHEMA_SQL.read_text()):
        kinds = [priv for pattern, priv in SCHEMA_PRIVILEGES if re.match(pattern, statement)]
        assert len(kinds) == 1, f"schema.sql runs a statement the admin grant does not cover: {statement[:80]}"
        needed |= {kinds[0]} - {None}
    users = ET.fromstring(dict(clickhouse_overrides())["logdemo-users.xml"])
    grants = [q.text for q in users.find("users/admin/grants")]
    assert len(grants) == 1, grants
    match = re.fullmatch(r"GRANT (.+) ON otel\.\*", grants[0])
    assert match, grants[0]
    assert {p.strip() for p in match.group(1).split(",")} == needed


def test_every_users_grant_names_privileges_clickhouse_25_8_knows(tmp_path):
    # chdb (ClickHouse 25.8) parses a GRANT before it looks up the grantee: a privilege
    # name it does not know is a syntax error, a known one gets as far as the missing user.
    import chdb.session

    session = chdb.session.Session(str(tmp_path / "chdb"))
    users = ET.fromstring(dict(clickhouse_overrides())["logdemo-users.xml"]).find("users")
    grants = [q.text for user in users for q in user.findall("grants/query")]
    assert len(grants) >= 4, grants
    try:
        for grant in grants + ["GRANT ALTER TTLS ON otel.*"]:
            with pytest.raises(Exception) as refused:
                session.query(f"{grant} TO logdemo_no_such_user")
            known = "UNKNOWN_ROLE" in str(refused.value)
            assert known == (grant in grants), f"{grant}: {refused.value}"
    finally:
        session.close()


# Lists that Kubernetes merges by key (listType=map in its OpenAPI schema), with that key.
# Server-side apply, Helm 4's default on install, refuses an object where two entries share
# a key ("duplicate entries for key"), while Helm 3's create accepts it with a warning, so a
# duplicate would break only Helm 4 installs.
KEYED_LISTS = {
    "containers": ("name",), "initContainers": ("name",), "volumes": ("name",),
    "env": ("name",), "ports": ("containerPort", "protocol"), "volumeMounts": ("mountPath",),
}


def keyed_lists(doc):
    """(where, list name, entries) of every keyed list in an object's pod spec and Service."""
    if doc["kind"] == "Service":
        yield "spec", "service ports", doc["spec"].get("ports", []), ("port", "protocol")
        return
    if doc["kind"] not in ("Pod", "Deployment", "StatefulSet", "DaemonSet", "Job"):
        return
    spec = chart.pod_spec(doc)
    for field in ("containers", "initContainers", "volumes"):
        yield "spec", field, spec.get(field, []), KEYED_LISTS[field]
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        for field in ("env", "ports", "volumeMounts"):
            yield container["name"], field, container.get(field, []), KEYED_LISTS[field]


@pytest.mark.parametrize("value_set", chart.VALUE_SETS)
def test_keyed_lists_have_each_key_once(value_set):
    twice = []
    for doc in chart.manifests(value_set):
        for where, field, entries, key in keyed_lists(doc):
            # protocol defaults to TCP: an entry without it has the same key as one with TCP.
            keys = [tuple(e.get(k, "TCP" if k == "protocol" else None) for k in key) for e in entries]
            twice += [f"{doc['kind']}/{doc['metadata']['name']} {where} {field} {k}" for k in set(keys) if keys.count(k) > 1]
    assert not twice, f"value set {value_set} repeats keys server-side apply refuses: {twice}"


@pytest.mark.parametrize("value_set", chart.VALUE_SETS)
def test_helm_4_renders_what_helm_3_renders(value_set):
    from test_helmfile import comparable, differing
    helm3, helm4 = (comparable(chart.rendered(value_set, helm)) for helm in chart.HELMS)
    assert helm3 == helm4, f"value set {value_set}: Helm 4 renders differently {differing(helm3, helm4)}"
