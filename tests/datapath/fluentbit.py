"""What happens to a container's stdout line before and after the chart's Lua filter.

Models, in order: the container runtime writing the line to its log file (CRI for
containerd/cri-o, json-file for docker); fluent-bit's tail input with `multiline.parser
docker, cri` (which rejoins lines the runtime split); the kubernetes filter (metadata,
Merge_Log settings read from the chart's fluent-bit.yaml); then the real Lua filter under
LuaJIT through lua_harness.lua, with fluent-bit's calling convention. The output is the
JSONEachRow body fluent-bit's http output posts to ClickHouse.

Strings are Python `str`; bytes that are not UTF-8 travel as surrogate escapes
(`errors="surrogateescape"`), so invalid input reaches the filter byte for byte.
"""

import datetime as dt
import functools
import json
import math
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chart_files import CHART, CHECK_SQL, FLUENT_BIT_CONFIG, LUA_FILTER, ROOT, SCHEMA_SQL  # noqa: F401

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "lua_harness.lua"

# Container runtimes split a line longer than this into partial records.
RUNTIME_LINE_LIMIT = 16 * 1024
TAG_PREFIX = "kube.var.log.containers."


@functools.cache
def pipeline_config():
    """The chart's fluent-bit.yaml, parsed (once per run: treat it as read-only)."""
    with open(FLUENT_BIT_CONFIG, encoding="utf-8") as f:
        return yaml.safe_load(f)


def plugin(kind, name):
    """The one plugin of `kind` ("inputs", "filters", "outputs") named `name`."""
    found = [p for p in pipeline_config()["pipeline"][kind] if p.get("name") == name]
    assert len(found) == 1, f"expected one {name} in pipeline.{kind}, found {len(found)}"
    return found[0]


def _on(value):
    return str(value).lower() in ("on", "true", "yes", "1")


def _on_setting(plugin_config, key, default):
    return _on(plugin_config.get(key, default))


def lua_entry():
    """The function the chart's lua filter calls."""
    return plugin("filters", "lua")["call"]


@functools.cache
def merge_settings():
    """(merge_log, merge_log_key, keep_log, merge_log_trim) of the chart's kubernetes filter."""
    k8s = plugin("filters", "kubernetes")
    return (_on(k8s.get("merge_log", "off")), k8s.get("merge_log_key"),
            _on(k8s.get("keep_log", "on")), _on(k8s.get("merge_log_trim", "on")))


