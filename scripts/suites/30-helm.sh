#!/usr/bin/env bash
# The Helm suite: the umbrella chart charts/logdemo, its subcharts, helm test pods and helmfile,
# checked without a cluster.
#   1. helm lint --strict: the umbrella with each documented value set, and every subchart
#   2. helm template with the defaults, each value set and each part switched off, validated
#      strictly against the Kubernetes 1.34 JSON schemas (kubernetes-validate, offline)
#   3. every rendered container: security context, resources, probes, pinned images; the Nix
#      value set uses the Nix-built images at the workspace version; fluent-bit gets every
#      variable its config reads; the emitter's words are the design's
#   4. HyperDX's provisioned source against the table files/schema.sql creates (in chdb)
#   5. the rendered schema Job, helm test and registration scripts, run against chdb and
#      stand-in HTTP servers
#   6. checksum annotations change with the fluent-bit config, the Lua filter and the
#      ClickHouse users, and stay put otherwise
#   7. helm-unittest suites (charts/logdemo/tests)
#   8. values.schema.json rejects bad values with a message naming the value
#   9. helmfile lint, and helmfile template renders what helm template renders
# Run it with `scripts/test helm`. Any failing check fails the suite.
set -euo pipefail

root=${LOGDEMO_ROOT:?run this suite through scripts/test}
cd "$root"
chart=charts/logdemo
release=logdemo
k8s_version=1.34.0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The documented value sets (charts/logdemo/README.md), by name.
declare -A value_sets=(
  [default]=""
  [external-clickhouse]="$chart/values/external-clickhouse.yaml"
  [nix]="$chart/values-nix.json"
  [no-hyperdx]="$chart/values/no-hyperdx.yaml"
)

# render <file> [values file]: helm template of the umbrella as release $release.
render() {
  local out=$1 values=${2:-}
  helm template "$release" "$chart" --namespace default ${values:+--values "$values"} >"$out"
}

echo "-- helm lint --strict: the umbrella with each value set"
for name in "${!value_sets[@]}"; do
  values=${value_sets[$name]}
  helm lint --strict "$chart" ${values:+--values "$values"} >"$scratch/lint.out" 2>&1 ||
    { cat "$scratch/lint.out"; echo "FAIL: helm lint --strict ($name)"; exit 1; }
  echo "umbrella ($name): ok"
done

echo "-- helm lint --strict: every subchart on its own"
# A subchart needs the shared library chart (its dependency) and the umbrella's global values,
# as it gets them inside the umbrella.
cp -r "$chart" "$scratch/umbrella"
python3 - "$chart/values.yaml" "$scratch/globals.yaml" <<'PY'
import sys, yaml
values = yaml.safe_load(open(sys.argv[1]))
yaml.safe_dump({"global": values["global"]}, open(sys.argv[2], "w"))
PY
for sub in emitter fluent-bit clickhouse hyperdx; do
  dir="$scratch/umbrella/charts/$sub"
  mkdir -p "$dir/charts"
  cp -r "$scratch/umbrella/charts/common" "$dir/charts/common"
  helm lint --strict "$dir" --values "$scratch/globals.yaml" >"$scratch/lint.out" 2>&1 ||
    { cat "$scratch/lint.out"; echo "FAIL: helm lint --strict $sub"; exit 1; }
  echo "$sub: ok"
done

echo "-- helm template with each value set, validated against Kubernetes $k8s_version (strict)"
for name in "${!value_sets[@]}"; do
  render "$scratch/$name.yaml" "${value_sets[$name]}"
  kubernetes-validate --kubernetes-version "$k8s_version" --strict --quiet "$scratch/$name.yaml" ||
    { echo "FAIL: $name renders manifests Kubernetes $k8s_version rejects"; exit 1; }
  # YAML parsers keep the last of two equal keys silently, the schemas never see the first.
  python3 - "$scratch/$name.yaml" <<'PY' || { echo "FAIL: $name renders a mapping with a key twice"; exit 1; }
