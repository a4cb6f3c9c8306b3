"""fluent-bit benchmark (scripts/bench-fluent-bit): a real fluent-bit binary runs the chart's
rendered configuration, with the DaemonSet's environment, on CRI log files holding the real
emitter's lines. Measures what fluent-bit itself pays (user + system CPU of its process).

    throughput   lines per fluent-bit CPU-second, per stage: no filters, +kubernetes, +lua,
                 the whole pipeline (output discarded), the whole pipeline into a
                 ClickHouse-HTTP sink
    trickle      CPU per line while a container writes 1, 100, 1,000 lines/s, one write each
    outage       the sink stops answering for a while: when the backlog arrives after it
                 answers again, and whether a line was lost, dropped or doubled

What is not the chart's own, because it runs outside a pod: the tail path and the tag prefix
that follows from it (a scratch directory), the kubernetes filter's API server (a stand-in on
loopback serving the pods' metadata, plain HTTP, as the kubelet-less host has none), the
ClickHouse host and port (the sink on loopback), the state directory and the HTTP port.
Everything else (every plugin option, the Lua filter, the service section) is the chart's.
"""

import argparse
import base64
import gzip
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml

import emitter
import fluentbit as fb
from chart_files import CHART, ROOT

CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the chart, rendered -----------------------------------------------------------------

def rendered_chart():
    """(fluent-bit.yaml, otel-logs.lua, the fluent-bit container's env) as helm renders them."""
    out = subprocess.run(
        ["helm", "template", fb.RELEASE, str(CHART), "--namespace", fb.RELEASE_NAMESPACE],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    config = lua = env = None
    for doc in yaml.safe_load_all(out):
        if not doc:
            continue
        if doc["kind"] == "ConfigMap" and "fluent-bit.yaml" in doc.get("data", {}):
            config, lua = doc["data"]["fluent-bit.yaml"], doc["data"]["otel-logs.lua"]
        if doc["kind"] == "DaemonSet":
            for c in doc["spec"]["template"]["spec"]["containers"]:
                if c["name"] == "fluent-bit":
                    env = c["env"]
    if config is None or env is None:
        raise RuntimeError("helm template rendered no fluent-bit ConfigMap or DaemonSet")
    return config, lua, env


def daemonset_env(env, overrides):
    """The container's environment: literal values as rendered; a value from a Secret (the
    password) must be in `overrides`, like everything that differs outside a pod."""
    out = {}
    for var in env:
        name = var["name"]
        if name in overrides:
            out[name] = overrides[name]
        elif "value" in var:
            out[name] = var["value"]
        else:
            raise RuntimeError(f"{name} comes from {list(var)} and has no stand-in value")
    return out


STAGES = {
    # name: (filters kept, output)
    "tail": ((), "null"),
    "tail+kubernetes": (("kubernetes",), "null"),
    "tail+lua": (("lua",), "null"),
    "pipeline": (("kubernetes", "lua"), "null"),
    "pipeline+http": (("kubernetes", "lua"), "http"),
}


def stage_config(config_text, logs_dir, api_port, token_file, filters, output, tail_overrides=()):
    """The chart's configuration for a stage, with the paths and hosts of this machine;
    `tail_overrides` ((key, value) pairs) replace tail options for experiments."""
    cfg = yaml.safe_load(config_text)
    pipeline = cfg["pipeline"]
    (tail,) = [i for i in pipeline["inputs"] if i["name"] == "tail"]
    tail.update(dict(tail_overrides))
    chart_path = tail["path"]
    tail["path"] = str(logs_dir / Path(chart_path).name)
    tail["exclude_path"] = str(logs_dir / Path(tail["exclude_path"]).name)
    # tail tags kube.<path with / as .>, so the prefix the kubernetes filter cuts follows.
    prefix = "kube." + str(logs_dir).strip("/").replace("/", ".") + "."
    kept = []
    for f in pipeline.get("filters", []):
        if f["name"] not in filters:
            continue
        if f["name"] == "kubernetes":
            f["kube_tag_prefix"] = prefix
            f["kube_url"] = f"http://127.0.0.1:{api_port}"
            f["kube_token_file"] = str(token_file)
            f["tls.verify"] = "off"
        kept.append(f)
    pipeline["filters"] = kept
    if output == "null":
        pipeline["outputs"] = [{"name": "null", "match": "kube.*"}]
    return yaml.safe_dump(cfg, sort_keys=False)


# --- pods, their log files and their metadata ----------------------------------------------

def pods(n):
    return [fb.emitter_pod(suffix=f"p{i:04d}", uid=f"0b7c4e52-8f0e-4c7e-9d51-{i:012x}",
                           container_id=f"{i:08x}" * 8) for i in range(n)]


def pod_object(pod):
    """GET /api/v1/namespaces/<ns>/pods/<name> as the API server answers it."""
    return {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid,
                     "labels": pod.labels, "annotations": pod.annotations},
        "spec": {"nodeName": pod.node,
                 "containers": [{"name": pod.container, "image": pod.image}]},
        "status": {"phase": "Running", "podIP": pod.pod_ip,
                   "containerStatuses": [{
                       "name": pod.container, "image": pod.image,
                       "imageID": pod.metadata()["container_hash"],
                       "containerID": f"containerd://{pod.container_id}", "ready": True}]},
    }


