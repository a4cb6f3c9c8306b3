"""flake.lock pins nixpkgs (nixos-unstable) and microvm.nix, as flake.nix asks."""

import json
import re

import pytest

import flake

EXPECTED = {
    "nixpkgs": ("github:nixos/nixpkgs/nixos-unstable",
                {"type": "github", "owner": "nixos", "repo": "nixpkgs", "ref": "nixos-unstable"}),
    "microvm": ("github:microvm-nix/microvm.nix", {"type": "github", "owner": "microvm-nix", "repo": "microvm.nix"}),
}


@pytest.fixture(scope="module")
def inputs():
    """flake.nix's inputs."""
    return flake.evaluate("(import ./flake.nix).inputs")


@pytest.fixture(scope="module")
def lock():
    return json.loads((flake.ROOT / "flake.lock").read_text())


@pytest.fixture(scope="module")
def root_inputs(lock):
    return lock["nodes"][lock["root"]]["inputs"]


def locked_node(lock, root_inputs, name):
    assert name in root_inputs, f"flake.lock has no root input {name}"
    return lock["nodes"][root_inputs[name]]


def test_lock_format_is_version_7(lock):
    assert lock.get("version") == 7, f"flake.lock version is {lock.get('version')}, not 7"


def test_lock_root_inputs_are_the_flakes(inputs, root_inputs):
    assert set(root_inputs) == set(inputs), \
        f"flake.lock root inputs {sorted(root_inputs)} differ from flake.nix inputs {sorted(inputs)}"


@pytest.mark.parametrize("name", EXPECTED)
def test_flake_input_url(inputs, name):
    url = EXPECTED[name][0]
    assert inputs[name]["url"] == url, f"flake.nix input {name} is {inputs[name]['url']}, expected {url}"


@pytest.mark.parametrize("name", EXPECTED)
def test_lock_original_is_the_flakes_input(lock, root_inputs, name):
    node = locked_node(lock, root_inputs, name)
    assert node["original"] == EXPECTED[name][1], f"flake.lock {name}.original is {node['original']}"


@pytest.mark.parametrize("name", EXPECTED)
def test_lock_pins_a_full_revision_and_hash_of_that_repository(lock, root_inputs, name):
    locked = locked_node(lock, root_inputs, name)["locked"]
    original = EXPECTED[name][1]
    assert re.fullmatch(r"[0-9a-f]{40}", locked.get("rev", "")), f"flake.lock {name} has no full revision"
    assert re.fullmatch(r"sha256-[A-Za-z0-9+/]{43}=", locked.get("narHash", "")), f"flake.lock {name} has no sha256 narHash"
    assert (locked["owner"], locked["repo"]) == (original["owner"], original["repo"]), \
        f"flake.lock {name} locks another repository"


def test_microvm_follows_nixpkgs_in_the_flake(inputs):
    assert inputs["microvm"]["inputs"]["nixpkgs"]["follows"] == "nixpkgs", "microvm does not follow nixpkgs in flake.nix"


def test_microvm_follows_nixpkgs_in_the_lock(lock, root_inputs):
    assert locked_node(lock, root_inputs, "microvm")["inputs"]["nixpkgs"] == ["nixpkgs"], \
        "flake.lock: microvm's nixpkgs does not follow the root nixpkgs"


def test_every_locked_dependency_exists_and_is_locked(lock):
    nodes = lock["nodes"]
    wrong = []
    for name, node in nodes.items():
        for dep in node.get("inputs", {}).values():
            if isinstance(dep, list):
                continue  # follows another input
            if dep not in nodes:
                wrong.append(f"{name} names a missing node {dep}")
            elif "narHash" not in nodes[dep].get("locked", {}):
                wrong.append(f"{dep} is not locked")
    assert not wrong, "flake.lock: " + "; ".join(wrong)