import sys, yaml
class Strict(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        twice = {k for k in keys if keys.count(k) > 1}
        if twice:
            raise yaml.constructor.ConstructorError(None, None, f"keys {sorted(map(str, twice))} twice", node.start_mark)
        return super().construct_mapping(node, deep)
list(yaml.load_all(open(sys.argv[1]), Loader=Strict))
PY
  echo "$name: $(grep -c '^kind:' "$scratch/$name.yaml") objects valid"
done

echo "-- each part switched off on its own still renders valid manifests"
for part in emitter fluent-bit hyperdx clickhouse.schema; do
  helm template "$release" "$chart" --set "$part.enabled=false" >"$scratch/off.yaml"
  kubernetes-validate --kubernetes-version "$k8s_version" --strict --quiet "$scratch/off.yaml" ||
    { echo "FAIL: $part.enabled=false renders manifests Kubernetes $k8s_version rejects"; exit 1; }
  echo "$part.enabled=false: $(grep -c '^kind:' "$scratch/off.yaml") objects valid"
done

echo "-- containers: security context, resources, probes, pinned images"
workspace_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
python3 - "$scratch" "$workspace_version" "$chart" <<'PY'
import sys, yaml
scratch, version, chart = sys.argv[1:]
failures = []

def fail(msg):
    failures.append(msg)

# Documented exceptions (charts/logdemo/README.md, Security): fluent-bit reads root's log
# files as root without capabilities; HyperDX's image writes under /app at start.
ROOT_ALLOWED = {"fluent-bit"}
WRITABLE_ROOT_ALLOWED = {"hyperdx"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}

for name in ["default", "external-clickhouse", "nix", "no-hyperdx"]:
    docs = [d for d in yaml.safe_load_all(open(f"{scratch}/{name}.yaml")) if d]
    for doc in docs:
        kind = doc["kind"]
        if kind in LONG_RUNNING or kind == "Job":
            pod = doc["spec"]["template"]["spec"]
        elif kind == "Pod":
            pod = doc["spec"]
        else:
            continue
        where = f"{name}: {kind} {doc['metadata']['name']}"
        psc = pod.get("securityContext", {})
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            fail(f"{where}: pod seccompProfile is not RuntimeDefault")
        for c in pod.get("initContainers", []) + pod["containers"]:
            cw = f"{where} container {c['name']}"
            sc = c.get("securityContext", {})
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                fail(f"{cw}: capabilities are not dropped (drop: [ALL])")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{cw}: allowPrivilegeEscalation is not false")
            if sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                fail(f"{cw}: seccompProfile is not RuntimeDefault")
            if sc.get("readOnlyRootFilesystem") is not True and c["name"] not in WRITABLE_ROOT_ALLOWED:
                fail(f"{cw}: root filesystem is writable")
            non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
            if non_root is not True and c["name"] not in ROOT_ALLOWED:
                fail(f"{cw}: may run as root (runAsNonRoot is not true)")
            res = c.get("resources", {})
            if not res.get("requests", {}).get("cpu") or not res.get("limits", {}).get("memory"):
                fail(f"{cw}: needs resources.requests.cpu and resources.limits.memory")
            image = c["image"]
            repo, _, tag = image.rpartition(":")
            if not repo or "/" in tag or tag in ("", "latest"):
                fail(f"{cw}: image {image} is not pinned to an exact tag")
            if kind in LONG_RUNNING:
                if "livenessProbe" not in c:
                    fail(f"{cw}: long-running container without a livenessProbe")
                if c.get("ports") and "readinessProbe" not in c:
                    fail(f"{cw}: serves ports without a readinessProbe")
            if name == "nix":
                if not repo.startswith("logdemo/") or tag != version:
                    fail(f"{cw}: the Nix value set runs {image}, not logdemo/<component>:{version}")
                if c.get("imagePullPolicy") != "Never":
                    fail(f"{cw}: the Nix value set pulls ({c.get('imagePullPolicy')}), not Never")

meta = yaml.safe_load(open(f"{chart}/Chart.yaml"))
if (meta["version"], meta["appVersion"]) != (version, version):
    fail(f"Chart.yaml version {meta['version']} / appVersion {meta['appVersion']} differ from the workspace version {version}")

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print(f"every container passes; Nix images are logdemo/<component>:{version} with pull policy Never")
PY

echo "-- the fluent-bit DaemonSet sets every variable files/fluent-bit.yaml reads"
python3 - "$scratch/default.yaml" "$chart/charts/fluent-bit/files/fluent-bit.yaml" <<'PY'
import re, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
daemonset = next(d for d in docs if d["kind"] == "DaemonSet")
env = {e["name"] for e in daemonset["spec"]["template"]["spec"]["containers"][0]["env"]}
wanted = set(re.findall(r"\$\{([A-Z0-9_]+)\}", open(sys.argv[2]).read()))
if wanted - env:
    sys.exit(f"FAIL: fluent-bit.yaml reads {sorted(wanted - env)}, which the DaemonSet does not set")
print("fluent-bit.yaml reads", ", ".join(sorted(wanted)))
PY

echo "-- ClickHouse's config.d and users.d overrides are well-formed XML"
python3 - "$scratch/default.yaml" <<'PY'
import sys, yaml
import xml.etree.ElementTree as ET
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "logdemo-clickhouse")
for name, text in config["data"].items():
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        sys.exit(f"FAIL: {name} is not well-formed XML: {err}")
    if root.tag != "clickhouse":
        sys.exit(f"FAIL: {name} has root <{root.tag}>, ClickHouse reads <clickhouse>")
    print(f"{name}: ok")