class ApiStandIn(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pod_list):
        self.pods = {(p.namespace, p.name): json.dumps(pod_object(p)).encode() for p in pod_list}
        super().__init__(("127.0.0.1", 0), ApiHandler)


class ApiHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/?]+)", self.path)
        body = self.server.pods.get((m.group(1), m.group(2))) if m else None
        self.send_response(200 if body else 404)
        body = body or b'{"kind":"Status","code":404}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def cri_bytes(lines):
    """The CRI log file a runtime writes for these lines (time = the line's own)."""
    out = bytearray()
    for line in lines:
        time_ns = fb.rfc3339_ns(json.loads(line)["timestamp"])
        out += fb.container_log_bytes("cri", time_ns, "stdout", line)
    return bytes(out)


# --- the ClickHouse stand-in ---------------------------------------------------------------

ROW_UID = re.compile(rb'"k8s\.pod\.uid":"([^"]*)"')
ROW_COUNT = re.compile(rb'"count":"(\d+)"')
ROW_BODY = re.compile(rb'"Body":"([^"]*)"')


def decode(body, encoding):
    """A request body as ClickHouse decodes it for these Content-Encodings."""
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "zstd":  # not in Python's standard library: the zstd command
        return subprocess.run(["zstd", "-d", "-c", "-q"], input=body, capture_output=True,
                              check=True).stdout
    raise ValueError(f"Content-Encoding {encoding} not understood by this sink")


class Sink:
    """Answers the http output as ClickHouse's HTTP interface does an accepted insert, and
    counts the rows: every (pod uid, count) seen, and how often. stop() closes the socket
    (connections are refused, as with ClickHouse down); start() listens on the same port."""

    def __init__(self, expect_uri, expect_auth):
        self.expect_uri, self.expect_auth = expect_uri, expect_auth
        self.lock = threading.Lock()
        self.rows = 0
        self.seen = {}
        self.bad = []
        self.connections = set()
        self.first_after = None  # time the first row arrived after the last start()
        self.port = None
        self.server = None
        self.thread = None

    def start(self):
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 200
                try:
                    body = decode(body, self.headers.get("Content-Encoding", ""))
                    problem = None
                    if self.path != sink.expect_uri:
                        problem = f"uri {self.path}"
                    elif self.headers.get("Authorization") != sink.expect_auth:
                        problem = "authorization"
                    sink.take(body, problem)
                except Exception as e:  # noqa: BLE001 - any failure is the sink's answer
                    with sink.lock:
                        sink.bad.append(repr(e))
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def setup(self):
                super().setup()
                with sink.lock:
                    sink.connections.add(self.connection)

            def finish(self):
                with sink.lock:
                    sink.connections.discard(self.connection)
                super().finish()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port or 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        # fluent-bit keeps its connections alive: a server that went away resets them.
        with self.lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def take(self, body, problem):
        keys = []
        for line in body.splitlines():
            if not line:
                continue
            # Cheaper than parsing the row, so the sink keeps up with fluent-bit's backlog.
            uid = ROW_UID.search(line)
            count = ROW_COUNT.search(line)
            body_text = ROW_BODY.search(line)
            if not uid or not body_text:
                raise ValueError(f"not a row of the emitter: {line[:200]!r}")
            keys.append((uid.group(1).decode(), count.group(1).decode() if count else None,
                         body_text.group(1).decode()))
        with self.lock:
            if problem:
                self.bad.append(problem)
            self.rows += len(keys)
            for k in keys:
                self.seen[k] = self.seen.get(k, 0) + 1

    def ticks(self):
        with self.lock:
            return {k: n for k, n in self.seen.items() if k[2] == "tick"}