def rfc3339nano(time_ns):
    """Go's time.RFC3339Nano in UTC, as containerd and docker write it (trailing zeros cut)."""
    sec, nsec = divmod(time_ns, 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(sec, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{nsec:09d}".rstrip("0")
    return stamp + (f".{frac}" if frac else "") + "Z"


def rfc3339_ns(stamp):
    """Nanoseconds since the epoch of an RFC 3339 UTC time with up to 9 fraction digits."""
    head, _, frac = stamp.rstrip("Z").partition(".")
    sec = int(dt.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc).timestamp())
    return sec * 1_000_000_000 + int((frac + "000000000")[:9])


def _chunks(text):
    raw = text.encode("utf-8", "surrogateescape")
    if not raw:
        return [""]
    return [raw[i : i + RUNTIME_LINE_LIMIT].decode("utf-8", "surrogateescape")
            for i in range(0, len(raw), RUNTIME_LINE_LIMIT)]


def container_log_bytes(fmt, time_ns, stream, text):
    """The bytes the runtime appends to the container's log file for one stdout line."""
    stamp = rfc3339nano(time_ns)
    parts = _chunks(text)
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if fmt == "cri":
            out.append(f"{stamp} {stream} {'F' if last else 'P'} {part}\n")
        elif fmt == "docker":
            entry = {"log": part + ("\n" if last else ""), "stream": stream, "time": stamp}
            out.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            raise ValueError(f"unknown container log format {fmt!r}")
    return "".join(out).encode("utf-8", "surrogateescape")


def tail_record(fmt, time_ns, stream, text):
    """The record tail emits for one line, after the multiline parser rejoined partials.

    As fluent-bit 5.1.1 does: tail cuts a `\r` that ends a physical line of the file
    (so only CRI lines lose it: in docker's files it sits inside the JSON string), and
    a rejoined CRI line keeps its first part's `_p`, `P`.
    """
    stamp = rfc3339nano(time_ns)
    if fmt == "cri":
        parts = _chunks(text)
        joined = "".join(p[:-1] if p.endswith("\r") else p for p in parts)
        return {"time": stamp, "stream": stream, "_p": "F" if len(parts) == 1 else "P", "log": joined}
    if fmt == "docker":
        return {"log": text + "\n", "stream": stream, "time": stamp}
    raise ValueError(f"unknown container log format {fmt!r}")


@dataclass
class Pod:
    """One container of one pod, as the kubernetes filter describes it."""

    name: str
    namespace: str
    uid: str
    node: str
    container: str
    container_id: str
    image: str
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    pod_ip: str = "10.244.0.12"

    def log_file(self):
        """The name the kubelet gives the container's log file: <pod>_<namespace>_<container>-<id>.log."""
        return f"{self.name}_{self.namespace}_{self.container}-{self.container_id}.log"

    def tag(self):
        return TAG_PREFIX + self.log_file()

    def metadata(self):
        """The `kubernetes` map fluent-bit 5.1.1 adds, with the chart's labels/annotations
        settings (keys in its order; `pod_ip` is there whenever the pod has one)."""
        k8s = plugin("filters", "kubernetes")
        meta = {"pod_name": self.name, "namespace_name": self.namespace, "pod_id": self.uid}
        if _on_setting(k8s, "labels", "on"):
            meta["labels"] = dict(self.labels)
        if _on_setting(k8s, "annotations", "on"):
            meta["annotations"] = dict(self.annotations)
        meta.update({
            "host": self.node,
            "pod_ip": self.pod_ip,
            "container_name": self.container,
            "docker_id": self.container_id,
            "container_hash": f"{self.image.split(':')[0]}@sha256:{'ab' * 32}",
            "container_image": self.image,
        })
        return meta


# The release the suite's emitter pods belong to: `helm install logdemo -n logdemo`.
RELEASE = "logdemo"
RELEASE_NAMESPACE = "logdemo"


def emitter_pod(suffix="x7k2p", uid="0b7c4e52-8f0e-4c7e-9d51-2f3a6b1c9e01", container_id=None,
                release=RELEASE, namespace=RELEASE_NAMESPACE):
    """An emitter pod of the logdemo chart's Deployment in `release`, with realistic metadata."""
    template_hash = "5d8f7b9c4d"
    return Pod(
        name=f"{release}-emitter-{template_hash}-{suffix}",
        namespace=namespace,
        uid=uid,
        node="minikube",
        container="emitter",
        container_id=container_id or ("3f9a" * 16),
        image="logdemo/emitter:0.1.0",
        labels={
            "app.kubernetes.io/name": "emitter",
            "app.kubernetes.io/instance": release,
            "app.kubernetes.io/component": "emitter",
            "app.kubernetes.io/part-of": "logdemo",
            "app.kubernetes.io/managed-by": "Helm",
            "helm.sh/chart": "emitter-0.1.0",
            "pod-template-hash": template_hash,
        },
        annotations={"checksum/config": "9" * 64},
    )


INT64_MIN = -(2**63)


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _json_number(text):
    value = float(text)
    if math.isinf(value):  # 1e400: the reader refuses numbers beyond a double
        raise ValueError(f"{text} overflows")
    return value


# A lone surrogate escape (\ud800 in the JSON text); \udc80-\udcff are input bytes that are not UTF-8,
# carried by surrogateescape, and stay as they are.
_LONE_SURROGATE = re.compile("[\ud800-\udbff\udc00-\udc7f]")


def _as_fluentbit(value):
    """A parsed JSON value as it reaches Lua: integers from 2^63 to 2^64 - 1 come out of
    fluent-bit's msgpack -> Lua conversion as -2^63; a lone surrogate escape is U+FFFD."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and 2**63 <= value < 2**64:
        return INT64_MIN
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_as_fluentbit(v) for v in value]
    if isinstance(value, dict):
        return {_as_fluentbit(k): _as_fluentbit(v) for k, v in value.items()}
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_json_number)


def json_values(raw):
    """The JSON values fluent-bit's reader (yyjson) finds in a line: after the first one,
    text that is not JSON ends the read without an error. None if the first fails."""
    values, pos, n = [], 0, len(raw)
    while True:
        while pos < n and raw[pos] in " \t\n\r":
            pos += 1
        if pos >= n:
            return values or None
        try:
            value, pos = _DECODER.raw_decode(raw, pos)
        except (ValueError, RecursionError):
            return values or None
        values.append(value)


def kubernetes_filter(record, pod):
    """The kubernetes filter with the chart's Merge_Log settings; pod None = no metadata."""
    merge_log, merge_key, keep_log, trim = merge_settings()
    out = dict(record)
    raw = out.get("log")
    if merge_log and isinstance(raw, str):
        values = json_values(raw)  # "{} {}" is two values: not merged either
        parsed = _as_fluentbit(values[0]) if values and len(values) == 1 else None
        if isinstance(parsed, dict):
            if trim:  # Merge_Log_Trim: trailing newlines off each top-level string value
                parsed = {k: v.rstrip("\r\n") if isinstance(v, str) else v for k, v in parsed.items()}
            if not keep_log:
                del out["log"]
            if merge_key and parsed:  # an empty map adds no key at all
                out[merge_key] = parsed
            elif not merge_key:
                out.update(parsed)
    if pod is not None:
        out["kubernetes"] = pod.metadata()
    return out


def _transport(value):
    """JSON for the harness: an empty list is marked, since the decoder sees [] as {}."""
    if isinstance(value, list):
        return [_transport(v) for v in value] if value else {"__empty_array__": True}
    if isinstance(value, dict):
        return {k: _transport(v) for k, v in value.items()}
    return value


@dataclass
class Event:
    """One record entering the Lua filter: tag, record time, record, optional fault."""

    tag: str
    time_ns: int
    record: dict
    fault: str | None = None

    def harness_line(self):
        sec, nsec = divmod(self.time_ns, 1_000_000_000)
        doc = {"tag": self.tag, "time": {"sec": sec, "nsec": nsec}, "record": _transport(self.record)}
        if self.fault is not None:
            doc["fault"] = self.fault
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "surrogateescape") + b"\n"