PY

echo "-- the emitter's default words are the design's first ten built-in words"
python3 - "$chart/charts/emitter/values.yaml" emitter-core/src/words.rs <<'PY'
import re, sys, yaml
chart_words = yaml.safe_load(open(sys.argv[1]))["wordList"]
source = open(sys.argv[2]).read()
builtin = re.findall(r'"([a-z]+)"', re.search(r"BUILTIN_WORDS[^=]*=\s*\[(.*?)\];", source, re.S).group(1))
if chart_words != builtin[:len(chart_words)] or len(chart_words) != 10:
    sys.exit(f"FAIL: emitter.wordList {chart_words} is not the first ten of BUILTIN_WORDS {builtin}")
print("emitter.wordList:", ",".join(chart_words))
PY

echo "-- HyperDX's Logs source against the table files/schema.sql creates (chdb)"
python3 - "$scratch" "$chart/charts/clickhouse/files/schema.sql" tests/datapath <<'PY'
import json, sys, yaml
scratch, schema_sql, sqlfile_dir = sys.argv[1:]
sys.path.insert(0, sqlfile_dir)
import sqlfile  # the data-path tests' runner of the chart's SQL files, as clickhouse client runs them
import chdb.session

failures = []
session = chdb.session.Session(f"{scratch}/chdb")
created = set()
for name in ["default", "external-clickhouse", "nix"]:
    docs = [d for d in yaml.safe_load_all(open(f"{scratch}/{name}.yaml")) if d]
    hyperdx = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "logdemo-hyperdx")
    env = {e["name"]: e.get("value") for e in hyperdx["spec"]["template"]["spec"]["containers"][0]["env"]}
    connections = json.loads(env["DEFAULT_CONNECTIONS"])
    sources = json.loads(env["DEFAULT_SOURCES"])
    schema_job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"].startswith("logdemo-clickhouse-schema-"))
    job_env = {e["name"]: e.get("value") for e in schema_job["spec"]["template"]["spec"]["containers"][0]["env"]}
    database, table = job_env["DATABASE"], job_env["LOGS_TABLE"]
    if (database, table) not in created:
        sqlfile.run(session, schema_sql, {"database": database, "logs_table": table, "ttl_days": 30})
        created.add((database, table))
    columns = dict(json.loads(session.query(
        f"SELECT name, type FROM system.columns WHERE database = '{database}' AND table = '{table}'", "JSONCompact").bytes())["data"])
    if [c["name"] for c in connections] != [s["connection"] for s in sources]:
        failures.append(f"{name}: sources use connections {[s['connection'] for s in sources]}, provisioned {[c['name'] for c in connections]}")
    for source in sources:
        where = f"{name}: source {source['name']}"
        if source["from"] != {"databaseName": database, "tableName": table}:
            failures.append(f"{where}: reads {source['from']}, the schema Job creates {database}.{table}")
        ts = source["timestampValueExpression"]
        if not columns.get(ts, "").startswith("DateTime"):
            failures.append(f"{where}: timestampValueExpression {ts} is not a DateTime column ({columns.get(ts)})")
        # Every expression must be valid SQL on the table: ClickHouse resolves it, not a regex.
        for key, expr in source.items():
            if key.endswith("Expression"):
                try:
                    session.query(f"SELECT {expr} FROM `{database}`.`{table}` WHERE 0")
                except Exception as err:
                    failures.append(f"{where}: {key} {expr!r} does not resolve on the table: {err}")
    print(f"{name}: source on {database}.{table}, timestamp {sources[0]['timestampValueExpression']} ({columns.get(sources[0]['timestampValueExpression'])})")