# --- fluent-bit ----------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FluentBit:
    def __init__(self, binary, workdir, config_text, lua_text, env):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "fluent-bit.yaml").write_text(config_text)
        (workdir / "otel-logs.lua").write_text(lua_text)
        self.port = int(env["FLUENT_BIT_HTTP_PORT"])
        self.log = open(workdir / "fluent-bit.log", "wb")
        self.proc = subprocess.Popen([str(binary), "-c", str(workdir / "fluent-bit.yaml")],
                                     cwd=workdir, env={**os.environ, **env},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.metrics()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"fluent-bit did not start; see {workdir}/fluent-bit.log:\n"
                                       + (workdir / "fluent-bit.log").read_text()[-3000:])
                time.sleep(0.1)

    def cpu(self):
        """User + system CPU seconds of the process (all threads) so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/metrics", timeout=5) as r:
            return json.load(r)

    def output_counters(self):
        """(records delivered, retried, dropped, retries failed) summed over outputs."""
        out = self.metrics()["output"].values()
        return (sum(o["proc_records"] for o in out), sum(o["retried_records"] for o in out),
                sum(o["dropped_records"] for o in out), sum(o["retries_failed"] for o in out))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Bench:
    def __init__(self, args, scratch):
        self.args = args
        self.scratch = scratch
        self.config, self.lua, self.env = rendered_chart()
        self.emitter = emitter.build()
        self.pods = pods(args.pods)
        self.api = ApiStandIn(self.pods)
        threading.Thread(target=self.api.serve_forever, daemon=True).start()
        self.token = scratch / "token"
        self.token.write_text("stand-in-token")
        self.runs = 0

    def environment(self, state_dir, sink_port):
        return daemonset_env(self.env, {
            "CLICKHOUSE_HOST": "127.0.0.1",
            "CLICKHOUSE_HTTP_PORT": str(sink_port),
            "CLICKHOUSE_PASSWORD": "stand-in-password",
            "FLUENT_BIT_HTTP_PORT": str(free_port()),
            "FLUENT_BIT_STATE_DIR": str(state_dir),
        })

    def sink_for(self, env):
        cfg = yaml.safe_load(self.config)
        (http_out,) = [o for o in cfg["pipeline"]["outputs"] if o["name"] == "http"]
        uri = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], http_out["uri"])
        auth = "Basic " + base64.b64encode(
            f"{env['CLICKHOUSE_USER']}:{env['CLICKHOUSE_PASSWORD']}".encode()).decode()
        return uri, auth

    def new_run(self, stage):
        """A fresh directory tree (logs, state) and the stage's config; returns its parts."""
        self.runs += 1
        run = self.scratch / f"run{self.runs}-{stage}"
        logs = run / "containers"
        logs.mkdir(parents=True)
        filters, output = STAGES[stage]
        config = stage_config(self.config, logs, self.api.server_address[1], self.token,
                              filters, output, self.args.tail)
        return run, logs, config

    def sink(self, run):
        """A started ClickHouse stand-in expecting the run's URI and credentials."""
        sink = Sink(*self.sink_for(self.environment(run / "state", 0)))
        sink.start()
        return sink

    def start(self, run, config, sink_port):
        env = self.environment(run / "state", sink_port)
        return FluentBit(self.args.fluent_bit, run / "fb", config, self.lua, env)