def event(fmt, time_ns, stream, text, pod):
    """The event the Lua filter sees for one line a container wrote."""
    record = kubernetes_filter(tail_record(fmt, time_ns, stream, text), pod)
    tag = pod.tag() if pod is not None else f"{TAG_PREFIX}unknown_default_app-{'0' * 64}.log"
    return Event(tag=tag, time_ns=time_ns, record=record)


@dataclass
class Output:
    """One record the filter emitted: the input it came from, the return code, the JSON."""

    index: int
    code: str
    json: bytes

    def row(self):
        """The row, decoded strictly: a row that is not valid UTF-8 JSON raises here."""
        return json.loads(self.json.decode("utf-8"))


def run_filter(events, lua_filter=LUA_FILTER, entry=None):
    """Runs events through the Lua filter under LuaJIT; returns the outputs in order."""
    entry = entry or lua_entry()
    payload = b"".join(e.harness_line() for e in events)
    proc = subprocess.run(
        ["luajit", str(HARNESS), str(lua_filter), entry],
        input=payload, capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"lua harness failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    outputs = []
    for line in proc.stdout.split(b"\n"):
        if not line:
            continue
        index, code, body = line.split(b"\t", 2)
        outputs.append(Output(int(index) - 1, code.decode(), body))
    return outputs


def json_each_row(outputs):
    """The http output's request body for these outputs (format json_lines)."""
    return b"\n".join(o.json for o in outputs if o.code in ("0", "1", "2")) + b"\n"