session.close()
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
PY

echo "-- the rendered Job and test scripts, run against chdb and stand-in HTTP servers"
# The scripts only a cluster runs, run here as rendered (their shell, environment and the
# parameters they pass); a stand-in `clickhouse` on PATH answers `client` and `local` with
# chdb, the same ClickHouse 25.8 engine, and logs who asked what.
mkdir -p "$scratch/fake-bin"
cat >"$scratch/fake-bin/clickhouse" <<'PY'
#!/usr/bin/env python3
import json, os, sys
sys.path.insert(0, os.environ["FAKE_SQLFILE_DIR"])
import sqlfile  # the data-path tests' splitter of multi-statement SQL
import chdb.session
scratch = os.environ["FAKE_SCRATCH"]
mode, args = sys.argv[1], sys.argv[2:]
opts, params, settings = {}, {}, {}
while args:
    arg = args.pop(0)
    if arg in ("--host", "--port", "--user", "--password", "--query", "--format"):
        opts[arg[2:]] = args.pop(0)
    elif arg.startswith("--param_"):
        name, _, value = arg[len("--param_"):].partition("=")
        params[name] = value
    elif arg.startswith("--") and "=" in arg:
        name, _, value = arg[2:].partition("=")
        settings[name] = value
    elif arg != "--multiquery":
        sys.exit(f"stand-in clickhouse: unexpected argument {arg}")
with open(f"{scratch}/calls.jsonl", "a") as log:
    log.write(json.dumps({"mode": mode, "user": opts.get("user"), "password": opts.get("password"),
                          "params": params, "settings": settings}) + "\n")
def quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
# `client` talks to one server that keeps its tables; `local` starts empty each time.
session = chdb.session.Session(f"{scratch}/chdb-{mode}")
try:
    for name, value in params.items():
        session.query(f"SET param_{name} = {quote(value)}")
    for name, value in settings.items():
        session.query(f"SET {name} = {quote(value)}")
    statements = [opts["query"]] if "query" in opts else sqlfile.statements(sys.stdin.read())
    for statement in statements:
        out = session.query(statement, opts.get("format", "TabSeparated"))
    sys.stdout.write(out.bytes().decode())
except Exception as err:
    sys.exit(f"stand-in clickhouse: {err}")
finally:
    session.close()
PY
chmod +x "$scratch/fake-bin/clickhouse"
FAKE_SQLFILE_DIR="$root/tests/datapath" FAKE_SCRATCH="$scratch" python3 - "$scratch" "$root/$chart" <<'PY'
import http.server, json, os, shutil, subprocess, sys, threading, yaml
scratch, chart = sys.argv[1:]
clickhouse = f"{scratch}/fake-bin/clickhouse"
docs = [d for d in yaml.safe_load_all(open(f"{scratch}/default.yaml")) if d]