def profile(directory, fbit, name):
    """perf record of fluent-bit into DIRECTORY/NAME.data (perf report -i ... shows it)."""
    if not directory:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        ["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf,16384",
         "-p", str(fbit.proc.pid), "-o", str(directory / f"{name}.data")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return proc


def stop_profile(proc):
    if proc:
        proc.send_signal(signal.SIGINT)
        proc.wait()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


# --- throughput --------------------------------------------------------------------------

def throughput(bench, args):
    per_pod = args.lines // args.pods
    files = {}
    for i, pod in enumerate(bench.pods):
        files[pod.log_file()] = cri_bytes(emitter.run(bench.emitter, per_pod, seed=100 + i))
    total = sum(f.count(b"\n") for f in files.values())
    size = sum(len(f) for f in files.values())
    print(f"{total} lines ({size / total:.0f} bytes each in CRI form) in {len(files)} container "
          f"log files, {args.repeat} run(s) per stage; CPU = fluent-bit's user + system time")
    results = {}
    for stage in args.stages:
        for _ in range(args.repeat):
            run, logs, config = bench.new_run(stage)
            staging = run / "staging"
            staging.mkdir()
            for name, data in files.items():
                (staging / name).write_bytes(data)
            sink = None
            port = free_port()
            if STAGES[stage][1] == "http":
                sink = bench.sink(run)
                port = sink.port
            fbit = bench.start(run, config, port)
            try:
                # Started and idle: the files appear whole (a rename), as a container's log
                # does when fluent-bit starts behind it; tail finds them at its next scan.
                time.sleep(1)
                profiler = profile(args.perf, fbit, stage)
                cpu0 = fbit.cpu()
                t0 = time.monotonic()
                for name in files:
                    (staging / name).rename(logs / name)
                def done():
                    if sink and sink.bad:
                        raise RuntimeError(f"the sink refused requests: {sink.bad[:3]}")
                    return fbit.output_counters()[0] >= total
                wait_for(done, args.timeout, f"{total} records out of fluent-bit ({stage})")
                cpu = fbit.cpu() - cpu0
                wall = time.monotonic() - t0
                stop_profile(profiler)
                if sink:
                    wait_for(lambda: sink.rows >= total, 30, "the sink's rows")
                    ticks = sink.ticks()
                    if sink.bad or sink.rows != total or any(n != 1 for n in ticks.values()):
                        raise RuntimeError(f"sink: {sink.rows} rows, bad requests {sink.bad[:3]}")
            finally:
                fbit.stop()
                if sink:
                    sink.stop()
            results.setdefault(stage, []).append(cpu)
            print(f"  {stage:16s} {cpu:6.2f} CPU-s {wall:6.1f} s wall  "
                  f"{total / cpu:9,.0f} lines/CPU-s  {cpu / total * 1e6:5.1f} us/line", flush=True)
            shutil.rmtree(run)
    print("\nstage              lines/CPU-s   us/line (best of runs)")
    for stage, cpus in results.items():
        best = min(cpus)
        print(f"  {stage:16s} {total / best:11,.0f}   {best / total * 1e6:6.1f}")
    return results


# --- trickle -----------------------------------------------------------------------------

class Writer(threading.Thread):
    """A container runtime appending one CRI line per write, `rate` lines/s, each line the
    real emitter's next one (its timestamp rewritten to now). With `burst` (seconds), the
    lines due meanwhile come every `burst`, back to back: what the runtime writes when the
    application hands its lines over in batches, as the chart's emitter does
    (emitter_core::MAX_LINE_DELAY)."""

    def __init__(self, path, lines, rate, burst=0.0):
        super().__init__(daemon=True)
        self.path, self.lines, self.rate, self.burst = path, lines, rate, burst
        self.written = 0
        self.stop_flag = threading.Event()

    def run(self):
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        start = time.monotonic()
        try:
            while not self.stop_flag.is_set() and self.written < len(self.lines):
                due = start + self.written / self.rate
                if self.burst:
                    due = start + -(-(due - start) // self.burst) * self.burst
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                now = time.monotonic()
                while (self.written < len(self.lines)
                       and start + self.written / self.rate <= now):
                    self.write_line(fd)
        finally:
            os.close(fd)

    def write_line(self, fd):
        now_ns = time.time_ns()
        line = self.lines[self.written]
        stamp = fb.rfc3339nano(now_ns)
        line = re.sub(r'"timestamp":"[^"]+"', f'"timestamp":"{stamp}"', line, count=1)
        os.write(fd, fb.container_log_bytes("cri", now_ns, "stdout", line))
        self.written += 1


def trickle(bench, args):
    print(f"CPU per line at a steady rate, {args.seconds} s per rate after a {args.settle} s "
          f"settle; one write per line, as a runtime writes them"
          + (f", in bursts every {args.burst_ms:g} ms" if args.burst_ms else ", each line alone"))
    out = {}
    for stage in args.stages:
        for rate in args.rates:
            out[(stage, rate)] = trickle_run(bench, args, stage, rate)
    return out


def trickle_run(bench, args, stage, rate):
    run, logs, config = bench.new_run(stage)
    sink = None
    port = free_port()
    if STAGES[stage][1] == "http":
        sink = bench.sink(run)
        port = sink.port
    fbit = bench.start(run, config, port)
    count = int(rate * (args.seconds + args.settle + 5)) + 10
    lines = emitter.run(bench.emitter, count, seed=7)
    writer = Writer(logs / bench.pods[0].log_file(), lines, rate, args.burst_ms / 1000)
    try:
        writer.start()
        time.sleep(args.settle)
        profiler = profile(args.perf, fbit, f"trickle-{stage}-{rate:g}")
        cpu0, n0, t0 = fbit.cpu(), writer.written, time.monotonic()
        time.sleep(args.seconds)
        cpu1, n1, t1 = fbit.cpu(), writer.written, time.monotonic()
        stop_profile(profiler)
        writer.stop_flag.set()
        writer.join()
        if sink:
            wait_for(lambda: len(sink.ticks()) >= writer.written - 1, 60, "every written line")
        else:
            wait_for(lambda: fbit.output_counters()[0] >= writer.written, 60,
                     "every written line out of fluent-bit")
    finally:
        fbit.stop()
        if sink:
            sink.stop()
    lines_in = n1 - n0
    cpu = cpu1 - cpu0
    print(f"  {stage:16s} {rate:6g} lines/s: {lines_in:7d} lines, {cpu:6.2f} CPU-s in "
          f"{t1 - t0:5.1f} s ({cpu / (t1 - t0) * 100:5.1f}% of a core): "
          f"{cpu / lines_in * 1e6:9.1f} us/line, "
          f"{lines_in / cpu if cpu else float('inf'):9,.0f} lines/CPU-s", flush=True)
    shutil.rmtree(run)
    return cpu, lines_in, t1 - t0


# --- outage ------------------------------------------------------------------------------

def outage(bench, args):
    print(f"{args.rate:g} lines/s; the sink is down for {args.down} s after {args.before} s")
    run, logs, config = bench.new_run("pipeline+http")
    sink = bench.sink(run)
    fbit = bench.start(run, config, sink.port)
    count = int(args.rate * (args.before + args.down + args.after + 30))
    lines = emitter.run(bench.emitter, count, seed=11)
    writer = Writer(logs / bench.pods[0].log_file(), lines, args.rate)
    writer.start()
    try:
        time.sleep(args.before)
        sink.stop()
        down_at = time.monotonic()
        print(f"  sink down at {writer.written} lines written", flush=True)
        time.sleep(args.down)
        written_at_up = writer.written
        stored = sum(f.stat().st_size for f in (run / "state" / "storage").rglob("*") if f.is_file())
        buffered = written_at_up - len(sink.ticks())
        print(f"  buffered on disk: {stored / 2**20:.1f} MiB for {buffered} lines "
              f"({stored / max(buffered, 1):.0f} bytes/line)", flush=True)
        sink.start()
        up_at = time.monotonic()
        print(f"  sink up again after {up_at - down_at:.0f} s, {written_at_up} lines written",
              flush=True)
        # The backlog has arrived when every line written before the sink came back is in.
        deadline = up_at + args.after
        arrived = None
        while time.monotonic() < deadline:
            have = sink.ticks()
            # Line 1 is `starting`; tick n is line n + 1.
            if all((bench.pods[0].uid, str(c), "tick") in have
                   for c in range(1, written_at_up)):
                arrived = time.monotonic() - up_at
                break
            time.sleep(0.25)
        writer.stop_flag.set()
        writer.join()
        wait_for(lambda: len(sink.ticks()) >= writer.written - 1, 120, "every written line")
        retried = fbit.output_counters()
    finally:
        writer.stop_flag.set()
        fbit.stop()
        sink.stop()
    ticks = sink.ticks()
    counts = sorted(int(k[1]) for k in ticks)
    missing = set(range(1, writer.written)) - set(counts)
    doubled = sum(n - 1 for n in ticks.values())
    _, retried_records, dropped, retries_failed = retried
    print("  backlog (every line written before the sink came back) arrived "
          + (f"{arrived:.1f} s after it answered again" if arrived is not None
             else f"NOT within {args.after} s"))
    print(f"  {writer.written} lines written, {len(ticks)} distinct ticks received, "
          f"{len(missing)} missing, {doubled} received twice; fluent-bit: {retried_records} "
          f"records retried, {dropped} dropped, {retries_failed} retries failed")
    grep = [ln for ln in (run / "fb" / "fluent-bit.log").read_text().splitlines()
            if "retry in" in ln]
    waits = [int(m.group(1)) for ln in grep if (m := re.search(r"retry in (\d+) seconds", ln))]
    if waits:
        print(f"  retry waits fluent-bit chose: {len(waits)}, {min(waits)} to {max(waits)} s")
    shutil.rmtree(run)
    return arrived, missing, doubled, dropped


def tail_option(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: write KEY=VALUE, e.g. inotify_watcher=false")
    return key, value


def main(argv):
    p = argparse.ArgumentParser(prog="scripts/bench-fluent-bit", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("fluent_bit", type=Path, help="a fluent-bit binary (5.1.1: the chart's pin)")
    sub = p.add_subparsers(dest="mode")
    t = sub.add_parser("throughput")
    t.add_argument("--lines", type=int, default=300_000)
    t.add_argument("--pods", type=int, default=4)
    t.add_argument("--repeat", type=int, default=1)
    t.add_argument("--stages", nargs="+", choices=list(STAGES), default=list(STAGES))
    t.add_argument("--timeout", type=float, default=300)
    t.add_argument("--perf", type=Path, metavar="DIR",
                   help="also record a profile of each stage (perf record) into DIR")
    tr = sub.add_parser("trickle")
    tr.add_argument("--rates", type=float, nargs="+", default=[1, 100, 1000])
    tr.add_argument("--seconds", type=float, default=60)
    tr.add_argument("--settle", type=float, default=10)
    tr.add_argument("--pods", type=int, default=1)
    tr.add_argument("--burst-ms", type=float, default=0, metavar="MS",
                    help="write the lines due every MS milliseconds back to back (the chart's "
                         "emitter hands lines over at most 100 ms apart); 0: each line alone")
    tr.add_argument("--stages", nargs="+", choices=list(STAGES), default=["pipeline+http"],
                    help="the chart's whole pipeline by default; fewer stages show what the "
                         "filters and the output add")
    tr.add_argument("--perf", type=Path, metavar="DIR",
                    help="also record a profile of each rate (perf record) into DIR")
    o = sub.add_parser("outage")
    o.add_argument("--rate", type=float, default=1000)
    o.add_argument("--before", type=float, default=20)
    o.add_argument("--down", type=float, default=300)
    o.add_argument("--after", type=float, default=120)
    o.add_argument("--pods", type=int, default=1)
    for mode in (t, tr, o):
        mode.add_argument("--tail", type=tail_option, action="append", default=[],
                          metavar="KEY=VALUE",
                          help="an experiment: replace one of the chart's tail options "
                               "(the figures are then not the chart's)")
    args = p.parse_args(argv[1:] or ["--help"])
    args.mode = args.mode or "throughput"
    if not args.fluent_bit.is_file() or not os.access(args.fluent_bit, os.X_OK):
        p.error(f"{args.fluent_bit} is not an executable file: pass a fluent-bit binary "
                "(for example one built from fluent/fluent-bit at tag v5.1.1)")
    if args.mode == "throughput" and not hasattr(args, "lines"):
        args = p.parse_args([*argv[1:], "throughput"])
    version = subprocess.run([str(args.fluent_bit), "--version"], capture_output=True,
                             text=True).stdout.splitlines()[:1]
    print(f"{' '.join(version)}; cpu: {os.cpu_count()} x "
          f"{Path('/proc/cpuinfo').read_text().split('model name')[1].split(':')[1].splitlines()[0].strip()}; "
          f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if args.tail:
        print("NOT the chart's settings: tail " + ", ".join(f"{k}={v}" for k, v in args.tail))
    with tempfile.TemporaryDirectory(prefix="bench-fluent-bit-") as scratch:
        bench = Bench(args, Path(scratch))
        if args.mode == "outage":
            arrived, missing, doubled, dropped = outage(bench, args)
            # Losing, doubling or dropping a line is a failure, not a figure.
            return 1 if missing or doubled or dropped or arrived is None else 0
        {"throughput": throughput, "trickle": trickle}[args.mode](bench, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
