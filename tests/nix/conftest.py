"""Fixtures of the Nix suite: the flake's helpers on the import path, the interface's
values-nix.json, and nix/project.nix evaluated with it."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import flake  # noqa: E402


@pytest.fixture(scope="session")
def good_values(tmp_path_factory):
    """values-nix.json exactly as docs/interfaces.md shows it for this version."""
    return flake.values_stub(tmp_path_factory.mktemp("values") / "good.json")


@pytest.fixture(scope="session")
def project(good_values):
    """The pure part of the flake (nix/project.nix), evaluated with the interface's values."""
    return flake.project(good_values, """{
      inherit (p) version images forwardPorts ports clusterPorts pinsToFill pinsNoCommandFills networkPins
        updatePins clickhouse fluentBit;
      hyperdxVersion = p.hyperdx.version;
      mongodbTag = p.mongodb.tag;
      names = map p.containerdName [ "mongo" "logdemo/emitter" "registry.k8s.io/pause" ];
      preload = map (i: i.ref) (p.preloadImages "%s");
      controlPlane = p.controlPlaneImages "%s";
    }""" % (flake.STUB_KUBERNETES, flake.STUB_KUBERNETES))