def pod(kind, prefix):
    d = next(d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(prefix))
    return d["spec"]["template"]["spec"] if kind == "Job" else d["spec"]

def run(spec, files, **overrides):
    """Runs the pod's script with its environment (a Secret key reads as 'secret:<key>')."""
    c = spec["containers"][0]
    env = dict(os.environ, PATH=f"{scratch}/fake-bin:" + os.environ["PATH"], HOME=scratch)
    for e in c["env"]:
        env[e["name"]] = e["value"] if "value" in e else "secret:" + e["valueFrom"]["secretKeyRef"]["key"]
    env.update(overrides)
    script = c["command"][-1].replace("/tmp/last.out", f"{scratch}/last.out")
    for mounted, local in files.items():
        script = script.replace(mounted, local)
    return subprocess.run(c["command"][:-1] + [script], env=env, capture_output=True, text=True, cwd=scratch)

def calls():
    with open(f"{scratch}/calls.jsonl") as f:
        return [json.loads(line) for line in f]

def expect(ok, what, result):
    if not ok:
        print(result.stdout)
        print(result.stderr)
        sys.exit(f"FAIL: {what}")
    print("ok:", what)

schema_job = pod("Job", "logdemo-clickhouse-schema-")
schema_sql = {"/schema/schema.sql": f"{chart}/charts/clickhouse/files/schema.sql"}
schema = run(schema_job, schema_sql)
expect(schema.returncode == 0 and "schema applied: otel.otel_logs (MergeTree, TTL 30 days)" in schema.stdout,
       "the schema Job creates otel.otel_logs", schema)
admin = [c for c in calls() if c["params"]][-1]
expect(admin["user"] == "admin" and admin["password"] == "secret:admin-password"
       and admin["params"] == {"database": "otel", "logs_table": "otel_logs", "ttl_days": "30"}
       and admin["settings"] == {"default_table_engine": "MergeTree"},
       "it runs schema.sql as the admin with its parameters and table engine", schema)
again = run(schema_job, schema_sql)
expect(again.returncode == 0, "the schema Job runs again (idempotent)", again)

pipeline = pod("Pod", "logdemo-test-pipeline")
check_sql = {"/sql/pipeline-check.sql": f"{chart}/files/pipeline-check.sql"}
empty = run(pipeline, check_sql, WAIT_SECONDS="1")
expect(empty.returncode != 0 and "FAILED: the pipeline check" in empty.stderr and "rows_arrived" in empty.stderr,
       "the pipeline test fails on an empty table, naming the failed check", empty)
ticks = [{"Timestamp": f"2026-11-21 10:00:0{n}.000000000", "SeverityText": "INFO", "SeverityNumber": 9,
          "ServiceName": "emitter", "Body": "tick",
          "ResourceAttributes": {"k8s.pod.uid": "pod-1", "container.id": "container-1"},
          "LogAttributes": {"count": str(n), "number": str(10 * n), "word": ["alpha", "beta", "kappa"][n % 3]}}
         for n in range(1, 6)]
insert = subprocess.run([clickhouse, "client", "--query", "INSERT INTO otel.otel_logs FORMAT JSONEachRow\n"
                         + "\n".join(json.dumps(t) for t in ticks)], capture_output=True, text=True)
expect(insert.returncode == 0, "five emitter ticks inserted", insert)
good = run(pipeline, check_sql, WAIT_SECONDS="1")
expect(good.returncode == 0 and "pipeline check passed" in good.stdout and "no_duplicate" in good.stdout,
       "the pipeline test passes on good rows and prints its report", good)
reader = [c for c in calls() if "service" in c["params"]][-1]
words = "['alpha','beta','gamma','delta','epsilon','zeta','eta','theta','iota','kappa']"
expect(reader["user"] == "reader" and reader["password"] == "secret:reader-password"
       and reader["params"] == {"database": "otel", "logs_table": "otel_logs", "service": "emitter",
                                "min": "0", "max": "100", "words": words},
       "it queries as the reader with the emitter's range and words", good)
