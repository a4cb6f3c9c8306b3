"""The umbrella chart as helm renders it: the value sets, helm and its output, parsed."""

import functools
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import yaml

from chart_files import CHART, ROOT  # noqa: F401
RELEASE = "logdemo"
# The Helm majors the chart is checked with, as scripts/install-tools names them on PATH
# (`helm` itself is Helm 3). Tests of what a user runs (lint, template, helm-unittest,
# helmfile, bad values) run with each; the rest read Helm 3's render.
HELMS = ["helm3", "helm4"]
SUBCHARTS = ["emitter", "fluent-bit", "clickhouse", "hyperdx"]

# The documented value sets (charts/logdemo/README.md), by name: helm's --values arguments.
VALUE_SETS = {
    "default": [],
    "external-clickhouse": ["--values", str(CHART / "values" / "external-clickhouse.yaml")],
    "nix": ["--values", str(CHART / "values-nix.json")],
    "no-hyperdx": ["--values", str(CHART / "values" / "no-hyperdx.yaml")],
}


def copy(directory):
    """A scratch copy of the umbrella chart in `directory`, for tests that change its files."""
    return Path(shutil.copytree(CHART, Path(directory) / "logdemo"))


def workspace_version():
    """The version in Cargo.toml's [workspace.package], the one every part ships as."""
    with open(ROOT / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["workspace"]["package"]["version"]


def run(*cmd):
    """Runs a tool in the repository root; returns its CompletedProcess (stdout and stderr as text)."""
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, capture_output=True, text=True)


def output(proc):
    """A tool's stdout and stderr, for an assertion message."""
    return f"{proc.stdout}\n{proc.stderr}".strip()


def report(result):
    """A finished process's exit status, stdout and stderr, for an assertion message."""
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def tool_versions():
    """The pins of scripts/tool-versions.env, by name."""
    text = (ROOT / "scripts" / "tool-versions.env").read_text()
    return dict(re.findall(r"^([A-Z0-9_]+)=(\S+)$", text, re.M))


def succeeds(*cmd):
    """Runs a tool and fails the test with its output unless it exits 0; returns its stdout."""
    proc = run(*cmd)
    assert proc.returncode == 0, f"`{' '.join(map(str, cmd))}` exited {proc.returncode}:\n{output(proc)}"
    return proc.stdout


def template(*args, chart=CHART, helm="helm"):
    """`helm template` of the umbrella (or a copy of it) as the release, with extra helm arguments."""
    return succeeds(helm, "template", RELEASE, chart, "--namespace", "default", *args)


@functools.cache
def rendered(value_set, helm="helm"):
    """The manifests a value set renders, as text (rendered once per run and Helm)."""
    return template(*VALUE_SETS[value_set], helm=helm)


def documents(text):
    """The non-empty YAML documents of a multi-document text."""
    return [d for d in yaml.safe_load_all(text) if d]


def manifests(value_set):
    """The objects a value set renders, parsed afresh (tests may change them)."""
    return documents(rendered(value_set))


def find(docs, kind, name=None, prefix=None):
    """The one object of that kind named `name` (or whose name starts with `prefix`)."""
    found = [d for d in docs if d["kind"] == kind
             and (name is None or d["metadata"]["name"] == name)
             and (prefix is None or d["metadata"]["name"].startswith(prefix))]
    wanted = name or (f"{prefix}*" if prefix else "")
    assert found, f"no {kind} {wanted} among {[(d['kind'], d['metadata']['name']) for d in docs]}"
    return found[0]


def pod_spec(doc):
    """The pod spec of a Pod, or of a workload's pod template."""
    return doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]


def env(container):
    """A container's environment as a dict: literal values, or None for values read from elsewhere."""
    return {e["name"]: e.get("value") for e in container.get("env", [])}
