"""The flake and nix/project.nix as Debian's nix-instantiate evaluates them (it can parse and
evaluate, not build), and the chart values the flake reads."""

import json
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "nix" / "pins.json"
VALUES_NIX = ROOT / "charts" / "logdemo" / "values-nix.json"
IMAGES = ["clickhouse", "emitter", "fluent-bit", "hyperdx", "mongodb"]

# nix/project.nix with this repository's Cargo.toml, the chart values in `values` and the pins
# in `pinsFile`; `p` is the project for the attribute expression appended after `in`.
PROJECT = """{ values, pinsFile }:
  let p = import ./nix/project.nix {
    cargoToml = builtins.fromTOML (builtins.readFile ./Cargo.toml);
    valuesNix = builtins.fromJSON (builtins.readFile values);
    pins = builtins.fromJSON (builtins.readFile pinsFile);
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


def project(values, attribute, pins=PINS):
    """`attribute` (an expression on p) of nix/project.nix with the given values and pins files."""
    return evaluate(PROJECT + attribute, values=values, pinsFile=pins)


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