narrow = run(pipeline, check_sql, WAIT_SECONDS="1", MAX="20")
expect(narrow.returncode != 0 and "number_in_range" in narrow.stderr,
       "the pipeline test fails when numbers leave the configured range", narrow)

status = {"code": 200}
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(status["code"])
        self.end_headers()
        self.wfile.write(b"Ok.\n")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Health)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}/ping"
health = pod("Pod", "logdemo-test-clickhouse-health")
healthy = run(health, {}, URL=url, WAIT_SECONDS="1")
expect(healthy.returncode == 0 and f"healthy: {url}" in healthy.stdout, "a health test passes on HTTP 200", healthy)
status["code"] = 503
sick = run(health, {}, URL=url, WAIT_SECONDS="1")
expect(sick.returncode != 0 and f"FAILED: GET {url} answers 2xx" in sick.stderr, "a health test fails on HTTP 503", sick)
server.shutdown()

# The HyperDX registration Job runs with node, which the HyperDX image brings; scripts/install-tools
# makes sure this machine has one too.
answers, bodies = [], []
class Api(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        bodies.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
        code = answers.pop(0)
        self.send_response(code)
        self.end_headers()
        self.wfile.write(json.dumps({"status": code}).encode())
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=server.serve_forever, daemon=True).start()
register_job = pod("Job", "logdemo-hyperdx-register")
login = {"email": "demo@logdemo.local", "password": "Secret-Aa1xyz"}
def register(*codes):
    answers[:] = list(codes)
    bodies.clear()
    return run(register_job, {}, API_URL=f"http://127.0.0.1:{server.server_port}", WAIT_SECONDS="30",
               EMAIL=login["email"], PASSWORD=login["password"])
r = register(503, 200)
expect(r.returncode == 0 and "registered the demo user demo@logdemo.local" in r.stdout
       and bodies[-1] == ("/register/password", dict(login, confirmPassword=login["password"])),
       "the registration Job registers once the API answers, with email, password and confirmPassword", r)
r = register(409)
expect(r.returncode == 0 and "already has a team" in r.stdout, "a HyperDX that has a team already counts as done", r)
r = register(400)
expect(r.returncode != 0 and len(bodies) == 1 and "FAILED: registering demo@logdemo.local" in r.stderr
       and "HTTP 400" in r.stderr, "a refused registration fails at once with HyperDX's answer", r)
server.shutdown()
PY

echo "-- checksum annotations follow the fluent-bit config, the Lua filter and ClickHouse's users"
# checksum <chart dir> <kind> <name> <annotation> [helm args]: the annotation of that pod template.
checksum() {
  local dir=$1 kind=$2 name=$3 key=$4
  shift 4
  helm template "$release" "$dir" "$@" | python3 -c '
import sys, yaml
kind, name, key = sys.argv[1:]
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == kind and d["metadata"]["name"] == name:
        print(d["spec"]["template"]["metadata"]["annotations"][key])
' "$kind" "$name" "$key"
}
copy="$scratch/checksums"
cp -r "$chart" "$copy"
fb_before=$(checksum "$copy" DaemonSet logdemo-fluent-bit checksum/config)
[ "$fb_before" = "$(checksum "$copy" DaemonSet logdemo-fluent-bit checksum/config)" ] ||
  { echo "FAIL: the fluent-bit checksum differs between two renders of the same chart"; exit 1; }
auth_before=$(checksum "$copy" DaemonSet logdemo-fluent-bit checksum/clickhouse-auth)
[ "$auth_before" = "$(checksum "$copy" DaemonSet logdemo-fluent-bit checksum/clickhouse-auth)" ] ||
  { echo "FAIL: generated passwords change the auth checksum on every render (pods would roll on each upgrade)"; exit 1; }
