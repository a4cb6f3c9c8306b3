"""The flake and nix/project.nix as Debian's nix-instantiate evaluates them (it can parse and
evaluate, not build), and the chart values the flake reads."""

import json
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "nix" / "pins.json"
CONTROL_PLANE = ROOT / "nix" / "control-plane.json"
STUB_LIB = Path(__file__).resolve().parent / "stub-lib.nix"
UPDATE_PINS = "nix run .#update-pins"
# A Kubernetes release of the series nix/control-plane.json has tags for: what nixpkgs' kubernetes
# would be (nixpkgs is not evaluated here).
STUB_KUBERNETES = "1.35.2"
VALUES_NIX = ROOT / "charts" / "logdemo" / "values-nix.json"
IMAGES = ["clickhouse", "emitter", "fluent-bit", "hyperdx", "mongodb"]

# nix/project.nix with this repository's Cargo.toml, the chart values in `values` and the pins
# in `pinsFile`; `p` is the project for the attribute expression appended after `in`.
PROJECT = """{ values, pinsFile, controlPlaneFile }:
  let p = import ./nix/project.nix {
    cargoToml = builtins.fromTOML (builtins.readFile ./Cargo.toml);
    valuesNix = builtins.fromJSON (builtins.readFile values);
    pins = builtins.fromJSON (builtins.readFile pinsFile);
    controlPlane = builtins.fromJSON (builtins.readFile controlPlaneFile);
  }; in """


class NixError(Exception):
    """nix-instantiate exited non-zero; the message is its stderr."""


def instantiate(*args):
    """Runs nix-instantiate in the repository root; returns its stdout or raises NixError."""
    proc = subprocess.run(["nix-instantiate", *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    # Debian's nix-bin warns on every call that the nixbld group is absent; evaluation needs none.
    stderr = "\n".join(line for line in proc.stderr.splitlines() if "build-users-group" not in line)
    if proc.returncode != 0:
        raise NixError(stderr or f"nix-instantiate exited {proc.returncode}")
    return proc.stdout


def evaluate(expression, **args):
    """The JSON value of a Nix expression (a function of `args`, given as file paths)."""
    arg_flags = [flag for name, value in args.items() for flag in ("--arg", name, str(value))]
    return json.loads(instantiate("--eval", "--strict", "--json", *arg_flags, "-E", expression))


def project(values, attribute, pins=PINS, control_plane=CONTROL_PLANE):
    """`attribute` (an expression on p) of nix/project.nix with the given values, pins and
    control-plane files."""
    return evaluate(PROJECT + attribute, values=values, pinsFile=pins, controlPlaneFile=control_plane)


def failure(expression, **args):
    """The error a Nix expression stops with, or None when it evaluates."""
    try:
        evaluate(expression, **args)
    except NixError as err:
        return str(err)
    return None


def version():
    """The workspace version in Cargo.toml."""
    with open(ROOT / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["workspace"]["package"]["version"]


def values_stub(path, edit=None):
    """Writes values-nix.json as docs/interfaces.md shows it for this version, optionally
    broken by edit(values); returns the path."""
    image = lambda c: {"image": {"repository": f"logdemo/{c}", "tag": version()}}
    values = {"global": {"imagePullPolicy": "Never", "clickhouse": image("clickhouse")}, "emitter": image("emitter"),
              "fluent-bit": image("fluent-bit"), "hyperdx": dict(image("hyperdx"), mongodb=image("mongodb"))}
    if edit:
        edit(values)
    path.write_text(json.dumps(values))
    return path


def pins():
    return json.loads(PINS.read_text())


def control_plane():
    return json.loads(CONTROL_PLANE.read_text())


def fill_values(value, path=()):
    """(dotted key, value) of every "FILL: <command>" value in a pins document."""
    if isinstance(value, dict):
        for k, x in value.items():
            yield from fill_values(x, path + (k,))
    elif isinstance(value, list):
        for i, x in enumerate(value):
            yield from fill_values(x, path + (str(i),))
    elif isinstance(value, str) and value.startswith("FILL:"):
        yield ".".join(path), value


def set_key(document, dotted, value):
    """Sets a dotted key of a JSON document in place; returns the document."""
    *parents, last = dotted.split(".")
    node = document
    for key in parents:
        node = node[key]
    node[last] = value
    return document


def write_pins(path, edit):
    """nix/pins.json changed by edit(pins), written to path; returns the path."""
    document = pins()
    edit(document)
    path.write_text(json.dumps(document))
    return path