for file in otel-logs.lua fluent-bit.yaml; do
  cp "$chart/charts/fluent-bit/files/$file" "$scratch/saved"
  printf '\n# changed\n' >>"$copy/charts/fluent-bit/files/$file"
  [ "$(checksum "$copy" DaemonSet logdemo-fluent-bit checksum/config)" != "$fb_before" ] ||
    { echo "FAIL: changing $file leaves the fluent-bit pods' checksum as it was"; exit 1; }
  cp "$scratch/saved" "$copy/charts/fluent-bit/files/$file"
  echo "$file changed: fluent-bit pods roll"
done
ch_before=$(checksum "$copy" StatefulSet logdemo-clickhouse checksum/config)
[ "$(checksum "$copy" StatefulSet logdemo-clickhouse checksum/config --set global.clickhouse.users.reader=viewer)" != "$ch_before" ] ||
  { echo "FAIL: renaming a ClickHouse user leaves the server's checksum as it was"; exit 1; }
echo "ClickHouse users changed: the server rolls"

echo "-- helm-unittest (charts/logdemo/tests)"
helm unittest "$chart"

echo "-- values.schema.json rejects bad values, naming them"
# reject <expected message> <helm --set argument>
reject() {
  local expected=$1 set=$2
  if helm template "$release" "$chart" --set "$set" >"$scratch/reject.out" 2>&1; then
    echo "FAIL: helm template accepted --set $set"; exit 1
  fi
  grep -qF -- "$expected" "$scratch/reject.out" ||
    { cat "$scratch/reject.out"; echo "FAIL: --set $set was rejected without naming it ($expected)"; exit 1; }
  echo "--set $set: rejected ($expected)"
}
reject "at '/max': got string, want integer" "emitter.max=lots"
reject "additional properties 'replica' not allowed" "clickhouse.replica=3"
reject "at '/global/clickhouse/httpPort': got string, want integer" "global.clickhouse.httpPort=http"
reject "at '/global/clickhouse/httpPort': maximum: got 70,000, want 65,535" "global.clickhouse.httpPort=70000"
reject "at '/frontendUrl': 'localhost:3000' does not match pattern" "hyperdx.frontendUrl=localhost:3000"
reject "at '/persistence/enabled': got string, want boolean" "clickhouse.persistence.enabled=yes"

echo "-- helmfile lint and template (environments default and nix)"
helmfile --file helmfile.yaml lint --skip-deps >"$scratch/helmfile-lint.out" 2>&1 ||
  { cat "$scratch/helmfile-lint.out"; echo "FAIL: helmfile lint"; exit 1; }
for env in default nix; do
  helmfile --file helmfile.yaml --environment "$env" template --skip-deps >"$scratch/helmfile-$env.yaml" 2>"$scratch/helmfile.err" ||
    { cat "$scratch/helmfile.err"; echo "FAIL: helmfile template ($env)"; exit 1; }
  render "$scratch/helm-$env.yaml" "${value_sets[$env]}"
  # The same manifests as helm template with the same values; generated passwords are random
  # in each render, so their values are left out of the comparison.
  python3 - "$scratch/helmfile-$env.yaml" "$scratch/helm-$env.yaml" "$env" <<'PY'
import sys, yaml
def load(path):
    out = []
    for d in yaml.safe_load_all(open(path)):
        if not d:
            continue
        if d["kind"] == "Secret":
            d["data"] = {k: "<generated>" if k.endswith("password") or k == "session-secret" else v
                         for k, v in d.get("data", {}).items()}
        out.append(d)
    return sorted(out, key=lambda d: (d["kind"], d["metadata"]["name"]))
helmfile, helm, env = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
if helmfile != helm:
    names = lambda docs: {(d["kind"], d["metadata"]["name"]) for d in docs}
    differ = [k for k in names(helm) | names(helmfile)
              if [d for d in helm if (d["kind"], d["metadata"]["name"]) == k] != [d for d in helmfile if (d["kind"], d["metadata"]["name"]) == k]]
    sys.exit(f"FAIL: helmfile template ({env}) differs from helm template in {sorted(differ)}")
print(f"helmfile environment {env}: the same {len(helm)} objects as helm template")
PY
done

echo "helm suite passed"
